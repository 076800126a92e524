"""Minimum functionality (MFT), invariance (INV) and directional (DIR) checks with a statistical pass rate.

Each check evaluates a set of cases, counts the failures, puts an exact (Clopper-Pearson) interval on
the failure rate (or pass rate) and judges it like every other figure (:func:`mltestkit.stats.requirement.judge`).
The failing cases are kept as counterexamples, worst first. A ``predict`` that raises, and a
perturbation that changes no input, raise :class:`~mltestkit.errors.InputError`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from mltestkit import check_invariance, perturb
>>> frame = pd.DataFrame({"x": np.arange(200.0), "colour": ["red", "blue"] * 100})
>>> predict = lambda f: (f["x"] > 100).astype(int).to_numpy()
>>> r = check_invariance(predict, frame, perturb.swap("colour", {"red": "blue"}), max=0.05)
>>> r.outcome.value, r.metrics[0].value, r.metrics[0].n
('passed', 0.0, 100)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_1d, blame_legacy, call, is_missing, number, refuse_unsized, unique_columns
from ..errors import InputError, PredictError
from ..results import CheckResult, worst
from ..stats.intervals import clopper_pearson
from ..stats.requirement import (
    EXACT,
    Estimate,
    judge,
    requirements_by_figure,
    rows_to_decide_all,
    validate_level,
    validate_rule,
)
from .adapters import as_predict
from .templates import Cases

__all__ = ["check_directional", "check_invariance", "check_mft"]

#: Most counterexamples kept in a result.
MAX_COUNTEREXAMPLES = 20
_TEXT_CAP = 300
_COLUMN_CAP = 10

EXPECTATIONS = ("increase", "decrease", "not_decrease", "not_increase")


def _every(expect: Any) -> bool:
    """Whether ``expect`` asks that every case pass: ``"all"``; ``None`` for a pass rate."""
    if expect is None or (isinstance(expect, str) and expect == "all"):
        return expect is not None
    raise InputError(
        "expect",
        f"must be 'all' or None, got {expect!r}",
        "pass expect='all' when every hand-written case must pass, or min=/max= for a share",
    )


# --------------------------------------------------------------------------- inputs and outputs


def _length(inputs: Any) -> int:
    return int(inputs.shape[0]) if hasattr(inputs, "shape") else len(inputs)


def _check_inputs(inputs: Any, argument: str = "inputs") -> Any:
    if isinstance(inputs, Cases):
        return inputs.inputs
    refuse_unsized(inputs, argument)
    unique_columns(inputs, argument)
    if inputs is None or isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
        raise InputError(
            argument,
            f"must be a DataFrame, an array or a list of texts, got {type(inputs).__name__}",
            "pass one row (or text) per case",
        )
    if _length(inputs) == 0:
        raise InputError(argument, "is empty", "pass at least one case")
    return inputs


def _take(inputs: Any, positions: np.ndarray) -> Any:
    if len(positions) == _length(inputs) and (len(positions) == 0 or positions[-1] == len(positions) - 1):
        return inputs  # all rows, in order
    if isinstance(inputs, (pd.DataFrame, pd.Series)):
        return inputs.iloc[positions]
    if isinstance(inputs, np.ndarray):
        return inputs[positions]
    return np.asarray(inputs, dtype=object)[positions].tolist()


def _render_row(inputs: Any, i: int, columns: Sequence[Any] | None = None) -> Any:
    """One input row as JSON-safe data: a text, a dict of a few columns, or a short list."""
    if isinstance(inputs, pd.DataFrame):
        cols = list(columns) if columns is not None else list(inputs.columns[:_COLUMN_CAP])
        row = inputs.iloc[i]
        return {str(c): _scalar(row[c]) for c in cols}
    value = inputs.iloc[i] if isinstance(inputs, pd.Series) else inputs[i]
    if isinstance(value, str):
        return value[:_TEXT_CAP]
    arr = np.asarray(value)
    if arr.ndim == 0:
        return _scalar(arr.item())
    if columns is not None:
        return {str(c): _scalar(arr[c]) for c in columns}
    return [_scalar(v) for v in arr.ravel()[:_COLUMN_CAP].tolist()]


def _scalar(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, bool, int, float)):
        return v[:_TEXT_CAP] if isinstance(v, str) else v
    return str(v)[:_TEXT_CAP]


def _failing_batch(predict: Callable[[Any], Any], inputs: Any) -> np.ndarray:
    """Positions of a small batch on which ``predict`` raises, found by bisection."""
    positions = np.arange(_length(inputs))
    while len(positions) > 1:
        halves = (positions[: len(positions) // 2], positions[len(positions) // 2 :])
        for half in halves:
            try:
                predict(_take(inputs, half))
            except Exception:
                positions = half
                break
        else:
            break
    return positions


def _predict(predict: Callable[[Any], Any], inputs: Any, stage: str, rows: np.ndarray) -> np.ndarray:
    try:
        raw = predict(inputs)
    except Exception as exc:
        where = _failing_batch(predict, inputs)[:5]
        sample = [_render_row(inputs, int(i)) for i in where]
        raise PredictError(
            exc,
            f" on the {stage} inputs; it fails on a batch of {len(where)} row(s) at "
            f"{rows[where].tolist()}: {sample[0]!r}",
        ) from exc
    if isinstance(raw, (pd.DataFrame, pd.Series)):
        raw = raw.to_numpy()
    out = np.asarray(raw)
    n = _length(inputs)
    if out.ndim == 0 or out.shape[0] != n:
        got = "a single value" if out.ndim == 0 else f"{out.shape[0]} outputs"
        raise InputError(
            "predict", f"returned {got} for {n} inputs", "return one output (or one row of scores) per input"
        )
    if out.ndim > 2:
        raise InputError(
            "predict", f"returned outputs of shape {out.shape}", "return labels, scores or a 2-D score array"
        )
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    return out


def _select(out: np.ndarray, output: int | None, *, need_one: bool) -> np.ndarray:
    if output is None:
        if need_one and out.ndim == 2:
            raise InputError(
                "output",
                f"predict returns {out.shape[1]} scores per row and this check needs one",
                "pass output=<column index>, e.g. output=1 for the probability of class 1",
            )
        return out
    if out.ndim == 1:
        raise InputError(
            "output", "predict returns one value per row; there is no column to select", "drop output="
        )
    if (
        isinstance(output, bool)
        or not isinstance(output, (int, np.integer))
        or not -out.shape[1] <= output < out.shape[1]
    ):
        raise InputError(
            "output",
            f"{output!r} is not a column index of outputs with {out.shape[1]} columns",
            "pass an int index",
        )
    return out[:, int(output)]


def _numeric(out: np.ndarray, what: str) -> np.ndarray:
    if out.dtype.kind not in "biuf":
        raise InputError(
            "predict",
            f"returns non-numeric outputs (dtype {out.dtype}) and {what} needs numbers",
            "return scores or probabilities",
        )
    return out.astype(float)


def _render_output(out: np.ndarray, i: int) -> Any:
    value = out[i]
    if np.ndim(value) == 0:
        return _scalar(value)
    return [_scalar(v) for v in np.asarray(value).tolist()[:_COLUMN_CAP]]


# --------------------------------------------------------------------------- requirement and judgment

#: The figures of a behavioral check: the share of cases that fail and the share that pass.
FIGURES = ("failure_rate", "pass_rate")
_LEGACY = {"max_failure_rate": ("max", "failure_rate"), "min_pass_rate": ("min", "pass_rate")}


class _Setup:
    """What every behavioral check validates first: rule, level, requirements, counterexamples kept."""

    def __init__(
        self,
        check: str,
        *,
        min: Any,
        max: Any,
        rule: str,
        confidence: float,
        max_counterexamples: int,
        legacy: dict[str, Any],
        every: bool = False,
    ) -> None:
        from ..deprecation import legacy_bounds, renamed

        self.rule, self.level = validate_rule(rule), validate_level(confidence)
        kept = renamed(
            check, "max_examples", "max_counterexamples", legacy.pop("max_examples", None),
            max_counterexamples, MAX_COUNTEREXAMPLES,
        )  # fmt: skip
        if isinstance(kept, bool) or not isinstance(kept, int) or kept < 0:
            raise InputError(
                "max_counterexamples", f"must be a non-negative int, got {kept!r}", "pass e.g. 20"
            )
        self.kept = kept
        with blame_legacy(legacy, _LEGACY):
            low, high = legacy_bounds(
                check, legacy, _LEGACY, min, max, default={"min": "pass_rate", "max": "failure_rate"}
            )
            for side, bound in (("min", low), ("max", high)):
                for value in bound.values() if isinstance(bound, dict) else [bound]:
                    if value is not None and (
                        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1
                    ):
                        raise InputError(
                            side, f"must be a share in [0, 1], got {value!r}", f"pass e.g. {side}=0.01"
                        )
        low = {"pass_rate": low} if low is not None and not isinstance(low, dict) else low
        high = {"failure_rate": high} if high is not None and not isinstance(high, dict) else high
        self.every = every
        if every:
            given = "min" if low is not None else "max" if high is not None else None
            if given is not None:
                raise InputError(
                    given,
                    "cannot be combined with expect='all', which requires every case to pass",
                    f"drop {given}=",
                )
            high = {"failure_rate": 0.0}
        self.requirements = requirements_by_figure(low, high, FIGURES, rule=self.rule, confidence=self.level)

    def judge(
        self,
        name: str,
        fails: np.ndarray,
        severity: np.ndarray,
        examples: Callable[[np.ndarray], list[dict[str, Any]]],
        details: dict[str, Any],
    ) -> CheckResult:
        """The check's result: each required share (the failure rate when none is) judged on its exact interval."""
        n, k = len(fails), int(fails.sum())
        figures = [f for f in FIGURES if self.requirements[f].gated] or ["failure_rate"]
        metrics = []
        for figure in figures:
            hits = k if figure == "failure_rate" else n - k
            if self.every:  # a hand-written list: the outcome is the exact count, no interval
                estimate = Estimate(hits / n, method=EXACT, n=n, range=(0.0, 1.0))
            else:
                low, high = (float(v) for v in clopper_pearson(hits, n, self.level))
                estimate = Estimate(hits / n, low, high, "clopper-pearson", n, range=(0.0, 1.0))
            metrics.append(judge(figure, estimate, self.requirements[figure]))
        outcome = worst([m.outcome for m in metrics if m.outcome is not None])
        order = np.flatnonzero(fails)[np.argsort(-severity[fails], kind="stable")][: self.kept]
        message = f"{k} of {n} cases failed"
        message += " (expect='all': every case must pass). " if self.every else ". "
        message += "; ".join(m.describe() for m in metrics)
        if details.get("not_applied"):
            message += (
                f"\nthe perturbation did not apply to {details['not_applied']} of {details['rows']} rows."
            )
        need = rows_to_decide_all(metrics)
        if need is not None:
            message += (
                f"\nthe interval straddles the threshold; about {need} cases (now {n}) would decide it."
            )
        if k:
            message += f"\nworst counterexample: {examples(order[:1])[0]}"
        details = {**details, "cases": n, "failures": k, "counterexamples": examples(order)}
        if self.every:
            details["expect"] = "all" if details.get("expect") is None else f"all {details['expect']}"
        return CheckResult(name, "behavior", outcome, metrics, self.rule, message, details)


