"""Metrics per slice of the data, with intervals and gates: :func:`check_slices`.

The engine factorizes the slice columns (categorical values as they are, numeric columns in
bins, missing values as their own group ``"(missing)"``), combines slice, true-label and
predicted-label codes into one integer and counts them with a single ``np.bincount``. Every
count-based metric and its interval come from those per-slice confusion counts, which add
across partitions of the data: :func:`slice_counts` on each part and :func:`merge` give exactly
the counts of the whole. Score metrics (``roc_auc``, ``log_loss``, ``brier``, ``mae``, ``mape``,
``rmse``) are computed per slice by sorting and grouped sums, without a loop over rows.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_slices
>>> rng = np.random.default_rng(0)
>>> group = np.repeat(["a", "b", "c"], 400)
>>> y = rng.integers(0, 2, 1200)
>>> pred = np.where(rng.random(1200) < 0.9, y, 1 - y)
>>> r = check_slices("accuracy", y, pred, by={"group": group}, min=0.8)
>>> r.outcome.value, [m.slice["group"] for m in r.metrics]
('passed', ['a', 'b', 'c'])
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from .._validate import as_1d, as_rng, encode_labels, positive_index, same_length, validate_n_boot
from ..errors import InputError
from ..metrics import (
    LABELS,
    METRICS,
    PROPORTIONS,
    SCORES,
    count_metric,
    get_metric,
    proportion_counts,
    row_losses,
)
from ..results import CheckResult, Interval, MetricValue, Outcome, Threshold, worst
from ..stats import intervals as iv
from ..stats.multiplicity import holm
from ..stats.requirement import gate, thresholds_from, validate_level, validate_rule

#: Label of the group of rows whose slice value is missing.
MISSING = "(missing)"
#: Numeric columns with more distinct values than this are binned (by quantiles unless ``bins=``).
MAX_LEVELS = 10
#: Quantile bins of a numeric column when ``bins=`` does not say otherwise.
DEFAULT_BINS = 4
#: Rows of the slice table kept in ``details`` (all slices are in ``metrics``).
TABLE_ROWS = 500
#: Score metrics computed per slice, and how.
SCORE_METRICS = ("roc_auc", "log_loss", "brier", "mae", "mape", "rmse")
_BINARY = {"precision", "recall", "specificity", "fpr", "fnr", "selection_rate", "f1"}
_UNDEFINED = {
    "precision": "no predicted positives in the slice",
    "recall": "no positive rows in the slice",
    "fnr": "no positive rows in the slice",
    "specificity": "no negative rows in the slice",
    "fpr": "no negative rows in the slice",
    "f1": "no positive rows and no predicted positives in the slice",
    "roc_auc": "the slice has a single class",
}

Key = tuple[tuple[str, Any], ...]


# ---------------------------------------------------------------- slice keys


def _label(x: float) -> str:
    return f"{x:g}"


def _column_codes(name: str, col: Any, bins: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes 0..L-1 per row and the L labels of one slice column."""
    import pandas as pd

    s = col if isinstance(col, pd.Series) else pd.Series(np.asarray(col))
    missing = s.isna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        labels = list(s.cat.categories.tolist())
    elif numeric and (bins is not None or s.nunique() > MAX_LEVELS):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        codes, labels = _bin(name, x, missing, DEFAULT_BINS if bins is None else bins)
    else:
        try:
            codes, uniques = pd.factorize(s, sort=True)
        except TypeError:  # mixed types in an object column: compare them as text
            codes, uniques = pd.factorize(s.where(missing, s.astype(str)), sort=True)
        codes = np.asarray(codes, dtype=np.int64)
        labels = list(uniques.tolist()) if hasattr(uniques, "tolist") else list(uniques)
    if missing.any():
        codes = np.where(missing, len(labels), codes)
        labels.append(MISSING)
    return codes, labels


