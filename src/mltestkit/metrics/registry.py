"""Metrics by name, each with the interval that suits it, and :func:`check_metric`.

Count-based classification metrics are computed from a confusion matrix built in one
``np.bincount`` pass; proportions get a Wilson interval, the other count-based metrics an
exact bootstrap over the confusion cells (its cost does not grow with the rows). ROC AUC
gets a DeLong interval; metrics that are means of per-row losses a row bootstrap (a normal
interval on very large inputs); the rest a row bootstrap.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_metric
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 2000)
>>> pred = np.where(rng.random(2000) < 0.9, y, 1 - y)
>>> result = check_metric("accuracy", y, pred, min=0.85)
>>> result.outcome.value, result.metrics[0].ci.method
('passed', 'wilson')
"""

from __future__ import annotations

import builtins
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import (
    as_1d,
    as_rng,
    encode_labels,
    positive_index,
    probabilities,
    same_length,
    validate_n_boot,
)
from ..errors import InputError
from ..results import CheckResult, Interval, MetricValue, Outcome
from ..stats import intervals as iv
from ..stats.requirement import gate, rows_to_decide, thresholds_from, validate_level, validate_rule

#: How a metric reads its inputs.
LABELS, SCORES, REGRESSION = "labels", "scores", "regression"


@dataclass(frozen=True)
class Metric:
    """A named metric: what it reads, which direction is better, how its interval is made."""

    name: str
    input: str
    higher_is_better: bool
    interval: str  # wilson | cells | delong | mean | bootstrap
    description: str


