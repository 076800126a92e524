"""Estimators: a metric's value and confidence interval for every group of rows at once.

Groups are given by an integer code per row, ``0 .. size - 1`` (a whole data set is one group,
code 0). There is one estimator per family of metrics, and each reads the sufficient statistics
of its family:

- **confusion counts** (shape ``(G, K, K)``, one ``np.bincount``; summed weights allowed):
  proportions get a Clopper-Pearson interval on their own denominator, f1 one on the Jaccard
  index, balanced accuracy MOVER over per-class ones (:func:`confusion_estimates`);
- **sorted scores**: ROC AUC, DeLong's variance and the class counts give a score interval
  (:func:`auc_estimates`);
- **per-row losses**: six power sums per group give their mean with a skew-corrected,
  heavy-tail-aware interval (:func:`loss_moments`, :func:`loss_estimates`);
- **rows**: any other statistic of ``(y, prediction)``, with a row bootstrap
  (:func:`row_estimates` covers the last three from rows).

A group's figures depend on its own rows, in their order, and on the seed, nothing else: every
group's bootstrap draws from a generator made from the seed alone. So the figures of one slice
equal those of the slice's rows estimated on their own with the same seed.

Examples
--------
>>> from mltestkit.metrics import METRICS
>>> cm = confusion_counts(np.array([0, 0, 1, 1]), 2, np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1]), 2)
>>> est = confusion_estimates(METRICS["recall"], cm, 1, level=0.95, n_boot=1000, seed=0)
>>> est.value.tolist(), est.n.tolist(), est.method
([1.0, 0.5], [1, 2], ('clopper-pearson', 'clopper-pearson'))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import as_rng
from ..errors import InputError
from ..stats import intervals as iv
from ..stats.requirement import Estimate

#: The sufficient statistics a metric reads from rows.
CONFUSION, SORTED_SCORES, LOSSES, ROWS = "confusion counts", "sorted scores", "per-row losses", "rows"

#: Interval methods: Clopper-Pearson on a proportion's own denominator, the same on the Jaccard
#: index (f1), MOVER over per-class ones, BCa bootstrap over confusion cells, the AUC score interval,
#: the skew-corrected interval of a mean from power sums, row bootstrap.
INTERVALS = ("binomial", "jaccard", "mover", "cells", "auc", "mean", "bootstrap")


def seed_value(seed: Any) -> int:
    """The integer every group's generator is made from: ``seed`` itself, or one draw from a Generator.

    >>> seed_value(3), seed_value(np.random.default_rng(0)) == seed_value(np.random.default_rng(0))
    (3, True)
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    as_rng(seed)  # validates
    return int(seed)


def group_rows(codes: np.ndarray, size: int) -> list[np.ndarray]:
    """The row indices of each group ``0 .. size - 1``, each in the rows' order."""
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=size))
    return np.split(order, ends[:-1])


def confusion_counts(
    codes: np.ndarray, size: int, t: np.ndarray, p: np.ndarray, k: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """``counts[g, i, j]``: rows of group ``g`` with true class ``i`` predicted as ``j`` (one bincount);
    with ``weights``, their summed weights (floats)."""
    return np.bincount((codes * k + t) * k + p, weights=weights, minlength=size * k * k).reshape(size, k, k)


@dataclass(frozen=True)
class GroupEstimates:
    """One metric's figures for ``G`` groups: arrays of length ``G``.

    ``value``, ``low`` and ``high`` are NaN where undefined; ``n`` is the number of observations
    each figure rests on (a proportion's denominator, else the group's rows); ``method`` the
    interval method of each group; ``successes`` a proportion's numerators (else ``None``);
    ``undefined`` says why a value can be missing; ``needed`` (where given) how many rows would
    give an interval where the data at hand give none. ``est[g]`` is group ``g`` as an
    :class:`~mltestkit.stats.requirement.Estimate`, ready for :func:`~mltestkit.stats.requirement.judge`.
    """

    metric: str
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray
    method: tuple[str, ...]
    range: tuple[float, float] | None = None
    successes: np.ndarray | None = None
    undefined: str = "its statistics are undefined"
    needed: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, g: int) -> Estimate:
        raw = float(self.value[g])
        value = None if math.isnan(raw) else raw
        low, high = (_defined(self.low[g]), _defined(self.high[g])) if value is not None else (None, None)
        reason = None if value is not None else self.undefined
        need = None
        if value is not None and (low is None or high is None):
            need = None if self.needed is None else finite(self.needed[g])
            reason = (
                f"no honest interval on {int(self.n[g])} rows (about {int(need)} would give one)"
                if need is not None
                else "no interval can be made on these rows"
            )
        return Estimate(
            value,
            low,
            high,
            self.method[g],
            int(self.n[g]),
            range=self.range,
            reason=reason,
            needed=None if need is None else int(need),
        )


