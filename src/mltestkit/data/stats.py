"""Per-column facts of a dataset: for the data checks' rules and for a dataset card.

:func:`facts` gives :class:`~mltestkit.tables.profile.ColumnFacts` for any input: a pandas
DataFrame is read in memory by :func:`column_facts` (one sort per numeric column, one encoding per
text column, shared by every figure and rule); any other table by its own engine
(:func:`~mltestkit.tables.profile.table_facts`). Both give the same counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from .._validate import arrow_strings, factorize_strings
from ..errors import InputError
from ..tables import is_table, open_table
from ..tables.profile import QUANTILES, ColumnFacts, Rule, quantile_name, table_facts
from ..tables.profile import column_kind as table_column_kind
from .io import column_kind, load_frame, plain, require_hashable

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
#: Above this many cells (rows x columns) the columns of a frame are read by several threads.
PARALLEL_CELLS = 2_000_000


def is_text(s: pd.Series) -> bool:
    """A column of text (not categorical): pandas' string dtypes, or objects holding strings."""
    if isinstance(s.dtype, pd.CategoricalDtype) or column_kind(s) != "categorical":
        return False
    if s.dtype != object:
        return pd.api.types.is_string_dtype(s.dtype)
    return pd.api.types.infer_dtype(s, skipna=True) in ("string", "mixed", "empty")


class Encoded:
    """A column as integer codes (-1 missing) into its distinct values, with their counts."""

    def __init__(self, s: pd.Series, argument: str) -> None:
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = np.asarray(s.cat.codes.to_numpy(), dtype=np.int64)
            uniques: Any = s.cat.categories
        elif (strings := arrow_strings(s)) is not None:
            uniques, codes = factorize_strings(strings)
            uniques = pd.Index(uniques, dtype=object)
        else:
            try:
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
            except TypeError:
                require_hashable(s, argument)
                raise
            codes = np.asarray(codes, dtype=np.int64)
        self.codes = codes
        self.uniques = pd.Index(uniques)
        k = len(self.uniques)
        if codes.size and codes.min() < 0:
            self.counts = np.bincount(codes + 1, minlength=k + 1)[1:]
        else:
            self.counts = np.bincount(codes, minlength=k)

    def rows_where(self, bad_values: np.ndarray) -> np.ndarray:
        """A mask of the rows whose value is flagged in ``bad_values`` (one flag per distinct value)."""
        flags = np.append(np.asarray(bad_values, dtype=bool), False)  # code -1 (missing) -> False
        return flags[self.codes]

    def count_where(self, bad_values: np.ndarray) -> int:
        return int(self.counts[np.asarray(bad_values, dtype=bool)].sum())


