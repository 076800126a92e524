"""Metrics per slice of the data, with intervals, judged per slice: :func:`check_slices`.

The group engine factorizes the slice columns (categorical values as they are, numeric columns
in bins, missing values as their own group ``"(missing)"``) into one integer code per row and
slicing. The figures of every slice then come from the metric's own estimator
(:func:`mltestkit.metrics.estimate`, given the group codes): the same value, interval and
random stream as :func:`~mltestkit.check_metric` on the slice's rows alone with the same seed.
Count-based metrics read per-slice confusion counts, which add across partitions of the data:
:func:`slice_counts` on each part and :func:`merge` give exactly the counts of the whole.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from .._validate import (
    MAX_BINS,
    MAX_ROWS,
    arrow_strings,
    as_1d,
    as_weights,
    count,
    encode_labels,
    factorize,
    factorize_strings,
    refuse_unsized,
    same_length,
    unique_columns,
    validate_n_boot,
)
from ..errors import InputError
from ..metrics import CONFUSION, METRICS, SCORES, GroupEstimates, confusion_estimates, get_metric
from ..metrics.estimators import confusion_counts, seed_value
from ..metrics.registry import Prepared, estimate_prepared, positive_class, prepare, value_of
from ..results import CheckResult, MetricValue, Outcome, Threshold, worst
from ..stats import intervals as iv
from ..stats.quantiles import quantiles_of_counts
from ..stats.requirement import Requirement, adjust_for_multiplicity, judge, rows_to_decide_all, set_aside

#: Label of the group of rows whose slice value is missing.
MISSING = "(missing)"
#: Numeric columns with more distinct values than this are binned (by quantiles unless ``bins=``).
MAX_LEVELS = 10
#: Quantile bins of a numeric column when ``bins=`` does not say otherwise.
DEFAULT_BINS = 4
#: Rows of the slice table kept in ``details`` (all slices are in ``metrics``).
TABLE_ROWS = 500

Key = tuple[tuple[str, Any], ...]


def format_key(key: Mapping[str, Any] | Key | None) -> str:
    """``"sex=F, age=[30, 50)"``: a slice's key as text.

    >>> format_key({"sex": "F", "age": "< 30"})
    'sex=F, age=< 30'
    """
    items = key.items() if isinstance(key, Mapping) else (key or ())
    return ", ".join(f"{c}={v}" for c, v in items)


# ---------------------------------------------------------------- slice keys


def _label(x: float) -> str:
    return f"{x:g}"


def _column_codes(name: str, col: Any, bins: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes 0..L-1 per row and the L labels of one slice column."""
    import pandas as pd

    if isinstance(col, pd.Categorical):
        col = pd.Series(col, copy=False)
    if not isinstance(col, pd.Series):
        arr = np.asarray(col)
        if arr.dtype.kind in "USO":
            codes, labels = _text_codes(arr)
            if codes is not None:
                return codes, labels
        elif arr.dtype.kind in "iu":
            return _integer_codes(name, arr, bins)
        col = pd.Series(arr)
    s = col
    strings = arrow_strings(s)
    if strings is not None:
        return _with_missing(*factorize_strings(strings))
    missing = s.isna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        labels = list(s.cat.categories.tolist())
    elif numeric and (bins is not None or s.nunique() > MAX_LEVELS):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        finite = x[~missing]
        codes, labels = _bin(
            name,
            x,
            DEFAULT_BINS if bins is None else bins,
            lambda qs: np.quantile(finite, qs) if finite.size else None,
            missing,
        )
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


def _text_codes(arr: np.ndarray) -> tuple[np.ndarray | None, list[Any]]:
    """Codes and labels of a numpy text or object column; ``None`` for values that cannot be hashed."""
    try:
        uniques, codes = factorize(arr)
    except TypeError:
        return None, []
    return _with_missing(uniques, codes)