# --------------------------------------------------------------------------- perturbation checks


def perturbed_inputs(
    predict: Any, inputs: Any, perturbation: Any, output: int | None, need_one: bool, vacuous_ok: bool = False
) -> tuple[Any, Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The perturbed inputs, the rows the perturbation changed and the outputs before and after on them.

    Raises :func:`vacuous` when it changed no row (unless ``vacuous_ok``), and the error of
    :class:`~mltestkit.errors.PredictError` when ``predict`` raises.
    """
    from .perturb import as_perturbation, changed_rows, require_same_length

    p = as_perturbation(perturbation)
    inputs = _check_inputs(inputs)
    after, applied = call(p.apply, "perturbation", inputs)
    require_same_length(inputs, after, p.name)
    changed = changed_rows(inputs, after)
    applied = np.asarray(applied, dtype=bool) & changed
    n = _length(inputs)
    details: dict[str, Any] = {
        "perturbation": {"name": p.name, "description": p.description},
        "rows": n,
        "not_applied": int(n - applied.sum()),
    }
    rows = np.flatnonzero(applied)
    if rows.size == 0:
        if not vacuous_ok:
            raise vacuous(p.name, n)
        return p, after, rows, np.empty(0), np.empty(0), details
    f = as_predict(predict)
    before_in, after_in = _take(inputs, rows), _take(after, rows)
    y0 = _select(_predict(f, before_in, "original", rows), output, need_one=need_one)
    y1 = _select(_predict(f, after_in, "perturbed", rows), output, need_one=need_one)
    return p, after, rows, y0, y1, details


def counterexample_rows(
    inputs: Any, after: Any, rows: np.ndarray, y0: np.ndarray, y1: np.ndarray, severity: np.ndarray
):
    def build(order: np.ndarray) -> list[dict[str, Any]]:
        out = []
        for j in order:
            i = int(rows[j])
            if isinstance(inputs, pd.DataFrame):
                from .perturb import changed_rows

                cols = [
                    c for c in inputs.columns if changed_rows(inputs[[c]].iloc[[i]], after[[c]].iloc[[i]])[0]
                ]
                shown = list(dict.fromkeys([*cols, *inputs.columns[:_COLUMN_CAP]]))[:_COLUMN_CAP]
                before_row, after_row = _render_row(inputs, i, shown), _render_row(after, i, cols)
            else:
                before_row, after_row = _render_row(inputs, i), _render_row(after, i)
            out.append(
                {
                    "row": i,
                    "input": before_row,
                    "perturbed": after_row,
                    "output": _render_output(y0, j),
                    "perturbed_output": _render_output(y1, j),
                    "severity": _scalar(float(severity[j])),
                }
            )
        return out

    return build


def perturbation_label(perturbation: Any) -> str:
    return str(getattr(perturbation, "name", getattr(perturbation, "__name__", "perturbation")))


def vacuous(what: str, n: int, cases: str = "rows") -> InputError:
    """The error of a perturbation that changed none of ``n`` inputs: the check would test nothing."""
    return InputError(
        "perturbation",
        f"{what} changed none of the {n} {cases}, so the check would be vacuous",
        "check the column and the values it should change",
    )


def check_invariance(
    predict: Any,
    inputs: Any,
    perturbation: Callable[[Any], Any],
    *,
    tolerance: float = 0.0,
    output: int | None = None,
    expect: str | None = None,
    min: float | dict[str, float] | None = None,
    max: float | dict[str, float] | None = None,
    max_counterexamples: int = MAX_COUNTEREXAMPLES,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Invariance test (INV): the output must not change by more than ``tolerance`` under a perturbation.

    Parameters
    ----------
    predict:
        A function ``inputs -> outputs`` (labels, scores, or a 2-D array such as ``predict_proba``),
        a scikit-learn estimator, or an :class:`~mltestkit.behavior.HTTPModel`.
    inputs:
        A DataFrame, a 2-D array or a list of texts.
    perturbation:
        Any callable ``inputs -> perturbed inputs`` of the same length, e.g. from :mod:`mltestkit.behavior.perturb`.
        Only rows it applies to (and changes) are cases; the others are counted in ``details["not_applied"]``.
    tolerance:
        Largest allowed absolute change of a numeric output (of any column, for 2-D outputs);
        non-numeric outputs (labels) must be equal.
    output:
        Column of a 2-D output to compare (e.g. 1 for the probability of class 1); all columns when ``None``.
    expect:
        ``"all"``: every case must pass (a short, hand-written list); the outcome is exact, passed
        with no failure and failed with one, without an interval. Not combined with ``min``/``max``.
    min, max:
        The requirement: ``max=`` bounds the ``failure_rate`` (share of cases that fail), ``min=``
        the ``pass_rate``; or dicts keyed by those names. Without either, the failure rate is
        recorded ungated. A bound of 0 or 1 can only be met by the observed share itself and is
        judged by its value.
    max_counterexamples:
        Most counterexamples kept, worst (largest change) first.
    rule, confidence:
        Gate rule and two-sided level of the exact (Clopper-Pearson) interval.
    seed:
        Accepted for a uniform API; the check draws nothing at random (seed the perturbation).
    name:
        Name of the check in the report.
    **legacy:
        ``max_failure_rate=`` / ``min_pass_rate=`` (now ``max=`` / ``min=``) and ``max_examples=``
        (now ``max_counterexamples=``) still work for this release with a ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Kind ``"behavior"``, one figure ``failure_rate`` (or ``pass_rate``) over the perturbed cases.

    Raises
    ------
    InputError
        When the perturbation changes no row (the test would be vacuous), or ``predict`` raises
        (the message shows the smallest failing batch of inputs found).

    Examples
    --------
    >>> from mltestkit import perturb
    >>> r = check_invariance(lambda t: [len(s) > 12 for s in t], ["Nice film"] * 50,
    ...                      perturb.punctuation("add"), min=0.9)
    >>> r.outcome.value, r.metrics[0].name, r.details["failures"]
    ('passed', 'pass_rate', 0)
    """
    setup = _Setup(
        "check_invariance", min=min, max=max, rule=rule, confidence=confidence,
        max_counterexamples=max_counterexamples, legacy=legacy, every=_every(expect),
    )  # fmt: skip
    tolerance = number(tolerance, "tolerance", low=0)
    inputs = _check_inputs(inputs)
    _, after, rows, y0, y1, details = perturbed_inputs(predict, inputs, perturbation, output, need_one=False)
    details["tolerance"] = tolerance
    fails, severity = invariance_failures(y0, y1, tolerance)
    examples = counterexample_rows(inputs, after, rows, y0, y1, severity)
    return setup.judge(
        name or f"invariance: {perturbation_label(perturbation)}", fails, severity, examples, details
    )


def _non_negative(argument: str, value: Any) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
    ):
        raise InputError(
            argument, f"must be a non-negative number, got {value!r}", f"pass e.g. {argument}=0.01"
        )