def _sorted_values(s: pd.Series) -> np.ndarray:
    """The present values of a numeric column, sorted (integers of a small range by counting)."""
    values = s.dropna() if s.hasnans else s
    if pd.api.types.is_integer_dtype(values.dtype):
        x = values.to_numpy(dtype=np.int64)
        if x.size:
            lo, hi = int(x.min()), int(x.max())
            if hi - lo < max(x.size // 4, 1024):
                counts = np.bincount(x - lo)
                return np.repeat(np.arange(lo, hi + 1, dtype=np.int64), counts)
        return np.sort(x)
    return np.sort(values.to_numpy(dtype=float))


def _runs(x: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal values of a sorted array."""
    if x.size == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    return np.diff(np.r_[starts, x.size])


def _distinct_top(x: np.ndarray) -> tuple[int, int]:
    """Distinct values and the largest count of one value, of a sorted array."""
    if x.size == 0:
        return 0, 0
    change = x[1:] != x[:-1]
    distinct = int(np.count_nonzero(change)) + 1
    if distinct == x.size:
        return distinct, 1
    starts = np.flatnonzero(change) + 1
    return distinct, int(np.diff(np.r_[0, starts, x.size]).max())


def _quantiles(x: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Linear quantiles of a sorted array (as ``numpy.quantile``)."""
    pos = np.asarray(qs) * (x.size - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, x.size - 1)
    xl, xh = x[lo].astype(float), x[hi].astype(float)
    return xl + (pos - lo) * (xh - xl)


def _finite(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind != "f":
        return x
    return x[np.searchsorted(x, -np.inf, side="right") : np.searchsorted(x, np.inf, side="left")]


def _deviation(x: np.ndarray, centre: float, k: int) -> float:
    """The ``k``-th smallest (0-based) ``|x - centre|`` of a sorted array, without sorting again:
    the deviations below and above ``centre`` are two sorted sequences; a binary search takes
    the ``k + 1`` smallest from them."""
    p = int(np.searchsorted(x, centre, side="left"))
    below, above = p, x.size - p

    def a(i: int) -> float:  # i-th smallest deviation below the centre
        return float(centre - x[p - 1 - i])

    def b(j: int) -> float:
        return float(x[p + j] - centre)

    take = k + 1
    lo, hi = max(0, take - above), min(take, below)
    while lo < hi:
        i = (lo + hi) // 2
        if take - i > 0 and b(take - i - 1) > a(i):
            lo = i + 1
        else:
            hi = i
    i, j = lo, take - lo
    return max(a(i - 1) if i > 0 else -np.inf, b(j - 1) if j > 0 else -np.inf)


def outlier_centre(finite: np.ndarray, method: str) -> tuple[float, float]:
    """(median, 1.4826 MAD) for ``robust_z``, the quartiles for ``iqr``, of sorted finite values;
    ``(0, 0)`` when no outlier can be named (fewer than 4 values, no spread). The medians
    interpolate linearly, as ``numpy.quantile`` and the engines do."""
    if finite.size < 4:
        return 0.0, 0.0
    if method == "iqr":
        q1, q3 = _quantiles(finite, [0.25, 0.75])
        return (float(q1), float(q3)) if q3 != q1 else (0.0, 0.0)
    x = finite.astype(float, copy=False)
    med = float(_quantiles(x, [0.5])[0])
    pos = 0.5 * (x.size - 1)
    lo = int(np.floor(pos))
    d_lo = _deviation(x, med, lo)
    d_hi = _deviation(x, med, min(lo + 1, x.size - 1))
    return med, 1.4826 * (d_lo + (pos - lo) * (d_hi - d_lo))


def _leading(flag: Any, n: int) -> int:
    """How many leading positions ``i < n`` have ``flag(i)`` true (``flag`` true, then false)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if flag(mid):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _sorted_count(x: np.ndarray, finite: np.ndarray, rule: Rule, facts: ColumnFacts) -> int:
    """Offending rows of a numeric rule, counted on the sorted values (the same comparisons as
    :func:`rule_mask`, which are monotone along the sorted values)."""
    if rule.kind == "below":
        return int(np.searchsorted(x, rule.arg, side="left"))
    if rule.kind == "above":
        return int(x.size - np.searchsorted(x, rule.arg, side="right"))
    centre, spread = facts.centre.get(rule, (0.0, 0.0))
    if not spread:
        return 0
    v = finite.astype(float, copy=False)
    if rule.arg[0] == "robust_z":
        k = rule.arg[1]
        p = int(np.searchsorted(v, centre, side="left"))
        low = _leading(lambda i: np.abs(v[i] - centre) / spread > k, p)
        high = _leading(lambda i: np.abs(v[v.size - 1 - i] - centre) / spread > k, v.size - p)
        return low + high
    k, width = rule.arg[1], spread - centre
    return int(np.searchsorted(v, centre - k * width, side="left")) + int(
        v.size - np.searchsorted(v, spread + k * width, side="right")
    )


def first_rows(s: pd.Series, mask_of: Any, size: int = 5) -> np.ndarray:
    """Positions of the first ``size`` rows flagged by ``mask_of(part)``, read in growing chunks."""
    found: list[np.ndarray] = []
    start, step, got = 0, 65_536, 0
    while start < len(s) and got < size:
        hit = np.flatnonzero(mask_of(s.iloc[start : start + step])) + start
        found.append(hit)
        got += hit.size
        start, step = start + step, step * 4
    return np.concatenate(found)[:size] if found else np.zeros(0, np.int64)


def rule_mask(s: pd.Series, rule: Rule, facts: ColumnFacts, encoded: Encoded | None = None) -> np.ndarray:
    """The rows of ``s`` that break ``rule`` (the same rows :func:`frame_facts` counts)."""
    present = s.notna().to_numpy()
    if rule.kind in ("below", "above"):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            return x < rule.arg if rule.kind == "below" else x > rule.arg
    if rule.kind == "outliers":
        centre, spread = facts.centre.get(rule, (0.0, 0.0))
        x = s.to_numpy(dtype=float, na_value=np.nan)
        if not spread:
            return np.zeros(len(s), bool)
        with np.errstate(invalid="ignore"):
            if rule.arg[0] == "robust_z":
                return np.isfinite(x) & (np.abs(x - centre) / spread > rule.arg[1])
            k, width = rule.arg[1], spread - centre
            return np.isfinite(x) & ((x < centre - k * width) | (x > spread + k * width))
    if rule.kind == "repeated":
        return present & s.duplicated(keep="first").to_numpy()
    if rule.kind == "not_whole":
        x = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            return np.isfinite(x) & (x != np.round(x))
    enc = encoded if encoded is not None else Encoded(s, "data")
    return enc.rows_where(_bad_values(enc.uniques, rule))


def offending_rows(
    s: pd.Series, rule: Rule | None, facts: ColumnFacts, encoded: Encoded | None = None, size: int = 5
) -> np.ndarray:
    """Positions of the first ``size`` rows of ``s`` that break ``rule`` (missing when ``None``)."""
    if rule is None:
        return first_rows(s, lambda part: part.isna().to_numpy(), size)
    if rule.kind == "repeated" or (
        encoded is not None and rule.kind in ("not_in", "not_matching", "special")
    ):
        return np.flatnonzero(rule_mask(s, rule, facts, encoded))[:size]
    return first_rows(s, lambda part: rule_mask(part, rule, facts), size)


def _bad_values(uniques: pd.Index, rule: Rule) -> np.ndarray:
    if rule.kind == "not_in":
        return ~uniques.isin(list(rule.arg))
    text = [str(v) for v in uniques]
    if rule.kind == "not_matching":
        pattern = re.compile(rule.arg)
        return np.array([pattern.fullmatch(t) is None for t in text], dtype=bool)
    if rule.kind == "special":
        return np.array([_LETTER_OR_DIGIT.search(t) is None for t in text], dtype=bool)
    raise ValueError(rule.kind)  # pragma: no cover - the checks build the rules


def column_facts(
    s: pd.Series,
    rules: Sequence[Rule] = (),
    *,
    top: int = 5,
    stats: bool = True,
    distinct: bool = True,
    strict: bool = True,
    argument: str = "data",
) -> tuple[ColumnFacts, Encoded | None]:
    """:class:`~mltestkit.tables.profile.ColumnFacts` of one pandas column, and its encoding
    (for text, categorical and bool columns).

    ``stats=False`` leaves out the ranges, quantiles and zeros (a ``Rule(column, "mean")`` still
    asks for the mean); ``distinct=False`` also the distinct and most frequent values of a
    numeric column, so that it is not sorted unless a rule needs it. ``strict=False`` leaves the
    distinct values of a column of unhashable objects unknown instead of refusing it.
    """
    kind = column_kind(s)
    n = len(s)
    missing = int(s.isna().sum())
    f = ColumnFacts(str(s.name), kind, str(s.dtype), n, missing)
    encoded = None
    done: set[Rule] = set()
    wants_mean = stats or any(r.kind == "mean" for r in rules)
    if kind == "numeric":
        if stats or distinct or any(r.kind in ("repeated", "outliers", "not_in") for r in rules):
            x = _sorted_values(s)
            f.distinct, f.top_count = _distinct_top(x)
            fin = _finite(x)
        else:
            values = s.dropna() if s.hasnans else s
            x = values.to_numpy(dtype=float)
            fin = x[np.isfinite(x)] if not np.isfinite(x).all() else x
        if stats and x.size:
            f.min, f.max = x[0].item(), x[-1].item()
            f.zeros = int(np.count_nonzero(x == 0))
            q = _quantiles(x, QUANTILES)
            f.quantiles = {quantile_name(p): float(v) for p, v in zip(QUANTILES, q, strict=True)}
        if wants_mean and fin.size:
            xf = fin.astype(float, copy=False)
            f.mean = float(xf.mean())
            if stats and fin.size > 1:
                d = xf - f.mean
                d *= d  # not np.dot: BLAS threads would contend with the column threads
                f.std = float(np.sqrt(d.sum() / (fin.size - 1)))
        for r in rules:
            if r.kind == "outliers":
                f.centre[r] = outlier_centre(fin, r.arg[0])
            if r.kind in ("below", "above", "outliers") and f.distinct is not None:
                f.counts[r] = _sorted_count(x, fin, r, f)
            elif r.kind in ("below", "above"):
                with np.errstate(invalid="ignore"):
                    f.counts[r] = int(np.count_nonzero(x < r.arg if r.kind == "below" else x > r.arg))
            elif r.kind == "not_in":
                change = np.flatnonzero(np.r_[True, x[1:] != x[:-1]]) if x.size else np.zeros(0, int)
                runs = np.diff(np.r_[change, x.size])
                f.counts[r] = int(runs[~pd.Index(x[change]).isin(list(r.arg))].sum())
            else:
                continue
            done.add(r)
    elif kind == "datetime":
        counts = s.value_counts(dropna=True)
        f.distinct, f.top_count = len(counts), int(counts.iloc[0]) if len(counts) else 0
        if stats and len(counts):
            f.min, f.max = s.min(), s.max()
    elif not strict and not _hashable(s):
        pass
    elif not (stats or distinct or top) and all(r.kind == "not_in" for r in rules):
        present_mask = s.notna().to_numpy()
        for r in rules:  # a lookup per row in the allowed values; no encoding needed
            f.counts[r] = int(np.count_nonzero(present_mask & ~s.isin(list(r.arg)).to_numpy()))
            done.add(r)
    else:
        encoded = Encoded(s, argument)
        counts_of: np.ndarray = encoded.counts
        present = counts_of > 0
        f.distinct = int(present.sum())
        f.top_count = int(counts_of.max()) if counts_of.size else 0
        if top and f.distinct:
            order = _by_count(encoded.uniques[present], counts_of[present])
            f.top = [(encoded.uniques[present][i], int(counts_of[present][i])) for i in order[:top]]
        for r in rules:
            if r.kind in ("not_in", "not_matching", "special"):
                f.counts[r] = encoded.count_where(_bad_values(encoded.uniques, r))
                done.add(r)
    for r in rules:
        if r.kind == "repeated":
            if f.distinct is None:
                f.distinct = int(s.nunique())
            f.counts[r] = n - missing - f.distinct
        elif r not in done and r.kind != "mean":
            f.counts[r] = int(np.count_nonzero(rule_mask(s, r, f, encoded)))
    return f, encoded


def _hashable(s: pd.Series) -> bool:
    try:
        require_hashable(s, "data")
    except InputError:
        return False
    return True


def _by_count(values: pd.Index, counts: np.ndarray) -> np.ndarray:
    """Positions ordered by count (descending), then by value."""
    try:
        by_value = np.argsort(np.asarray(values), kind="stable")
    except TypeError:  # values of mixed types
        by_value = np.argsort(np.array([str(v) for v in values]), kind="stable")
    rank = np.empty(len(values), np.int64)
    rank[by_value] = np.arange(len(values))
    return np.lexsort((rank, -counts))


def facts(
    data: Any,
    columns: Sequence[str],
    rules: Sequence[Rule] = (),
    *,
    top: int = 5,
    stats: bool = True,
    distinct: bool = True,
    strict: bool = True,
) -> tuple[dict[str, ColumnFacts], dict[str, Encoded | None]]:
    """:class:`~mltestkit.tables.profile.ColumnFacts` of a pandas DataFrame (in memory, with the
    encodings of its text and categorical columns) or of a :class:`narwhals.LazyFrame` (by its
    engine, no encodings); ``strict=False`` accepts columns of unhashable objects (their
    distinct values unknown)."""
    if not isinstance(data, pd.DataFrame):
        return table_facts(data, columns, rules, top=top, stats=stats, distinct=distinct), {}

    def one(c: str) -> tuple[ColumnFacts, Encoded | None]:
        mine = [r for r in rules if r.column == c]
        return column_facts(data[c], mine, top=top, stats=stats, distinct=distinct, strict=strict)

    workers = min(os.cpu_count() or 1, len(columns), 8)
    if workers > 1 and len(data) * len(columns) >= PARALLEL_CELLS:
        # numpy's sorts and Arrow's encodings release the GIL: the columns run side by side
        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(one, columns))
    else:
        done = [one(c) for c in columns]
    got = {c: d[0] for c, d in zip(columns, done, strict=True)}
    encoded = {c: d[1] for c, d in zip(columns, done, strict=True)}
    return got, encoded


def table_or_frame(data: Any, argument: str = "data") -> tuple[Any, list[str]]:
    """A pandas DataFrame as it is, or any other table as a :class:`narwhals.LazyFrame` (paths
    scanned by DuckDB), with its column names; an :class:`~mltestkit.errors.InputError` naming
    ``argument`` for other inputs and for tables without columns."""
    if isinstance(data, pd.DataFrame) or not is_table(data) or _without_duckdb(data):
        frame = load_frame(data, argument)
        return frame, list(frame.columns)
    lf = open_table(data, argument)
    names = list(lf.collect_schema().names())
    if not names:
        raise InputError(argument, "has no columns", "pass a table with at least one column")
    if len(set(names)) != len(names):
        raise InputError(argument, "has duplicated column names", "rename the columns")
    return lf, names


def _without_duckdb(data: Any) -> bool:
    """A path where DuckDB is not installed: pandas reads a single file (directories and globs
    still need DuckDB, and say so)."""
    import importlib.util

    return isinstance(data, (str, os.PathLike)) and importlib.util.find_spec("duckdb") is None


def require_rows(rows: int, argument: str = "data") -> None:
    """Refuse a table without rows, as :func:`~mltestkit.data.io.load_frame` refuses a frame."""
    if rows == 0:
        raise InputError(argument, "has no rows", "pass a table with at least one row")


def summary(f: ColumnFacts) -> dict[str, Any]:
    """The JSON record of one column's facts, for ``details["statistics"]``."""
    out: dict[str, Any] = {
        "kind": f.kind,
        "dtype": f.dtype,
        "count": f.rows - f.missing,
        "missing": f.missing,
        "missing_fraction": f.missing / f.rows if f.rows else None,
        "distinct": f.distinct,
    }
    if f.kind == "numeric":
        if f.rows > f.missing:
            out.update(
                min=plain(f.min),
                max=plain(f.max),
                mean=f.mean,
                std=f.std,
                quantiles=dict(f.quantiles),
                zeros=f.zeros,
            )
    elif f.kind == "datetime":
        if f.rows > f.missing:
            out.update(min=plain(f.min), max=plain(f.max))
    elif f.top:
        out["top"] = [{"value": plain(v), "count": int(k)} for v, k in f.top]
    return out


def describe_data(data: Any, *, top: int = 5) -> dict[str, Any]:
    """Dataset statistics: the row count and a summary of every column.

    Parameters
    ----------
    data:
        A pandas or polars DataFrame, a path (CSV, Parquet file, directory or glob), or any
        table :func:`~mltestkit.tables.open_table` reads; a table is described by its engine.
    top:
        How many most frequent categories to keep for a categorical column (ties by value).

    Returns
    -------
    dict
        ``{"rows": n, "columns": {name: {"kind", "dtype", "count", "missing",
        "missing_fraction", "distinct", ...}}}``; numeric columns add ``min``, ``max``,
        ``mean`` and ``std`` (of the finite values), ``quantiles`` and ``zeros``, datetime ones
        ``min`` and ``max``, categorical ones ``top``.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = describe_data(pd.DataFrame({"age": [30, 40, None], "city": ["a", "b", "a"]}))
    >>> stats["columns"]["age"]["missing"], stats["columns"]["city"]["top"][0]
    (1, {'value': 'a', 'count': 2})
    """
    frame, columns = table_or_frame(data)
    described, _ = facts(frame, columns, top=top)
    rows = next(iter(described.values())).rows
    require_rows(rows)
    return {"rows": rows, "columns": {c: summary(f) for c, f in described.items()}}


__all__ = ["describe_data", "facts", "summary", "table_or_frame"]


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _column_key(s: pd.Series, encoded: Encoded | None) -> np.ndarray:
    """One uint64 per row, equal for equal values (missing values equal to each other)."""
    if encoded is not None:
        return encoded.codes.astype(np.uint64)
    kind = column_kind(s)
    if kind == "numeric" and not pd.api.types.is_integer_dtype(s.dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan) + 0.0  # -0.0 == 0.0
        x[np.isnan(x)] = np.nan
        return x.view(np.uint64)
    if kind == "numeric" and s.isna().any():
        missing = s.isna().to_numpy()
        k = s.to_numpy(dtype=np.int64, na_value=0).view(np.uint64).copy()
        k[missing] = np.uint64(0x7FF8000000000001)
        return k ^ (missing.astype(np.uint64) * _MIX[2])
    if kind == "numeric":
        return s.to_numpy(dtype=np.int64).view(np.uint64)
    return pd.factorize(s, use_na_sentinel=True)[0].astype(np.uint64)


def _mix(h: np.ndarray, k: np.ndarray, i: int) -> None:
    """Fold the column keys ``k`` into the row hashes ``h``, in place."""
    with np.errstate(over="ignore"):
        np.bitwise_xor(h, k + np.uint64(i + 1) * _MIX[0], out=h)
        np.multiply(h, _MIX[1], out=h)
        np.bitwise_xor(h, h >> np.uint64(31), out=h)
        np.multiply(h, _MIX[2], out=h)
        np.bitwise_xor(h, h >> np.uint64(29), out=h)


def row_keys(frame: pd.DataFrame, columns: Sequence[str], encoded: dict[str, Encoded | None]) -> np.ndarray:
    """A 64-bit hash of each row over ``columns``: equal rows get equal keys; two different rows
    share one with probability about 2^-64."""
    h = np.zeros(len(frame), dtype=np.uint64)
    for i, c in enumerate(columns):
        _mix(h, _column_key(frame[c], encoded.get(c)), i)
    return h


def _repeats(keys: np.ndarray) -> tuple[int, np.ndarray]:
    """Rows minus distinct keys, and the sorted keys that occur more than once."""
    x = np.sort(keys)
    same = x[1:] == x[:-1]
    extra = int(np.count_nonzero(same))
    return extra, (np.unique(x[1:][same]) if extra else x[:0])


def _rows_with(keys: np.ndarray, many: np.ndarray) -> np.ndarray:
    """A mask of the rows whose key is among the sorted keys ``many``."""
    if not many.size:
        return np.zeros(len(keys), bool)
    pos = np.minimum(np.searchsorted(many, keys), many.size - 1)
    return many[pos] == keys


class RowFacts:
    """Duplicate rows and conflicting labels of a pandas DataFrame, from row hashes.

    ``duplicates``: rows that repeat an earlier row over the features and the label;
    ``conflicts``: rows in groups of identical features that carry more than one label.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        features: Sequence[str],
        label: str | None,
        encoded: dict[str, Encoded | None],
    ) -> None:
        feats = row_keys(frame, features, encoded)
        self.conflicts = 0
        self._conflicting = np.zeros(0, np.int64)
        extra, many = _repeats(feats)
        # rows can repeat over the features and the label only where the features repeat
        self._rows = np.flatnonzero(_rows_with(feats, many)) if extra else np.zeros(0, np.int64)
        self.whole = feats[self._rows]
        if label is not None and self._rows.size:
            enc = encoded.get(label)
            if enc is not None:
                y = enc.codes[self._rows].astype(np.uint64)
            else:
                y = _column_key(frame[label].iloc[self._rows], None)
            groups = pd.DataFrame({"f": self.whole, "y": y})
            hit = groups.groupby("f", sort=False)["y"].transform("nunique").to_numpy() > 1
            self._conflicting = self._rows[hit]
            self.conflicts = int(hit.sum())
            self.whole = self.whole.copy()
            _mix(self.whole, y, len(features))
        self.duplicates, self._many = _repeats(self.whole)

    def duplicate_sample(self, size: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the first duplicated rows, and of the earlier rows they repeat."""
        inner = np.flatnonzero(_rows_with(self.whole, self._many))
        pos, keys = self._rows[inner], pd.Series(self.whole[inner])
        dup = keys.duplicated(keep="first").to_numpy()
        first = pd.Series(pos, index=keys.to_numpy()).groupby(level=0).transform("min").to_numpy()
        return pos[dup][:size], first[dup][:size]

    def conflict_positions(self, size: int = 5) -> np.ndarray:
        return self._conflicting[:size]


def class_counts(s: pd.Series) -> list[tuple[Any, int]]:
    """Rows per present value of a pandas column, most frequent first (ties by value)."""
    if column_kind(s) == "numeric":
        x = _sorted_values(s)
        starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]]) if x.size else np.zeros(0, int)
        values, counts = pd.Index(x[starts]), _runs(x)
    else:
        enc = Encoded(s, "label")
        present = enc.counts > 0
        values, counts = enc.uniques[present], enc.counts[present]
    order = _by_count(values, counts)
    return [(values[i].item() if hasattr(values[i], "item") else values[i], int(counts[i])) for i in order]


