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

import builtins
import gc
import math
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
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
    decide,
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


def quantile_estimates(
    figures: dict[str, tuple[float, float | None, float | None, int]],
) -> dict[str, Estimate]:
    """The :func:`quantile_figures` as estimates; an order statistic that does not exist at this
    sample size leaves that end of the interval unbounded (no upper bound on p99 from 50 calls)."""
    return {
        name: Estimate(
            value,
            -math.inf if low is None else low,
            math.inf if high is None else high,
            "order-statistic",
            n,
            range=(0.0, math.inf),
        )
        for name, (value, low, high, n) in figures.items()
    }


def quantile_metrics(
    figures: dict[str, tuple[float, float | None, float | None, int]],
    requirements: dict[str, Requirement],
    slice: dict[str, Any] | None = None,
) -> list[MetricValue]:
    """The :func:`quantile_figures` judged against ``requirements`` (figure name -> requirement).

    >>> figs = quantile_figures(np.arange(1.0, 1001.0), None, 0.95)
    >>> [m.outcome for m in quantile_metrics(figs, {"p95_ms": Requirement(max=970)})]
    [None, <Outcome.PASSED: 'passed'>, None]
    """
    return [
        judge(name, estimate, requirements.get(name, Requirement()), slice=slice)
        for name, estimate in quantile_estimates(figures).items()
    ]


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


#: Timed calls at the first look of the sequential plan; each later look doubles them.
FIRST_LOOK = 100
#: Calls per batch size when no requirement asks for a decision and ``n_calls`` is not given.
UNGATED_CALLS = 1000


def looks(max_calls: int, first: int = FIRST_LOOK) -> list[int]:
    """The call counts at which :func:`check_latency` looks at its intervals: ``first``, doubling,
    up to ``max_calls``.

    >>> looks(1000)
    [100, 200, 400, 800, 1000]
    """
    out = [builtins.min(first, max_calls)]
    while out[-1] < max_calls:
        out.append(builtins.min(out[-1] * 2, max_calls))
    return out


def look_level(level: float, k: int) -> float:
    """The confidence of each of ``k`` looks, so that all of them together keep ``level``
    (Bonferroni: the chance that any look's interval misses is at most ``1 - level``).

    >>> round(look_level(0.95, 5), 4)
    0.99
    """
    return 1.0 - (1.0 - level) / k


def calls_to_decide(ms: np.ndarray, q: float, threshold: float, op: str, level: float) -> int | None:
    """About how many timed calls would put the order-statistic interval of the ``q`` quantile on one
    side of ``threshold`` if the timings ``ms`` (sorted) were the whole distribution.

    ``None`` when no number of calls up to 10 million would.

    >>> ms = np.sort(np.random.default_rng(0).exponential(1.0, 200))
    >>> calls_to_decide(ms, 0.99, 6.0, "<=", 0.95) > 200
    True
    """
    n = len(ms)
    if n == 0:
        return None
    candidate = n
    while candidate <= 10_000_000:
        _, low, high = quantile_ranks(candidate, q, level)
        if low >= 1 and high <= candidate:
            lo = float(np.quantile(ms, low / candidate, method="inverted_cdf"))
            hi = float(np.quantile(ms, (high - 1) / candidate, method="inverted_cdf"))
            if (op == "<=" and (hi <= threshold or lo > threshold)) or (
                op == ">=" and (lo >= threshold or hi < threshold)
            ):
                return candidate
        candidate = math.ceil(candidate * 1.25)
    return None


def _decided(requirements: dict[str, Requirement], estimates: dict[str, Estimate]) -> bool:
    """Whether every gated figure's interval lies on one side of its requirement: a pass under the
    acceptance rule or a failure under the alarm rule."""
    for name, estimate in estimates.items():
        requirement = requirements.get(name, Requirement())
        if not requirement.gated:
            continue
        passed, _ = decide(estimate, replace(requirement, rule="acceptance"))
        failed, _ = decide(estimate, replace(requirement, rule="alarm"))
        if passed is not Outcome.PASSED and failed is not Outcome.FAILED:
            return False
    return True


