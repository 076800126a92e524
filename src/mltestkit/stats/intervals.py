"""Confidence intervals: Wilson and Clopper-Pearson for proportions, MOVER combinations of them
(sums, differences, ratios), a skew-corrected interval for means from power sums, a score
interval for ROC AUC, seeded, vectorized bootstraps (over confusion cells, or over rows) and
the BCa interval from a bootstrap's replicates.

All functions take a two-sided ``level`` (0.95 by default elsewhere); the lower end of
a two-sided 95% interval is a one-sided 97.5% bound, which is what the gates use.

Examples
--------
>>> low, high = wilson(90, 100, 0.95)
>>> round(float(low), 4), round(float(high), 4)
(0.8256, 0.9448)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special, stats

ArrayLike = Any

#: Rows times replicates above which a row bootstrap switches to the normal interval.
ROW_BOOTSTRAP_BUDGET = 50_000_000

#: A row bootstrap gives an interval only on at least this many rows: below it, its percentile ends
#: for average precision, ECE and R2 miss their level by far (docs/trust.md), and the figure is
#: inconclusive with the rows that would give one.
BOOTSTRAP_MIN_ROWS = 1000

#: A bootstrap over confusion cells (Cohen's kappa, Matthews correlation, macro f1, weighted
#: averages over classes) gives an interval only on at least this many (effective) rows: below it
#: even its BCa ends miss their level (docs/trust.md), and the figure is inconclusive.
CELLS_MIN_ROWS = 300

#: BCa ends (over confusion cells, and a callable metric's) are taken at this share of each one-sided
#: error: at the nominal level they miss it by up to a point at n = 1000 (3.3-3.5% for 2.5% over
#: confusion cells, 3.0-3.2% for callables; docs/trust.md).
BCA_ERROR_SHARE = 0.8

#: A mean of per-row values gets an interval only from at least this many (effective) rows per
#: unit of their sample kurtosis (and more on heavier tails, :data:`TAIL_POWER`): below it the
#: skew-corrected interval misses its level (measured in docs/trust.md), and the figure is
#: inconclusive with the rows that would decide it.
TAIL_ROWS = 10.0

#: The variance in :func:`moment_mean_interval` is taken ``1 + TAIL_INFLATION * (kurtosis - 1) / n``
#: times its estimate: the skew-corrected interval is accurate to second order only where the
#: values' sixth moment is finite, and on values without a fourth (absolute Student-t(3) errors)
#: it passed 3-3.7% at the threshold at 100-1000 rows; 6 brings that to 2.5% (docs/trust.md).
TAIL_INFLATION = 6.0

#: A mean of per-row values gets an interval only from at least this many (effective) rows, whatever
#: their tails: fewer rows miss, more than 2.5% of the time, a kind of row that 7% of the data
#: hold (a positive row among 10% of them, whose log loss is large), and then look light-tailed.
MEAN_MIN_ROWS = 50

#: Beyond a sample kurtosis of :data:`TAIL_ROWS`, the rows needed grow like ``kurtosis**TAIL_POWER``
#: (see :func:`rows_for_tails`).
TAIL_POWER = 10 / 7


def z_value(level: float) -> float:
    """The two-sided normal quantile for ``level`` (1.96 for 0.95)."""
    return float(special.ndtri(0.5 + level / 2.0))


def wilson(k: ArrayLike, n: ArrayLike, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes out of ``n``; vectorized, NaN where ``n == 0``."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    # exact ends at the boundaries (the closed form can be off by rounding)
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    return low, high


def clopper_pearson(k: ArrayLike, n: ArrayLike, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval; vectorized."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return low, high


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates, ignoring undefined (NaN) replicates."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    alpha = 1 - level
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bca_interval(
    replicates: np.ndarray,
    value: float,
    jackknife: np.ndarray,
    weights: np.ndarray | None,
    level: float,
) -> tuple[float, float]:
    """Bias-corrected and accelerated (BCa) interval from bootstrap replicates of a statistic.

    The bias correction is the normal quantile of the share of (finite) replicates below
    ``value``, ties counting one half; the acceleration is the skewness of the jackknife values
    (the statistic with one row, or one block of rows, left out), each standing for ``weights``
    rows (``None``: one each). NaN (no interval) when the replicates are all equal or all on
    one side of ``value``: no finite sample shows such a statistic is exact.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.exponential(size=200)
    >>> reps = np.array([x[rng.integers(0, 200, 200)].mean() for _ in range(2000)])
    >>> low, high = bca_interval(reps, x.mean(), (x.sum() - x) / 199, None, 0.95)
    >>> bool(low < x.mean() < high), bca_interval(np.ones(5), 1.0, np.ones(3), None, 0.95)
    (True, (nan, nan))
    """
    reps = np.asarray(replicates, dtype=float)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0 or reps.min() == reps.max():
        return float("nan"), float("nan")
    share = (np.sum(reps < value) + 0.5 * np.sum(reps == value)) / reps.size
    jack = np.asarray(jackknife, dtype=float)
    w = np.ones_like(jack) if weights is None else np.asarray(weights, dtype=float)
    dev = np.average(jack, weights=w) - jack
    spread = float(np.sum(w * dev * dev))
    accel = float(np.sum(w * dev**3)) / (6.0 * spread**1.5) if spread > 0 else 0.0
    z0 = float(special.ndtri(share))
    z = special.ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    denom = 1.0 - accel * (z0 + z)
    if not math.isfinite(z0) or not math.isfinite(accel) or np.any(denom <= 0):
        return float("nan"), float("nan")
    low, high = np.quantile(reps, special.ndtr(z0 + (z0 + z) / denom))
    return float(low), float(high)


def cell_bootstrap(
    counts: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bootstrap replicates of a statistic of cell counts.

    Resampling ``n`` rows with replacement from a table of cell counts is a multinomial draw
    over the cells, so this is the exact row bootstrap for any count-based statistic, at a
    cost that does not depend on the number of rows.

    ``counts`` has shape ``(..., C)``; ``statistic`` maps an array of shape ``(B, ..., C)`` to ``(B, ...)``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    flat = counts.reshape(-1)
    n = int(flat.sum())
    if n == 0:
        return np.full(n_boot, np.nan)
    draws = rng.multinomial(n, flat / n, size=n_boot).reshape((n_boot, *counts.shape))
    return np.asarray(statistic(draws), dtype=float)


def bca_cells(
    counts: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    replicates: np.ndarray,
    level: float,
) -> tuple[float, float]:
    """BCa interval (Efron) of a statistic of cell counts from its :func:`cell_bootstrap` replicates.

    The bias correction is the share of replicates below the estimate; the acceleration comes
    from the jackknife over rows, which for cell counts is one value per non-empty cell (a row
    left out of that cell), so it costs nothing per row either. NaN where the replicates or the
    jackknife are degenerate (e.g. every resample is perfect: a zero-width interval would claim
    certainty no finite sample gives).

    >>> cm = np.array([[40, 10], [5, 45]])
    >>> stat = lambda d: np.trace(d, axis1=-2, axis2=-1) / d.sum(axis=(-2, -1))
    >>> reps = cell_bootstrap(cm, stat, n_boot=2000, rng=np.random.default_rng(0))
    >>> low, high = bca_cells(cm, stat, reps, 0.95)
    >>> 0.76 < low < 0.85 < high < 0.92
    True
    """
    counts = np.asarray(counts, dtype=np.int64)
    theta = float(np.asarray(statistic(counts[None]), dtype=float).reshape(-1)[0])
    if not math.isfinite(theta):
        return math.nan, math.nan
    flat = counts.reshape(-1)
    cells = np.flatnonzero(flat)
    left_out = np.repeat(flat[None], cells.size, axis=0)
    left_out[np.arange(cells.size), cells] -= 1
    with np.errstate(invalid="ignore", divide="ignore"):
        jack = np.asarray(statistic(left_out.reshape((cells.size, *counts.shape))), dtype=float)
    ok = np.isfinite(jack)
    if not ok.any():
        return math.nan, math.nan
    return bca_interval(replicates, theta, jack[ok], flat[cells][ok].astype(float), level)


def row_bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    n_boot: int,
    rng: np.random.Generator,
    chunk_cells: int = 4_000_000,
) -> np.ndarray:
    """Bootstrap over rows: ``statistic`` receives an index array of shape ``(b, n)`` and
    returns ``b`` replicates. Work is done in chunks of about ``chunk_cells`` indices."""
    per_chunk = max(1, chunk_cells // max(n, 1))
    out = np.empty(n_boot)
    done = 0
    while done < n_boot:
        b = min(per_chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        out[done : done + b] = statistic(idx)
        done += b
    return out


def row_bootstrap_each(
    statistic: Callable[[np.ndarray], float], n: int, *, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap over rows for a statistic that handles one resample (an index array) at a time.

    Replicates on which the statistic is undefined (it raises ``ValueError``) are NaN.
    """
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, size=n)
        try:
            out[b] = statistic(idx)
        except ValueError:
            out[b] = np.nan
    return out


