"""Latency, throughput and memory of a prediction function, with honest intervals.

Quantiles (p50, p95, p99) get the distribution-free order-statistic interval: the number of
timings below the true quantile is binomial, so two order statistics bracket it with at
least the requested confidence, whatever the shape of the timing distribution.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_latency
>>> r = check_latency(np.sort, np.arange(100.0), max={"p95_ms": 1000}, n_calls=300)
>>> r.outcome.value, [m.name for m in r.metrics]
('passed', ['p50_ms', 'p95_ms', 'p99_ms', 'throughput_rows_s'])
"""

from __future__ import annotations

import gc
import math
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from .._validate import blame_legacy, count, flag, refuse_unsized, sequence
from ..errors import InputError, MLTestKitWarning, PredictError, caller_stacklevel
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.intervals import z_value
from ..stats.requirement import (
    Estimate,
    Requirement,
    judge,
    requirements_by_figure,
    rows_to_decide_all,
    validate_level,
    validate_rule,
)

#: The quantiles every latency check reports, by metric name.
QUANTILES = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}
#: Every figure of :func:`check_latency`, the keys of its ``min=`` / ``max=`` dicts.
FIGURES = (*QUANTILES, "throughput_rows_s", "peak_memory_mb")
#: Deprecated spellings of the requirements: old argument -> (side, figure).
#: The largest batch and the most calls :func:`check_latency` accepts (beyond them memory runs out).
MAX_BATCH, MAX_CALLS = 10**7, 10**8
LEGACY = {
    **{q: ("max", q) for q in QUANTILES},
    "min_throughput": ("min", "throughput_rows_s"),
    "max_memory_mb": ("max", "peak_memory_mb"),
}
XDIST_WARNING = (
    "timings under pytest-xdist share the CPU with other workers and are unreliable;"
    " run latency tests serially (-n 0 or -p no:xdist)"
)


def quantile_ranks(n: int, q: float, level: float) -> tuple[int, int, int]:
    """1-based ranks ``(k, low, high)`` of the estimate and of the order statistics that bracket
    the ``q`` quantile of ``n`` draws with probability at least ``level``.

    ``low == 0`` or ``high == n + 1`` means that end is unbounded at this sample size.

    >>> quantile_ranks(1000, 0.95, 0.95)
    (950, 936, 964)
    """
    alpha = 1.0 - level
    k = min(n, max(1, math.ceil(round(q * n, 9))))
    low = int(stats.binom.ppf(alpha / 2, n, q))
    high = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    return k, max(low, 0), min(high, n + 1)


def quantile_figures(
    values: np.ndarray, counts: np.ndarray | None, level: float
) -> dict[str, tuple[float, float | None, float | None, int]]:
    """``name -> (estimate, low, high, n)`` for each of :data:`QUANTILES`.

    ``values`` are sorted; ``counts`` (optional) says how often each occurs (a histogram).
    """
    cum = np.cumsum(counts) if counts is not None else np.arange(1, len(values) + 1)
    n = int(cum[-1])

    def at(rank: int) -> float | None:
        if rank < 1 or rank > n:
            return None
        return float(values[int(np.searchsorted(cum, rank))])

    out = {}
    for name, q in QUANTILES.items():
        k, lo, hi = quantile_ranks(n, q, level)
        out[name] = (float(at(k)), at(lo), at(hi), n)  # type: ignore[arg-type]
    return out


def quantile_metrics(
    figures: dict[str, tuple[float, float | None, float | None, int]],
    requirements: dict[str, Requirement],
    slice: dict[str, Any] | None = None,
) -> list[MetricValue]:
    """The :func:`quantile_figures` judged against ``requirements`` (figure name -> requirement).

    An order statistic that does not exist at this sample size leaves that end of the interval
    unbounded (for example no upper bound on p99 from 50 calls), which the judgment sees.

    >>> figs = quantile_figures(np.arange(1.0, 1001.0), None, 0.95)
    >>> [m.outcome for m in quantile_metrics(figs, {"p95_ms": Requirement(max=970)})]
    [None, <Outcome.PASSED: 'passed'>, None]
    """
    out = []
    for name, (value, low, high, n) in figures.items():
        estimate = Estimate(
            value,
            -math.inf if low is None else low,
            math.inf if high is None else high,
            "order-statistic",
            n,
            range=(0.0, math.inf),
        )
        out.append(judge(name, estimate, requirements.get(name, Requirement()), slice=slice))
    return out