def finite(x: Any) -> float | None:
    """``x`` as a float, ``None`` when it is NaN or infinite."""
    f = float(x)
    return f if math.isfinite(f) else None


def _defined(x: Any) -> float | None:
    f = float(x)
    return None if math.isnan(f) else f


def effective_counts(
    k: np.ndarray, n: np.ndarray, n_sq: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Successes and trials for an interval: the counts, or with weights Kish's effective size
    ``(sum w)**2 / sum w**2`` of the trials and the weighted share of it; plus the share."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    share = ratio(k, n)
    if n_sq is None:
        return k, n, share
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(n > 0, n * n / np.asarray(n_sq, dtype=float), 0.0)
    return np.where(n > 0, share * n_eff, 0.0), n_eff, share


def confusion_estimates(
    metric: Any,
    cm: np.ndarray,
    pos: int,
    *,
    level: float,
    n_boot: int,
    seed: int,
    cm_sq: np.ndarray | None = None,
) -> GroupEstimates:
    """A count-based metric and its interval for confusion counts of shape ``(G, K, K)``.

    ``metric`` is a registry entry (:class:`~mltestkit.metrics.registry.Metric`); ``pos`` the
    positive class's index (ignored by metrics over every class). ``cm`` may hold summed
    sample weights (floats); ``cm_sq`` then holds the summed squared weights of each cell, and
    the intervals rest on Kish's effective sizes. Intervals by ``metric.interval``:

    - ``binomial``: Clopper-Pearson on the proportion's own denominator (exact: given the
      denominator the numerator is binomial, so each one-sided bound keeps its level at every
      n and rate, which Wilson's does not at small n);
    - ``jaccard`` (f1): Clopper-Pearson on the Jaccard index ``tp / (tp + fp + fn)`` over its
      own denominator (given it, ``tp`` is binomial), mapped by ``F1 = 2 J / (1 + J)``
      (increasing, so the ends map to ends);
    - ``mover`` (balanced accuracy, macro precision and recall): Clopper-Pearson on each class's
      proportion (``metric.parts``), combined into their mean by MOVER
      (:func:`~mltestkit.stats.intervals.mover_mean`): recalls are independent given the class
      counts, precisions given the predicted counts (per-class f1s are not: they share the errors);
    - ``cells`` (macro f1, weighted precision and f1, Cohen's kappa, Matthews correlation): BCa
      bootstrap over the confusion cells (:func:`~mltestkit.stats.intervals.bca_cells`; a
      multinomial draw is the exact row bootstrap, at a cost independent of the rows; with
      weights, over Kish's effective size) at
      :data:`~mltestkit.stats.intervals.CELLS_ERROR_SHARE` of each one-sided error, on at least
      :data:`~mltestkit.stats.intervals.CELLS_MIN_ROWS` rows; on fewer, no interval and
      ``needed`` says how many rows would give one.

    >>> from mltestkit.metrics import METRICS
    >>> cm = np.array([[[40, 5], [10, 45]]])
    >>> est = confusion_estimates(METRICS["f1"], cm, 1, level=0.95, n_boot=0, seed=0)
    >>> round(float(est.value[0]), 4), est.method, int(est.n[0])
    (0.8571, ('clopper-pearson-jaccard',), 60)
    """
    weighted = cm_sq is not None
    cm = np.asarray(cm, dtype=float if weighted else np.int64)
    size = cm.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.asarray(metric.value(cm, pos), dtype=float)
    if metric.interval in ("binomial", "jaccard"):
        k, trials = metric.counts(cm, pos)
        sq = metric.counts(np.asarray(cm_sq, dtype=float), pos)[1] if weighted else None
        k_eff, n_eff, share = effective_counts(k, trials, sq)
        low, high = iv.clopper_pearson(k_eff, n_eff, level)
        if metric.interval == "jaccard":
            low, high = 2 * low / (1 + low), 2 * high / (1 + high)
        return GroupEstimates(
            metric.name,
            value,
            np.where(np.isfinite(value), low, np.nan),
            np.where(np.isfinite(value), high, np.nan),
            np.asarray(n_eff if weighted else trials),
            ("clopper-pearson-jaccard" if metric.interval == "jaccard" else "clopper-pearson",) * size,
            metric.range,
            np.asarray(k) if metric.interval == "binomial" and not weighted else None,
            metric.undefined,
        )
    rows = cm.sum(axis=(1, 2))
    n_rows = rows if not weighted else ratio(rows**2, np.asarray(cm_sq).sum(axis=(1, 2)))
    ok = np.isfinite(value)
    if metric.interval == "mover":
        k, trials, present = metric.parts(cm)
        sq = metric.parts(np.asarray(cm_sq, dtype=float))[1] if weighted else None
        k_eff, n_eff, share = effective_counts(k, trials, sq)
        low, high = iv.clopper_pearson(k_eff, n_eff, level)
        share = np.nan_to_num(share)
        _, lo, hi = iv.mover_mean(share, low, high, present)
        ok &= ~(present & (trials == 0)).any(axis=-1)  # a share counted as 0 by convention
        return GroupEstimates(
            metric.name,
            value,
            np.where(ok, lo, np.nan),
            np.where(ok, hi, np.nan),
            np.asarray(np.nan_to_num(n_rows)),
            ("clopper-pearson-mover",) * size,
            metric.range,
            None,
            metric.undefined,
        )
    low, high = np.full(size, np.nan), np.full(size, np.nan)
    needed = np.where(ok & (n_rows < iv.CELLS_MIN_ROWS), float(iv.CELLS_MIN_ROWS), np.nan)
    for g in np.flatnonzero(ok & (n_rows >= iv.CELLS_MIN_ROWS)):
        cells = cm[g] if not weighted else np.round(cm[g] / rows[g] * n_rows[g])
        stat = lambda d: metric.value(d, pos)  # noqa: E731
        reps = iv.cell_bootstrap(cells, stat, n_boot=n_boot, rng=np.random.default_rng(seed))
        low[g], high[g] = iv.bca_cells(cells, stat, reps, 1 - (1 - level) * iv.CELLS_ERROR_SHARE)
    return GroupEstimates(
        metric.name,
        value,
        low,
        high,
        np.asarray(np.nan_to_num(n_rows)),
        ("bca-cells",) * size,
        metric.range,
        None,
        metric.undefined,
        needed,
    )


def loss_moments(
    x: np.ndarray, codes: np.ndarray, size: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The six power sums per group that :func:`loss_estimates` reads, about each group's mean.

    Returns ``(moments, shift)``: ``moments[g] = [sum w, sum w**2, sum w d, sum w d**2,
    sum w d**3, sum w d**4]`` with ``d = x - shift[g]`` (the group's mean, so that the sums stay
    accurate on large values). Power sums about any other shift, e.g. 0, add across partitions and
    give the same interval.
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    sw = np.bincount(codes, weights=w, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.bincount(codes, weights=w * x, minlength=size) / sw
    d = x - np.where(np.isfinite(shift), shift, 0.0)[codes]
    sums = [sw, np.bincount(codes, weights=w * w, minlength=size)]
    sums += [np.bincount(codes, weights=w * d**k, minlength=size) for k in (1, 2, 3, 4)]
    return np.stack(sums, axis=-1), shift


def loss_estimates(
    metric: Any, moments: np.ndarray, *, level: float, shift: np.ndarray | None = None
) -> GroupEstimates:
    """A mean loss and its interval per group from six power sums of its per-row losses.

    ``moments`` has shape ``(G, 6)`` as :func:`loss_moments` makes it (or any engine's
    group-by sums of ``w, w**2, w x, w x**2, w x**3, w x**4``, with ``shift`` 0). The interval is
    :func:`~mltestkit.stats.intervals.moment_mean_interval` (skew-corrected, heavy-tail aware),
    then ``metric.finish`` (``sqrt`` for RMSE) on the value and both ends. Where the losses are
    too heavy-tailed for the rows at hand, the interval is undefined and ``needed`` says how
    many rows would give one.

    >>> from mltestkit.metrics import METRICS
    >>> x = np.abs(np.random.default_rng(0).normal(size=400))
    >>> mom, shift = loss_moments(x, np.zeros(400, np.int64), 1)
    >>> est = loss_estimates(METRICS["mae"], mom, level=0.95, shift=shift)
    >>> est.method, round(float(est.value[0]), 3), est[0].low < est[0].value < est[0].high
    (('skew-t',), 0.799, True)
    """
    mom = np.asarray(moments, dtype=float).reshape(-1, 6)
    size = mom.shape[0]
    mean, low, high, n_eff, needed = iv.moment_mean_interval(mom, level)
    if shift is not None:
        base = np.where(np.isfinite(shift), shift, 0.0)
        mean, low, high = mean + base, low + base, high + base
    lower_edge = metric.range[0] if metric.range is not None else -np.inf
    low, high = np.maximum(low, lower_edge), np.maximum(high, lower_edge)
    if metric.finish is not None:
        finish = np.vectorize(metric.finish, otypes=[float])
        with np.errstate(invalid="ignore"):
            mean, low, high = (
                np.where(np.isfinite(a), finish(np.where(np.isfinite(a), a, 0.0)), np.nan)
                for a in (mean, low, high)
            )
    return GroupEstimates(
        metric.name,
        np.where(mom[:, 0] > 0, mean, np.nan),
        low,
        high,
        np.where(mom[:, 0] > 0, n_eff, 0.0),
        ("skew-t",) * size,
        metric.range,
        None,
        metric.undefined,
        needed=needed,
    )


def auc_estimates(
    metric: Any, auc: np.ndarray, var: np.ndarray, n_pos: np.ndarray, n_neg: np.ndarray, *, level: float
) -> GroupEstimates:
    """ROC AUC and its score interval (:func:`~mltestkit.stats.intervals.auc_interval`) per group,
    from the AUC, DeLong's variance and the class counts of each group.

    >>> from mltestkit.metrics import METRICS
    >>> est = auc_estimates(METRICS["roc_auc"], np.array([1.0]), np.array([0.0]), np.array([2]),
    ...                     np.array([2]), level=0.95)
    >>> est.value.tolist(), round(float(est.low[0]), 3), est.method
    ([1.0], 0.016, ('score-auc',))
    """
    auc = np.asarray(auc, dtype=float)
    low, high = iv.auc_interval(auc, var, n_pos, n_neg, level)
    rows = np.asarray(n_pos) + np.asarray(n_neg)
    return GroupEstimates(
        metric.name, auc, low, high, rows, ("score-auc",) * auc.size, metric.range, None, metric.undefined
    )


def row_estimates(
    metric: Any,
    y: np.ndarray,
    p: np.ndarray,
    codes: np.ndarray,
    size: int,
    *,
    level: float,
    n_boot: int,
    seed: int,
) -> GroupEstimates:
    """A metric of rows (sorted scores, per-row losses or any statistic) and its interval per group.

    ``y`` and ``p`` are the prepared true values and predictions or scores of every row,
    ``codes`` the group of each row.
    """
    rows = np.bincount(codes, minlength=size)
    if metric.interval == "auc":
        positive = y > 0.5
        auc, var = iv.delong_auc(positive, p, codes, size)
        n_pos = np.bincount(codes[positive], minlength=size)
        return auc_estimates(metric, auc, var, n_pos, rows - n_pos, level=level)
    if metric.interval == "mean":
        mom, shift = loss_moments(metric.value(y, p), codes, size)
        return loss_estimates(metric, mom, level=level, shift=shift)
    value, low, high = (np.full(size, np.nan) for _ in range(3))
    methods = ["bootstrap"] * size
    needed = np.where(rows < iv.BOOTSTRAP_MIN_ROWS, float(iv.BOOTSTRAP_MIN_ROWS), np.nan)
    for g, idx in enumerate(group_rows(codes, size)):
        if idx.size == 0:
            continue
        rng = np.random.default_rng(seed)
        yg, pg = y[idx], p[idx]
        try:
            v = float(metric.value(yg, pg))
        except InputError:
            raise
        except ValueError:  # undefined on this group
            continue
        value[g] = v
        if idx.size >= iv.BOOTSTRAP_MIN_ROWS:
            low[g], high[g], methods[g] = _row_bootstrap(metric, yg, pg, v, level, n_boot, rng)
    return GroupEstimates(
        metric.name, value, low, high, rows, tuple(methods), metric.range, None, metric.undefined, needed
    )


def _row_bootstrap(
    metric: Any,
    y: np.ndarray,
    p: np.ndarray,
    value: float,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[float, float, str]:
    n = len(y)
    if metric.influence is not None and n * n_boot > iv.ROW_BOOTSTRAP_BUDGET:
        se = float(metric.influence(y, p).std(ddof=1) / np.sqrt(n))
        z = iv.z_value(level)
        return value - z * se, value + z * se, "normal"
    if metric.batch is not None:
        reps = iv.row_bootstrap(lambda idx: metric.batch(y, p, idx), n, n_boot=n_boot, rng=rng)
    else:
        reps = iv.row_bootstrap_each(lambda idx: metric.value(y[idx], p[idx]), n, n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    return low, high, "bootstrap"


def point_value(metric: Any, y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """The value of a metric of rows on all of ``y``, ``p`` without an interval (``None`` if undefined)."""
    if metric.interval == "mean":
        losses = metric.value(y, p)
        if weights is not None and not weights.sum() > 0:
            return None
        mean = float(np.average(losses, weights=weights))
        return finite(metric.finish(mean) if metric.finish is not None else mean)
    try:
        return finite(metric.value(y, p))
    except InputError:
        raise
    except ValueError:
        return None


# ---------------------------------------------------------------- statistics of confusion counts


def binary_cells(cm: np.ndarray, pos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """tp, fp, fn, tn from confusion counts of shape (..., K, K), one-vs-rest for class ``pos``."""
    total = cm.sum(axis=(-2, -1))
    if pos < 0:
        zero = np.zeros_like(total)
        return zero, zero, zero, total
    tp = cm[..., pos, pos]
    fn = cm[..., pos, :].sum(axis=-1) - tp
    fp = cm[..., :, pos].sum(axis=-1) - tp
    tn = total - tp - fn - fp
    return tp, fp, fn, tn


def ratio(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``k / n``, NaN where ``n == 0``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)


def f1(cm: np.ndarray, pos: int) -> np.ndarray:
    tp, fp, fn, _ = binary_cells(cm, pos)
    return ratio(2 * tp, 2 * tp + fp + fn)


def class_parts(cm: np.ndarray, of: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class successes, trials and the classes that count, from counts of shape ``(..., K, K)``.

    ``of`` is ``"recall"`` (trials: the class's rows), ``"precision"`` (its predictions),
    ``"f1"`` (the Jaccard index's ``tp + fp + fn``), each over the classes in ``y_true`` or
    ``y_pred``, or ``"balanced_accuracy"`` (recall over the classes in ``y_true``), as
    scikit-learn's ``labels=None`` does.

    >>> k, n, present = class_parts(np.array([[3, 1, 0], [0, 2, 2], [0, 0, 0]]), "precision")
    >>> k.tolist(), n.tolist(), present.tolist()
    ([3, 2, 0], [3, 3, 2], [True, True, True])
    """
    diag = np.diagonal(cm, axis1=-2, axis2=-1)
    rows, cols = cm.sum(axis=-1), cm.sum(axis=-2)
    if of == "balanced_accuracy":
        return diag, rows, rows > 0
    trials = {"recall": rows, "precision": cols, "f1": rows + cols - diag}[of]
    return diag, trials, (rows + cols) > 0


def class_values(cm: np.ndarray, of: str) -> tuple[np.ndarray, np.ndarray]:
    """Each class's one-vs-rest value (0 where its denominator is empty, scikit-learn's
    ``zero_division=0``) and which classes count."""
    k, n, present = class_parts(cm, of)
    v = np.nan_to_num(ratio(k, n))
    return (2 * v / (1 + v) if of == "f1" else v), present


def macro(of: str) -> Callable[..., np.ndarray]:
    """The unweighted mean over classes of ``of`` (see :func:`class_parts`)."""

    def value(cm: np.ndarray, pos: int = 0) -> np.ndarray:
        v, present = class_values(cm, of)
        return ratio(np.where(present, v, 0.0).sum(axis=-1), present.sum(axis=-1))

    return value


def weighted(of: str) -> Callable[..., np.ndarray]:
    """The mean over classes of ``of`` weighted by each class's rows (scikit-learn's ``"weighted"``)."""

    def value(cm: np.ndarray, pos: int = 0) -> np.ndarray:
        v, _ = class_values(cm, of)
        rows = cm.sum(axis=-1)
        return ratio((rows * v).sum(axis=-1), rows.sum(axis=-1))

    return value


balanced_accuracy = macro("balanced_accuracy")


def _margins(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cm = np.asarray(cm, dtype=float)
    total = cm.sum(axis=(-2, -1))
    return np.trace(cm, axis1=-2, axis2=-1), cm.sum(axis=-1), cm.sum(axis=-2), total


def cohen_kappa(cm: np.ndarray, pos: int = 0) -> np.ndarray:
    """Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` over every class; NaN where ``p_e == 1``.

    >>> round(float(cohen_kappa(np.array([[20, 5], [10, 15]]))), 4)
    0.4
    """
    agree, rows, cols, total = _margins(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        chance = (rows * cols).sum(axis=-1) / total
        return np.where(total > chance, (agree - chance) / (total - chance), np.nan)


def mcc_parts(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The numerator and the squared denominator of the (multi-class) Matthews correlation."""
    agree, rows, cols, total = _margins(cm)
    cov = agree * total - (rows * cols).sum(axis=-1)
    return cov, (total**2 - (cols * cols).sum(axis=-1)) * (total**2 - (rows * rows).sum(axis=-1))


def matthews_corrcoef(cm: np.ndarray, pos: int = 0) -> np.ndarray:
    """Matthews correlation over every class (Gorodkin's R_K); 0 where a margin is constant, as in
    scikit-learn.

    >>> round(float(matthews_corrcoef(np.array([[20, 5], [10, 15]]))), 4)
    0.4082
    """
    cov, denom = mcc_parts(cm)
    total = np.asarray(cm).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(denom > 0, cov / np.sqrt(np.where(denom > 0, denom, 1.0)), 0.0)
    return np.where(total > 0, value, np.nan)


# ---------------------------------------------------------------- statistics of rows


def _eps() -> float:
    return float(np.finfo(np.float64).eps)


def log_loss_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _eps(), 1 - _eps())
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def squared_error(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return (p - y) ** 2


def absolute_error(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.abs(p - y)


def percentage_error(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.abs(p - y) / np.maximum(np.abs(y), _eps())


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC (ties count one half); ``ValueError`` when ``y`` has a single class."""
    auc, _ = iv.delong_auc(y > 0.5, s)
    if math.isnan(auc[0]):
        raise ValueError("y_true has a single class")
    return float(auc[0])


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: sum over equal-width bins of |bin share| x |mean(y) - mean(p)|.

    >>> ece(np.array([0, 1, 1, 0]), np.array([0.05, 0.95, 0.55, 0.45]))
    0.25
    """
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
    return float(np.sum(np.diff(np.r_[0.0, tps / total_pos]) * (tps / (tps + fps))))


def average_precision_replicates(y: np.ndarray, s: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Average precision of each resample of rows ``idx`` (shape ``(b, n)``), ties as in
    :func:`average_precision`; NaN where a resample has no positive row."""
    ss, yy = s[idx], y[idx]
    order = np.argsort(-ss, axis=1, kind="stable")
    ss = np.take_along_axis(ss, order, axis=1)
    yy = np.take_along_axis(yy, order, axis=1)
    end = np.ones(ss.shape, dtype=bool)
    end[:, :-1] = ss[:, 1:] != ss[:, :-1]
    tps = np.cumsum(yy, axis=1)
    at_end = np.maximum.accumulate(np.where(end, tps, 0), axis=1)
    previous = np.zeros_like(at_end)
    previous[:, 1:] = at_end[:, :-1]
    rank = np.arange(1, ss.shape[1] + 1)
    total = tps[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = np.where(end, (tps - previous) * tps / rank, 0.0).sum(axis=1)
        return np.where(total > 0, parts / total, np.nan)


def ece_replicates(y: np.ndarray, p: np.ndarray, idx: np.ndarray, bins: int = 10) -> np.ndarray:
    """:func:`ece` of each resample of rows ``idx`` (shape ``(b, n)``)."""
    b, n = idx.shape
    cell = (np.arange(b)[:, None] * bins + np.minimum((p[idx] * bins).astype(np.int64), bins - 1)).ravel()
    sy = np.bincount(cell, weights=y[idx].ravel(), minlength=b * bins).reshape(b, bins)
    sp = np.bincount(cell, weights=p[idx].ravel(), minlength=b * bins).reshape(b, bins)
    return np.asarray(np.abs(sy - sp).sum(axis=1) / n)


def r2(y: np.ndarray, p: np.ndarray) -> float:
    sst = np.sum((y - y.mean()) ** 2)
    if sst == 0 or np.all(y == y[0]):
        raise ValueError("y_true is constant")
    return float(1 - np.sum((y - p) ** 2) / sst)


def r2_replicates(y: np.ndarray, p: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """R2 of each resample of rows ``idx`` (shape ``(b, n)``); NaN where the resample is constant."""
    yy, pp = y[idx], p[idx]
    sst = ((yy - yy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sst > 0, 1 - ((yy - pp) ** 2).sum(axis=1) / sst, np.nan)


def r2_influence(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-row influence of R2 (its standard error is their standard deviation / sqrt(n))."""
    e2 = (y - p) ** 2
    mse, var = e2.mean(), y.var()
    return np.asarray(-(e2 - mse) / var + mse * ((y - y.mean()) ** 2 - var) / var**2)


def custom_value(fn: Callable[..., Any]) -> Callable[[np.ndarray, np.ndarray], float]:
    """A user's ``fn(y_true, y_pred) -> float`` whose exceptions become an error naming ``metric``."""

    def value(y: np.ndarray, p: np.ndarray) -> float:
        try:
            return float(fn(y, p))
        except Exception as exc:
            raise InputError(
                "metric", f"the callable raised {type(exc).__name__}: {exc}", "fix the metric function"
            ) from exc

    return value
