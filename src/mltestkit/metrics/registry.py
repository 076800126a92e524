"""The metric registry: one entry per metric, and :func:`estimate`, the grouped estimator.

An entry (:class:`Metric`) says everything mltestkit needs to measure a metric anywhere: which
rows it reads (``input``), which sufficient statistics it needs from them (``statistics``:
confusion counts, sorted scores, per-row losses, rows), its value from those statistics
(``value``, and ``counts`` for a proportion), its interval method, its direction, its range, and
whether it adds across partitions. :func:`estimate` validates the inputs once and returns the
value and interval of every group of rows; :func:`~mltestkit.metrics.check_metric`,
:func:`~mltestkit.check_slices`, :func:`~mltestkit.check_fairness`,
:func:`~mltestkit.find_weak_slices`, the baseline comparison and the zero-code suite all read it.

Adding a metric is one entry in :data:`METRICS`; for example the negative predictive value,
a proportion over the predicted negatives::

    share(
        "npv",
        lambda cm, pos: (_cells(cm, pos, TN), _cells(cm, pos, TN, FN)),
        "share of predicted negatives that are negative",
        "no predicted negatives",
    ),

``share`` builds a proportion's entry (exact binomial interval, range (0, 1), additive); the other
families take a :class:`Metric` with their own ``value`` (``statistics="per-row losses"`` and
``value=lambda y, p: ...`` per-row losses give a mean loss with a skew-corrected interval, and so on).

Examples
--------
>>> import numpy as np
>>> groups = np.array([0, 0, 0, 1, 1, 1])
>>> est = estimate("accuracy", [1, 0, 1, 1, 0, 0], [1, 0, 0, 1, 0, 0], groups=groups, size=2)
>>> est.value.tolist(), est[1].method
([0.6666666666666666, 1.0], 'clopper-pearson')
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import (
    as_1d,
    as_weights,
    class_labels,
    count,
    encode_labels,
    is_matrix,
    positive_index,
    probabilities,
    same_length,
    score_matrix,
    validate_n_boot,
    warn_hard_scores,
)
from ..errors import InputError
from ..stats.requirement import Estimate, validate_level
from . import estimators as es
from .estimators import CONFUSION, LOSSES, ROWS, SORTED_SCORES, GroupEstimates, binary_cells, ratio

#: How a metric reads its inputs.
LABELS, SCORES, REGRESSION, CUSTOM = "labels", "scores", "regression", "custom"

#: The range of a share, and of a non-negative figure.
SHARE: tuple[float, float] = (0.0, 1.0)
NON_NEGATIVE: tuple[float, float] = (0.0, math.inf)


@dataclass(frozen=True)
class Metric:
    """One registered metric.

    Attributes
    ----------
    name, description:
        What it is called and what it measures.
    input:
        ``labels`` (``y_pred`` are class labels), ``scores`` (``y_score``), ``regression``
        (numeric ``y_pred``) or ``custom`` (a user's callable).
    statistics:
        The sufficient statistics it reads: ``confusion counts``, ``sorted scores``,
        ``per-row losses`` or ``rows``.
    interval:
        ``binomial`` (proportions: Clopper-Pearson on their own denominator), ``jaccard``
        (the same on the Jaccard index, mapped to F1), ``mover`` (per-class ones combined), ``cells``
        (BCa bootstrap over confusion cells), ``auc`` (score interval from DeLong's variance),
        ``mean`` (skew-corrected interval of the mean loss from power sums) or ``bootstrap`` (rows).
    higher_is_better, range:
        Its direction and the values it can take (``range`` goes to
        :class:`~mltestkit.stats.requirement.Estimate`, so that a threshold at its edge is
        judged on the value).
    additive:
        Whether its value and interval come from statistics that add across partitions of the
        data (confusion counts: :func:`~mltestkit.slicing.slice_counts` on each part, then
        :func:`~mltestkit.slicing.merge`, gives exactly the figures of the whole).
    value:
        The value from the statistics: ``value(cm, pos)`` for confusion counts of shape
        ``(..., K, K)``; per-row losses ``value(y, p)`` for ``per-row losses``; a float
        ``value(y, p)`` for ``rows`` (raising ``ValueError`` where undefined).
    counts:
        A proportion's ``(successes, trials)`` from confusion counts (for f1: the Jaccard index's).
    finish:
        Applied to a mean loss and its interval ends (``sqrt`` for RMSE).
    batch, influence:
        For a row bootstrap: the statistic of many resamples at once ``batch(y, p, idx)``, and
        per-row influence values for the normal interval on large inputs.
    tails:
        Per-row values ``tails(y, p)`` whose tails decide whether a row bootstrap gives an
        interval (their sample kurtosis, as for a mean loss); by default the influence values.
    hits:
        For a proportion of rows scored by a matrix (``top_k_accuracy``): whether each row
        counts as a success, ``hits(codes, scores)`` for the true class codes and the scores.
    matrix:
        Whether ``y_score`` may be a matrix of shape ``(n, K)``: one column per class, in the
        order of the sorted classes (``model.predict_proba(X)`` with ``model.classes_``).
    undefined:
        Why the value can be undefined.
    one_class:
        Whether it scores one class (needs ``pos_label`` beyond 0/1 labels).
    probabilities:
        Whether scores must lie in [0, 1].
    base, average:
        For an average over classes: the metric it averages and how (scikit-learn's
        ``average=``: ``"macro"``, ``"micro"``, ``"weighted"``); :func:`get_metric` resolves
        ``(base, average)`` to the entry.
    parts:
        For a MOVER interval: per-class successes, trials and which classes count, from
        confusion counts of shape ``(..., K, K)``, each of shape ``(..., K)``.
    """

    name: str
    input: str
    statistics: str
    interval: str
    higher_is_better: bool
    range: tuple[float, float] | None
    additive: bool
    description: str
    value: Callable[..., Any]
    counts: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None
    finish: Callable[[float], float] | None = None
    batch: Callable[..., np.ndarray] | None = None
    influence: Callable[..., np.ndarray] | None = None
    tails: Callable[..., np.ndarray] | None = None
    hits: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    matrix: bool = False
    undefined: str = "no rows"
    one_class: bool = False
    probabilities: bool = False
    base: str | None = None
    average: str | None = None
    parts: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None


def share(
    name: str,
    counts: Callable[..., tuple[np.ndarray, np.ndarray]],
    description: str,
    undefined: str,
    *,
    higher_is_better: bool = True,
    one_class: bool = True,
    base: str | None = None,
    average: str | None = None,
) -> Metric:
    """The entry of a proportion ``successes / trials`` of confusion counts (Clopper-Pearson interval)."""
    return Metric(
        name,
        LABELS,
        CONFUSION,
        "binomial",
        higher_is_better,
        SHARE,
        True,
        description,
        value=lambda cm, pos: ratio(*counts(cm, pos)),
        counts=counts,
        undefined=undefined,
        one_class=one_class,
        base=base,
        average=average,
    )


def _correct(cm: np.ndarray, pos: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return np.trace(cm, axis1=-2, axis2=-1), _total(cm)


def _macro(of: str, description: str) -> Metric:
    """The unweighted mean of a one-class metric over the classes (MOVER over per-class intervals;
    f1's share errors between classes, so a bootstrap over the cells)."""
    return Metric(
        f"{of}_macro",
        LABELS,
        CONFUSION,
        "cells" if of == "f1" else "mover",
        True,
        SHARE,
        True,
        description,
        value=es.macro(of),
        undefined="no rows",
        base=of,
        average="macro",
        parts=lambda cm: es.class_parts(cm, of),
    )


def _over_classes(name: str, value: Callable[..., Any], description: str, **kw: Any) -> Metric:
    """A label metric over every class with a bootstrap over the confusion cells."""
    return Metric(
        name, LABELS, CONFUSION, "cells", True, kw.pop("range", SHARE), True, description, value, **kw
    )


def _total(cm: np.ndarray) -> np.ndarray:
    return np.asarray(cm.sum(axis=(-2, -1)))


def _cells(cm: np.ndarray, pos: int, *which: int) -> np.ndarray:
    cells = binary_cells(cm, pos)
    return np.asarray(sum(cells[i] for i in which))


def top_k_metric(k: int = 2) -> Metric:
    """The entry of top-k accuracy: the share of rows whose true class is among the ``k``
    highest scores of ``y_score`` (n, K), as scikit-learn's ``top_k_accuracy_score``.

    Named ``top_k_accuracy`` for ``k = 2`` (scikit-learn's default, the registered entry) and
    ``top_<k>_accuracy`` otherwise; :func:`get_metric` reads those names. Each row is a hit or
    not, so the figure is a proportion with the exact binomial interval, and it works wherever
    a proportion does (slices, weak slices, sample weights, the paired comparison).

    >>> m = top_k_metric(3)
    >>> m.name, m.interval, get_metric("top_3_accuracy").name
    ('top_3_accuracy', 'binomial', 'top_3_accuracy')
    >>> est = compute(m, [0, 1, 2, 3], y_score=np.eye(4)[[1, 1, 2, 0]] * 0.5 + 0.125)
    >>> est.value, est.method
    (0.75, 'clopper-pearson')
    """
    k = count(k, "k", low=1, high=10**6, example=3)
    name = "top_k_accuracy" if k == 2 else f"top_{k}_accuracy"

    def hits(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
        classes = scores.shape[1] if scores.ndim == 2 else 2
        if k >= classes:
            raise InputError(
                "metric",
                f"{name} counts the true class among the {k} highest scores and y_score has "
                f"{classes} classes: every row would count",
                "use a smaller k, e.g. metric='top_1_accuracy' (or top_k_metric(k=...)), or accuracy",
            )
        return es.top_k_hits(codes, scores, k)

    return Metric(
        name,
        SCORES,
        CONFUSION,
        "binomial",
        True,
        SHARE,
        False,  # hits add across partitions, but slice_counts counts labels, not hits
        f"share of rows whose true class is among the {k} highest scores",
        value=lambda cm, pos: ratio(*_correct(cm)),
        counts=_correct,
        hits=hits,
        matrix=True,
    )


def _one_vs_rest(average: str) -> Metric:
    """One-vs-rest ROC AUC of a score matrix averaged over the classes (``macro`` or ``weighted``)."""
    return Metric(
        "roc_auc_ovr" + ("_weighted" if average == "weighted" else ""),
        SCORES,
        SORTED_SCORES,
        "ovr",
        True,
        SHARE,
        False,
        "one-vs-rest ROC AUC, "
        + ("weighted by each class's rows" if average == "weighted" else "unweighted mean over the classes"),
        value=lambda y, s: es.roc_auc_ovr(y, s, average),
        undefined="a class of y_score has no rows in y_true",
        probabilities=True,
        base="roc_auc",
        average=average,
        matrix=True,
    )


TP, FP, FN, TN = range(4)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        share(
            "accuracy",
            _correct,
            "share of rows predicted correctly",
            "no rows",
            one_class=False,
        ),
        Metric(
            "balanced_accuracy",
            LABELS,
            CONFUSION,
            "mover",
            True,
            SHARE,
            True,
            "mean recall over the classes present in y_true",
            value=es.balanced_accuracy,
            parts=lambda cm: es.class_parts(cm, "balanced_accuracy"),
        ),
        share(
            "precision",
            lambda cm, pos: (_cells(cm, pos, TP), _cells(cm, pos, TP, FP)),
            "share of predicted positives that are positive",
            "no predicted positives",
        ),
        share(
            "recall",
            lambda cm, pos: (_cells(cm, pos, TP), _cells(cm, pos, TP, FN)),
            "share of positives predicted positive (TPR)",
            "no positive rows",
        ),
        share(
            "specificity",
            lambda cm, pos: (_cells(cm, pos, TN), _cells(cm, pos, TN, FP)),
            "share of negatives predicted negative (TNR)",
            "no negative rows",
        ),
        share(
            "fpr",
            lambda cm, pos: (_cells(cm, pos, FP), _cells(cm, pos, FP, TN)),
            "share of negatives predicted positive",
            "no negative rows",
            higher_is_better=False,
        ),
        share(
            "fnr",
            lambda cm, pos: (_cells(cm, pos, FN), _cells(cm, pos, FN, TP)),
            "share of positives predicted negative",
            "no positive rows",
            higher_is_better=False,
        ),
        share(
            "selection_rate",
            lambda cm, pos: (_cells(cm, pos, TP, FP), _total(cm)),
            "share of rows predicted positive",
            "no rows",
        ),
        Metric(
            "f1",
            LABELS,
            CONFUSION,
            "jaccard",
            True,
            SHARE,
            True,
            "harmonic mean of precision and recall",
            value=es.f1,
            counts=lambda cm, pos: (_cells(cm, pos, TP), _cells(cm, pos, TP, FP, FN)),
            undefined="no positive rows and no predicted positives",
            one_class=True,
        ),
        *(
            share(
                f"{of}_micro",
                _correct,
                f"{of} over every class's predictions pooled (equals accuracy for single-label data)",
                "no rows",
                one_class=False,
                base=of,
                average="micro",
            )
            for of in ("precision", "recall", "f1")
        ),
        _macro("precision", "mean precision over the classes in y_true or y_pred"),
        _macro("recall", "mean recall over the classes in y_true or y_pred"),
        _macro("f1", "mean f1 over the classes in y_true or y_pred"),
        _over_classes(
            "precision_weighted",
            es.weighted("precision"),
            "mean precision over the classes, weighted by their rows",
            base="precision",
            average="weighted",
        ),
        share(
            "recall_weighted",
            _correct,
            "mean recall over the classes, weighted by their rows (equals accuracy)",
            "no rows",
            one_class=False,
            base="recall",
            average="weighted",
        ),
        _over_classes(
            "f1_weighted",
            es.weighted("f1"),
            "mean f1 over the classes, weighted by their rows",
            base="f1",
            average="weighted",
        ),
        _over_classes(
            "cohen_kappa",
            es.cohen_kappa,
            "agreement beyond chance between y_true and y_pred over every class",
            range=(-1.0, 1.0),
            undefined="y_true and y_pred hold one and the same class",
        ),
        _over_classes(
            "matthews_corrcoef",
            es.matthews_corrcoef,
            "correlation between y_true and y_pred over every class (0 where either is constant)",
            range=(-1.0, 1.0),
        ),
        Metric(
            "roc_auc",
            SCORES,
            SORTED_SCORES,
            "auc",
            True,
            SHARE,
            False,
            "area under the ROC curve",
            value=es.roc_auc,
            undefined="y_true has a single class",
            one_class=True,
        ),
        Metric(
            "average_precision",
            SCORES,
            ROWS,
            "bootstrap",
            True,
            SHARE,
            False,
            "area under the precision-recall curve",
            value=es.average_precision,
            batch=es.average_precision_replicates,
            undefined="y_true has no positive rows",
            one_class=True,
        ),
        Metric(
            "log_loss",
            SCORES,
            LOSSES,
            "mean",
            False,
            NON_NEGATIVE,
            False,
            "mean negative log-likelihood of the true label",
            value=es.log_loss_rows,
            one_class=True,
            probabilities=True,
            matrix=True,
        ),
        Metric(
            "brier",
            SCORES,
            LOSSES,
            "mean",
            False,
            SHARE,
            False,
            "mean squared error of the probability",
            value=es.squared_error,
            one_class=True,
            probabilities=True,
        ),
        Metric(
            "ece",
            SCORES,
            ROWS,
            "bootstrap",
            False,
            SHARE,
            False,
            "expected calibration error, 10 equal-width bins",
            value=es.ece,
            batch=es.ece_replicates,
            one_class=True,
            probabilities=True,
        ),
        top_k_metric(2),
        _one_vs_rest("macro"),
        _one_vs_rest("weighted"),
        Metric(
            "mae",
            REGRESSION,
            LOSSES,
            "mean",
            False,
            NON_NEGATIVE,
            False,
            "mean absolute error",
            es.absolute_error,
        ),
        Metric(
            "rmse",
            REGRESSION,
            LOSSES,
            "mean",
            False,
            NON_NEGATIVE,
            False,
            "root mean squared error",
            es.squared_error,
            finish=math.sqrt,
        ),
        Metric(
            "mape",
            REGRESSION,
            LOSSES,
            "mean",
            False,
            NON_NEGATIVE,
            False,
            "mean absolute percentage error (as a fraction)",
            es.percentage_error,
        ),
        Metric(
            "r2",
            REGRESSION,
            ROWS,
            "bootstrap",
            True,
            (-math.inf, 1.0),
            False,
            "coefficient of determination",
            es.r2,
            batch=es.r2_replicates,
            influence=es.r2_influence,
            tails=es.squared_error,
            undefined="y_true is constant",
        ),
    ]
}

#: The proportions: exact binomial intervals, exact per-row outcomes, usable by fairness and weak slices.
PROPORTIONS = tuple(name for name, m in METRICS.items() if m.interval == "binomial")


#: The averages over classes :func:`get_metric` resolves (scikit-learn's ``average=``); ``"binary"``
#: is the metric itself (one class, ``pos_label``).
AVERAGES = ("binary", "macro", "micro", "weighted")


def get_metric(metric: Any, name: str | None = None, *, average: str | None = None) -> Metric:
    """The registered metric called ``metric``, an entry for a callable, or an error suggesting a name.

    A callable ``f(y_true, y_pred) -> float`` gets an entry of its own (BCa bootstrap, over the
    distinct label pairs' counts where they are few), called ``name`` or the function's
    ``__name__``. ``average`` (``"binary"``, ``"macro"``, ``"micro"``, ``"weighted"``) picks the
    entry that averages ``metric`` over classes, named as scikit-learn's scorers are (``f1`` and
    ``"macro"`` give ``f1_macro``); ``None`` takes ``metric`` as named. One class at a time is the
    binary entry with ``pos_label=<class>``.

    >>> get_metric("recall").interval, get_metric(lambda y, p: 0.0, name="mine").name
    ('binomial', 'mine')
    >>> get_metric("f1", average="macro").name, get_metric("f1_macro", average="binary").name
    ('f1_macro', 'f1')
    """
    m = _lookup(metric, name)
    return m if average is None else averaged(m, average)


def averaged(metric: Metric, average: Any) -> Metric:
    """The entry averaging ``metric``'s base over classes as ``average`` says (an error naming
    ``average`` when the metric has no such average)."""
    if not isinstance(average, str) or average not in AVERAGES:
        hint = (
            "for one class's figure use average='binary' with pos_label=<the class>"
            if average in ("per-class", "per_class")
            else f"use one of {', '.join(repr(a) for a in AVERAGES)}"
        )
        raise InputError("average", f"must be one of {', '.join(AVERAGES)}, got {average!r:.60}", hint)
    if metric.input == CUSTOM and average == "binary":
        return metric
    base = metric.base or metric.name
    found = {(m.base or m.name, m.average or "binary"): m for m in METRICS.values()}
    if metric.input == CUSTOM or (base, average) not in found:
        have = sorted(a for b, a in found if b == base and a != "binary")
        raise InputError(
            "average",
            f"{base} has no average={average!r}",
            f"use average={' or '.join(repr(a) for a in have)}"
            if have
            else f"drop average= ({base} is one figure over all classes)",
        )
    return found[base, average]


def _lookup(metric: Any, name: str | None) -> Metric:
    if isinstance(metric, Metric):
        return metric
    if callable(metric) and not isinstance(metric, str):
        label = name or getattr(metric, "__name__", "custom")
        return Metric(
            str(label),
            CUSTOM,
            ROWS,
            "bootstrap",
            True,
            None,
            False,
            "a user's metric",
            es.custom_value(metric),
        )
    if not isinstance(metric, str):
        raise InputError(
            "metric", f"must be a name or a callable, got {type(metric).__name__}", "pass e.g. 'accuracy'"
        )
    try:
        return METRICS[metric]
    except KeyError:
        top = re.fullmatch(r"top_([0-9]{1,6})_accuracy", metric)
        if top:
            return top_k_metric(int(top.group(1)))
        close = difflib.get_close_matches(metric, METRICS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(METRICS)}"
        raise InputError("metric", f"unknown metric {metric!r}", hint) from None


def positive_class(metric: Metric | str, classes: np.ndarray, pos_label: Any) -> int:
    """The index of the class a one-class metric scores (0 for a metric over every class)."""
    m = get_metric(metric) if isinstance(metric, str) else metric
    if not m.one_class:
        return 0
    if len(classes) > 2 and pos_label is None:
        raise InputError(
            "pos_label",
            f"{m.name} is defined for one class at a time and the labels have {len(classes)} classes",
            "pass pos_label=<the class to score>",
        )
    return positive_index(classes, pos_label, m.name)


@dataclass(frozen=True)
class Prepared:
    """Validated rows of one metric: label codes (``labels``) or float arrays (the others)."""

    metric: Metric
    y: np.ndarray
    p: np.ndarray
    k: int = 1
    pos: int = 0
    weights: np.ndarray | None = None
    classes: np.ndarray | None = None


def sample_weights(sample_weight: Any, n: int, metric: Metric) -> np.ndarray | None:
    """Validated non-negative finite weights, one a row (``None`` when not given)."""
    w = as_weights(sample_weight, n)
    if w is None:
        return None
    if metric.statistics not in (CONFUSION, LOSSES):
        raise InputError(
            "sample_weight",
            f"is not supported for {metric.name} (its interval needs unweighted rows)",
            "use a count metric or a mean loss, or drop sample_weight",
        )
    return w


def prepare(
    metric: Metric,
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    pos_label: Any = None,
    sample_weight: Any = None,
) -> Prepared:
    """Validate the rows ``metric`` reads; every error names the argument."""
    if sample_weight is not None:
        rows = prepare(metric, y_true, y_pred, y_score, pos_label)
        return replace(rows, weights=sample_weights(sample_weight, len(rows.y), metric))
    yt = as_1d(y_true, "y_true")
    if metric.input == CUSTOM:
        yp = as_1d(y_pred if y_pred is not None else y_score, "y_pred", allow_nan=True)
        same_length(yt, "y_true", yp, "y_pred")
        return Prepared(metric, yt, yp)
    if metric.input == SCORES:
        if y_score is None and y_pred is None:
            raise InputError(
                "y_score",
                f"{metric.name} needs scores and none were given",
                "pass y_score=model.predict_proba(X)[:, 1]",
            )
        raw = y_score if y_score is not None else y_pred
        if metric.interval == "ovr" or metric.hits is not None or is_matrix(raw):
            return _prepare_matrix(metric, yt, raw)
        ys = as_1d(raw, "y_score", numeric=True)
        same_length(yt, "y_true", ys, "y_score")
        warn_hard_scores(ys, "y_score", metric.name)
        if metric.probabilities:
            ys = probabilities(ys, "y_score")
        classes, t, _ = encode_labels(yt, None)
        pos = positive_class(metric, classes, pos_label)
        y = (t == pos).astype(float) if pos >= 0 else np.zeros(len(t))
        return Prepared(metric, y, ys.astype(float, copy=False))
    if y_pred is None:
        raise InputError(
            "y_pred",
            f"{metric.name} needs predictions and none were given"
            + (" (y_score was given)" if y_score is not None else ""),
            "pass y_pred=model.predict(X)",
        )
    yp = as_1d(y_pred, "y_pred", numeric=metric.input == REGRESSION)
    same_length(yt, "y_true", yp, "y_pred")
    if metric.input == REGRESSION:
        return Prepared(metric, as_1d(yt, "y_true", numeric=True).astype(float), yp.astype(float))
    class_labels(yt, "y_true", metric.name)
    class_labels(yp, "y_pred", metric.name)
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    return Prepared(metric, t, p, len(classes), positive_class(metric, classes, pos_label), classes=classes)


def _prepare_matrix(metric: Metric, yt: np.ndarray, raw: Any) -> Prepared:
    """Class codes and a validated score matrix (or a proportion's hit bits) for ``metric``."""
    classes, t, _ = encode_labels(yt, None)
    if not metric.matrix:
        other = " or roc_auc_ovr" if metric.name == "roc_auc" else ""
        raise InputError(
            "y_score",
            f"has {np.shape(raw)[1] if np.ndim(raw) == 2 else 'several'} columns and {metric.name} "
            "reads one score a row",
            f"pass the positive class's column, e.g. model.predict_proba(X)[:, 1]{other}",
        )
    if metric.hits is not None and not is_matrix(raw):  # one score a row: two classes
        ys = as_1d(raw, "y_score", numeric=True)
        same_length(yt, "y_true", ys, "y_score")
        if len(classes) > 2:
            raise InputError(
                "y_score",
                f"has one score a row and y_true has {len(classes)} classes",
                "pass model.predict_proba(X)",
            )
        scores = ys.astype(float)
    else:
        if not is_matrix(raw):
            raise InputError(
                "y_score",
                f"{metric.name} reads one column of scores per class, got one score a row",
                "pass model.predict_proba(X)"
                + ("; for two classes' scores use roc_auc" if metric.interval == "ovr" else ""),
            )
        scores = score_matrix(raw, "y_score", len(yt), len(classes), probabilities=metric.probabilities)
    if metric.hits is not None:
        missed = ~np.asarray(metric.hits(t, scores), dtype=bool)
        return Prepared(metric, np.zeros(len(t), np.int64), missed.astype(np.int64), 2, 0)
    return Prepared(metric, t.astype(np.int64), scores, len(classes))


def estimate_prepared(
    rows: Prepared, codes: np.ndarray | None, size: int, *, level: float, n_boot: int, seed: int
) -> GroupEstimates:
    """The figures of every group of prepared rows (``codes=None``: one group of all rows)."""
    m = rows.metric
    codes = np.zeros(len(rows.y), np.int64) if codes is None else codes
    # values near the float limits overflow to inf: the figure is then reported as not finite
    with np.errstate(over="ignore", invalid="ignore"):
        if m.statistics == CONFUSION:
            w = rows.weights
            cm = es.confusion_counts(codes, size, rows.y, rows.p, rows.k, w)
            cm_sq = None if w is None else es.confusion_counts(codes, size, rows.y, rows.p, rows.k, w * w)
            return es.confusion_estimates(m, cm, rows.pos, level=level, n_boot=n_boot, seed=seed, cm_sq=cm_sq)
        if m.interval == "ovr":
            return es.ovr_estimates(m, rows.y, rows.p, codes, size, level=level, average=m.average or "macro")
        if m.statistics == LOSSES and rows.weights is not None:
            mom, shift = es.loss_moments(m.value(rows.y, rows.p), codes, size, rows.weights)
            return es.loss_estimates(m, mom, level=level, shift=shift)
        return es.row_estimates(m, rows.y, rows.p, codes, size, level=level, n_boot=n_boot, seed=seed)


def value_of(rows: Prepared) -> float | None:
    """The value on all the prepared rows, without an interval."""
    m = rows.metric
    with np.errstate(over="ignore", invalid="ignore"):
        if m.statistics == CONFUSION:
            zero = np.zeros(len(rows.y), np.int64)
            cm = es.confusion_counts(zero, 1, rows.y, rows.p, rows.k, rows.weights)
            return es.finite(m.value(cm, rows.pos)[0])
        return es.point_value(m, rows.y, rows.p, rows.weights)


def estimate(
    metric: str | Callable[..., Any] | Metric,
    y_true: Any,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    groups: Any = None,
    size: int | None = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    sample_weight: Any = None,
    average: str | None = None,
) -> GroupEstimates:
    """The value and confidence interval of a metric for every group of rows.

    Parameters
    ----------
    metric:
        A registered name (see :data:`METRICS`), an entry (:class:`Metric`) or a callable
        ``f(y_true, y_pred) -> float``.
    y_true, y_pred, y_score:
        The rows, as for :func:`~mltestkit.metrics.check_metric`.
    groups, size:
        The group of each row as integer codes ``0 .. size - 1`` (``size`` defaults to the
        largest code + 1; groups without rows are undefined). ``None``: all rows are one group.
    pos_label:
        The positive class of a one-class metric when the labels are not 0/1.
    confidence, n_boot, seed:
        Interval level; bootstrap replicates; the seed every group's bootstrap starts from (a
        Generator gives one seed).
    name:
        The name of a callable metric.
    sample_weight:
        A weight per row (count metrics and mean losses): values are the weighted ones of
        scikit-learn, intervals rest on Kish's effective size ``(sum w)**2 / sum w**2``.
    average:
        ``"macro"``, ``"micro"``, ``"weighted"`` or ``"binary"``: the entry averaging ``metric``
        over classes (:func:`get_metric`; ``f1`` with ``"macro"`` is ``f1_macro``).

    Returns
    -------
    GroupEstimates
        Arrays of length ``size``; ``est[g]`` is group ``g``'s
        :class:`~mltestkit.stats.requirement.Estimate`. Group ``g``'s figures equal
        ``estimate(metric, <its rows>, seed=seed)[0]``.

    Examples
    --------
    >>> est = estimate("rmse", [1.0, 2.0, 3.0, 4.0] * 25, [1.5, 2.0, 3.0, 4.0] * 25, groups=[0, 0, 1, 1] * 25)
    >>> [round(float(v), 3) for v in est.value], est.method
    ([0.354, 0.0], ('skew-t', 'skew-t'))
    """
    level = validate_level(confidence)
    n_boot = validate_n_boot(n_boot)
    seed_int = es.seed_value(seed)
    rows = prepare(
        get_metric(metric, name, average=average), y_true, y_pred, y_score, pos_label, sample_weight
    )
    codes = None
    if groups is not None:
        codes = as_1d(groups, "groups", numeric=True)
        same_length(np.empty(len(rows.y)), "y_true", codes, "groups")
        if np.any(codes < 0) or np.any(codes != np.round(codes)):
            raise InputError(
                "groups", "must hold integer codes >= 0", "pass e.g. pandas.factorize(column)[0]"
            )
        codes = codes.astype(np.int64)
        largest = int(codes.max()) + 1
        if size is None:
            size = largest
        elif isinstance(size, bool) or not isinstance(size, int) or size < largest:
            raise InputError(
                "size", f"must be an int above every code ({largest - 1}), got {size!r}", "omit it"
            )
    return estimate_prepared(rows, codes, size or 1, level=level, n_boot=n_boot, seed=seed_int)


def compute(
    metric: str | Callable[..., Any] | Metric,
    y_true: Any,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    sample_weight: Any = None,
    average: str | None = None,
) -> Estimate:
    """Value and confidence interval of a metric on all rows, without any requirement.

    An undefined value (e.g. recall without positive rows) is an error naming ``y_true``. The
    arguments are those of :func:`estimate`.

    >>> est = compute("recall", [1, 1, 0, 1], [1, 0, 0, 1])
    >>> round(est.value, 3), est.method, est.n
    (0.667, 'clopper-pearson', 3)
    >>> est = compute("recall", [0, 1, 2, 2] * 10, [0, 1, 2, 1] * 10, average="macro")
    >>> round(est.value, 4), est.method
    (0.8333, 'clopper-pearson-mover')
    """
    m = get_metric(metric, name, average=average)
    est = estimate(
        m,
        y_true,
        y_pred,
        y_score=y_score,
        pos_label=pos_label,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        sample_weight=sample_weight,
    )[0]
    if est.value is None and est.reason is not None:
        fix = (
            "check the labels and pos_label" if m.input == LABELS else "evaluate on rows where it is defined"
        )
        raise InputError("y_true", f"{m.name} is undefined: {est.reason}", fix)
    return est