def latency_requirements(
    check: str,
    figures: Sequence[str],
    min: Any,
    max: Any,
    legacy: dict[str, Any],
    spellings: dict[str, tuple[str, str]],
    *,
    rule: str,
    confidence: float,
    positive: Sequence[str] = FIGURES,
) -> dict[str, Requirement]:
    """One requirement per figure from ``min=`` / ``max=`` (and deprecated spellings).

    Bounds on the figures in ``positive`` (times, rates, sizes) must be positive numbers.
    """
    from ..deprecation import legacy_bounds

    with blame_legacy(legacy, spellings):
        low, high = legacy_bounds(check, legacy, spellings, min, max)
        for side, bound in (("min", low), ("max", high)):
            for figure, value in bound.items() if isinstance(bound, dict) else []:
                if value is not None and figure in positive:
                    _check_positive(value, side, f"{{{figure!r}: 20}}", what=f"{figure} ")
        return requirements_by_figure(low, high, figures, rule=rule, confidence=confidence)


def _batches(inputs: Any, sizes: Sequence[int]) -> dict[int, Any]:
    """Inputs of each batch size, cycling through the rows given."""
    n = len(inputs)
    out = {}
    for size in sizes:
        idx = np.arange(size) % n
        if hasattr(inputs, "iloc"):
            out[size] = inputs.iloc[idx]
        elif isinstance(inputs, np.ndarray) or type(inputs).__module__.startswith("polars"):
            out[size] = inputs[idx]
        else:
            out[size] = [inputs[i] for i in idx]
    return out


def _check_positive(
    value: Any, argument: str, example: str, *, integer: bool = False, what: str = ""
) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0 or not math.isfinite(value):
        kind = "a positive int" if integer else "a positive number"
        raise InputError(argument, f"{what}must be {kind}, got {value!r}", f"pass e.g. {argument}={example}")