def _with_missing(uniques: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes and labels with missing values (code -1) as the last label, :data:`MISSING`."""
    labels = uniques.tolist()
    if codes.size and codes.min() < 0:
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    return codes, labels


def _integer_codes(name: str, x: np.ndarray, bins: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes and labels of a numpy integer column: its values, or bins when it has many or ``bins`` is given.

    Each distinct value is binned once; the quantile edges come from the values repeated by their
    counts, which are the column's rows sorted.
    """
    values, codes = factorize(x)
    if bins is None and values.size <= MAX_LEVELS:
        return codes, values.tolist()
    counts = np.bincount(codes, minlength=values.size)
    value_codes, labels = _bin(
        name,
        values.astype(float),
        DEFAULT_BINS if bins is None else bins,
        lambda qs: quantiles_of_counts(values, counts, qs),
    )
    return value_codes[codes], labels


def _bin(
    name: str,
    x: np.ndarray,
    bins: Any,
    quantile: Callable[[np.ndarray], np.ndarray | None],
    missing: np.ndarray | None = None,
) -> tuple[np.ndarray, list[Any]]:
    """Bin codes of ``x`` (``missing`` rows in the first bin) with the edges ``bins`` or, for a
    number of bins, the edges given by ``quantile`` (probabilities -> the finite values' quantiles;
    ``None`` when there are none)."""
    if isinstance(bins, (bool, np.bool_)) or (isinstance(bins, (int, np.integer)) and bins > MAX_BINS):
        count(bins, "bins", high=MAX_BINS, example=4)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise InputError("bins", f"must be >= 1 for {name!r}, got {bins}", "pass e.g. bins=4")
        found = quantile(np.linspace(0, 1, int(bins) + 1))
        edges = np.zeros(1) if found is None else np.unique(found)
        inner = edges[1:-1]
        codes = np.searchsorted(inner, x if missing is None else np.where(missing, edges[0], x), side="right")
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
    codes = np.searchsorted(edges, x if missing is None else np.where(missing, edges[0], x), side="right")
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
    unique_columns(by, "by")
    if isinstance(by, pd.DataFrame):
        cols = {str(c): by[c] for c in by.columns}
    elif isinstance(by, pd.Series):
        cols = {str(by.name) if by.name is not None else "slice": by}
    elif isinstance(by, pd.Categorical):
        cols = {"slice": by}
    elif isinstance(by, Mapping):
        cols = {str(k): v for k, v in by.items()}
    elif hasattr(by, "columns") and hasattr(by, "get_column"):  # a polars DataFrame
        cols = {str(c): by.get_column(c).to_numpy() for c in by.columns}
    else:
        refuse_unsized(by, "by")
        try:
            arr = np.asarray(by)
        except (ValueError, TypeError) as exc:
            raise InputError(
                "by", f"cannot be read as columns ({exc})", "pass a DataFrame or a dict of arrays"
            ) from None
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
        if isinstance(combos, str) or not hasattr(combos, "__iter__"):
            raise InputError(
                "combos",
                f"must be a list of column lists, got {combos!r:.60}",
                "pass e.g. combos=[['a', 'b']]",
            )
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
    ``classes[i]`` predicted as ``classes[j]``; with sample weights, their summed weights,
    ``squares`` the summed squared weights (for Kish's effective sizes) and ``rows`` the rows of
    each slice. All add across partitions (see :func:`merge`)."""

    keys: tuple[Key, ...]
    classes: tuple[Any, ...]
    counts: np.ndarray
    squares: np.ndarray | None = None
    rows: np.ndarray | None = None

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self.counts.sum(axis=(1, 2)))


def slice_counts(
    y_true: Any,
    y_pred: Any,
    *,
    by: Any,
    bins: Any = None,
    depth: int = 1,
    combos: Any = None,
    sample_weight: Any = None,
) -> SliceCounts:
    """Per-slice confusion counts of labelled data, ready to :func:`merge` with other partitions.

    Quantile bins depend on the data; pass explicit edges (``bins=[...]``) when the counts of
    several partitions are to be merged. With ``sample_weight``, the counts are summed weights
    and ``squares`` summed squared weights; weighted parts merge with weighted parts.

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
    w = as_weights(sample_weight, len(yt))
    keys: list[Key] = []
    parts, squares, rows = [], [], []
    for sl in slicings(by, len(yt), bins=bins, depth=depth, combos=combos):
        parts.append(confusion_counts(sl.codes, len(sl.keys), t, p, k, w))
        if w is not None:
            squares.append(confusion_counts(sl.codes, len(sl.keys), t, p, k, w * w))
            rows.append(np.bincount(sl.codes, minlength=len(sl.keys)))
        keys.extend(sl.keys)
    if w is None:
        return SliceCounts(tuple(keys), tuple(classes.tolist()), np.concatenate(parts).astype(np.int64))
    return SliceCounts(
        tuple(keys),
        tuple(classes.tolist()),
        np.concatenate(parts),
        np.concatenate(squares),
        np.concatenate(rows),
    )


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
    weighted = {x.squares is not None for x in parts}
    if len(weighted) > 1:
        raise InputError(
            "parts", "mix weighted and unweighted counts", "pass sample_weight to slice_counts for every part"
        )
    classes = tuple(sorted({c for x in parts for c in x.classes}, key=lambda v: (str(type(v)), v)))
    keys = list(dict.fromkeys(k for x in parts for k in x.keys))
    kindex = {k: i for i, k in enumerate(keys)}
    cindex = {c: i for i, c in enumerate(classes)}
    shape = (len(keys), len(classes), len(classes))
    out = np.zeros(shape, dtype=float if True in weighted else np.int64)
    sq = np.zeros(shape) if True in weighted else None
    rows_of = np.zeros(len(keys), dtype=np.int64) if all(x.rows is not None for x in parts) else None
    for x in parts:
        at = np.array([kindex[k] for k in x.keys], dtype=np.int64)
        cls = np.array([cindex[c] for c in x.classes], dtype=np.int64)
        where = (at[:, None, None], cls[None, :, None], cls[None, None, :])
        np.add.at(out, where, x.counts)
        if sq is not None and x.squares is not None:
            np.add.at(sq, where, x.squares)
        if rows_of is not None and x.rows is not None:
            np.add.at(rows_of, at, x.rows)
    return SliceCounts(tuple(keys), classes, out, sq, rows_of if True in weighted else None)


def table_slices(
    data: Any,
    metrics: list[Any],
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    sample_weight: Any,
    by: Any,
    bins: Any,
    depth: int,
    combos: Any,
) -> tuple[SliceCounts | None, Any, Any, Any, Any, Any, Any]:
    """The inputs of :func:`check_slices` from a table: slice counts (summed weights and squared
    weights) computed by its engine when every metric is count-based, else the named columns'
    rows and weights."""
    from ..tables import collect_rows, labelled_rows, table_inputs

    if all(m.statistics == CONFUSION and m.input != SCORES for m in metrics):
        t, rows = labelled_rows(
            data, y_true=y_true, y_pred=y_pred, by=by, sample_weight=sample_weight, bins=bins
        )
        f = rows.frame
        sliced = {"by": f[t.by], "bins": rows.bins or None, "depth": depth, "combos": combos}
        c = slice_counts(f[t.y_true], f[t.y_pred], **sliced, sample_weight=rows.weights)
        keys = tuple(rows.relabel(c.keys))
        weighted = rows.squares is not None
        counts = c.counts if weighted else np.rint(c.counts).astype(np.int64)
        sq, per_slice = None, None
        if weighted:
            sq = slice_counts(f[t.y_true], f[t.y_pred], **sliced, sample_weight=rows.squares).counts
            per_slice = slice_counts(f[t.y_true], f[t.y_pred], **sliced, sample_weight=rows.rows).counts
            per_slice = np.rint(per_slice.sum(axis=(1, 2))).astype(np.int64)
        return SliceCounts(keys, c.classes, counts, sq, per_slice), None, None, None, None, None, None
    t = table_inputs(data, y_true=y_true, y_pred=y_pred, y_score=y_score, sample_weight=sample_weight, by=by)
    got = collect_rows(t, [c for c in (t.y_true, t.y_pred, *t.by) if c is not None])
    cols = got.values
    return (
        None,
        cols[t.y_true] if t.y_true else None,
        cols[t.y_pred] if t.y_pred else None,
        got.scores,
        {c: cols[c] for c in t.by} if t.by else None,
        bins,
        got.weights,
    )


# ---------------------------------------------------------------- judging slices


def one_sided_p(est: GroupEstimates, t: Threshold, level: float) -> np.ndarray:
    """p-value per slice of "the requirement holds" (small when the slice is surely on the wrong side).

    Exact binomial for a proportion; else normal, with the standard error read from the
    interval's end on the side that would show a failure (the upper end for ``min=``, the lower
    for ``max=``). NaN where the value or that end is undefined or at the value (no honest
    interval): such a slice is never failed by the correction.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if est.successes is not None:
            k, n = est.successes, est.n
            p = stats.binom.cdf(k, n, t.value) if t.op == ">=" else stats.binom.sf(k - 1, n, t.value)
            return np.where((n > 0) & np.isfinite(est.value), p, np.nan)
        z = iv.z_value(level)
        if t.op == ">=":
            se = (est.high - est.value) / z
            p = stats.norm.cdf((est.value - t.value) / se)
        else:
            se = (est.value - est.low) / z
            p = stats.norm.sf((est.value - t.value) / se)
        return np.where(np.isfinite(est.value) & np.isfinite(se) & (se > 0), p, np.nan)


# ---------------------------------------------------------------- the check


def check_slices(
    metric: str | Sequence[str],
    y_true: Any = None,
    y_pred: Any = None,
    *,
    by: Any = None,
    y_score: Any = None,
    counts: SliceCounts | None = None,
    data: Any = None,
    sample_weight: Any = None,
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
    average: str | None = None,
) -> CheckResult:
    """Measure metrics on every slice of the data, with intervals, and judge each slice.

    Parameters
    ----------
    metric:
        A metric name of :data:`~mltestkit.metrics.METRICS`, or a list of names.
    y_true, y_pred:
        True and predicted labels (or values for regression metrics).
    by:
        The slice columns: a DataFrame, a dict of named arrays, a Series or one array.
        Categorical values are used as they are; numeric columns with more than
        :data:`MAX_LEVELS` distinct values are binned; missing values form the group ``"(missing)"``.
    y_score:
        Positive-class scores for the score metrics (``roc_auc``, ``log_loss``, ...), or a
        score matrix (n, K) for ``top_k_accuracy``, ``log_loss`` and ``roc_auc_ovr(_weighted)``.
    counts:
        Instead of ``y_true``/``y_pred``/``by``: merged :class:`SliceCounts` (count-based metrics only).
    data:
        A table (see :func:`mltestkit.tables.open_table`); ``y_true``, ``y_pred``, ``y_score``,
        ``sample_weight`` and ``by`` name its columns (``y_score`` a list of columns, one per
        class, or a column of lists, for a score matrix), and its engine counts the rows (and
        sums the weights) of each slice (see the "Any table, any size" page).
    min, max:
        The requirement every slice must meet. Without one, the slices are only reported.
    min_size:
        Slices whose figure rests on fewer observations (``n``: a proportion's denominator,
        else the slice's rows) are reported as ``skipped`` ("n < min_size"), not judged.
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
        its interval is wholly on the wrong side and it stays significant after Holm's correction
        across all judged slices, which keeps the chance of any false alarm at
        ``(1 - confidence) / 2``; a slice whose value or interval is undefined is inconclusive.
        ``point`` compares estimates.
    confidence, n_boot, seed:
        Interval level; bootstrap replicates and seed (each slice's bootstrap starts from the
        seed alone, as :func:`~mltestkit.check_metric` on the slice's rows would).
    name:
        Name of the check in the report.
    sample_weight:
        A weight per row (count metrics and mean losses), as in :func:`~mltestkit.check_metric`;
        with ``data``, the name of its column.
    average:
        Averages every metric over classes as :func:`~mltestkit.check_metric` does
        (``"macro"``, ``"micro"``, ``"weighted"``).

    Returns
    -------
    CheckResult
        Kind ``"slice"``, one :class:`~mltestkit.results.MetricValue` per slice and metric (with
        ``slice={column: value}``); ``details`` holds the table, the overall values, the worst
        slice with its gap to the overall value, whether Holm's correction was applied and, when
        inconclusive, ``rows_to_decide``. Without a requirement the outcome is ``passed``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"sex": ["F", "M"] * 300, "age": list(range(20, 80)) * 10})
    >>> y = [1, 0, 1] * 200
    >>> r = check_slices("recall", y, y, by=frame, min=0.9, bins={"age": [40, 60]})
    >>> [m.slice for m in r.metrics][2:]
    [{'age': '< 40'}, {'age': '[40, 60)'}, {'age': '>= 60'}]
    """
    requirement = Requirement(min, max, rule, confidence)
    level = requirement.confidence
    n_boot = validate_n_boot(n_boot)
    seed_int = seed_value(seed)
    count(min_size, "min_size", low=0, high=MAX_ROWS, example=30)
    if not isinstance(metric, (str, list, tuple)):
        raise InputError(
            "metric", f"must be a metric name or a list of names, got {metric!r:.60}", "pass e.g. 'accuracy'"
        )
    names = [metric] if isinstance(metric, str) else list(metric)
    if not names:
        raise InputError("metric", "is an empty list", "pass a metric name such as 'accuracy'")
    metrics = [get_metric(m, average=average) for m in names]
    if data is not None:
        rows_of = table_slices(data, metrics, y_true, y_pred, y_score, sample_weight, by, bins, depth, combos)
        counts, y_true, y_pred, y_score, by, bins, sample_weight = rows_of

    blocks: list[tuple[list[Key], GroupEstimates, np.ndarray]] = []
    overall: dict[str, float | None] = {}
    if counts is not None:
        if not isinstance(counts, SliceCounts):
            raise InputError(
                "counts", f"must be SliceCounts, got {type(counts).__name__}", "use slice_counts()"
            )
        if y_true is not None or y_pred is not None or by is not None:
            raise InputError("counts", "was given together with y_true/y_pred/by", "pass one or the other")
        bad = [m.name for m in metrics if m.statistics != CONFUSION or m.input == SCORES]
        if bad:
            raise InputError(
                "metric", f"{bad[0]} needs row-level scores, not counts", "pass y_true and y_score"
            )
        classes = np.asarray(counts.classes, dtype=object)
        runs = _runs(counts)
        for m in metrics:
            pos = positive_class(m, classes, pos_label)
            overall[m.name] = _value(m.value(runs[0][1].sum(axis=0), pos))
            for keys, cm, cm_sq, run_rows in runs:
                est = confusion_estimates(m, cm, pos, level=level, n_boot=n_boot, seed=seed_int, cm_sq=cm_sq)
                blocks.append((keys, est, cm.sum(axis=(1, 2)) if run_rows is None else run_rows))
    else:
        yt = as_1d(y_true, "y_true")
        slicing_list = slicings(by, len(yt), bins=bins, depth=depth, combos=combos)
        slice_rows = [np.bincount(sl.codes, minlength=len(sl.keys)) for sl in slicing_list]
        shared = _SharedCounts(slicing_list)
        for m in metrics:
            rows: Prepared = shared.rows(m) or prepare(m, yt, y_pred, y_score, pos_label, sample_weight)
            if m.statistics == CONFUSION and rows.classes is not None:
                overall[m.name], ests = shared.estimates(rows, pos_label, level, n_boot, seed_int)
            else:
                overall[m.name] = value_of(rows)
                ests = [
                    estimate_prepared(rows, sl.codes, len(sl.keys), level=level, n_boot=n_boot, seed=seed_int)
                    for sl in slicing_list
                ]
            blocks.extend(
                (sl.keys, est, size) for sl, est, size in zip(slicing_list, ests, slice_rows, strict=True)
            )

    values: list[MetricValue] = []
    table: list[dict[str, Any]] = []
    gated: list[tuple[int, float]] = []  # (figure index, one-sided p-value)
    needed: list[int] = []  # rows that would give an interval where a slice has none
    for keys, est, sizes in blocks:
        pvals = [one_sided_p(est, t, level) for t in requirement.thresholds]
        for i, key in enumerate(keys):
            e = est[i]
            if e.needed is not None:
                needed.append(e.needed)
            mv = judge(est.metric, e, requirement, slice=dict(key))
            if (e.n or 0) < min_size:
                mv = set_aside(mv, f"n < min_size ({e.n} < {min_size})")
            elif mv.outcome is not None:
                p = builtins.min((float(pv[i]) for pv in pvals), default=math.nan)
                gated.append((len(values), builtins.min(p * len(pvals), 1.0)))
            values.append(mv)
            table.append(
                {
                    **dict(key),
                    "metric": est.metric,
                    "rows": int(sizes[i]),
                    "n": e.n,
                    "value": mv.value,
                    "low": mv.ci.low if mv.ci else None,
                    "high": mv.ci.high if mv.ci else None,
                    "outcome": mv.outcome.value if mv.outcome else None,
                }
            )

    use_holm = requirement.rule == "alarm" and len(gated) > 1
    if use_holm:
        alpha = (1 - level) / 2
        judged = adjust_for_multiplicity([values[j] for j, _ in gated], [p for _, p in gated], alpha)
        for (j, _), (mv, pa) in zip(gated, judged, strict=True):
            values[j] = mv
            table[j]["outcome"] = mv.outcome.value if mv.outcome else None
            table[j]["p_holm"] = pa if math.isfinite(pa) else None

    outcome = (
        worst([v.outcome for v in values if v.outcome is not None]) if requirement.gated else Outcome.PASSED
    )
    if outcome is Outcome.SKIPPED:
        outcome = Outcome.INCONCLUSIVE  # no slice was large enough to judge
    worst_rows = _worst(values, overall)
    details: dict[str, Any] = {
        "overall": overall,
        "worst": worst_rows,
        "holm": use_holm,
        "min_size": min_size,
        "slices": len(table) // len(names),
        "table": table[:TABLE_ROWS],
    }
    if outcome is Outcome.INCONCLUSIVE:
        details["rows_to_decide"] = rows_to_decide_all(values) or builtins.max(needed, default=None)
    if len(table) > TABLE_ROWS:
        details["table_truncated"] = len(table)
    return CheckResult(
        name=name or ",".join(m.name for m in metrics),
        kind="slice",
        outcome=outcome,
        metrics=values,
        rule=requirement.rule if requirement.gated else None,
        message=_message([m.name for m in metrics], values, outcome, worst_rows, use_holm),
        details=details,
    )


class _SharedCounts:
    """The confusion counts of labelled rows per slicing, made once for every count metric."""

    def __init__(self, slicing_list: list[_Slicing]) -> None:
        self.slicings = slicing_list
        self.base: Prepared | None = None
        self.counts: list[tuple[np.ndarray, np.ndarray | None]] = []

    def rows(self, m: Any) -> Prepared | None:
        """The prepared rows of an earlier count metric that reads the same labels, for ``m``."""
        b = self.base
        if b is None or m.statistics != CONFUSION or b.metric.input != m.input or b.classes is None:
            return None
        return replace(b, metric=m)

    def estimates(
        self, rows: Prepared, pos_label: Any, level: float, n_boot: int, seed: int
    ) -> tuple[float | None, list[GroupEstimates]]:
        """The overall value and every slicing's estimates of ``rows.metric``."""
        assert rows.classes is not None
        if self.base is None:
            self.base = rows
            w = rows.weights
            for sl in self.slicings:
                cm = confusion_counts(sl.codes, len(sl.keys), rows.y, rows.p, rows.k, w)
                sq = (
                    None
                    if w is None
                    else confusion_counts(sl.codes, len(sl.keys), rows.y, rows.p, rows.k, w * w)
                )
                self.counts.append((cm, sq))
        m = rows.metric
        pos = positive_class(m, rows.classes, pos_label)
        with np.errstate(over="ignore", invalid="ignore"):
            if rows.weights is None:
                overall = _value(m.value(self.counts[0][0].sum(axis=0, keepdims=True), pos))
            else:
                overall = value_of(replace(rows, pos=pos))
            ests = [
                confusion_estimates(m, cm, pos, level=level, n_boot=n_boot, seed=seed, cm_sq=sq)
                for cm, sq in self.counts
            ]
        return overall, ests


def _value(x: Any) -> float | None:
    f = float(np.asarray(x).reshape(-1)[0])
    return f if math.isfinite(f) else None


def _runs(
    counts: SliceCounts,
) -> list[tuple[list[Key], np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """The slicings of merged counts: runs of consecutive slices over the same columns (keys,
    counts, squared weights, rows)."""
    cols = [tuple(c for c, _ in k) for k in counts.keys]
    if not cols:
        raise InputError("counts", "holds no slices", "pass the result of slice_counts(...)")
    starts = [i for i in range(len(cols)) if i == 0 or cols[i] != cols[i - 1]] + [len(cols)]
    sq, rows = counts.squares, counts.rows
    return [
        (
            list(counts.keys[a:b]),
            counts.counts[a:b],
            None if sq is None else sq[a:b],
            None if rows is None else rows[a:b],
        )
        for a, b in itertools.pairwise(starts)
    ]


def _worst(values: list[MetricValue], overall: Mapping[str, float | None]) -> dict[str, Any] | None:
    """The worst judged slice per metric (the first metric's is returned) and its gap to overall."""
    judged = [v for v in values if v.value is not None and v.outcome is not Outcome.SKIPPED]
    if not judged:
        return None
    first = judged[0].name
    same = [v for v in judged if v.name == first]
    better_high = METRICS[first].higher_is_better if first in METRICS else True
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
        text += f"; worst slice {format_key(w['slice'])}: {w['metric']} = {w['value']:.4g}"
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