def _bin(name: str, x: np.ndarray, missing: np.ndarray, bins: Any) -> tuple[np.ndarray, list[Any]]:
    finite = x[~missing]
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise InputError("bins", f"must be >= 1 for {name!r}, got {bins}", "pass e.g. bins=4")
        edges = (
            np.unique(np.quantile(finite, np.linspace(0, 1, int(bins) + 1))) if finite.size else np.zeros(1)
        )
        inner = edges[1:-1]
        codes = np.searchsorted(inner, np.where(missing, edges[0], x), side="right")
        ends = [*edges[:-1], edges[-1]] if edges.size > 1 else [edges[0], edges[0]]
        labels: list[Any] = [
            f"[{_label(ends[i])}, {_label(ends[i + 1])}{']' if i == len(ends) - 2 else ')'}"
            for i in range(len(ends) - 1)
        ]
        return codes.astype(np.int64), labels
    try:
        edges = np.asarray(bins, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        edges = np.array([np.nan])
    if edges.size == 0 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise InputError(
            "bins",
            f"for {name!r} must be a number of quantile bins or increasing finite edges, got {bins!r}",
            "pass e.g. bins=4 or bins=[0, 30, 40, 60]",
        )
    codes = np.searchsorted(edges, np.where(missing, edges[0], x), side="right")
    labels = [f"< {_label(edges[0])}"]
    labels += [f"[{_label(a)}, {_label(b)})" for a, b in itertools.pairwise(edges)]
    labels.append(f">= {_label(edges[-1])}")
    return codes.astype(np.int64), labels


def slice_columns(by: Any, n: int) -> dict[str, Any]:
    """The slice columns as name -> column, each of length ``n``."""
    import pandas as pd

    if by is None:
        raise InputError("by", "is None", "pass a DataFrame, a dict of named arrays, or one array")
    cols: dict[str, Any]
    if isinstance(by, pd.DataFrame):
        cols = {str(c): by[c] for c in by.columns}
    elif isinstance(by, pd.Series):
        cols = {str(by.name) if by.name is not None else "slice": by}
    elif isinstance(by, Mapping):
        cols = {str(k): v for k, v in by.items()}
    else:
        arr = np.asarray(by)
        if arr.ndim != 1:
            raise InputError(
                "by",
                f"has shape {arr.shape}",
                "pass a DataFrame or a dict of named columns for several slice columns",
            )
        cols = {"slice": arr}
    if not cols:
        raise InputError("by", "has no columns", "pass at least one slice column")
    for name, col in cols.items():
        length = len(col) if hasattr(col, "__len__") else -1
        if length != n:
            raise InputError(
                "by",
                f"column {name!r} has {length} rows but y_true has {n}",
                "pass slice columns with one entry per row",
            )
    return cols


def _combos(names: list[str], depth: int, combos: Any) -> list[tuple[str, ...]]:
    if combos is not None:
        out = []
        for c in combos:
            t = (c,) if isinstance(c, str) else tuple(c)
            unknown = [x for x in t if x not in names]
            if not t or unknown:
                raise InputError(
                    "combos", f"names unknown slice columns {unknown or t!r}", f"use columns of by: {names}"
                )
            out.append(t)
        return out
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise InputError("depth", f"must be an int >= 1, got {depth!r}", "pass e.g. depth=2 for all pairs")
    return [c for d in range(1, min(depth, len(names)) + 1) for c in itertools.combinations(names, d)]


@dataclass(frozen=True)
class _Slicing:
    """Rows grouped by the values of some slice columns."""

    columns: tuple[str, ...]
    codes: np.ndarray  # slice code per row, 0..S-1
    keys: list[Key]  # one key per slice


def coded_columns(by: Any, n: int, *, bins: Any = None) -> dict[str, tuple[np.ndarray, list[Any]]]:
    """Each slice column factorized once: name -> (code per row, labels)."""
    cols = slice_columns(by, n)
    bins_of = bins if isinstance(bins, Mapping) else dict.fromkeys(cols, bins)
    unknown = [k for k in bins_of if k not in cols]
    if unknown:
        raise InputError("bins", f"names unknown slice columns {unknown}", f"use columns of by: {list(cols)}")
    return {name: _column_codes(name, col, bins_of.get(name)) for name, col in cols.items()}


def combined_codes(
    coded: Mapping[str, tuple[np.ndarray, list[Any]]], combo: tuple[str, ...]
) -> tuple[np.ndarray, int]:
    """One code per row for the combination of columns ``combo`` (mixed radix), and the number of codes."""
    combined = np.zeros(len(coded[combo[0]][0]), dtype=np.int64)
    for name in combo:
        combined = combined * len(coded[name][1]) + coded[name][0]
    return combined, math.prod(len(coded[name][1]) for name in combo)


def combined_keys(
    coded: Mapping[str, tuple[np.ndarray, list[Any]]], combo: tuple[str, ...], codes: np.ndarray
) -> list[Key]:
    """The slice keys of combined codes (the inverse of :func:`combined_codes`)."""
    digits = []
    rest = np.asarray(codes, dtype=np.int64)
    for name in reversed(combo):
        size = len(coded[name][1])
        digits.append(rest % size)
        rest = rest // size
    digits.reverse()
    labels = [coded[name][1] for name in combo]
    return [
        tuple((name, lab[int(d[i])]) for name, lab, d in zip(combo, labels, digits, strict=True))
        for i in range(len(codes))
    ]


def slicings(by: Any, n: int, *, bins: Any = None, depth: int = 1, combos: Any = None) -> list[_Slicing]:
    """Factorize the slice columns once and build every requested slicing (columns and their combinations)."""
    coded = coded_columns(by, n, bins=bins)
    out = []
    for combo in _combos(list(coded), depth, combos):
        if len(combo) == 1:
            codes, labels = coded[combo[0]]
            out.append(_Slicing(combo, codes, [((combo[0], lab),) for lab in labels]))
            continue
        combined, levels = combined_codes(coded, combo)
        if levels <= 4 * n + 1024:  # the product of levels is small: count instead of sorting
            present = np.flatnonzero(np.bincount(combined, minlength=levels))
            lookup = np.zeros(levels, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            codes = lookup[combined]
        else:
            present, codes = np.unique(combined, return_inverse=True)
        out.append(_Slicing(combo, codes.reshape(-1).astype(np.int64), combined_keys(coded, combo, present)))
    return out


# ---------------------------------------------------------------- additive counts


@dataclass(frozen=True)
class SliceCounts:
    """Confusion counts per slice: ``counts[s, i, j]`` rows of slice ``keys[s]`` with true class
    ``classes[i]`` predicted as ``classes[j]``. Counts add across partitions (see :func:`merge`)."""

    keys: tuple[Key, ...]
    classes: tuple[Any, ...]
    counts: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self.counts.sum(axis=(1, 2)))


def confusion_by_slice(codes: np.ndarray, size: int, t: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    return np.bincount((codes * k + t) * k + p, minlength=size * k * k).reshape(size, k, k)


def slice_counts(
    y_true: Any, y_pred: Any, *, by: Any, bins: Any = None, depth: int = 1, combos: Any = None
) -> SliceCounts:
    """Per-slice confusion counts of labelled data, ready to :func:`merge` with other partitions.

    Quantile bins depend on the data; pass explicit edges (``bins=[...]``) when the counts of
    several partitions are to be merged.

    Examples
    --------
    >>> c = slice_counts([1, 0, 1, 1], [1, 0, 0, 1], by={"g": ["a", "a", "b", "b"]})
    >>> c.keys, c.counts[1].tolist()
    (((('g', 'a'),), (('g', 'b'),)), [[0, 0], [1, 1]])
    """
    yt = as_1d(y_true, "y_true")
    yp = as_1d(y_pred, "y_pred")
    same_length(yt, "y_true", yp, "y_pred")
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    k = len(classes)
    keys: list[Key] = []
    parts = []
    for sl in slicings(by, len(yt), bins=bins, depth=depth, combos=combos):
        parts.append(confusion_by_slice(sl.codes, len(sl.keys), t, p, k))
        keys.extend(sl.keys)
    return SliceCounts(tuple(keys), tuple(classes.tolist()), np.concatenate(parts).astype(np.int64))


def merge(*parts: SliceCounts) -> SliceCounts:
    """Add the slice counts of several partitions of the data: the result equals the counts of
    the whole (slices and classes are aligned by their keys and labels).

    Examples
    --------
    >>> a = slice_counts([1, 0], [1, 1], by={"g": ["x", "y"]})
    >>> b = slice_counts([2, 0], [2, 0], by={"g": ["y", "z"]})
    >>> m = merge(a, b)
    >>> [dict(k)["g"] for k in m.keys], m.classes, int(m.counts.sum())
    (['x', 'y', 'z'], (0, 1, 2), 4)
    """
    if not parts or not all(isinstance(x, SliceCounts) for x in parts):
        raise InputError("parts", "must be one or more SliceCounts", "pass the results of slice_counts(...)")
    classes = tuple(sorted({c for x in parts for c in x.classes}, key=lambda v: (str(type(v)), v)))
    keys = list(dict.fromkeys(k for x in parts for k in x.keys))
    kindex = {k: i for i, k in enumerate(keys)}
    cindex = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(keys), len(classes), len(classes)), dtype=np.int64)
    for x in parts:
        rows = np.array([kindex[k] for k in x.keys], dtype=np.int64)
        cls = np.array([cindex[c] for c in x.classes], dtype=np.int64)
        np.add.at(out, (rows[:, None, None], cls[None, :, None], cls[None, None, :]), x.counts)
    return SliceCounts(tuple(keys), classes, out)


