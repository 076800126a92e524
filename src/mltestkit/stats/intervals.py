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


def delong_auc(y_true: np.ndarray, y_score: np.ndarray) -> tuple[float, float]:
    """ROC AUC and the DeLong estimate of its variance, in O(n log n).

    ``y_true`` is boolean (positive class), ``y_score`` the score. Ties count one half.
    """
    pos = y_score[y_true]
    neg = y_score[~y_true]
    m, k = pos.size, neg.size
    ranks_all = stats.rankdata(np.concatenate([pos, neg]))
    ranks_pos = stats.rankdata(pos)
    ranks_neg = stats.rankdata(neg)
    # placement values: share of the other class below each score (ties count 1/2)
    v10 = (ranks_all[:m] - ranks_pos) / k
    v01 = 1.0 - (ranks_all[m:] - ranks_neg) / m
    auc = float(v10.mean())
    var = float(v10.var(ddof=1) / m + v01.var(ddof=1) / k) if m > 1 and k > 1 else float("nan")
    return auc, var


def logit_normal_interval(value: float, var: float, level: float) -> tuple[float, float]:
    """Normal interval on the logit scale, mapped back: stays inside [0, 1] near the edges."""
    z = z_value(level)
    if not np.isfinite(var):
        return float("nan"), float("nan")
    eps = 1e-12
    v = min(max(value, eps), 1 - eps)
    lv = np.log(v / (1 - v))
    se = np.sqrt(var) / (v * (1 - v))
    lo, hi = special.expit(lv - z * se), special.expit(lv + z * se)
    return float(lo), float(hi)