def grouped_ranks(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) of ``values`` within each group.

    >>> grouped_ranks(np.array([0, 1, 0, 0]), np.array([3.0, 1.0, 1.0, 3.0])).tolist()
    [2.5, 1.0, 1.0, 2.5]
    """
    n = values.size
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(new_group)
    position = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    block = np.cumsum(new_group | np.r_[True, v[1:] != v[:-1]]) - 1
    mean_rank = np.bincount(block, weights=position) / np.bincount(block)
    ranks = np.empty(n)
    ranks[order] = mean_rank[block]
    return ranks


def _grouped_mean_var(codes: np.ndarray, size: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cnt = np.bincount(codes, minlength=size).astype(float)
    s1 = np.bincount(codes, weights=x, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / cnt
        s2 = np.bincount(codes, weights=(x - mean[codes]) ** 2, minlength=size)
        var = s2 / (cnt - 1)
    return mean, var


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The distinct values of a sorted array and how often each occurs (``None``: all once)."""
    edge = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    if edge.size == ordered.size - 1:
        return ordered, None
    starts = np.r_[0, edge]
    return ordered[starts], np.diff(np.r_[starts, ordered.size])


def _auc_variances(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float, float]:
    """AUC and the variances of the positives' and the negatives' placements (the share of the
    other class below a score, ties counting one half), from each class's sorted scores.

    One binary search places the positives' distinct scores among the negatives (``below``:
    negatives under the score, plus ``tie`` at it). The negatives' placements follow by counting:
    a positive is under the negative at sorted index ``r`` iff at most ``r`` negatives are at or
    under it, and at or under it iff at most ``r`` are under it.
    """
    m, k = pos.size, neg.size
    values, times = _runs(pos)
    below = np.searchsorted(neg, values, "left")
    tied = np.flatnonzero(neg[np.minimum(below, k - 1)] == values)
    tie = np.searchsorted(neg, values[tied], "right") - below[tied]
    weights = None if times is None else times.astype(float)
    share = np.bincount(below, weights=weights, minlength=k + 1) * 2.0
    np.add.at(share, below[tied] + tie, 1.0 if times is None else times[tied])
    np.subtract.at(share, below[tied], 1.0 if times is None else times[tied])
    share = np.cumsum(share[:k])
    share /= 2.0 * m
    var01 = float(np.var(share, ddof=1)) if k > 1 else math.nan
    del share
    place = below * 2.0
    place[tied] += tie
    place /= 2.0 * k
    auc = float(np.average(place, weights=weights))
    place -= auc
    np.square(place, out=place)
    var10 = float(place.sum() if weights is None else np.dot(weights, place)) / (m - 1) if m > 1 else math.nan
    return auc, var10, var01