# ---------------------------------------------------------------- per-slice estimates


@dataclass
class SliceEstimates:
    """Values, intervals and one-sided p-value inputs of one metric for every slice (arrays of length S)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray  # observations the figure rests on
    method: str
    successes: np.ndarray | None = None  # for proportions: exact binomial p-values


def count_estimates(
    name: str, cm: np.ndarray, pos: int, level: float, n_boot: int, rng: np.random.Generator
) -> SliceEstimates:
    """A count-based metric with its interval for confusion counts of shape (S, K, K)."""
    value = count_metric(name, cm, pos)
    if name in PROPORTIONS:
        k, trials = proportion_counts(name, cm, pos)
        low, high = iv.wilson(k, trials, level)
        return SliceEstimates(value, low, high, np.asarray(trials), "wilson", np.asarray(k))
    s, kk = cm.shape[0], cm.shape[1] * cm.shape[2]
    flat = cm.reshape(s, kk)
    rows = flat.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = np.where(rows[:, None] > 0, flat / np.maximum(rows, 1)[:, None], 1.0 / kk)
    draws = rng.multinomial(rows, probs, size=(n_boot, s)).reshape(n_boot, *cm.shape)
    reps = count_metric(name, draws, pos)
    low, high = _percentiles(reps, level)
    degenerate = ~np.isfinite(low) | (high - low <= 0)
    if degenerate.any():  # e.g. a perfect slice: Wilson on the value as a share of the rows
        wl, wh = iv.wilson(np.round(np.nan_to_num(value) * rows), rows, level)
        low, high = np.where(degenerate, wl, low), np.where(degenerate, wh, high)
    return SliceEstimates(value, low, high, rows, "bootstrap-cells")


def _percentiles(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column percentile interval of replicates (B, S), ignoring undefined replicates."""
    alpha = 1 - level
    ordered = np.sort(reps, axis=0)  # NaN last
    m = np.isfinite(ordered).sum(axis=0)
    out = []
    for q in (alpha / 2, 1 - alpha / 2):
        pos = q * np.maximum(m - 1, 0)
        lo, frac = np.floor(pos).astype(np.int64), pos - np.floor(pos)
        hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
        a = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        out.append(np.where(m > 0, a + frac * (b - a), np.nan))
    return out[0], out[1]


