"""Quantiles of values repeated by their counts, equal to ``numpy.quantile`` of the repeated rows.

A column of integers, or a table's distinct values with their counts, needs no array of its rows:
the rank of each quantile falls in the run of one value, found in the cumulative counts.

>>> quantiles_of_counts(np.array([1.0, 2.0, 5.0]), np.array([2, 1, 1]), [0.0, 0.5, 1.0]).tolist()
[1.0, 1.5, 5.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def quantile_ranks(n: int, qs: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 0-based ranks below and above each quantile ``qs`` of ``n`` sorted values, and the
    weight of the upper one (linear interpolation, numpy's default).

    >>> [v.tolist() for v in quantile_ranks(5, [0.5, 0.6])]
    [[2, 2], [3, 3], [0.0, 0.3999999999999999]]
    """
    h = (n - 1) * np.asarray(qs, dtype=float)
    low = np.floor(h).astype(np.int64)
    return low, np.minimum(low + 1, n - 1), h - low


def lerp(below: np.ndarray, above: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``below + (above - below) * weight``, computed from the nearer end as numpy's quantiles do.

    >>> lerp(np.array([1.0, 2.0]), np.array([2.0, 2.0]), np.array([0.5, 0.0])).tolist()
    [1.5, 2.0]
    """
    diff = above - below
    out = np.where(weight >= 0.5, above - diff * (1 - weight), below + diff * weight)
    return np.where(diff == 0, below, out)


def quantiles_of_counts(
    values: np.ndarray, counts: np.ndarray, qs: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Linear quantiles ``qs`` of sorted distinct ``values`` each repeated ``counts`` times:
    ``numpy.quantile(numpy.repeat(values, counts), qs)`` without the repeated array."""
    ends = np.cumsum(counts)
    low, high, weight = quantile_ranks(int(ends[-1]), qs)
    at = values.astype(float)
    return lerp(
        at[np.searchsorted(ends, low, side="right")], at[np.searchsorted(ends, high, side="right")], weight
    )