def column_kinds(frame: Any, columns: Sequence[str]) -> dict[str, str]:
    """``bool``, ``numeric``, ``datetime`` or ``categorical`` per column, from the dtypes alone."""
    if isinstance(frame, pd.DataFrame):
        return {c: column_kind(frame[c]) for c in columns}
    schema = frame.collect_schema()
    return {c: table_column_kind(schema[c]) for c in columns}


def text_columns(frame: Any, columns: Sequence[str]) -> list[str]:
    """The columns holding text (not categorical), for the special-character rule."""
    if isinstance(frame, pd.DataFrame):
        return [c for c in columns if is_text(frame[c])]
    import narwhals as nw

    schema = frame.collect_schema()
    return [c for c in columns if schema[c] == nw.String]


def require_names(names: Sequence[str], wanted: Sequence[Any], argument: str) -> list[str]:
    """The columns ``wanted``, each checked to be among ``names``; a close match is suggested."""
    import difflib

    out = []
    for c in wanted:
        if c not in names:
            close = difflib.get_close_matches(str(c), [str(x) for x in names], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the columns are {list(names)[:20]}"
            raise InputError(argument, f"column {c!r} is not in data", hint)
        out.append(c)
    return out


def table_sample(values: Sequence[Any]) -> list[dict[str, Any]]:
    """Offending values of a table, without row positions (a table has no order)."""
    return [{"value": plain(v)} for v in values]