def grouped_ranks(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) of ``values`` within each group."""
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


def _grouped_mean_var(
    codes: np.ndarray, size: int, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cnt = np.bincount(codes, minlength=size).astype(float)
    s1 = np.bincount(codes, weights=x, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / cnt
        s2 = np.bincount(codes, weights=(x - mean[codes]) ** 2, minlength=size)
        var = s2 / (cnt - 1)
    return cnt, mean, var


def score_estimates(
    name: str, codes: np.ndarray, size: int, y: np.ndarray, score: np.ndarray, level: float
) -> SliceEstimates:
    """A score metric per slice: DeLong for ``roc_auc``, a normal interval for mean losses."""
    z = iv.z_value(level)
    if name == "roc_auc":
        pos_rows = codes[y]
        neg_rows = codes[~y]
        m = np.bincount(pos_rows, minlength=size).astype(float)
        k = np.bincount(neg_rows, minlength=size).astype(float)
        ranks = grouped_ranks(codes, score)
        v10 = (ranks[y] - grouped_ranks(pos_rows, score[y])) / np.maximum(k[pos_rows], 1)
        v01 = 1.0 - (ranks[~y] - grouped_ranks(neg_rows, score[~y])) / np.maximum(m[neg_rows], 1)
        _, auc, var10 = _grouped_mean_var(pos_rows, size, v10)
        _, _, var01 = _grouped_mean_var(neg_rows, size, v01)
        defined = (m > 0) & (k > 0)
        auc = np.where(defined, auc, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(var10 / m + var01 / k)
            v = np.clip(auc, 1e-12, 1 - 1e-12)
            logit, se_logit = np.log(v / (1 - v)), se / (v * (1 - v))
            low = 1 / (1 + np.exp(-(logit - z * se_logit)))
            high = 1 / (1 + np.exp(-(logit + z * se_logit)))
        return SliceEstimates(auc, low, high, m + k, "delong")
    losses = row_losses(name, y.astype(float) if y.dtype == bool else y, score)
    cnt, mean, var = _grouped_mean_var(codes, size, losses)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(var / cnt)
    low, high = mean - z * se, mean + z * se
    if name == "rmse":
        mean, low, high = np.sqrt(mean), np.sqrt(np.maximum(low, 0)), np.sqrt(np.maximum(high, 0))
    return SliceEstimates(mean, low, high, cnt, "normal")


def one_sided_p(est: SliceEstimates, t: Threshold, level: float) -> np.ndarray:
    """p-value per slice of "the requirement holds" (small when the slice is surely on the wrong side)."""
    if est.successes is not None:
        k, n = est.successes, est.n
        if t.op == ">=":
            return np.asarray(stats.binom.cdf(k, n, t.value))
        return np.asarray(stats.binom.sf(k - 1, n, t.value))
    se = (est.high - est.low) / (2 * iv.z_value(level))
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = (est.value - t.value) / se
    zs = np.where(se > 0, zs, np.where(est.value == t.value, 0.0, np.sign(est.value - t.value) * np.inf))
    return np.asarray(stats.norm.cdf(zs) if t.op == ">=" else stats.norm.sf(zs))


# ---------------------------------------------------------------- the check


def _fmt_key(key: Key) -> str:
    return ", ".join(f"{c}={v}" for c, v in key)


def check_slices(
    metric: str | Sequence[str],
    y_true: Any = None,
    y_pred: Any = None,
    *,
    by: Any = None,
    y_score: Any = None,
    counts: SliceCounts | None = None,
    min: float | None = None,
    max: float | None = None,
    min_size: int = 30,
    bins: Any = None,
    depth: int = 1,
    combos: Any = None,
    pos_label: Any = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
) -> CheckResult:
    """Measure metrics on every slice of the data, with intervals, and gate each slice.

    Parameters
    ----------
    metric:
        A metric name (or a list of names): the count-based ones of :data:`~mltestkit.metrics.METRICS`
        or one of :data:`SCORE_METRICS`.
    y_true, y_pred:
        True and predicted labels (or values for ``mae``, ``mape``, ``rmse``).
    by:
        The slice columns: a DataFrame, a dict of named arrays, a Series or one array.
        Categorical values are used as they are; numeric columns with more than
        :data:`MAX_LEVELS` distinct values are binned; missing values form the group ``"(missing)"``.
    y_score:
        Positive-class scores for ``roc_auc``, ``log_loss`` and ``brier``.
    counts:
        Instead of ``y_true``/``y_pred``/``by``: merged :class:`SliceCounts` (count-based metrics only).
    min, max:
        The requirement every slice must meet. Without one, the slices are only reported.
    min_size:
        Slices with fewer rows are reported as ``skipped`` ("n < min_size"), neither passed nor failed.
    bins:
        For numeric slice columns: a number of quantile bins, a list of edges, or a dict
        column -> either of those.
    depth, combos:
        Which slicings: every combination of up to ``depth`` columns (default 1: each column
        alone), or an explicit list of column names and tuples of names, e.g. ``["sex", ("sex", "race")]``.
    pos_label:
        The positive class for one-class metrics when labels are not 0/1.
    rule:
        ``acceptance`` judges each slice's own one-sided bound. ``alarm`` fails a slice only when
        it is significantly on the wrong side after Holm's correction across all gated slices,
        which keeps the chance of any false alarm at ``(1 - confidence) / 2``. ``point`` compares estimates.
    confidence, n_boot, seed:
        Interval level; bootstrap replicates and seed for ``f1`` and ``balanced_accuracy``.
    name:
        Name of the check in the report.

    Returns
    -------
    CheckResult
        Kind ``"slice"``, one :class:`~mltestkit.results.MetricValue` per slice and metric (with
        ``slice={column: value}``); ``details`` holds the table, the overall values, the worst
        slice with its gap to the overall value, and whether Holm's correction was applied.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"sex": ["F", "M"] * 300, "age": list(range(20, 80)) * 10})
    >>> y = [1, 0, 1] * 200
    >>> r = check_slices("recall", y, y, by=frame, min=0.9, bins={"age": [40, 60]})
    >>> [m.slice for m in r.metrics][2:]
    [{'age': '< 40'}, {'age': '[40, 60)'}, {'age': '>= 60'}]
    """
    rule = validate_rule(rule)
    level = validate_level(confidence)
    n_boot = validate_n_boot(n_boot)
    rng = as_rng(seed)
    thresholds = thresholds_from(min, max)
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise InputError("min_size", f"must be an int >= 0, got {min_size!r}", "pass e.g. min_size=30")
    names = [metric] if isinstance(metric, str) else list(metric)
    if not names:
        raise InputError("metric", "is an empty list", "pass a metric name such as 'accuracy'")
    metrics = [get_metric(m) for m in names]
    for m in metrics:
        if m.input != LABELS and m.name not in SCORE_METRICS:
            raise InputError(
                "metric",
                f"{m.name} is not available per slice",
                f"use a count-based metric or one of {', '.join(SCORE_METRICS)}",
            )

    rows: list[tuple[Key, str, SliceEstimates, int, np.ndarray]] = []  # per slicing and metric
    overall: dict[str, float | None] = {}
    if counts is not None:
        if not isinstance(counts, SliceCounts):
            raise InputError(
                "counts", f"must be SliceCounts, got {type(counts).__name__}", "use slice_counts()"
            )
        if y_true is not None or y_pred is not None or by is not None:
            raise InputError("counts", "was given together with y_true/y_pred/by", "pass one or the other")
        bad = [m.name for m in metrics if m.input != LABELS]
        if bad:
            raise InputError(
                "metric", f"{bad[0]} needs row-level scores, not counts", "pass y_true and y_score"
            )
        classes = np.asarray(counts.classes, dtype=object)
        groups = _runs(counts)
        total = groups[0][1].sum(axis=0)
    else:
        yt = as_1d(y_true, "y_true")
        slicing_list = slicings(by, len(yt), bins=bins, depth=depth, combos=combos)
        needs_labels = any(m.input == LABELS for m in metrics)
        classes, t, p = _labels(yt, y_pred, y_score, needs_labels, metrics)
        k = len(classes)
        groups = []
        for sl in slicing_list:
            groups.append((sl.keys, confusion_by_slice(sl.codes, len(sl.keys), t, t if p is None else p, k)))
        total = groups[0][1].sum(axis=0)

    for m in metrics:
        pos = _pos(m.name, classes, pos_label) if (m.name in _BINARY or m.input == SCORES) else 0
        if m.input == LABELS:
            overall[m.name] = _finite(count_metric(m.name, total, pos))
        else:
            y_row, s_row = _score_inputs(m.name, yt, y_pred, y_score, classes, t, pos)
            whole = score_estimates(m.name, np.zeros(len(yt), np.int64), 1, y_row, s_row, level)
            overall[m.name] = _finite(whole.value[0])
        for index, (keys, cm) in enumerate(groups):
            sizes = cm.sum(axis=(1, 2))
            if m.input == LABELS:
                est = count_estimates(m.name, cm, pos, level, n_boot, rng)
            else:
                est = score_estimates(m.name, slicing_list[index].codes, len(keys), y_row, s_row, level)
            rows.extend((key, m.name, est, i, sizes) for i, key in enumerate(keys))

    # gate every slice
    values: list[MetricValue] = []
    outcomes: list[Outcome | None] = []
    table: list[dict[str, Any]] = []
    gated: list[int] = []
    for key, mname, est, i, sizes in rows:
        size = int(sizes[i])
        v = _finite(est.value[i])
        lo, hi = _finite(est.low[i]), _finite(est.high[i])
        reason = None
        outcome: Outcome | None
        if size < min_size:
            outcome, reason = Outcome.SKIPPED, f"n < min_size ({size} < {min_size})"
        elif v is None:
            outcome, reason = (
                Outcome.SKIPPED,
                f"{mname} is undefined: {_UNDEFINED.get(mname, 'zero denominator')}",
            )
        else:
            outcome = gate(v, lo, hi, thresholds, rule)
            if outcome is not None:
                gated.append(len(values))
        values.append(
            MetricValue(
                name=mname,
                value=v,
                n=int(est.n[i]),
                ci=Interval(lo, hi, level, est.method) if v is not None else None,
                thresholds=tuple(thresholds),
                rule=rule if thresholds else None,
                outcome=outcome,
                slice=dict(key),
                reason=reason,
            )
        )
        outcomes.append(outcome)
        table.append(
            {
                **dict(key),
                "metric": mname,
                "rows": size,
                "n": int(est.n[i]),
                "value": v,
                "low": lo,
                "high": hi,
                "outcome": outcome.value if outcome else None,
            }
        )

    use_holm = rule == "alarm" and len(gated) > 1
    if use_holm:
        alpha = (1 - level) / 2
        pvals = []
        for j in gated:
            key, mname, est, i, _ = rows[j]
            pvals.append(builtins.min(float(one_sided_p(est, th, level)[i]) for th in thresholds))
        adjusted = holm(np.minimum(np.asarray(pvals) * len(thresholds), 1.0))
        for j, pa in zip(gated, adjusted, strict=True):
            surely = values[j].outcome is Outcome.PASSED
            new = Outcome.FAILED if pa <= alpha else (Outcome.PASSED if surely else Outcome.INCONCLUSIVE)
            values[j] = replace(values[j], outcome=new)
            outcomes[j] = new
            table[j]["outcome"] = new.value
            table[j]["p_holm"] = float(pa)

    outcome = worst([o for o in outcomes if o is not None]) if thresholds else Outcome.PASSED
    if outcome is Outcome.SKIPPED:
        outcome = Outcome.INCONCLUSIVE  # no slice was large enough to judge
    worst_rows = _worst(values, overall)
    message = _message(names, values, outcome, worst_rows, use_holm)
    details: dict[str, Any] = {
        "overall": overall,
        "worst": worst_rows,
        "holm": use_holm,
        "min_size": min_size,
        "slices": len(table) // len(names),
        "table": table[:TABLE_ROWS],
    }
    if len(table) > TABLE_ROWS:
        details["table_truncated"] = len(table)
    return CheckResult(
        name=name or ",".join(names),
        kind="slice",
        outcome=outcome,
        metrics=values,
        rule=rule,
        message=message,
        details=details,
    )


def _finite(x: Any) -> float | None:
    f = float(x)
    return f if math.isfinite(f) else None


def _runs(counts: SliceCounts) -> list[tuple[list[Key], np.ndarray]]:
    """The slicings of merged counts: runs of consecutive slices over the same columns."""
    cols = [tuple(c for c, _ in k) for k in counts.keys]
    if not cols:
        raise InputError("counts", "holds no slices", "pass the result of slice_counts(...)")
    starts = [i for i in range(len(cols)) if i == 0 or cols[i] != cols[i - 1]] + [len(cols)]
    return [(list(counts.keys[a:b]), counts.counts[a:b]) for a, b in itertools.pairwise(starts)]


def _labels(
    yt: np.ndarray, y_pred: Any, y_score: Any, needs_labels: bool, metrics: list[Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if needs_labels:
        if y_pred is None:
            raise InputError("y_pred", "is needed for count-based metrics", "pass y_pred=model.predict(X)")
        yp = as_1d(y_pred, "y_pred")
        same_length(yt, "y_true", yp, "y_pred")
        if yp.dtype.kind == "f" and np.any(yp != np.round(yp)):
            raise InputError(
                "y_pred", "holds continuous values where class labels are expected", "pass model.predict(X)"
            )
        classes, t, p = encode_labels(yt, yp)
        return classes, t, p
    if all(m.input != SCORES for m in metrics):  # regression only: one dummy class
        return np.zeros(1), np.zeros(len(yt), np.int64), None
    classes, t, _ = encode_labels(yt, None)
    return classes, t, None


def _pos(name: str, classes: np.ndarray, pos_label: Any) -> int:
    if len(classes) > 2 and pos_label is None:
        raise InputError(
            "pos_label",
            f"{name} scores one class and the labels have {len(classes)} classes",
            "pass pos_label=<the class to score>",
        )
    return positive_index(classes, pos_label, name)


def _score_inputs(
    name: str, yt: np.ndarray, y_pred: Any, y_score: Any, classes: np.ndarray, t: np.ndarray, pos: int
) -> tuple[np.ndarray, np.ndarray]:
    if METRICS[name].input == SCORES:
        if y_score is None:
            raise InputError("y_score", f"{name} needs scores", "pass y_score=model.predict_proba(X)[:, 1]")
        s = as_1d(y_score, "y_score", numeric=True)
        same_length(yt, "y_true", s, "y_score")
        if name != "roc_auc" and (s.min() < 0 or s.max() > 1):
            raise InputError(
                "y_score", "holds values outside [0, 1]", "pass probabilities of the positive class"
            )
        return (t == pos), s.astype(float)
    yp = as_1d(y_pred, "y_pred", numeric=True)
    same_length(yt, "y_true", yp, "y_pred")
    return as_1d(yt, "y_true", numeric=True).astype(float), yp.astype(float)


def _worst(values: list[MetricValue], overall: Mapping[str, float | None]) -> dict[str, Any] | None:
    """The worst judged slice per metric (the first metric's is returned) and its gap to overall."""
    judged = [v for v in values if v.value is not None and v.outcome is not Outcome.SKIPPED]
    if not judged:
        return None
    first = judged[0].name
    same = [v for v in judged if v.name == first]
    better_high = METRICS[first].higher_is_better
    w = (builtins.min if better_high else builtins.max)(same, key=lambda v: v.value or 0.0)
    ref = overall.get(first)
    return {
        "metric": first,
        "slice": dict(w.slice or {}),
        "value": w.value,
        "n": w.n,
        "overall": ref,
        "gap": None if ref is None or w.value is None else w.value - ref,
    }


def _message(
    names: list[str], values: list[MetricValue], outcome: Outcome, w: dict[str, Any] | None, holm_used: bool
) -> str:
    counts: dict[str, int] = {}
    for v in values:
        label = v.outcome.value if v.outcome else "reported"
        counts[label] = counts.get(label, 0) + 1
    text = f"{', '.join(names)} on {len(values) // len(names)} slices: " + ", ".join(
        f"{c} {k}" for k, c in counts.items()
    )
    if w is not None:
        text += f"; worst slice {_fmt_key(tuple(w['slice'].items()))}: {w['metric']} = {w['value']:.4g}"
        if w["overall"] is not None:
            text += f" (overall {w['overall']:.4g}, gap {w['gap']:+.4g})"
    if holm_used:
        text += "; Holm's correction across slices (alarm rule)"
    bad = [v for v in values if v.outcome in (Outcome.FAILED, Outcome.INCONCLUSIVE)]
    if outcome is not Outcome.PASSED and bad:
        text += "\n" + "\n".join(f"  {v.describe()}" for v in bad[:10])
        if len(bad) > 10:
            text += f"\n  ... and {len(bad) - 10} more"
    return text