def check_latency(
    predict: Callable[[Any], Any],
    inputs: Any,
    *,
    min: dict[str, float] | None = None,
    max: dict[str, float] | None = None,
    batch_sizes: Sequence[int] = (1,),
    n_calls: int = 1000,
    warmup: int = 10,
    max_seconds: float = 10.0,
    memory: bool = False,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Time ``predict`` on batches of ``inputs`` and judge its latency quantiles and throughput.

    For each batch size, ``predict`` is called ``warmup`` times untimed, then up to ``n_calls``
    times (fewer if ``max_seconds`` runs out) with the garbage collector paused, each call timed
    with :func:`time.perf_counter`. Batches cycle through the rows of ``inputs``, so one row
    makes batches of any size.

    Parameters
    ----------
    predict:
        The function under test, e.g. ``model.predict``.
    inputs:
        Rows to call it with: a DataFrame, an array or a list.
    min, max:
        Requirements keyed by figure (every batch size must meet them): ``max`` on ``p50_ms``,
        ``p95_ms``, ``p99_ms`` (latency of one call in milliseconds) and ``peak_memory_mb``
        (peak allocation of one call, tracemalloc; implies ``memory=True``), ``min`` on
        ``throughput_rows_s`` (rows per second), e.g.
        ``max={"p95_ms": 50, "p99_ms": 80}, min={"throughput_rows_s": 100}``.
    batch_sizes:
        Batch sizes to time.
    n_calls, warmup, max_seconds:
        Timed calls per batch size, untimed calls before them, time budget per batch size.
    memory:
        Also measure the peak allocation of one call with :mod:`tracemalloc`.
    rule, confidence:
        Gate rule and interval level.
    seed:
        Accepted for a uniform API; nothing is drawn at random.
    name:
        Name of the check (default ``"latency"``).
    **legacy:
        ``p50_ms=``, ``p95_ms=``, ``p99_ms=``, ``max_memory_mb=`` (now ``max={...}``) and
        ``min_throughput=`` (now ``min={"throughput_rows_s": ...}``) still work for this release
        with a ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Kind ``latency``; one ``p50_ms``, ``p95_ms``, ``p99_ms`` and ``throughput_rows_s``
        (and ``peak_memory_mb`` when measured) per batch size, with ``slice={"batch_size": b}``.
        Under pytest-xdist a :class:`MLTestKitWarning` is issued and ``details["unreliable"]``
        says why.

    Raises
    ------
    InputError
        For bad arguments, and when ``predict`` raises on the inputs.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> r = check_latency(model.predict, X[:1], max={"p95_ms": 50}, batch_sizes=[1, 32], n_calls=200)
    >>> r.outcome.value, r.metrics[0].slice
    ('passed', {'batch_size': 1})
    """
    if not callable(predict):
        raise InputError("predict", f"is not callable ({type(predict).__name__})", "pass e.g. model.predict")
    refuse_unsized(inputs, "inputs")
    if (
        inputs is None
        or isinstance(inputs, (str, bytes))
        or not hasattr(inputs, "__len__")
        or len(inputs) == 0
    ):
        raise InputError(
            "inputs", "must hold at least one row", "pass e.g. X_test.iloc[:1] or a list of rows"
        )
    rule = validate_rule(rule)
    level = validate_level(confidence)
    name = name or "latency"
    requirements = latency_requirements(
        "check_latency", FIGURES, min, max, legacy, LEGACY, rule=rule, confidence=level
    )
    if isinstance(batch_sizes, (int, np.integer)):
        batch_sizes = [int(batch_sizes)]
    batch_sizes, memory = sequence(batch_sizes, "batch_sizes"), flag(memory, "memory")
    if not batch_sizes:
        raise InputError("batch_sizes", "is empty", "pass e.g. batch_sizes=[1, 32]")
    for size in batch_sizes:
        _check_positive(size, "batch_sizes", "[1, 32]", integer=True)
    _check_positive(n_calls, "n_calls", "1000", integer=True)
    _check_positive(max_seconds, "max_seconds", "10")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
        raise InputError("warmup", f"must be a non-negative int, got {warmup!r}", "pass e.g. warmup=10")
    for size in batch_sizes:
        count(size, "batch_sizes", high=MAX_BATCH, example=32)
    count(n_calls, "n_calls", high=MAX_CALLS, example=1000)
    count(warmup, "warmup", low=0, high=MAX_CALLS, example=10)
    memory = memory or requirements["peak_memory_mb"].gated

    unreliable = None
    if os.environ.get("PYTEST_XDIST_WORKER"):
        unreliable = XDIST_WARNING
        warnings.warn(MLTestKitWarning(f"{name}: {XDIST_WARNING}"), stacklevel=caller_stacklevel())

    metrics: list[MetricValue] = []
    calls: dict[str, int] = {}
    for size, batch in _batches(inputs, [int(b) for b in batch_sizes]).items():
        where = {"batch_size": size}
        times = _time_calls(predict, batch, n_calls=int(n_calls), warmup=int(warmup), max_seconds=max_seconds)
        calls[str(size)] = len(times)
        ms = np.sort(times) * 1e3
        metrics += quantile_metrics(quantile_figures(ms, None, level), requirements, where)
        metrics.append(
            judge(
                "throughput_rows_s",
                _throughput(times, size, level),
                requirements["throughput_rows_s"],
                slice=where,
            )
        )
        if memory:
            metrics.append(
                judge("peak_memory_mb", _memory(predict, batch), requirements["peak_memory_mb"], slice=where)
            )
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    failing = [m for m in metrics if m.outcome not in (None, Outcome.PASSED)]
    message = "; ".join(m.describe() for m in failing[:5])
    need = rows_to_decide_all(metrics)
    if need is not None:
        message += f"; about {need} timed calls would decide it"
    if unreliable:
        message = f"unreliable: {unreliable}" + (f"; {message}" if message else "")
    details: dict[str, Any] = {"calls": calls, "warmup": int(warmup)}
    if unreliable:
        details["unreliable"] = unreliable
    return CheckResult(name, "latency", outcome, metrics, rule, message, details)


def _time_calls(
    predict: Callable[[Any], Any], batch: Any, *, n_calls: int, warmup: int, max_seconds: float
) -> np.ndarray:
    times = np.empty(n_calls)
    clock = time.perf_counter
    enabled = gc.isenabled()
    done = 0
    try:
        for _ in range(warmup + 1):
            predict(batch)
        gc.disable()
        deadline = clock() + max_seconds
        while done < n_calls:
            start = clock()
            predict(batch)
            end = clock()
            times[done] = end - start
            done += 1
            if end > deadline:
                break
    except Exception as exc:
        raise PredictError(exc, f" on a batch of {len(batch)} rows") from exc
    finally:
        if enabled:
            gc.enable()
    return times[:done]


def _throughput(times: np.ndarray, size: int, level: float) -> Estimate:
    """Rows per second: the batch size over the mean call time, with a normal interval for that mean."""
    n = len(times)
    mean = float(times.mean())
    half = z_value(level) * float(times.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    low = size / (mean + half) if math.isfinite(half) else None
    high = (size / (mean - half) if mean > half else math.inf) if math.isfinite(half) else None
    value = size / mean if mean > 0 else float("inf")
    return Estimate(value, low, high, "normal (mean call time)", n, range=(0.0, math.inf))


def _memory(predict: Callable[[Any], Any], batch: Any) -> Estimate:
    """Peak memory allocated by one call, measured once with tracemalloc: judged by its value."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            predict(batch)
        except Exception as exc:
            raise PredictError(exc, f" on a batch of {len(batch)} rows") from exc
        peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        if started:
            tracemalloc.stop()
    return Estimate(peak, n=1)