def delong_auc(
    y_true: np.ndarray, y_score: np.ndarray, codes: np.ndarray | None = None, size: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC and the DeLong estimate of its variance per group, in O(n log n).

    ``y_true`` is boolean (positive class), ``y_score`` the score, ``codes`` the group of each
    row (0..size-1; all rows in group 0 when ``None``). Ties count one half. The AUC is NaN for
    a group without both classes, the variance NaN for a group with fewer than two of either.
    Each class's scores are sorted once; a score's placement (the share of the other class
    below it) is shared by all rows with that score, so the sums run over distinct scores.

    >>> auc, var = delong_auc(np.array([True, False, True, False]), np.array([0.9, 0.1, 0.4, 0.5]))
    >>> float(auc[0]), round(float(var[0]), 4)
    (0.75, 0.125)
    """
    y = np.asarray(y_true, dtype=bool)
    score = np.asarray(y_score, dtype=float)
    auc, var = np.full(size, np.nan), np.full(size, np.nan)
    if codes is None or size == 1:
        parts: list[Any] = [(0, y, score)]
    else:
        codes = np.asarray(codes, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        ends = np.cumsum(np.bincount(codes, minlength=size))
        parts = [(g, y[idx], score[idx]) for g, idx in enumerate(np.split(order, ends[:-1]))]
    for g, yg, sg in parts:
        pos, neg = sg[yg], sg[~yg]
        pos.sort()
        neg.sort()
        if pos.size == 0 or neg.size == 0:
            continue
        auc[g], var10, var01 = _auc_variances(pos, neg)
        if pos.size > 1 and neg.size > 1:
            var[g] = var10 / pos.size + var01 / neg.size
    return auc, var


def logit_normal_interval(value: ArrayLike, var: ArrayLike, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal interval on the logit scale, mapped back: stays inside [0, 1] near the edges.

    Vectorized; NaN where the value or the variance is undefined.
    """
    z = z_value(level)
    value = np.asarray(value, dtype=float)
    var = np.asarray(var, dtype=float)
    eps = 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.clip(value, eps, 1 - eps)
        lv = np.log(v / (1 - v))
        se = np.sqrt(var) / (v * (1 - v))
        lo, hi = special.expit(lv - z * se), special.expit(lv + z * se)
    bad = ~np.isfinite(var) | ~np.isfinite(value)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def mover_mean(
    value: ArrayLike, low: ArrayLike, high: ArrayLike, present: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over the last axis of independent estimates with their intervals (MOVER).

    The method of variance estimates recovery (Zou and Donner) turns the ends of each part's
    interval into the ends for their mean: ``mean - sqrt(sum((v - l)**2)) / K`` and
    ``mean + sqrt(sum((h - v)**2)) / K`` over the ``K`` parts ``present``. With Wilson parts it
    keeps Wilson's behaviour near 0 and 1, and it never has zero width while a part has none.

    >>> v, lo, hi = mover_mean([[1.0, 0.5]], [[0.7, 0.2]], [[1.0, 0.8]], [[True, True]])
    >>> float(v[0]), round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.75, 0.5379, 0.9)
    """
    present = np.asarray(present, dtype=bool)
    value, low, high = (np.where(present, np.asarray(x, dtype=float), 0.0) for x in (value, low, high))
    k = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(k > 0, value.sum(axis=-1) / k, np.nan)
        lo = mean - np.sqrt(((value - low) ** 2).sum(axis=-1)) / k
        hi = mean + np.sqrt(((high - value) ** 2).sum(axis=-1)) / k
    return mean, lo, hi


def newcombe_difference(
    p1: ArrayLike, l1: ArrayLike, u1: ArrayLike, p2: ArrayLike, l2: ArrayLike, u2: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for ``p1 - p2`` of independent estimates from their own intervals (Newcombe's hybrid
    score method when these are Wilson intervals); vectorized, broadcasting.

    >>> lo, hi = newcombe_difference(0.5, 0.4, 0.6, 0.3, 0.2, 0.4)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0586, 0.3414)
    """
    p1, l1, u1, p2, l2, u2 = (np.asarray(x, dtype=float) for x in (p1, l1, u1, p2, l2, u2))
    d = p1 - p2
    return d - np.hypot(p1 - l1, u2 - p2), d + np.hypot(u1 - p1, p2 - l2)


def mover_ratio(
    p1: ArrayLike, l1: ArrayLike, u1: ArrayLike, p2: ArrayLike, l2: ArrayLike, u2: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for ``p1 / p2`` of independent positive estimates from their own intervals
    (MOVER-R, Donner and Zou 2012); the upper end is ``inf`` when ``p2``'s interval reaches 0.

    >>> lo, hi = mover_ratio(0.4, 0.3, 0.5, 0.5, 0.4, 0.6)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5698, 1.0969)
    """
    p1, l1, u1, p2, l2, u2 = (np.asarray(x, dtype=float) for x in (p1, l1, u1, p2, l2, u2))
    pp = p1 * p2
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = (pp - np.sqrt(np.maximum(pp**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0.0))) / (
            u2 * (2 * p2 - u2)
        )
        hi_den = l2 * (2 * p2 - l2)
        hi = (pp + np.sqrt(np.maximum(pp**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0.0))) / hi_den
    lo = np.where(np.isfinite(lo), np.maximum(lo, 0.0), 0.0)
    hi = np.where((hi_den > 0) & np.isfinite(hi), hi, np.inf)
    bad = ~(np.isfinite(p1) & np.isfinite(p2)) | (p2 <= 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def range_quantile(k: int, level: float) -> float:
    """The ``level`` quantile of the range of ``k`` independent standard normals, divided by sqrt(2).

    The studentized-range critical value with infinite degrees of freedom: intervals
    ``d_ij +- c * se_ij`` over every pair of ``k`` independent estimates hold all at once with
    probability ``level`` (Tukey-Kramer). ``k = 2`` gives the plain two-sided normal quantile.

    >>> round(range_quantile(2, 0.95), 4), round(range_quantile(6, 0.95), 3)
    (1.96, 2.85)
    """
    return _range_quantile(int(k), round(float(level), 12))


@functools.lru_cache(maxsize=256)
def _range_quantile(k: int, level: float) -> float:
    if k < 2:
        return z_value(level)
    x = np.linspace(-9.0, 9.0, 3601)
    dx = x[1] - x[0]
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    def coverage(q: float) -> float:
        w = q * math.sqrt(2.0)
        inner = special.ndtr(x + w) - special.ndtr(x)
        return float(k * np.sum(phi * inner ** (k - 1)) * dx)

    lo, hi = 0.0, 12.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if coverage(mid) < level else (lo, mid)
    return (lo + hi) / 2


def clopper_pearson_z(k: ArrayLike, n: ArrayLike, z: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clopper_pearson` at the two-sided level of the normal quantile ``z`` (a critical value
    adjusted for many comparisons)."""
    return clopper_pearson(k, n, float(2 * special.ndtr(z) - 1))


def rows_for_tails(kurtosis: ArrayLike, tail_rows: float = TAIL_ROWS) -> np.ndarray:
    """The (effective) rows a mean needs for an interval, given the sample kurtosis of its values.

    ``max(MEAN_MIN_ROWS, t * k, t**2 * (k / t)**TAIL_POWER)`` with ``t = tail_rows``: at least
    :data:`MEAN_MIN_ROWS`, ten rows per unit of kurtosis up to a kurtosis of 10, then faster. Values whose variance is infinite (squared
    Student-t(3) errors) have a sample kurtosis that grows like the rows themselves, so a rule
    linear in the kurtosis lets a fixed share of their samples through at every size (those
    that missed the tail, whose interval then falls short of the mean); with the power, that
    share shrinks as the rows grow, while any finite kurtosis is eventually enough.

    >>> rows_for_tails(np.array([3.0, 10.0, 50.0, 250.0])).round().tolist()
    [50.0, 100.0, 997.0, 9932.0]
    """
    k = np.asarray(kurtosis, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        linear = np.maximum(tail_rows * k, MEAN_MIN_ROWS)
        return np.maximum(linear, tail_rows**2 * (np.maximum(k, 0.0) / tail_rows) ** TAIL_POWER)


def moment_mean_interval(
    moments: ArrayLike, level: float, *, tail_rows: float = TAIL_ROWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Skew-corrected interval for a (weighted) mean from six power sums per group.

    ``moments`` has shape ``(G, 6)``: ``sum w, sum w**2, sum w x, sum w x**2, sum w x**3,
    sum w x**4`` (``w = 1`` for unweighted rows; the sums may be about any shift of ``x``, the
    ends are then about the same shift). They add across partitions of the rows.

    The interval inverts Hall's (1992) skewness-removing transformation of the t statistic,
    with a Student-t quantile whose degrees of freedom ``2 n / (kurtosis - 1)`` account for
    the noise of the variance estimate on heavy tails, and a variance taken
    ``1 + TAIL_INFLATION * (kurtosis - 1) / n`` times its estimate (:data:`TAIL_INFLATION`); ``n`` is Kish's effective size
    ``(sum w)**2 / sum w**2``. Where ``n`` is under :func:`rows_for_tails` of the sample
    kurtosis (too few rows for the tails seen) or the values are all equal, the ends are NaN:
    no honest interval.

    Returns ``(mean, low, high, n_eff, rows_needed)``; ``rows_needed`` is the effective size
    at which the interval would be made (NaN where it is made).

    >>> x = np.arange(1.0, 101.0)
    >>> m = np.array([[x.size, x.size, x.sum(), (x**2).sum(), (x**3).sum(), (x**4).sum()]])
    >>> mean, lo, hi, n, need = moment_mean_interval(m, 0.95)
    >>> float(mean[0]), round(float(lo[0]), 2), round(float(hi[0]), 2), float(n[0])
    (50.5, 44.61, 56.39, 100.0)
    """
    s = np.asarray(moments, dtype=float).reshape(-1, 6)
    sw, sw2, s1, s2, s3, s4 = s.T
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m = s1 / sw
        e2, e3, e4 = s2 / sw, s3 / sw, s4 / sw
        c2 = e2 - m * m
        c3 = e3 - 3 * m * e2 + 2 * m**3
        c4 = e4 - 4 * m * e3 + 6 * m * m * e2 - 3 * m**4
        n = sw * sw / sw2
        c2 = np.where(c2 > 1e-14 * np.maximum(e2, 1e-300), c2, 0.0)
        sd = np.sqrt(c2 * n / (n - 1))
        g = c3 / c2**1.5
        kurt = np.maximum(c4 / (c2 * c2), 1.0)
        sd = sd * np.sqrt(1 + TAIL_INFLATION * (kurt - 1) / n)
        nu = np.minimum(np.where(kurt > 1, 2 * n / (kurt - 1), np.inf), n - 1)
        q = stats.t.ppf(0.5 + level / 2, np.maximum(nu, 1.0))
        ends = []
        for sign in (1.0, -1.0):
            r = sign * q / np.sqrt(n) - g / (6 * n)
            w = np.where(np.abs(g) > 1e-9, 3 / g * (np.cbrt(1 + g * r) - 1), r)
            ends.append(m - sd * w)
        need = rows_for_tails(kurt, tail_rows)
        ok = (c2 > 0) & (n >= 2) & np.isfinite(sd) & np.isfinite(g) & (n >= need)
        rows_needed = np.where(ok | ~np.isfinite(need), np.nan, np.ceil(np.maximum(need, 2.0)))
    return m, np.where(ok, ends[0], np.nan), np.where(ok, ends[1], np.nan), n, rows_needed


def _hanley_mcneil(a: np.ndarray, m: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The variance of an AUC estimate ``a`` on ``m`` positives and ``k`` negatives under Hanley and
    McNeil's exponential model (zero at 0 and 1, positive inside)."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return (a * (1 - a) + (m - 1) * (q1 - a * a) + (k - 1) * (q2 - a * a)) / (m * k)


#: The DeLong variance counts for at least this share of the exponential model's (see :func:`auc_interval`).
AUC_VARIANCE_FLOOR = 0.5


def auc_interval(
    auc: ArrayLike, var: ArrayLike, n_pos: ArrayLike, n_neg: ArrayLike, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score interval for ROC AUC: the set of ``A`` with ``|auc - A| <= q * sqrt(r * V(A))``.

    ``V(A)`` is Hanley and McNeil's variance at ``A`` (so the interval bends at 0 and 1 like a
    Wilson interval and never has zero width on a finite sample, even when every pair is
    ordered), scaled by ``r``, the ratio of DeLong's variance estimate to ``V(auc)``, at least
    :data:`AUC_VARIANCE_FLOOR` (1 where DeLong's is undefined or 0). ``q`` is the Student-t
    quantile with ``min(n_pos, n_neg) - 1`` degrees of freedom. Vectorized; NaN where a class
    is missing.

    >>> lo, hi = auc_interval(1.0, 0.0, 2, 2, 0.95)
    >>> round(float(lo[0]), 3), float(hi[0])
    (0.016, 1.0)
    >>> lo, hi = auc_interval(0.85, 0.0006, 300, 700, 0.95)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.796, 0.892)
    """
    a = np.atleast_1d(np.asarray(auc, dtype=float))
    v = np.atleast_1d(np.asarray(var, dtype=float))
    m = np.atleast_1d(np.asarray(n_pos, dtype=float))
    k = np.atleast_1d(np.asarray(n_neg, dtype=float))
    a, v, m, k = np.broadcast_arrays(a, v, m, k)
    defined = np.isfinite(a) & (m >= 1) & (k >= 1)
    a0 = np.where(defined, a, 0.5)
    m0, k0 = np.where(defined, m, 1.0), np.where(defined, k, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = v / _hanley_mcneil(a0, m0, k0)
    ratio = np.where(np.isfinite(ratio) & (v > 0), np.maximum(ratio, AUC_VARIANCE_FLOOR), 1.0)
    q = stats.t.ppf(0.5 + level / 2, np.maximum(np.minimum(m0, k0) - 1, 1.0))

    def outside(x: np.ndarray) -> np.ndarray:
        return (a0 - x) ** 2 > q * q * ratio * _hanley_mcneil(x, m0, k0)

    ends = []
    for edge in (0.0, 1.0):
        inner, outer = a0.copy(), np.full_like(a0, edge)
        reach = ~outside(outer)
        for _ in range(60):
            mid = (inner + outer) / 2
            out = outside(mid)
            outer, inner = np.where(out, mid, outer), np.where(out, inner, mid)
        ends.append(np.where(reach, edge, (inner + outer) / 2))
    return np.where(defined, ends[0], np.nan), np.where(defined, ends[1], np.nan)