def _estimates(times: np.ndarray, size: int, level: float) -> dict[str, Estimate]:
    out = quantile_estimates(quantile_figures(np.sort(times) * 1e3, None, level))
    out["throughput_rows_s"] = _throughput(times, size, level)
    return out


def check_latency(
    predict: Callable[[Any], Any],
    inputs: Any,
    *,
    min: dict[str, float] | None = None,
    max: dict[str, float] | None = None,
    batch_sizes: Sequence[int] = (1,),
    n_calls: int | None = None,
    max_calls: int = 100_000,
    warmup: int = 10,
    max_seconds: float = 10.0,
    memory: bool = False,
    clock: Callable[[], float] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Time ``predict`` on batches of ``inputs`` and judge its latency quantiles and throughput.

    For each batch size, ``predict`` is called once and ``warmup`` times untimed, then timed with the
    garbage collector paused. With requirements and no ``n_calls``, the check keeps calling until
    every required figure is decided: it looks at its intervals after 100 calls, then after each
    doubling, and stops when each interval lies on one side of its requirement, or when
    ``max_calls`` or ``max_seconds`` (warm-up included) run out. Each look's interval has the
    confidence ``1 - (1 - confidence) / looks`` so that all looks together keep ``confidence``.
    Batches cycle through the rows of ``inputs``, so one row makes batches of any size.

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
    n_calls:
        A fixed number of timed calls per batch size (one look, at ``confidence``); by default
        the sequential plan above (1,000 calls when nothing is required).
    max_calls, max_seconds:
        The budget per batch size: timed calls, and seconds including the warm-up.
    warmup:
        Untimed calls before the timed ones (they stop early when ``max_seconds`` runs out).
    memory:
        Also measure the peak allocation of one call with :mod:`tracemalloc`.
    clock:
        The timer, in seconds (default :func:`time.perf_counter`); tests pass a fake one.
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
        ``details`` has the calls, the looks and why timing stopped (``decided``, ``max_calls``,
        ``max_seconds`` or ``n_calls``) per batch size. An inconclusive message shows the
        interval and about how many calls would decide it. Under pytest-xdist a
        :class:`MLTestKitWarning` is issued and ``details["unreliable"]`` says why.

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
    >>> r = check_latency(model.predict, X[:1], max={"p95_ms": 50}, batch_sizes=[1, 32])
    >>> r.outcome.value, r.metrics[0].slice, r.details["stopped"]
    ('passed', {'batch_size': 1}, {'1': 'decided', '32': 'decided'})
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
    if n_calls is not None:
        _check_positive(n_calls, "n_calls", "1000", integer=True)
    _check_positive(max_calls, "max_calls", "100_000", integer=True)
    _check_positive(max_seconds, "max_seconds", "10")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
        raise InputError("warmup", f"must be a non-negative int, got {warmup!r}", "pass e.g. warmup=10")
    if clock is not None and not callable(clock):
        raise InputError("clock", f"is not callable ({type(clock).__name__})", "pass e.g. time.perf_counter")
    for size in batch_sizes:
        count(size, "batch_sizes", high=MAX_BATCH, example=32)
    if n_calls is not None:
        count(n_calls, "n_calls", high=MAX_CALLS, example=1000)
    count(max_calls, "max_calls", high=MAX_CALLS, example=10_000)
    count(warmup, "warmup", low=0, high=MAX_CALLS, example=10)
    memory = memory or requirements["peak_memory_mb"].gated
    timed = (*QUANTILES, "throughput_rows_s")
    if n_calls is not None:
        schedule = [int(n_calls)]
    elif any(requirements[f].gated for f in timed):
        schedule = looks(int(max_calls))
    else:
        schedule = [builtins.min(UNGATED_CALLS, int(max_calls))]
    per_look = look_level(level, len(schedule))
    looked = {f: replace(requirements[f], confidence=per_look) for f in timed}

    unreliable = None
    if os.environ.get("PYTEST_XDIST_WORKER"):
        unreliable = XDIST_WARNING
        warnings.warn(MLTestKitWarning(f"{name}: {XDIST_WARNING}"), stacklevel=caller_stacklevel())

    metrics: list[MetricValue] = []
    calls: dict[str, int] = {}
    stopped: dict[str, str] = {}
    hints: list[str] = []
    histogram: dict[str, dict[str, list[float]]] = {}
    for size, batch in _batches(inputs, [int(b) for b in batch_sizes]).items():
        where = {"batch_size": size}

        def enough(times: np.ndarray, size: int = size) -> bool:
            return n_calls is None and _decided(looked, _estimates(times, size, per_look))

        times, why = _time_calls(
            predict, batch, schedule=schedule, decided=enough, warmup=int(warmup),
            max_seconds=float(max_seconds), clock=clock or time.perf_counter,
        )  # fmt: skip
        calls[str(size)], stopped[str(size)] = len(times), "n_calls" if n_calls is not None else why
        estimates = _estimates(times, size, per_look)
        judged = [judge(f, estimates[f], looked[f], slice=where) for f in timed]
        metrics += judged
        ms = np.sort(times) * 1e3
        histogram[str(size)] = _histogram_ms(ms)
        for mv in judged:
            if mv.outcome is Outcome.INCONCLUSIVE and mv.name in QUANTILES:
                need = [
                    calls_to_decide(ms, QUANTILES[mv.name], t.value, t.op, per_look) for t in mv.thresholds
                ]
                known = [c for c in need if c is not None]
                hints.append(
                    f"about {builtins.max(known)} timed calls would decide {mv.name} at batch size {size}"
                    if known
                    else f"no number of calls decides {mv.name} at batch size {size} if the timings hold"
                )
            elif mv.outcome is Outcome.INCONCLUSIVE:
                need_rows = rows_to_decide_all([mv])
                if need_rows is not None:
                    hints.append(f"about {need_rows} timed calls would decide {mv.name} at batch size {size}")
        if memory:
            metrics.append(
                judge("peak_memory_mb", _memory(predict, batch), requirements["peak_memory_mb"], slice=where)
            )
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    failing = [m for m in metrics if m.outcome not in (None, Outcome.PASSED)]
    message = "; ".join(m.describe() for m in failing[:5])
    if hints:
        spent = ", ".join(f"{calls[k]} calls at batch size {k} ({stopped[k]})" for k in calls)
        message += f"; {'; '.join(hints[:5])} (timing stopped after {spent})"
    if unreliable:
        message = f"unreliable: {unreliable}" + (f"; {message}" if message else "")
    details: dict[str, Any] = {
        "calls": calls, "stopped": stopped, "looks": schedule, "look_confidence": per_look,
        "warmup": int(warmup), "histogram": histogram,
    }  # fmt: skip
    if unreliable:
        details["unreliable"] = unreliable
    return CheckResult(name, "latency", outcome, metrics, rule, message, details)


def _histogram_ms(ms: np.ndarray, bins: int = 24) -> dict[str, list[float]]:
    """Counts of sorted call times (ms) in equal bins up to the 99th percentile; the last bin takes the rest."""
    if ms.size == 0:
        return {"edges_ms": [], "counts": []}
    top = float(np.quantile(ms, 0.99))
    edges = np.linspace(float(ms[0]), max(top, float(ms[0]) + 1e-6), bins + 1)
    counts = np.bincount(np.clip(np.searchsorted(edges, ms, side="right") - 1, 0, bins - 1), minlength=bins)
    return {"edges_ms": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}


def _time_calls(
    predict: Callable[[Any], Any],
    batch: Any,
    *,
    schedule: Sequence[int],
    decided: Callable[[np.ndarray], bool],
    warmup: int,
    max_seconds: float,
    clock: Callable[[], float],
) -> tuple[np.ndarray, str]:
    """Timings of ``predict(batch)`` (seconds) and why timing stopped: ``decided`` at a look of
    ``schedule``, ``max_calls`` (its last look) or ``max_seconds`` (warm-up included)."""
    times = np.empty(schedule[-1])
    enabled = gc.isenabled()
    done = 0
    why = "max_calls"

    def call() -> None:
        try:
            predict(batch)
        except Exception as exc:
            raise PredictError(exc, f" on a batch of {len(batch)} rows") from exc

    try:
        deadline = clock() + max_seconds
        for _ in range(warmup + 1):  # one checked call, then the warm-up
            call()
            if clock() > deadline:
                break
        gc.disable()
        out_of_time = False
        for look in schedule:
            while done < look and not (out_of_time and done > 0):
                start = clock()
                call()
                end = clock()
                times[done] = end - start
                done += 1
                out_of_time = end > deadline
            if decided(times[:done]):
                why = "decided"
                break
            if out_of_time:
                why = "max_seconds"
                break
    finally:
        if enabled:
            gc.enable()
    return times[:done], why


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


def check_fit_time(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    max_seconds: float | None = None,
    repeats: int = 1,
    clock: Callable[[], float] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Time the training of ``estimator`` on ``X, y`` and judge it against ``max_seconds``.

    A fresh copy (:func:`sklearn.base.clone`, else :func:`copy.deepcopy`) is fitted ``repeats``
    times, so ``estimator`` itself is left as it was. The figure ``fit_seconds`` is the slowest
    fit: a measured value, judged by its value under every rule.

    Parameters
    ----------
    estimator:
        Anything with ``fit(X, y)``, e.g. a scikit-learn estimator or pipeline.
    X, y:
        Training data (``y`` may be ``None`` for unsupervised estimators).
    max_seconds:
        The longest acceptable fit, in seconds; without it the time is recorded with no outcome.
    repeats:
        Fits to time.
    clock:
        The timer, in seconds (default :func:`time.perf_counter`); tests pass a fake one.
    rule, confidence:
        Gate rule and level, for a uniform API: a measured time is judged by its value.
    seed:
        Set as ``random_state`` on the copy when the estimator has that parameter left at ``None``.
    name:
        Name of the check (default ``"fit_time"``).

    Returns
    -------
    CheckResult
        Kind ``latency`` with one figure, ``fit_seconds``; every fit's seconds in ``details``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> r = check_fit_time(LogisticRegression(), X, y, max_seconds=60)
    >>> r.outcome.value, r.metrics[0].name, len(r.details["fits_s"])
    ('passed', 'fit_seconds', 1)
    """
    if not callable(getattr(estimator, "fit", None)):
        raise InputError(
            "estimator", f"has no fit method ({type(estimator).__name__})", "pass e.g. LogisticRegression()"
        )
    rule = validate_rule(rule)
    level = validate_level(confidence)
    if max_seconds is not None:
        _check_positive(max_seconds, "max_seconds", "60")
    _check_positive(repeats, "repeats", "3", integer=True)
    if clock is not None and not callable(clock):
        raise InputError("clock", f"is not callable ({type(clock).__name__})", "pass e.g. time.perf_counter")
    timer = clock or time.perf_counter
    fits = []
    for _ in range(int(repeats)):
        model = _fresh(estimator, seed)
        start = timer()
        try:
            model.fit(X) if y is None else model.fit(X, y)
        except Exception as exc:
            raise InputError(
                "estimator", f"fit raised {type(exc).__name__}: {exc}", "fix the estimator or the data"
            ) from exc
        fits.append(timer() - start)
    requirement = Requirement(max=max_seconds, rule=rule, confidence=level, argument="max_seconds")
    metric = judge("fit_seconds", Estimate(builtins.max(fits), n=len(fits)), requirement)
    message = "" if metric.outcome in (None, Outcome.PASSED) else metric.describe()
    outcome = worst([metric.outcome] if metric.outcome is not None else [])
    details = {"fits_s": [round(f, 6) for f in fits]}
    return CheckResult(name or "fit_time", "latency", outcome, [metric], rule, message, details)


def _fresh(estimator: Any, seed: int) -> Any:
    """An unfitted copy of ``estimator``, with ``random_state=seed`` where it was left ``None``."""
    try:
        from sklearn.base import clone

        model = clone(estimator)
    except (ImportError, TypeError):
        import copy

        model = copy.deepcopy(estimator)
    params = model.get_params() if callable(getattr(model, "get_params", None)) else {}
    if "random_state" in params and params["random_state"] is None:
        model.set_params(random_state=seed)
    return model
