"""Rank statistics of a table, computed by its engine: ROC AUC and DeLong's variance per group.

The engine groups the rows by (group, score) into positives and negatives, then, in score order
within each group (a window over the distinct scores only), counts the negatives below and the
positives above each score. A positive's DeLong placement is the share of negatives below its
score (ties count one half), a negative's the share of positives above; their sums and sums of
squares per group give the AUC and its variance exactly, the same figures as
:func:`mltestkit.stats.intervals.delong_auc` on the rows. What is collected is a handful of sums
per group.

With ``bins=B`` the scores are first cut into ``B`` equal-width bins between their minimum and
maximum (for an engine where ordering all distinct scores is costly): pairs of a positive and a
negative in one bin then count one half, so the AUC moves by at most
``sum_b pos_b * neg_b / (2 * P * N)``, which :attr:`RankSums.bound` states per group (zero when
the scores are used as they are).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from mltestkit.tables import open_table
>>> frame = pd.DataFrame({"y": [1, 0, 1, 0], "s": [0.9, 0.1, 0.4, 0.5]})
>>> sums = rank_sums(open_table(frame), [], "y", 1, "s")
>>> auc, var = sums.delong()
>>> float(auc[0]), round(float(var[0]), 4), float(sums.bound[0])
(0.75, 0.125, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .pushdown import PREFIX, collect, nw_module, to_numpy

_SUMS = ("pos", "neg", "s10", "q10", "s01", "q01", "ties")


@dataclass(frozen=True)
class RankSums:
    """Per group: positives ``pos``, negatives ``neg``, sums ``s10``/``q10`` of the positives'
    placement numerators (negatives below + half the tied ones) and of their squares, the same
    ``s01``/``q01`` for the negatives (positives above), and ``bound``, the largest change of the
    AUC that binning the scores can cause. ``keys`` holds the group columns' values."""

    keys: dict[str, np.ndarray]
    pos: np.ndarray
    neg: np.ndarray
    s10: np.ndarray
    q10: np.ndarray
    s01: np.ndarray
    q01: np.ndarray
    bound: np.ndarray

    def delong(self) -> tuple[np.ndarray, np.ndarray]:
        """ROC AUC and DeLong's variance per group (NaN where undefined, as in ``delong_auc``)."""
        m, k = self.pos.astype(float), self.neg.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = self.s10 / (m * k)
            var10 = (self.q10 / k**2 - m * auc**2) / (m - 1)
            var01 = (self.q01 / m**2 - k * auc**2) / (k - 1)
            var = np.where((m > 1) & (k > 1), np.maximum(var10, 0) / m + np.maximum(var01, 0) / k, np.nan)
        return np.where((m > 0) & (k > 0), auc, np.nan), var


def rank_sums(
    lf: Any,
    groups: Sequence[str],
    label: str,
    positive: Any,
    score: str,
    *,
    bins: int | None = None,
    low: float | None = None,
    high: float | None = None,
) -> RankSums:
    """DeLong's sufficient statistics per group, computed by the engine of ``lf``.

    ``label == positive`` marks the positive rows (every row counts once: the AUC takes no
    sample weights, as in memory); ``bins`` cuts the scores into equal-width bins over
    ``[low, high]`` first (see the module).
    """
    nw = nw_module()
    p = PREFIX
    groups = list(groups)
    is_pos = (nw.col(label) == positive).cast(nw.Float64)
    s = nw.col(score).cast(nw.Float64)
    if bins is not None:
        lo, hi = float(low if low is not None else 0.0), float(high if high is not None else 1.0)
        scale = bins / (hi - lo) if hi > lo else 0.0
        s = ((s - lo) * scale).floor().clip(0, bins - 1)
    keys = groups or [p + "all"]
    base = lf.select(
        *(groups or [nw.lit(0, nw.Int64).alias(p + "all")]),
        s.alias(p + "s"),
        is_pos.alias(p + "p"),
        (1 - is_pos).alias(p + "n"),
    )
    cells = base.group_by(*keys, p + "s", drop_null_keys=False).agg(
        nw.col(p + "p").sum().alias(p + "pos"), nw.col(p + "n").sum().alias(p + "neg")
    )
    total_pos = nw.col(p + "pos").sum().over(*keys)
    cum_pos = nw.col(p + "pos").cum_sum().over(*keys, order_by=p + "s")
    cum_neg = nw.col(p + "neg").cum_sum().over(*keys, order_by=p + "s")
    pos, neg = nw.col(p + "pos"), nw.col(p + "neg")
    placed = cells.with_columns(
        (cum_neg - neg + neg / 2).alias(p + "a"), (total_pos - cum_pos + pos / 2).alias(p + "b")
    ).with_columns(
        (pos * nw.col(p + "a")).alias(p + "s10"),
        (pos * nw.col(p + "a") ** 2).alias(p + "q10"),
        (neg * nw.col(p + "b")).alias(p + "s01"),
        (neg * nw.col(p + "b") ** 2).alias(p + "q01"),
        (pos * neg if bins is not None else pos * 0).alias(p + "ties"),
    )
    aggs = [nw.col(p + c).sum().alias(p + c) for c in _SUMS]
    table = collect(placed.group_by(*keys, drop_null_keys=False).agg(*aggs))
    values = {g: to_numpy(table.column(g)) for g in groups}
    sums = {c: to_numpy(table.column(p + c)).astype(float) for c in _SUMS}
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = np.where(sums["pos"] * sums["neg"] > 0, sums["ties"] / (2 * sums["pos"] * sums["neg"]), 0.0)
    return RankSums(
        values,
        np.rint(sums["pos"]).astype(np.int64),
        np.rint(sums["neg"]).astype(np.int64),
        sums["s10"],
        sums["q10"],
        sums["s01"],
        sums["q01"],
        bound,
    )
