"""Estimators: a metric's value and confidence interval for every group of rows at once.

Groups are given by an integer code per row, ``0 .. size - 1`` (a whole data set is one group,
code 0). There is one estimator per family of metrics, and each reads the sufficient statistics
of its family:

- **confusion counts** (shape ``(G, K, K)``, one ``np.bincount``): proportions get a Wilson
  interval on their own denominator, the other count-based metrics (f1, balanced accuracy) an
  exact bootstrap over the confusion cells (:func:`confusion_estimates`);
- **sorted scores**: ROC AUC and its DeLong variance, on the logit scale;
- **per-row losses**: their mean, with a BCa bootstrap (a normal interval beyond
  :data:`~mltestkit.stats.intervals.ROW_BOOTSTRAP_BUDGET` rows x replicates);
- **rows**: any other statistic of ``(y, prediction)``, with a row bootstrap
  (:func:`row_estimates` covers the last three).

A group's figures depend on its own rows, in their order, and on the seed, nothing else: every
group's bootstrap draws from a generator made from the seed alone. So the figures of one slice
equal those of the slice's rows estimated on their own with the same seed.

Examples
--------
>>> from mltestkit.metrics import METRICS
>>> cm = confusion_counts(np.array([0, 0, 1, 1]), 2, np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1]), 2)
>>> est = confusion_estimates(METRICS["recall"], cm, 1, level=0.95, n_boot=1000, seed=0)
>>> est.value.tolist(), est.n.tolist(), est.method
([1.0, 0.5], [1, 2], ('wilson', 'wilson'))
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

#: Interval methods: Wilson on a proportion's own denominator, bootstrap over confusion cells,
#: DeLong, BCa (or normal) for the mean of per-row values, row bootstrap.
INTERVALS = ("wilson", "cells", "delong", "mean", "bootstrap")


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
    ``weights`` are integer frequency weights (a row of weight 3 counts three times)."""
    cells = np.bincount((codes * k + t) * k + p, weights=weights, minlength=size * k * k)
    return np.rint(cells).astype(np.int64).reshape(size, k, k)