def invariance_failures(y0: np.ndarray, y1: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Which cases change by more than ``tolerance`` (numbers) or at all (labels), and by how much."""
    if y0.dtype.kind in "biuf" and y1.dtype.kind in "biuf":
        diff = np.abs(y1.astype(float) - y0.astype(float))
        severity = diff.max(axis=1) if diff.ndim == 2 else diff
        return ~(severity <= tolerance), np.nan_to_num(severity, nan=np.inf)
    fails = np.any(y0 != y1, axis=1) if y0.ndim == 2 else y0 != y1
    return fails, fails.astype(float)


def check_directional(
    predict: Any,
    inputs: Any,
    perturbation: Callable[[Any], Any],
    *,
    expect: str,
    output: int | None = None,
    min_change: float | None = None,
    max_change: float | None = None,
    tolerance: float = 0.0,
    min: float | dict[str, float] | None = None,
    max: float | dict[str, float] | None = None,
    max_counterexamples: int = MAX_COUNTEREXAMPLES,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Directional expectation test (DIR): a score must move the expected way under a perturbation.

    The parameters not listed here are those of :func:`check_invariance`. A case's severity is how
    far its change misses the requirement.

    Parameters
    ----------
    expect:
        ``"increase"`` or ``"decrease"`` (a strict move, at least ``min_change`` when given),
        ``"not_decrease"`` or ``"not_increase"`` (allowing a move of ``tolerance`` the wrong way);
        prefixed with ``"all "`` (``"all increase"``), every case must move so: the outcome is
        exact, as with ``expect="all"`` of :func:`check_invariance`.
    min_change, max_change:
        Smallest required and largest allowed size of the move.
    output:
        Column of a 2-D output (``predict_proba``) to use; needed when ``predict`` returns several scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from mltestkit import perturb
    >>> frame = pd.DataFrame({"income": [10.0, 20.0, 30.0, 40.0] * 25})
    >>> r = check_directional(lambda f: f["income"].to_numpy() / 100, frame, perturb.scale("income", 1.2),
    ...                       expect="increase", max=0.0)
    >>> r.outcome.value, r.metrics[0].rule
    ('passed', 'point')
    """
    every = isinstance(expect, str) and expect.startswith("all ")
    expect = expect.removeprefix("all ").strip() if every else expect
    if not isinstance(expect, str) or expect not in EXPECTATIONS:
        raise InputError(
            "expect",
            f"unknown expectation {expect!r}",
            f"use one of {', '.join(EXPECTATIONS)}, or 'all <one of them>' when every case must",
        )
    setup = _Setup(
        "check_directional", min=min, max=max, rule=rule, confidence=confidence,
        max_counterexamples=max_counterexamples, legacy=legacy, every=every,
    )  # fmt: skip
    tolerance = number(tolerance, "tolerance", low=0)
    for arg, v in (("min_change", min_change), ("max_change", max_change), ("tolerance", tolerance)):
        _non_negative(arg, v)
    if min_change is not None and expect.startswith("not_"):
        raise InputError(
            "min_change", f"does not apply to expect={expect!r}", "use expect='increase' or 'decrease'"
        )
    inputs = _check_inputs(inputs)
    _, after, rows, y0, y1, details = perturbed_inputs(predict, inputs, perturbation, output, need_one=True)
    details.update(expect=expect, min_change=min_change, max_change=max_change, tolerance=tolerance)
    delta = _numeric(y1, "a directional check") - _numeric(y0, "a directional check")
    # signed move in the expected direction; the requirement is move >= floor
    move = -delta if expect in ("decrease", "not_increase") else delta
    floor = -float(tolerance) if expect.startswith("not_") else float(min_change or 0.0)
    miss = floor - move
    fails = ~(miss < 0) if not expect.startswith("not_") and not min_change else ~(miss <= 0)
    if max_change is not None:
        over = np.abs(delta) - max_change
        fails |= over > 0
        miss = np.maximum(miss, over)
    severity = np.nan_to_num(miss, nan=np.inf)
    examples = counterexample_rows(inputs, after, rows, y0, y1, severity)
    label = name or f"directional ({expect}): {perturbation_label(perturbation)}"
    return setup.judge(label, fails, severity, examples, details)


def check_mft(
    predict: Any,
    cases: Any,
    expected: Any = None,
    *,
    predicate: Callable[[np.ndarray], Any] | None = None,
    output: int | None = None,
    tolerance: float = 0.0,
    expect: str | None = None,
    min: float | dict[str, float] | None = None,
    max: float | dict[str, float] | None = None,
    max_counterexamples: int = MAX_COUNTEREXAMPLES,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Minimum functionality test (MFT): simple cases with known answers.

    The parameters not listed here are those of :func:`check_invariance`.

    Parameters
    ----------
    cases:
        Inputs (a list of texts, a DataFrame, an array) or :class:`~mltestkit.behavior.Cases` from
        :func:`~mltestkit.behavior.template`, whose labels are the expected outputs.
    expected:
        The expected output of each case, or one value for all of them.
    predicate:
        Instead of ``expected``: a function of the outputs returning one bool per case (True = pass).
    output, tolerance:
        Column of a 2-D output to use; numeric outputs may miss a numeric expected value by ``tolerance``.

    Examples
    --------
    >>> r = check_mft(lambda t: [int("love" in s) for s in t], ["I love it", "I hate it"], [1, 0], min=1.0)
    >>> r.outcome.value, r.metrics[0].name
    ('passed', 'pass_rate')
    >>> r = check_mft(lambda t: [int("love" in s) for s in t], ["I love it", "I don't love it"], [1, 0],
    ...               expect="all")
    >>> r.outcome.value, r.metrics[0].rule, r.details["counterexamples"][0]["input"]
    ('failed', 'point', "I don't love it")
    """
    setup = _Setup(
        "check_mft", min=min, max=max, rule=rule, confidence=confidence,
        max_counterexamples=max_counterexamples, legacy=legacy, every=_every(expect),
    )  # fmt: skip
    tolerance = number(tolerance, "tolerance", low=0)
    if isinstance(cases, Cases) and expected is None and predicate is None:
        expected = cases.labels
    inputs = _check_inputs(cases, "cases")
    n = _length(inputs)
    if (expected is None) == (predicate is None):
        raise InputError(
            "expected/predicate", "give exactly one of them", "pass expected=[...] or predicate=fn"
        )
    rows = np.arange(n)
    y = _select(_predict(as_predict(predict), inputs, "test", rows), output, need_one=predicate is None)
    if predicate is not None:
        ok = np.asarray(predicate(y))
        if ok.shape != (n,) or ok.dtype.kind != "b":
            raise InputError(
                "predicate",
                f"returned {ok.dtype} of shape {ok.shape} for {n} cases",
                "return one bool per case",
            )
        fails, severity = ~ok, (~ok).astype(float)
        exp = np.full(n, None, dtype=object)
    else:
        if is_missing(expected):
            raise InputError("expected", f"is missing ({expected!r})", "pass the expected output")
        one = isinstance(expected, (str, bytes)) or not hasattr(expected, "__len__")
        exp = np.asarray(expected) if one else as_1d(expected, "expected", allow_nan=True)
        if exp.ndim == 0:
            exp = np.full(n, exp.item(), dtype=exp.dtype)
        if exp.shape != (n,):
            raise InputError(
                "expected",
                f"has {exp.shape[0] if exp.ndim else 1} values for {n} cases",
                "pass one per case, or one for all",
            )
        if y.dtype.kind in "biuf" and exp.dtype.kind in "biuf":
            severity = np.nan_to_num(np.abs(y.astype(float) - exp.astype(float)), nan=np.inf)
            fails = ~(severity <= tolerance)
        else:
            fails = y.astype(object) != exp.astype(object)
            severity = fails.astype(float)

    def build(order: np.ndarray) -> list[dict[str, Any]]:
        return [
            {
                "row": int(i),
                "input": _render_row(inputs, int(i)),
                "expected": _scalar(exp[i]),
                "output": _render_output(y, int(i)),
                "severity": _scalar(float(severity[i])),
            }
            for i in order
        ]

    return setup.judge(name or "mft", fails, severity, build, {})