def _binary_cells(cm: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """tp, fp, fn, tn from confusion matrices of shape (..., K, K), one-vs-rest for class ``pos``."""
    total = cm.sum(axis=(-2, -1))
    if pos < 0:
        zero = np.zeros_like(total)
        return zero, zero, zero, total
    tp = cm[..., pos, pos]
    fn = cm[..., pos, :].sum(axis=-1) - tp
    fp = cm[..., :, pos].sum(axis=-1) - tp
    tn = total - tp - fn - fp
    return tp, fp, fn, tn


def proportion_counts(name: str, cm: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """(successes, trials) of a proportion metric from confusion matrices of shape (..., K, K)."""
    if name == "accuracy":
        return np.trace(cm, axis1=-2, axis2=-1), cm.sum(axis=(-2, -1))
    tp, fp, fn, tn = _binary_cells(cm, pos)
    table = {
        "precision": (tp, tp + fp),
        "recall": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "fpr": (fp, fp + tn),
        "fnr": (fn, fn + tp),
        "selection_rate": (tp + fp, tp + fp + fn + tn),
    }
    return table[name]


def count_metric(name: str, cm: np.ndarray, pos: int) -> np.ndarray:
    """Value of a count-based metric from confusion matrices of shape (..., K, K); NaN if undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if name in PROPORTIONS:
            k, n = proportion_counts(name, cm, pos)
            return np.where(n > 0, k / np.maximum(n, 1), np.nan)
        if name == "f1":
            tp, fp, fn, _ = _binary_cells(cm, pos)
            d = 2 * tp + fp + fn
            return np.where(d > 0, 2 * tp / np.maximum(d, 1), np.nan)
        if name == "balanced_accuracy":
            rows = cm.sum(axis=-1)
            diag = np.diagonal(cm, axis1=-2, axis2=-1)
            present = rows > 0
            recall = np.where(present, diag / np.maximum(rows, 1), 0.0)
            k = present.sum(axis=-1)
            return np.where(k > 0, recall.sum(axis=-1) / np.maximum(k, 1), np.nan)
    raise KeyError(name)


PROPORTIONS = ("accuracy", "precision", "recall", "specificity", "fpr", "fnr", "selection_rate")
_BINARY = {"precision", "recall", "specificity", "fpr", "fnr", "selection_rate", "f1"}

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", LABELS, True, "wilson", "share of rows predicted correctly"),
        Metric("balanced_accuracy", LABELS, True, "cells", "mean recall over the classes present in y_true"),
        Metric("precision", LABELS, True, "wilson", "share of predicted positives that are positive"),
        Metric("recall", LABELS, True, "wilson", "share of positives predicted positive (TPR)"),
        Metric("specificity", LABELS, True, "wilson", "share of negatives predicted negative (TNR)"),
        Metric("fpr", LABELS, False, "wilson", "share of negatives predicted positive"),
        Metric("fnr", LABELS, False, "wilson", "share of positives predicted negative"),
        Metric("selection_rate", LABELS, True, "wilson", "share of rows predicted positive"),
        Metric("f1", LABELS, True, "cells", "harmonic mean of precision and recall"),
        Metric("roc_auc", SCORES, True, "delong", "area under the ROC curve"),
        Metric("average_precision", SCORES, True, "bootstrap", "area under the precision-recall curve"),
        Metric("log_loss", SCORES, False, "mean", "mean negative log-likelihood of the true label"),
        Metric("brier", SCORES, False, "mean", "mean squared error of the probability"),
        Metric("ece", SCORES, False, "bootstrap", "expected calibration error, 10 equal-width bins"),
        Metric("mae", REGRESSION, False, "mean", "mean absolute error"),
        Metric("rmse", REGRESSION, False, "mean", "root mean squared error"),
        Metric("mape", REGRESSION, False, "mean", "mean absolute percentage error (as a fraction)"),
        Metric("r2", REGRESSION, True, "bootstrap", "coefficient of determination"),
    ]
}


def get_metric(name: str) -> Metric:
    """The registered metric called ``name``, or an error suggesting the closest name."""
    if not isinstance(name, str):
        raise InputError(
            "metric", f"must be a name or a callable, got {type(name).__name__}", "pass e.g. 'accuracy'"
        )
    try:
        return METRICS[name]
    except KeyError:
        close = difflib.get_close_matches(name, METRICS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(METRICS)}"
        raise InputError("metric", f"unknown metric {name!r}", hint) from None


def confusion_matrix(true_codes: np.ndarray, pred_codes: np.ndarray, k: int) -> np.ndarray:
    """K x K confusion counts (rows: true class, columns: predicted class) in one bincount."""
    return np.bincount(true_codes * k + pred_codes, minlength=k * k).reshape(k, k)


# ---------------------------------------------------------------- per-row losses and statistics


def _eps() -> float:
    return float(np.finfo(np.float64).eps)


def row_losses(name: str, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-row losses whose mean is the metric (log_loss, brier, mae, mape; squared error for rmse)."""
    if name == "log_loss":
        q = np.clip(p, _eps(), 1 - _eps())
        return -(y * np.log(q) + (1 - y) * np.log(1 - q))
    if name == "brier":
        return (p - y) ** 2
    if name == "mae":
        return np.abs(p - y)
    if name == "mape":
        return np.abs(p - y) / np.maximum(np.abs(y), _eps())
    if name == "rmse":
        return (p - y) ** 2
    raise KeyError(name)


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: sum over equal-width bins of |bin share| x |mean(y) - mean(p)|."""
    b = np.minimum((p * bins).astype(np.int64), bins - 1)
    sy = np.bincount(b, weights=y, minlength=bins)
    sp = np.bincount(b, weights=p, minlength=bins)
    return float(np.abs(sy - sp).sum() / len(y))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision as scikit-learn defines it (step-wise, no interpolation)."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    distinct = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s) - 1]
    tps = np.cumsum(y_sorted)[distinct]
    fps = (distinct + 1) - tps
    total_pos = tps[-1]
    if total_pos == 0:
        raise ValueError("no positive rows")
    precision = tps / (tps + fps)
    recall = tps / total_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def r2(y: np.ndarray, p: np.ndarray) -> float:
    sst = np.sum((y - y.mean()) ** 2)
    if sst == 0:
        raise ValueError("y_true is constant")
    return float(1 - np.sum((y - p) ** 2) / sst)


# ---------------------------------------------------------------- computing one metric


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    method: str
    n: int


def _undefined(metric: str, why: str, fix: str, argument: str = "y_true") -> InputError:
    return InputError(argument, f"{metric} is undefined: {why}", fix)


def estimate_labels(
    name: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    pos_label: Any,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate:
    metric = METRICS[name]
    classes, t, p = encode_labels(y_true, y_pred)
    assert p is not None
    k = len(classes)
    if name in _BINARY and pos_label is None and k > 2:
        raise InputError(
            "pos_label",
            f"{name} is defined for one class at a time and the labels have {k} classes",
            "pass pos_label=<the class to score>",
        )
    pos = positive_index(classes, pos_label, name) if name in _BINARY else 0
    cm = confusion_matrix(t, p, k)
    value = float(count_metric(name, cm, pos))
    if np.isnan(value):
        raise _undefined(
            name,
            "its denominator is zero on this data (e.g. no positive rows)",
            "check the labels and pos_label",
        )
    n = int(cm.sum())
    if metric.interval == "wilson":
        succ, trials = proportion_counts(name, cm, pos)
        wl, wh = iv.wilson(succ, trials, level)
        return Estimate(value, float(wl), float(wh), "wilson", int(trials))
    reps = iv.cell_bootstrap(cm, lambda d: count_metric(name, d, pos), n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    method = "bootstrap-cells"
    if not np.isfinite(low) or high - low <= 0:
        # degenerate bootstrap (e.g. a perfect score): fall back to Wilson on the value as a share of n
        lw, hw = iv.wilson(round(value * n), n, level)
        low, high, method = float(lw), float(hw), "wilson-fallback"
    return Estimate(value, low, high, method, n)


def estimate_scores(
    name: str,
    y_true: np.ndarray,
    y_score: np.ndarray,
    pos_label: Any,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate:
    classes, t, _ = encode_labels(y_true, None)
    if len(classes) > 2 and pos_label is None:
        raise InputError(
            "pos_label", f"{name} scores one class and y_true has {len(classes)} classes", "pass pos_label="
        )
    pos = positive_index(classes, pos_label, name)
    y = t == pos if pos >= 0 else np.zeros(len(t), dtype=bool)
    n = len(y)
    if name in ("log_loss", "brier", "ece"):
        y_score = probabilities(y_score, "y_score")
    if name == "roc_auc":
        if y.all() or not y.any():
            raise _undefined(name, "y_true has a single class", "evaluate on data with both classes")
        value, var = iv.delong_auc(y, y_score.astype(float))
        low, high = iv.logit_normal_interval(value, var, level)
        return Estimate(value, low, high, "delong", n)
    yf = y.astype(float)
    if name in ("log_loss", "brier"):
        losses = row_losses(name, yf, y_score)
        low, high, method = iv.mean_interval(losses, level=level, n_boot=n_boot, rng=rng)
        return Estimate(float(losses.mean()), low, high, method, n)
    fn: Callable[[np.ndarray, np.ndarray], float] = average_precision if name == "average_precision" else ece
    if name == "average_precision" and not y.any():
        raise _undefined(name, "y_true has no positive rows", "evaluate on data with positives")
    value = fn(yf, y_score)
    reps = iv.row_bootstrap_each(lambda idx: fn(yf[idx], y_score[idx]), n, n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    return Estimate(value, low, high, "bootstrap", n)


def estimate_regression(
    name: str, y_true: np.ndarray, y_pred: np.ndarray, level: float, n_boot: int, rng: np.random.Generator
) -> Estimate:
    y, p = y_true.astype(float), y_pred.astype(float)
    n = len(y)
    if name in ("mae", "mape", "rmse"):
        losses = row_losses(name, y, p)
        low, high, method = iv.mean_interval(losses, level=level, n_boot=n_boot, rng=rng)
        mean = float(losses.mean())
        if name == "rmse":
            return Estimate(
                float(np.sqrt(mean)), float(np.sqrt(max(low, 0))), float(np.sqrt(max(high, 0))), method, n
            )
        return Estimate(mean, low, high, method, n)
    # r2
    if n < 2 or np.all(y == y[0]):
        raise _undefined(name, "y_true is constant", "evaluate on data where the target varies")
    value = r2(y, p)
    if n * n_boot > iv.ROW_BOOTSTRAP_BUDGET:
        e2 = (y - p) ** 2
        mse, var = e2.mean(), y.var()
        influence = -(e2 - mse) / var + mse * ((y - y.mean()) ** 2 - var) / var**2
        se = float(influence.std(ddof=1) / np.sqrt(n))
        z = iv.z_value(level)
        return Estimate(value, value - z * se, value + z * se, "normal", n)

    def stat(idx: np.ndarray) -> np.ndarray:
        yy, pp = y[idx], p[idx]
        sst = ((yy - yy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sst > 0, 1 - ((yy - pp) ** 2).sum(axis=1) / sst, np.nan)

    reps = iv.row_bootstrap(stat, n, n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    return Estimate(value, low, high, "bootstrap", n)


def estimate_custom(
    fn: Callable[..., Any],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate:
    def call(a: np.ndarray, b: np.ndarray) -> float:
        return float(fn(a, b))

    try:
        value = call(y_true, y_pred)
    except Exception as exc:
        raise InputError(
            "metric", f"the callable raised {type(exc).__name__}: {exc}", "fix the metric function"
        ) from exc
    n = len(y_true)
    reps = iv.row_bootstrap_each(lambda idx: call(y_true[idx], y_pred[idx]), n, n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    return Estimate(value, low, high, "bootstrap", n)


def compute(
    metric: str | Callable[..., Any],
    y_true: Any,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> Estimate:
    """Value and confidence interval of a metric, without any gate.

    >>> est = compute("recall", [1, 1, 0, 1], [1, 0, 0, 1])
    >>> round(est.value, 3), est.method, est.n
    (0.667, 'wilson', 3)
    """
    level = validate_level(confidence)
    n_boot = validate_n_boot(n_boot)
    rng = as_rng(seed)
    # values near the float limits overflow to inf: the figure is then reported as not finite
    with np.errstate(over="ignore", invalid="ignore"):
        return _compute(metric, y_true, y_pred, y_score, pos_label, level, n_boot, rng)


def _compute(
    metric: str | Callable[..., Any],
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    pos_label: Any,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> Estimate:
    yt = as_1d(y_true, "y_true")
    if callable(metric) and not isinstance(metric, str):
        yp = as_1d(y_pred if y_pred is not None else y_score, "y_pred", allow_nan=True)
        same_length(yt, "y_true", yp, "y_pred")
        return estimate_custom(metric, yt, yp, level, n_boot, rng)
    m = get_metric(metric)
    if m.input == SCORES:
        if y_score is None and y_pred is None:
            raise InputError(
                "y_score",
                f"{m.name} needs scores and none were given",
                "pass y_score=model.predict_proba(X)[:, 1]",
            )
        ys = as_1d(y_score if y_score is not None else y_pred, "y_score", numeric=True)
        same_length(yt, "y_true", ys, "y_score")
        return estimate_scores(m.name, yt, ys, pos_label, level, n_boot, rng)
    if y_pred is None:
        raise InputError(
            "y_pred",
            f"{m.name} needs predictions and none were given"
            + (" (y_score was given)" if y_score is not None else ""),
            "pass y_pred=model.predict(X)",
        )
    yp = as_1d(y_pred, "y_pred", numeric=m.input == REGRESSION)
    same_length(yt, "y_true", yp, "y_pred")
    if m.input == REGRESSION:
        yt = as_1d(yt, "y_true", numeric=True)
        return estimate_regression(m.name, yt, yp, level, n_boot, rng)
    if yp.dtype.kind == "f" and np.any(yp != np.round(yp)):
        raise InputError(
            "y_pred",
            f"{m.name} compares class labels and the values are continuous",
            "pass class labels (model.predict) or use a score metric such as roc_auc with y_score=",
        )
    return estimate_labels(m.name, yt, yp, pos_label, level, n_boot, rng)


def check_metric(
    metric: str | Callable[..., Any],
    y_true: Any,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    min: float | None = None,
    max: float | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    pos_label: Any = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    keep_rows: bool = False,
) -> CheckResult:
    """Measure a metric with a confidence interval and gate it against ``min`` and/or ``max``.

    Parameters
    ----------
    metric:
        A registered name (see :data:`METRICS`) or a callable ``f(y_true, y_pred) -> float``.
    y_true, y_pred:
        True and predicted labels (or values, for regression metrics).
    y_score:
        Scores or probabilities of the positive class, for ``roc_auc``, ``average_precision``,
        ``log_loss``, ``brier`` and ``ece``.
    min, max:
        The requirement; at least one is needed.
    rule:
        ``"acceptance"`` (default), ``"alarm"`` or ``"point"``; see :mod:`mltestkit.stats.requirement`.
    confidence:
        Two-sided level of the interval; the gate uses its one-sided end.
    pos_label:
        The positive class for one-class metrics when the labels are not 0/1.
    n_boot, seed:
        Bootstrap replicates and seed, where the metric uses a bootstrap.
    name:
        A name for the check in the report (defaults to the metric's).
    keep_rows:
        Keep the per-row outcomes of a proportion metric (packed bits in ``details["rows"]``),
        so that a baseline comparison on the same rows can use a paired test.

    Returns
    -------
    CheckResult
        Of kind ``"metric"``, with one :class:`~mltestkit.results.MetricValue`.

    Examples
    --------
    >>> r = check_metric("rmse", [1.0, 2.0, 3.0, 4.0] * 50, [1.1, 1.9, 3.2, 3.9] * 50, max=0.5)
    >>> r.outcome.value, round(r.metrics[0].value, 3)
    ('passed', 0.132)
    """
    rule = validate_rule(rule)
    thresholds = thresholds_from(min, max)
    metric_name = (
        getattr(metric, "__name__", "custom") if callable(metric) and not isinstance(metric, str) else metric
    )
    if not thresholds:
        raise InputError(
            "min/max", f"no requirement given for {metric_name}", "pass min= and/or max=, e.g. min=0.8"
        )
    est = compute(
        metric,
        y_true,
        y_pred,
        y_score=y_score,
        pos_label=pos_label,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    outcome = gate(est.value, est.low, est.high, thresholds, rule)
    assert outcome is not None
    ci = Interval(est.low, est.high, float(confidence), est.method)
    mv = MetricValue(
        name=str(metric_name),
        value=est.value,
        n=est.n,
        ci=ci,
        thresholds=tuple(thresholds),
        rule=rule,
        outcome=outcome,
    )
    message = _explain(mv, outcome, est, thresholds[0] if len(thresholds) == 1 else None)
    details: dict[str, Any] = {}
    if outcome is Outcome.INCONCLUSIVE:
        needed = [rows_to_decide(est.value, est.low, est.high, est.n, t) for t in thresholds]
        details["rows_to_decide"] = builtins.max((x for x in needed if x is not None), default=None)
    if keep_rows:
        details["rows"] = _row_record(str(metric_name), y_true, y_pred, pos_label)
    return CheckResult(
        name=name or str(metric_name),
        kind="metric",
        outcome=outcome,
        metrics=[mv],
        rule=rule,
        message=message,
        details=details,
    )


def _row_record(name: str, y_true: Any, y_pred: Any, pos_label: Any) -> dict[str, Any]:
    from ..stats.paired import row_record

    yt, yp = as_1d(y_true, "y_true"), as_1d(y_pred, "y_pred")
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    pos = positive_index(classes, pos_label, name) if name in _BINARY else 0
    return row_record(name, yt, pos, t, p)


def _explain(mv: MetricValue, outcome: Outcome, est: Estimate, t: Any) -> str:
    head = mv.describe()
    if outcome is Outcome.PASSED:
        return head
    if outcome is Outcome.FAILED:
        if mv.rule == "alarm":
            return f"{head}\nthe whole {mv.ci.level if mv.ci else ''} interval is on the wrong side of the threshold."
        return f"{head}\nthe estimate misses the threshold."
    text = f"{head}\nthe interval straddles the threshold, so the data cannot tell whether the requirement holds."
    if t is not None:
        need = rows_to_decide(est.value, est.low, est.high, est.n, t)
        if need is not None:
            text += f" About {need} rows (now {est.n}) would decide it if the estimate held."
    if mv.rule == "alarm":
        text += " Under the alarm rule this passes with a warning."
    return text
