"""A metric's figures from a table whose engine computes the sufficient statistics.

Count-based metrics read confusion counts of the distinct (label, prediction) pairs; ``roc_auc``
reads DeLong's rank sums (:func:`mltestkit.tables.rank_sums`); both go to the same estimators as
rows in memory, so value, interval and outcome are the same. On Spark the scores are first cut
into :data:`SCORE_BINS` equal-width bins (ordering every distinct score there means a shuffle):
the AUC then moves by at most the bound the rank sums state, and the interval is widened by it.
Mean losses (:data:`LOSS_EXPRESSIONS`) read six power sums of the per-row loss, which the engine
computes in two passes (the mean, then the sums about it); metrics of every other row (average
precision, R2, ECE, callables) and the metrics of a score matrix (``y_score=`` a list of
columns, one per class, or a column of lists) read the columns they need into memory.

Sample weights mean what they mean in memory: the confusion counts are ``sum w`` per cell and
the intervals read ``sum w**2`` per cell too (Kish's effective size), the mean losses read the
power sums ``sum w``, ``sum w**2`` and ``sum w d**j``; metrics that take no weights in memory
(``roc_auc``, ...) refuse them here as well.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"y": [1, 0, 1, 1] * 25, "p": [1, 0, 0, 1] * 25})
>>> est, sketch = table_estimate("accuracy", frame, y_true="y", y_pred="p")
>>> est.value, est.method, sketch
(0.75, 'clopper-pearson', None)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import encode_labels, validate_n_boot
from ..errors import InputError
from ..stats.requirement import Estimate, validate_level
from ..tables import collect_rows, compact_rows, grouped_counts, missing_in, rank_sums, table_inputs
from ..tables.source import engine
from . import estimators as es
from .estimators import CONFUSION, GroupEstimates
from .registry import LABELS, Metric, estimate_prepared, get_metric, positive_class, prepare, sample_weights

#: Equal-width score bins for ROC AUC on engines where ordering every distinct score is costly.
SCORE_BINS = 1 << 16
#: Engines that get the binned ROC AUC.
BINNED_ENGINES = ("pyspark", "sqlframe")


def table_estimate(
    metric: str | Metric | Any,
    data: Any,
    *,
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    sample_weight: Any = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: Any = 0,
    score_bins: int | None = None,
) -> tuple[Estimate, dict[str, Any] | None]:
    """A metric's :class:`~mltestkit.stats.requirement.Estimate` on a whole table, and what was sketched.

    ``y_true``, ``y_pred``, ``y_score`` and ``sample_weight`` name columns of ``data`` (any
    table :func:`mltestkit.tables.open_table` reads); ``y_score`` may name one column per class
    (a list, in the sorted classes' order) or a column of lists for the metrics of a score
    matrix; weights are sample weights, as in memory.
    ``score_bins`` forces (or, with 0, forbids) binning the scores of ``roc_auc``. The second
    value is ``None`` when the figure is exact, else ``{"method", "bins", "bound"}``.
    """
    m = get_metric(metric)
    est, sketch = _estimate(
        m, data, y_true, y_pred, y_score, sample_weight, pos_label, confidence, n_boot, seed, score_bins
    )
    if est.value is None and est.reason is not None:
        fix = (
            "check the labels and pos_label" if m.input == LABELS else "evaluate on rows where it is defined"
        )
        raise InputError("y_true", f"{m.name} is undefined: {est.reason}", fix)
    return est, sketch


def _estimate(
    m: Metric,
    data: Any,
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    sample_weight: Any,
    pos_label: Any,
    confidence: float,
    n_boot: int,
    seed: Any,
    score_bins: int | None,
) -> tuple[Estimate, dict[str, Any] | None]:
    level = validate_level(confidence)
    n_boot = validate_n_boot(n_boot)
    seed_int = es.seed_value(seed)
    t = table_inputs(
        data,
        y_true=y_true,
        y_pred=y_pred if m.input != "scores" else None,
        y_score=(y_score if y_score is not None else y_pred) if m.input == "scores" else None,
        sample_weight=sample_weight,
    )
    if t.y_true is None:
        raise InputError("y_true", "is missing", 'with data=, name the label column: y_true="label"')
    if t.weight is not None:
        sample_weights(np.ones(1), 1, m)  # the metrics that take no weights in memory refuse them
    if t.matrix:
        return _read_rows(m, t, pos_label, level, n_boot, seed_int), None
    if m.statistics == CONFUSION and m.input == LABELS:
        if t.y_pred is None:
            raise InputError("y_pred", f"{m.name} needs predictions", 'name the column: y_pred="pred"')
        rows = compact_rows(t, [t.y_true, t.y_pred])
        missing_in(rows, t.y_true, "y_true")
        missing_in(rows, t.y_pred, "y_pred")
        prepared = prepare(
            m, rows.frame[t.y_true].to_numpy(), rows.frame[t.y_pred].to_numpy(), None, pos_label
        )
        zero = np.zeros(len(rows.weights), np.int64)
        cm = es.confusion_counts(zero, 1, prepared.y, prepared.p, prepared.k, rows.weights)
        sq = (
            None
            if rows.squares is None
            else es.confusion_counts(zero, 1, prepared.y, prepared.p, prepared.k, rows.squares)
        )
        if sq is None:
            cm = np.rint(cm).astype(np.int64)
        est = es.confusion_estimates(m, cm, prepared.pos, level=level, n_boot=n_boot, seed=seed_int, cm_sq=sq)
        return est[0], None
    if m.interval == "auc" and t.y_score is not None:
        return _auc(m, t, pos_label, level, score_bins)
    second = t.y_score if m.input == "scores" else t.y_pred
    if m.interval == "mean" and m.name in LOSS_EXPRESSIONS and second is not None:
        return _mean_loss(m, t, second, pos_label, level), None
    return _read_rows(m, t, pos_label, level, n_boot, seed_int), None


def _read_rows(m: Metric, t: Any, pos_label: Any, level: float, n_boot: int, seed: int) -> Estimate:
    """The figure of the rows read into memory: the named columns, weights and scores."""
    assert t.y_true is not None
    pred = t.y_pred if m.input != "scores" else None
    rows = collect_rows(t, [t.y_true, *([pred] if pred else [])])
    y = rows.values[t.y_true]
    if rows.scores is not None and rows.scores.ndim == 2:
        classes = encode_labels(y, None)[0]
        if rows.scores.shape[1] != len(classes):
            what = f"columns {list(t.scores)}" if len(t.scores) > 1 else f"lists of column {t.scores[0]!r}"
            raise InputError(
                "y_score",
                f"has {rows.scores.shape[1]} scores a row ({what}) but y_true has {len(classes)} classes "
                f"{classes.tolist()[:10]}",
                "name one score column per class of y_true, in the sorted classes' order",
            )
    prepared = prepare(
        m,
        y,
        rows.values[pred] if pred else None,
        rows.scores if m.input == "scores" else None,
        pos_label,
        rows.weights,
    )
    return estimate_prepared(prepared, None, 1, level=level, n_boot=n_boot, seed=seed)[0]


def _loss_expressions() -> dict[str, Any]:
    """Per-row losses as narwhals expressions of the true value and the prediction (or score)."""
    import narwhals as nw

    eps = float(np.finfo(np.float64).eps)

    def log_loss(y: Any, p: Any) -> Any:
        q = p.clip(eps, 1 - eps)
        return -(y * q.log() + (1 - y) * (1 - q).log())

    return {
        "mae": lambda y, p: (p - y).abs(),
        "rmse": lambda y, p: (p - y) ** 2,
        "brier": lambda y, p: (p - y) ** 2,
        "mape": lambda y, p: (p - y).abs() / nw.max_horizontal(y.abs(), nw.lit(eps)),
        "log_loss": log_loss,
    }


#: The mean losses whose per-row loss the engine computes (the same formulas as in memory).
LOSS_EXPRESSIONS = tuple(_loss_expressions())


def _mean_loss(m: Metric, t: Any, second: str, pos_label: Any, level: float) -> Estimate:
    """A mean loss from the engine's power sums of the per-row loss (and of the weights)."""
    import narwhals as nw

    assert t.y_true is not None
    schema = t.frame.collect_schema()
    argument = "y_score" if m.input == "scores" else "y_pred"
    if not schema[second].is_numeric():
        raise InputError(argument, f"column {second!r} is not numeric", f"name the column of {argument}")
    if m.input == "scores":
        pos, positive = _positive(m, t, pos_label)
        y = (nw.col(t.y_true) == positive).cast(nw.Float64) if pos >= 0 else nw.lit(0.0)
    else:
        if not schema[t.y_true].is_numeric():
            raise InputError(
                "y_true", f"column {t.y_true!r} is not numeric", "name the column of true values"
            )
        y = nw.col(t.y_true).cast(nw.Float64)
    p = nw.col(second).cast(nw.Float64)
    loss = _loss_expressions()[m.name](y, p)
    w = nw.col(t.weight).cast(nw.Float64) if t.weight else None

    def weighted(e: Any) -> Any:
        return e if w is None else w * e

    first = _row(
        t.frame,
        (nw.len() if w is None else w.sum()).alias("w"),
        (nw.len() if w is None else (w * w).sum()).alias("ww"),
        weighted(loss).sum().alias("wx"),
        nw.col(t.y_true).null_count().alias("y_nulls"),
        nw.col(second).null_count().alias("p_nulls"),
        p.min().alias("lo"),
        p.max().alias("hi"),
    )
    for column, arg, key in ((t.y_true, "y_true", "y_nulls"), (second, argument, "p_nulls")):
        if int(first[key] or 0):
            raise InputError(
                arg, f"column {column!r} has {int(first[key])} missing values", "drop those rows first"
            )
    if m.probabilities and first["lo"] is not None and (first["lo"] < 0 or first["hi"] > 1):
        raise InputError(
            argument,
            f"holds values outside [0, 1] (min {first['lo']:.4g}, max {first['hi']:.4g})",
            "pass probabilities of the positive class, e.g. model.predict_proba(X)[:, 1]",
        )
    total = float(first["w"] or 0.0)
    shift = float(first["wx"]) / total if total > 0 else 0.0
    d = loss - shift
    sums = _row(t.frame, *(weighted(d**j).sum().alias(f"s{j}") for j in (1, 2, 3, 4)))
    squares = float(first["ww"] or 0.0)
    moments = np.array([[total, squares, *(float(sums[f"s{j}"] or 0.0) for j in (1, 2, 3, 4))]])
    return es.loss_estimates(m, moments, level=level, shift=np.array([shift]))[0]


def _positive(m: Metric, t: Any, pos_label: Any) -> tuple[int, Any]:
    """The index of the positive class among the table's labels, and that label."""
    labels = grouped_counts(t.frame, [t.y_true])
    values = labels.keys[t.y_true]
    if any(v is None or v != v for v in values):
        raise InputError("y_true", f"column {t.y_true!r} has missing values", "drop or fill those rows first")
    classes, _, _ = encode_labels(np.asarray(values), None)
    pos = positive_class(m, classes, pos_label)
    positive = classes[pos].item() if hasattr(classes[pos], "item") else classes[pos]
    return pos, positive


def _row(frame: Any, *exprs: Any) -> dict[str, Any]:
    """One row of aggregates computed by the table's engine."""
    out: dict[str, Any] = frame.select(*exprs).collect(backend="pyarrow").to_native().to_pylist()[0]
    return out


def _auc(m: Metric, t: Any, pos_label: Any, level: float, score_bins: int | None) -> tuple[Estimate, Any]:
    import narwhals as nw

    assert t.y_true is not None and t.y_score is not None
    _, positive = _positive(m, t, pos_label)
    schema = t.frame.collect_schema()
    if not schema[t.y_score].is_numeric():
        raise InputError("y_score", f"column {t.y_score!r} is not numeric", "name the column of scores")
    s = nw.col(t.y_score)
    row = (
        t.frame.select(s.null_count().alias("nulls"), s.min().alias("lo"), s.max().alias("hi"))
        .collect(backend="pyarrow")
        .to_native()
        .to_pylist()[0]
    )
    if int(row["nulls"]):
        raise InputError(
            "y_score", f"column {t.y_score!r} has {int(row['nulls'])} missing values", "drop those rows first"
        )
    lo, hi = float(row["lo"]), float(row["hi"])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError("y_score", f"column {t.y_score!r} has infinite values", "pass finite scores")
    bins = score_bins if score_bins is not None else (SCORE_BINS if engine(t.frame) in BINNED_ENGINES else 0)
    sums = rank_sums(t.frame, [], t.y_true, positive, t.y_score, bins=bins or None, low=lo, high=hi)
    auc, var = sums.delong()
    est: GroupEstimates = es.auc_estimates(m, auc, var, sums.pos, sums.neg, level=level)
    e = est[0]
    if not bins:
        return e, None
    bound = float(sums.bound[0])
    if e.value is not None and e.low is not None and e.high is not None:
        e = Estimate(
            e.value, max(0.0, e.low - bound), min(1.0, e.high + bound), e.method, e.n, e.range, e.reason
        )
    return e, {"method": "binned scores", "bins": int(bins), "bound": bound}
