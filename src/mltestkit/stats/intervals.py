"""Confidence intervals: Wilson and Clopper-Pearson for proportions, DeLong for ROC AUC,
and seeded, vectorized bootstraps (over confusion cells, or over rows).

All functions take a two-sided ``level`` (0.95 by default elsewhere); the lower end of
a two-sided 95% interval is a one-sided 97.5% bound, which is what the gates use.

Examples
--------
>>> low, high = wilson(90, 100, 0.95)
>>> round(float(low), 4), round(float(high), 4)
(0.8256, 0.9448)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special, stats

ArrayLike = Any

#: Rows times replicates above which a row bootstrap of a mean switches to the normal interval.
ROW_BOOTSTRAP_BUDGET = 50_000_000


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


def mean_interval(
    values: np.ndarray, *, level: float, n_boot: int, rng: np.random.Generator
) -> tuple[float, float, str]:
    """Interval for the mean of per-row values: BCa bootstrap, or normal for large inputs.

    Returns ``(low, high, method)``. The bootstrap resamples rows in chunks and corrects the
    percentile ends for bias and skewness (BCa, ``method == "bootstrap-bca"``): per-row losses
    are skewed, and plain percentile ends of their mean miss on the long-tail side more often
    than the level says. Above :data:`ROW_BOOTSTRAP_BUDGET` rows x replicates the sampling
    distribution of a mean is normal to within rounding and the normal interval is used
    (``method == "normal"``).
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n * n_boot > ROW_BOOTSTRAP_BUDGET:
        mean = float(values.mean())
        se = float(values.std(ddof=1) / np.sqrt(n))
        z = z_value(level)
        return mean - z * se, mean + z * se, "normal"
    reps = row_bootstrap(lambda idx: values[idx].mean(axis=1), n, n_boot=n_boot, rng=rng)
    low, high = _bca_mean_ends(values, reps, level)
    return low, high, "bootstrap-bca"


def _bca_mean_ends(values: np.ndarray, replicates: np.ndarray, level: float) -> tuple[float, float]:
    """BCa ends from bootstrap replicates of the mean of ``values``.

    The bias correction is the normal quantile of the share of replicates below the mean (ties
    count one half); the acceleration of a mean has the closed form
    ``sum(d**3) / (6 * sum(d**2) ** 1.5)`` with ``d = values - mean`` (its jackknife value).
    Falls back to the percentile ends when the correction is undefined (constant values).
    """
    d = values - values.mean()
    ss = float(np.sum(d * d))
    finite = replicates[np.isfinite(replicates)]
    if ss <= 0 or finite.size == 0:
        return percentile_interval(replicates, level)
    accel = float(np.sum(d**3) / (6 * np.float64(ss) ** 1.5))
    if not np.isfinite(accel) or not np.isfinite(values.mean()):
        return percentile_interval(replicates, level)
    below = (np.sum(finite < values.mean()) + 0.5 * np.sum(finite == values.mean())) / finite.size
    z0 = special.ndtri(np.clip(below, 0.5 / finite.size, 1 - 0.5 / finite.size))
    z = z0 + special.ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    denom = 1 - accel * z
    if np.any(denom <= 0):
        return percentile_interval(replicates, level)
    low, high = np.quantile(finite, special.ndtr(z0 + z / denom))
    return float(low), float(high)


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


def delong_auc(
    y_true: np.ndarray, y_score: np.ndarray, codes: np.ndarray | None = None, size: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC and the DeLong estimate of its variance per group, in O(n log n).

    ``y_true`` is boolean (positive class), ``y_score`` the score, ``codes`` the group of each
    row (0..size-1; all rows in group 0 when ``None``). Ties count one half. The AUC is NaN for
    a group without both classes, the variance NaN for a group with fewer than two of either.
    A group's figures depend on its own rows only, in their order.

    >>> auc, var = delong_auc(np.array([True, False, True, False]), np.array([0.9, 0.1, 0.4, 0.5]))
    >>> float(auc[0]), round(float(var[0]), 4)
    (0.75, 0.125)
    """
    y = np.asarray(y_true, dtype=bool)
    score = np.asarray(y_score, dtype=float)
    codes = np.zeros(y.size, np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    pos_rows, neg_rows = codes[y], codes[~y]
    m = np.bincount(pos_rows, minlength=size).astype(float)
    k = np.bincount(neg_rows, minlength=size).astype(float)
    ranks = grouped_ranks(codes, score)
    # placement values: share of the other class below each score (ties count 1/2)
    v10 = (ranks[y] - grouped_ranks(pos_rows, score[y])) / np.maximum(k[pos_rows], 1)
    v01 = 1.0 - (ranks[~y] - grouped_ranks(neg_rows, score[~y])) / np.maximum(m[neg_rows], 1)
    auc, var10 = _grouped_mean_var(pos_rows, size, v10)
    _, var01 = _grouped_mean_var(neg_rows, size, v01)
    defined = (m > 0) & (k > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where((m > 1) & (k > 1), var10 / m + var01 / k, np.nan)
    return np.where(defined, auc, np.nan), var


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