@dataclass(frozen=True)
class GroupEstimates:
    """One metric's figures for ``G`` groups: arrays of length ``G``.

    ``value``, ``low`` and ``high`` are NaN where undefined; ``n`` is the number of observations
    each figure rests on (a proportion's denominator, else the group's rows); ``method`` the
    interval method of each group; ``successes`` a proportion's numerators (else ``None``);
    ``undefined`` says why a value can be missing. ``est[g]`` is group ``g`` as an
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

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, g: int) -> Estimate:
        raw = float(self.value[g])
        value = None if math.isnan(raw) else raw
        low, high = (_defined(self.low[g]), _defined(self.high[g])) if value is not None else (None, None)
        return Estimate(
            value,
            low,
            high,
            self.method[g],
            int(self.n[g]),
            range=self.range,
            reason=None if value is not None else self.undefined,
        )


def finite(x: Any) -> float | None:
    """``x`` as a float, ``None`` when it is NaN or infinite."""
    f = float(x)
    return f if math.isfinite(f) else None


def _defined(x: Any) -> float | None:
    f = float(x)
    return None if math.isnan(f) else f


def confusion_estimates(
    metric: Any, cm: np.ndarray, pos: int, *, level: float, n_boot: int, seed: int
) -> GroupEstimates:
    """A count-based metric and its interval for confusion counts of shape ``(G, K, K)``.

    ``metric`` is a registry entry (:class:`~mltestkit.metrics.registry.Metric`); ``pos`` the
    positive class's index (ignored by metrics over every class).
    """
    cm = np.asarray(cm, dtype=np.int64)
    size = cm.shape[0]
    value = np.asarray(metric.value(cm, pos), dtype=float)
    if metric.interval == "wilson":
        k, trials = metric.counts(cm, pos)
        low, high = iv.wilson(k, trials, level)
        return GroupEstimates(
            metric.name,
            value,
            low,
            high,
            np.asarray(trials),
            ("wilson",) * size,
            metric.range,
            np.asarray(k),
            metric.undefined,
        )
    rows = cm.sum(axis=(1, 2))
    low, high = np.full(size, np.nan), np.full(size, np.nan)
    methods = ["bootstrap-cells"] * size
    for g in np.flatnonzero((rows > 0) & np.isfinite(value)):
        reps = iv.cell_bootstrap(
            cm[g], lambda d: metric.value(d, pos), n_boot=n_boot, rng=np.random.default_rng(seed)
        )
        lo, hi = iv.percentile_interval(reps, level)
        if not np.isfinite(lo) or hi - lo <= 0:
            # degenerate bootstrap (e.g. a perfect score): Wilson on the value as a share of the rows
            wl, wh = iv.wilson(round(value[g] * rows[g]), rows[g], level)
            lo, hi, methods[g] = float(wl), float(wh), "wilson-fallback"
        low[g], high[g] = lo, hi
    return GroupEstimates(
        metric.name, value, low, high, rows, tuple(methods), metric.range, None, metric.undefined
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
    if metric.interval == "delong":
        auc, var = iv.delong_auc(y > 0.5, p, codes, size)
        return auc_estimates(metric, auc, var, rows, level=level)
    value, low, high = (np.full(size, np.nan) for _ in range(3))
    methods = ["bootstrap-bca" if metric.interval == "mean" else "bootstrap"] * size
    for g, idx in enumerate(group_rows(codes, size)):
        if idx.size == 0:
            continue
        rng = np.random.default_rng(seed)
        yg, pg = y[idx], p[idx]
        if metric.interval == "mean":
            losses = metric.value(yg, pg)
            lo, hi, methods[g] = iv.mean_interval(losses, level=level, n_boot=n_boot, rng=rng)
            v = float(losses.mean())
            if metric.finish is not None:
                v, lo, hi = metric.finish(v), metric.finish(max(lo, 0.0)), metric.finish(max(hi, 0.0))
        else:
            try:
                v = float(metric.value(yg, pg))
            except InputError:
                raise
            except ValueError:  # undefined on this group
                continue
            lo, hi, methods[g] = _row_bootstrap(metric, yg, pg, v, level, n_boot, rng)
        value[g], low[g], high[g] = v, lo, hi
    return GroupEstimates(
        metric.name, value, low, high, rows, tuple(methods), metric.range, None, metric.undefined
    )


def auc_estimates(
    metric: Any, auc: np.ndarray, var: np.ndarray, rows: np.ndarray, *, level: float
) -> GroupEstimates:
    """ROC AUC per group from its value and DeLong variance (computed from rows or by a table's engine)."""
    low, high = iv.logit_normal_interval(auc, var, level)
    return GroupEstimates(
        metric.name, auc, low, high, rows, ("delong",) * len(auc), metric.range, None, metric.undefined
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


def point_value(metric: Any, y: np.ndarray, p: np.ndarray) -> float | None:
    """The value of a metric of rows on all of ``y``, ``p`` without an interval (``None`` if undefined)."""
    if metric.interval == "mean":
        mean = float(metric.value(y, p).mean())
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
        return np.where(n > 0, k / np.maximum(n, 1), np.nan)


def f1(cm: np.ndarray, pos: int) -> np.ndarray:
    tp, fp, fn, _ = binary_cells(cm, pos)
    return ratio(2 * tp, 2 * tp + fp + fn)


def balanced_accuracy(cm: np.ndarray, pos: int = 0) -> np.ndarray:
    """Mean recall over the classes present in ``y_true``."""
    rows = cm.sum(axis=-1)
    diag = np.diagonal(cm, axis1=-2, axis2=-1)
    present = rows > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(present, diag / np.maximum(rows, 1), 0.0)
    return ratio(recall.sum(axis=-1), present.sum(axis=-1))


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
