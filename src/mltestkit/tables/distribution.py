"""How two tables' columns are distributed, computed by their engines: what drift and leakage read.

- :func:`open_pair`: two tables on one engine when it can (two paths, or a path and an in-memory
  frame, share one DuckDB connection; a frame beside a DuckDB relation goes on its connection), so
  that one query can read both;
- :func:`summary`: per column, rows, missing values (null or NaN), finite values, min and max;
- :func:`category_counts`: rows per value, missing values kept;
- :func:`value_cells`: rows of two tables per distinct value of a column (:class:`Cells`), from
  which missing values, KS, Wasserstein, order statistics and bin counts follow exactly;
- :func:`bin_counts`: rows per bin of given edges, for many columns in one aggregate query;
- :func:`refined_distances`: the exact distances and order statistics of a column of many distinct
  values, from two fine histograms and the rows of the few bins they leave open;
- :func:`ecdf_distances`: the Kolmogorov-Smirnov and Wasserstein distances of two tables in one
  engine, exactly: rows per distinct value of both, then the gap between the two empirical CDFs
  in value order (a window over the distinct values), and order statistics of the first table;
- :func:`fine_histogram` and :func:`sketch_distances`: a mergeable sketch for engines where ordering
  every distinct value is costly (Spark) or tables in two engines: per equal-width bin, the count,
  sum, min and max of the values; from two sketches, an interval that holds the exact KS and
  Wasserstein distances (see :func:`sketch_distances`);
- :func:`order_statistics`: exact order statistics from a sketch, reading only the rows of the
  few bins that hold them.

Examples
--------
>>> import pandas as pd
>>> a = open_table(pd.DataFrame({"x": [1.0, 2.0, 2.0, 5.0]}))
>>> b = open_table(pd.DataFrame({"x": [1.5, 2.0, 3.0]}))
>>> ks, w, order = ecdf_distances(a, b, "x", "numeric", 4, 3, [0, 3])
>>> round(ks, 4), round(w, 4), order.tolist()
(0.25, 0.75, [1.0, 5.0])
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .pushdown import PREFIX, collect, grouped_counts, nw_module, to_numpy
from .source import connection, engine, open_table

#: Equal-width bins of the sketch (:func:`fine_histogram`).
SKETCH_BINS = 1 << 16
#: Equal-width bins of the sketches that :func:`refined_distances` refines: finer bins leave fewer
#: rows in the bins it reads.
REFINED_BINS = 1 << 20
#: The most rows :func:`refined_distances` reads from the bins its sketches leave open.
OPEN_ROWS = 1 << 22
#: Engines that order every distinct value cheaply: they compute exact distances.
SORTING_ENGINES = ("duckdb", "polars", "pandas", "modin", "cudf")


def open_pair(a: Any, b: Any, arguments: tuple[str, str]) -> tuple[Any, Any, bool]:
    """Both tables as LazyFrames, and whether one query can read both (same engine and session).

    Paths and Arrow data are scanned on one DuckDB connection, and a pandas or polars DataFrame
    or a polars LazyFrame beside them is scanned on it too. Beside a DuckDB relation, such a frame
    or Arrow data is scanned on the relation's connection.
    """
    import os

    def scanned(x: Any) -> bool:
        return isinstance(x, (str, os.PathLike)) or type(x).__module__.split(".")[0] == "pyarrow"

    def frame(x: Any) -> bool:
        module, name = type(x).__module__.split(".")[0], type(x).__name__
        return (module, name) in (("pandas", "DataFrame"), ("polars", "DataFrame"), ("polars", "LazyFrame"))

    def relation(x: Any) -> bool:
        return type(x).__name__ == "DuckDBPyRelation"

    if relation(a) != relation(b) and not any(isinstance(x, (str, os.PathLike)) for x in (a, b)):
        con = a if relation(a) else b
    else:
        con = connection() if scanned(a) or scanned(b) else None
    out = []
    for x, argument in zip((a, b), arguments, strict=True):
        lf = None
        if con is not None and x is not con and (scanned(x) or frame(x)):
            try:
                lf = open_table(x, argument, con=con)
            except Exception:  # a frame DuckDB cannot scan (mixed objects): read as it is
                lf = None
        out.append(lf if lf is not None else open_table(x, argument))
    return out[0], out[1], _combinable(out[0], out[1])


def _combinable(a: Any, b: Any) -> bool:
    nw = nw_module()
    if engine(a) != engine(b):
        return False
    try:
        probe = nw.concat([a.select(nw.len().alias(PREFIX + "n")), b.select(nw.len().alias(PREFIX + "n"))])
        collect(probe)
    except Exception:  # two DuckDB connections, or engines that refuse to mix
        return False
    return True


def as_float(lf: Any, column: str, kind: str) -> Any:
    """The column of ``lf`` as float64; dates as seconds since 1970-01-01, since 1970-01-01 UTC for
    dates with a time zone (instants, whatever the zone of the column, process or connection)."""
    nw = nw_module()
    x = nw.col(column)
    if kind != "datetime":
        return x.cast(nw.Float64)
    name = engine(lf)
    if name in ("pyspark", "sqlframe"):
        return x.cast(nw.Float64)  # Spark casts a timestamp to the seconds of its instant
    if getattr(lf.collect_schema()[column], "time_zone", None):
        if name == "duckdb":  # TIMESTAMPTZ: epoch_us of the instant (a cast would use the connection's zone)
            return x.dt.total_microseconds().cast(nw.Float64) / 1e6
        x = x.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    since = x.cast(nw.Datetime("us")) - nw.lit(datetime.datetime(1970, 1, 1))
    return since.dt.total_microseconds().cast(nw.Float64) / 1e6


def _finite(x: Any) -> Any:
    return x.is_finite().fill_null(False)


@dataclass(frozen=True)
class Summary:
    """Rows of a table and, per column: missing values (null or NaN), finite values (numeric and
    date columns), and the least and greatest finite value (``None`` if there is none)."""

    rows: int
    missing: dict[str, int]
    finite: dict[str, int]
    low: dict[str, float | None]
    high: dict[str, float | None]


def summary(lf: Any, kinds: dict[str, str]) -> Summary:
    """One scan: rows, and per column of ``kinds`` (``numeric``, ``datetime`` or other) its missing values
    and, for numbers and dates, its finite values, min and max.

    >>> import pandas as pd
    >>> s = summary(open_table(pd.DataFrame({"x": [1.0, None, float("inf"), 3.0]})), {"x": "numeric"})
    >>> s.rows, s.missing, s.finite, s.low, s.high
    (4, {'x': 1}, {'x': 2}, {'x': 1.0}, {'x': 3.0})
    """
    nw = nw_module()
    p = PREFIX
    exprs = [nw.len().alias(p + "rows")]
    numeric = [c for c, k in kinds.items() if k in ("numeric", "datetime")]
    for i, c in enumerate(kinds):
        if c in numeric:
            x = as_float(lf, c, kinds[c])
            missing = (x.is_null() | x.is_nan().fill_null(False)).cast(nw.Int64).sum()
            exprs += [
                missing.alias(f"{p}m{i}"),
                _finite(x).cast(nw.Int64).sum().alias(f"{p}f{i}"),
                nw.when(_finite(x)).then(x).min().alias(f"{p}lo{i}"),
                nw.when(_finite(x)).then(x).max().alias(f"{p}hi{i}"),
            ]
        else:
            exprs.append(nw.col(c).null_count().alias(f"{p}m{i}"))
    row = collect(lf.select(*exprs)).to_pylist()[0]
    names = list(kinds)
    return Summary(
        int(row[p + "rows"]),
        {c: int(row[f"{p}m{i}"] or 0) for i, c in enumerate(names)},
        {c: int(row[f"{p}f{i}"] or 0) for i, c in enumerate(names) if c in numeric},
        {c: _number(row[f"{p}lo{i}"]) for i, c in enumerate(names) if c in numeric},
        {c: _number(row[f"{p}hi{i}"]) for i, c in enumerate(names) if c in numeric},
    )


def _number(v: Any) -> float | None:
    return None if v is None else float(v)


def finite_values(lf: Any, column: str, kind: str) -> np.ndarray:
    """The finite values of a column, collected (for small tables)."""
    name = PREFIX + "v"
    x = as_float(lf, column, kind)
    table = collect(lf.select(x.alias(name)).filter(_finite(nw_module().col(name))))
    return np.asarray(to_numpy(table.column(0)), dtype=float)


def category_counts(lf: Any, column: str) -> tuple[list[Any], np.ndarray]:
    """The distinct values of a column (``None`` for missing ones) and their rows.

    >>> import pandas as pd
    >>> values, counts = category_counts(open_table(pd.DataFrame({"c": ["a", None, "a"]})), "c")
    >>> sorted(zip(values, counts.tolist()), key=str)
    [('a', 2), (None, 1)]
    """
    c = grouped_counts(lf, [column])
    values = [None if v is None or (isinstance(v, float) and v != v) else v for v in c.keys[column].tolist()]
    return values, c.counts


#: The most distinct values of a numeric column whose rows per value are collected from a table by
#: :func:`value_cells`; beyond it :func:`refined_distances` (or :func:`ecdf_distances`) takes over.
CELL_LIMIT = 1 << 20


@dataclass(frozen=True)
class Cells:
    """Rows of two tables per distinct value of one column (see :func:`value_cells`).

    ``values`` holds the values: floats for numbers and dates (NaN where missing), in no order;
    for categories the values themselves (``None`` where missing). ``a`` and ``b`` hold the rows
    of each table per value.
    """

    values: Any
    a: np.ndarray
    b: np.ndarray

    def missing(self) -> tuple[int, int]:
        """Each table's missing values (null or NaN)."""
        if isinstance(self.values, np.ndarray) and self.values.dtype.kind == "f":
            gone = np.isnan(self.values)
        else:
            gone = np.array([v is None for v in self.values], dtype=bool)
        return int(self.a[gone].sum()), int(self.b[gone].sum())

    def finite(self) -> Cells:
        """The cells of finite values, in value order."""
        keep = np.isfinite(self.values)
        order = np.argsort(self.values[keep], kind="stable")
        return Cells(self.values[keep][order], self.a[keep][order], self.b[keep][order])

    def distances(self, ranks: Sequence[int]) -> tuple[float, float, np.ndarray]:
        """KS and Wasserstein distances of the two tables' finite values, and the values of the
        first at the 0-based ``ranks``: the figures of :func:`ecdf_distances`, computed here."""
        f = self.finite()
        n, m = int(f.a.sum()), int(f.b.sum())
        ca, cb = np.cumsum(f.a), np.cumsum(f.b)
        steps = ca * m - cb * n
        gap = steps / (n * m)
        w = float(np.sum(np.abs(gap[:-1]) * np.diff(f.values)))
        order = f.values[np.searchsorted(ca, np.asarray(ranks, dtype=np.int64), side="right")]
        return int(np.abs(steps).max()) / (n * m), w, order

    def below(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each table's finite values per bin of the inner ``edges`` (bin ``i`` holds
        ``[edges[i-1], edges[i])``; the outer bins open), as :func:`bin_counts`."""
        f = self.finite()
        at = np.searchsorted(f.values, edges, side="left")
        out = []
        for counts in (f.a, f.b):
            cum = np.r_[0, np.cumsum(counts)]
            out.append(np.diff(cum[at], prepend=0, append=cum[-1]))
        return out[0], out[1]


def value_cells(a: Any, b: Any, column: str, kind: str, limit: int | None = None) -> Cells | None:
    """Rows of ``a`` and of ``b`` per distinct value of ``column`` (one grouped count on each table,
    merged); ``None`` when a numeric column has more than ``limit`` (default :data:`CELL_LIMIT`)
    distinct values in a table.

    Numbers and dates are grouped as floats (see :func:`as_float`), other columns by their values.
    The tables may be in two engines. A numeric column is first counted over ``2 * limit`` of its
    rows: more than ``limit`` values there end the count, and a table of fewer rows is done.

    >>> import pandas as pd
    >>> a = open_table(pd.DataFrame({"x": [1.0, 2.0, 2.0, None]}))
    >>> b = open_table(pd.DataFrame({"x": [2.0, 3.0]}))
    >>> f = value_cells(a, b, "x", "numeric").finite()
    >>> f.values.tolist(), f.a.tolist(), f.b.tolist()
    ([1.0, 2.0, 3.0], [1, 2, 0], [0, 1, 1])
    """
    if kind not in ("numeric", "datetime"):
        joined: dict[Any, list[int]] = {}
        for side, lf in enumerate((a, b)):
            for v, k in zip(*category_counts(lf, column), strict=True):
                joined.setdefault(v, [0, 0])[side] += int(k)
        both = np.array(list(joined.values()), dtype=np.int64).reshape(-1, 2)
        return Cells(list(joined), both[:, 0], both[:, 1])
    nw = nw_module()
    v = PREFIX + "v"
    limit = CELL_LIMIT if limit is None else limit
    keys, counts = [], []
    for lf in (a, b):
        x = lf.select(as_float(lf, column, kind).alias(v))
        for rows in (x.head(2 * limit), x):  # a first look at some rows avoids a vain count of many values
            grouped = rows.group_by(v, drop_null_keys=False).agg(nw.len().alias(PREFIX + "n"))
            table = collect(grouped.head(limit + 1))
            if table.num_rows > limit:
                return None
            n = to_numpy(table.column(PREFIX + "n")).astype(np.int64)
            if int(n.sum()) < 2 * limit:  # the first look saw every row
                break
        keys.append(to_numpy(table.column(v)).astype(float))
        counts.append(n)
    values, where = np.unique(np.concatenate(keys), return_inverse=True)
    sides = [np.zeros(values.size, np.int64) for _ in keys]
    np.add.at(sides[0], where[: keys[0].size], counts[0])
    np.add.at(sides[1], where[keys[0].size :], counts[1])
    return Cells(values, sides[0], sides[1])


def bin_counts(lf: Any, columns: dict[str, tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Finite values per bin of each column, for every column in one aggregate query.

    ``columns`` maps a column to its kind and inner edges: bin ``i`` holds values in
    ``[edges[i-1], edges[i])``, the outer bins open (``len(edges) + 1`` bins).

    >>> import pandas as pd
    >>> lf = open_table(pd.DataFrame({"x": [0.5, 1.0, 2.5, None, float("inf")]}))
    >>> bin_counts(lf, {"x": ("numeric", np.array([1.0, 2.0]))})["x"].tolist()
    [1, 1, 1]
    """
    nw = nw_module()
    p = PREFIX
    exprs = []
    for i, (c, (kind, edges)) in enumerate(columns.items()):
        x = as_float(lf, c, kind)
        exprs.append(_finite(x).cast(nw.Int64).sum().alias(f"{p}n{i}"))
        exprs += [
            (_finite(x) & (x < float(e))).cast(nw.Int64).sum().alias(f"{p}b{i}_{j}")
            for j, e in enumerate(edges)
        ]
    if not exprs:
        return {}
    row = collect(lf.select(*exprs)).to_pylist()[0]
    out = {}
    for i, (c, (_, edges)) in enumerate(columns.items()):
        cum = [int(row[f"{p}b{i}_{j}"] or 0) for j in range(len(edges))]
        out[c] = np.diff(np.array([0, *cum, int(row[f"{p}n{i}"] or 0)], dtype=np.int64))
    return out


def sorts_cheaply(lf: Any) -> bool:
    """Whether the engine of ``lf`` orders every distinct value cheaply (see :data:`SORTING_ENGINES`)."""
    return engine(lf) in SORTING_ENGINES


def ecdf_distances(
    a: Any, b: Any, column: str, kind: str, n_a: int, n_b: int, ranks: Sequence[int]
) -> tuple[float, float, np.ndarray]:
    """The KS and Wasserstein distances of the finite values of ``column`` in ``a`` and ``b``
    (one engine; see :func:`open_pair`), and the values of ``a`` at the 0-based ``ranks``.

    ``n_a`` and ``n_b`` are the finite values of each (from :func:`summary`). The gap between the
    empirical CDFs after each distinct value gives KS (its largest size) and Wasserstein (its size
    times the distance to the next distinct value, summed): the same figures as a merge of the two
    sorted samples, Wasserstein to floating-point rounding. Every window runs in value order, so
    the engine sorts the distinct values once.
    """
    nw = nw_module()
    p = PREFIX
    v, ca, cb = p + "v", p + "ca", p + "cb"
    one, zero = nw.lit(1, nw.Int64), nw.lit(0, nw.Int64)
    x = as_float(a, column, kind)
    both = nw.concat(
        [
            a.select(x.alias(v), one.alias(p + "a"), zero.alias(p + "b")),
            b.select(x.alias(v), zero.alias(p + "a"), one.alias(p + "b")),
        ]
    ).filter(_finite(nw.col(v)))
    cells = both.group_by(v).agg(nw.col(p + "a").sum().alias(p + "a"), nw.col(p + "b").sum().alias(p + "b"))
    cells = cells.with_columns(
        nw.col(p + "a").cum_sum().over(order_by=v).alias(ca),
        nw.col(p + "b").cum_sum().over(order_by=v).alias(cb),
        nw.col(v).shift(-1).over(order_by=v).alias(p + "next"),
    ).with_columns((nw.col(ca) * int(n_b) - nw.col(cb) * int(n_a)).alias(p + "steps"))
    gap = nw.col(p + "steps").cast(nw.Float64) / float(n_a * n_b)
    aggs = [
        nw.col(p + "steps").abs().max().alias(p + "ks"),
        (gap.abs() * (nw.col(p + "next") - nw.col(v))).sum().alias(p + "w"),
    ] + [nw.when(nw.col(ca) > int(k)).then(nw.col(v)).min().alias(f"{p}r{i}") for i, k in enumerate(ranks)]
    row = collect(cells.select(*aggs)).to_pylist()[0]
    order = np.array([row[f"{p}r{i}"] for i in range(len(ranks))], dtype=float)
    return int(row[p + "ks"] or 0) / (n_a * n_b), float(row[p + "w"] or 0.0), order


@dataclass(frozen=True)
class Histogram:
    """A mergeable sketch of a column's finite values: per equal-width bin of ``[low, high]``, the
    values' count, their sum less ``low``, min and max (NaN for empty bins). Two sketches of one
    column over the same ``low``, ``high`` and bins merge by adding counts and sums."""

    low: float
    high: float
    count: np.ndarray
    total: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @property
    def edges(self) -> np.ndarray:
        """The bins' edges, ``low`` to ``high``."""
        return np.linspace(self.low, self.high, self.count.size + 1)


def _code(x: Any, low: float, high: float, bins: int) -> Any:
    nw = nw_module()
    if high <= low:
        return nw.lit(0, nw.Int64) + (x * 0).cast(nw.Int64)
    scale = bins / (high - low)
    return ((x - low) * scale).floor().clip(0, bins - 1).cast(nw.Int64)


def fine_histogram(
    lf: Any, column: str, kind: str, low: float, high: float, bins: int = SKETCH_BINS
) -> Histogram:
    """The sketch of a column over ``bins`` equal-width bins of ``[low, high]`` (one grouped aggregate)."""
    nw = nw_module()
    p = PREFIX
    x = nw.col(p + "v")
    base = lf.select(as_float(lf, column, kind).alias(p + "v")).filter(_finite(x))
    table = collect(
        base.with_columns(_code(x, low, high, bins).alias(p + "bin"), (x - low).alias(p + "s"))
        .group_by(p + "bin")
        .agg(
            nw.len().alias(p + "n"),
            nw.col(p + "s").sum().alias(p + "s"),
            x.min().alias(p + "lo"),
            x.max().alias(p + "hi"),
        )
    )
    codes = to_numpy(table.column(p + "bin")).astype(np.int64)
    count = np.zeros(bins, np.int64)
    total = np.zeros(bins)
    lo = np.full(bins, np.nan)
    hi = np.full(bins, np.nan)
    count[codes] = to_numpy(table.column(p + "n")).astype(np.int64)
    total[codes] = to_numpy(table.column(p + "s")).astype(float)
    lo[codes] = to_numpy(table.column(p + "lo")).astype(float)
    hi[codes] = to_numpy(table.column(p + "hi")).astype(float)
    return Histogram(float(low), float(high), count, total, lo, hi)


def sketch_distances(a: Histogram, b: Histogram) -> dict[str, tuple[float, float]]:
    """Intervals that hold the exact KS and Wasserstein distances of the two sketched samples.

    At each bin edge the gap ``g`` between the empirical CDFs is known exactly, and inside a bin
    it is ``g`` up to the bin's least value and the next edge's gap from its greatest value on. In
    between it moves by at most the bin's share of each sample, so it lies in
    ``[g - share_b, g + share_a]``; where that range does not hold 0 (or the bin holds a single
    value) the Wasserstein integral over the bin is exact (from the sums), otherwise it lies
    between the size of the signed integral and the largest size the range allows. KS lies between
    the largest known gap and the largest size of those ranges. Bins holding one distinct value,
    or values of one sample only, give no uncertainty to KS.

    >>> h = Histogram(0.0, 2.0, np.array([1, 1]), np.array([0.5, 1.5]), np.array([0.5, 1.5]), np.array([0.5, 1.5]))
    >>> k = Histogram(0.0, 2.0, np.array([0, 2]), np.array([0.0, 2.0]), np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    >>> {name: [round(v, 3) for v in pair] for name, pair in sketch_distances(h, k).items()}
    {'ks': [0.5, 1.0], 'wasserstein': [0.5, 0.5]}
    """
    na, nb = int(a.count.sum()), int(b.count.sum())
    edges = a.edges
    share_a, share_b = a.count / na, b.count / nb
    gap = np.concatenate([[0], np.cumsum(a.count) * nb - np.cumsum(b.count) * na]) / (na * nb)
    g0, g1 = gap[:-1], gap[1:]
    occupied = (a.count + b.count) > 0
    with np.errstate(invalid="ignore"):
        mn = np.where(occupied, np.fmin(a.min, b.min), edges[1:])
        mx = np.where(occupied, np.fmax(a.max, b.max), edges[1:])
    mn = np.clip(mn, edges[:-1], edges[1:])
    mx = np.clip(mx, mn, edges[1:])
    inner = mx - mn
    known = np.abs(g0) * (mn - edges[:-1]) + np.abs(g1) * (edges[1:] - mx)
    signed = g0 * inner + (a.count * (mx - a.low) - a.total) / na - (b.count * (mx - b.low) - b.total) / nb
    lo_g, hi_g = g0 - share_b, g0 + share_a
    crossing = (lo_g < 0) & (hi_g > 0) & (inner > 0)
    upper = np.minimum.reduce(
        [inner * np.maximum(-lo_g, hi_g), signed + 2 * inner * -lo_g, -signed + 2 * inner * hi_g]
    )
    w_low = float(np.sum(known + np.abs(signed)))
    w_high = float(np.sum(known + np.where(crossing, np.maximum(upper, np.abs(signed)), np.abs(signed))))
    mixed = (a.count > 0) & (b.count > 0) & (inner > 0)
    ks_low = float(np.max(np.abs(gap)))
    ks_high = max(ks_low, float(np.max(np.where(mixed, np.maximum(-lo_g, hi_g), 0.0), initial=0.0)))
    slack = 1e-12 * max(a.high - a.low, 0.0)  # floating-point rounding of the sums
    return {"ks": (ks_low, ks_high), "wasserstein": (max(0.0, w_low - slack), w_high + slack)}


def order_statistics(lf: Any, column: str, kind: str, sketch: Histogram, ranks: Sequence[int]) -> np.ndarray:
    """The values of a table's column at 0-based ``ranks`` among its finite values, exactly.

    The sketch locates each rank's bin; a bin of one distinct value gives it directly, the others
    are read: the rows per distinct value of those bins only.
    """
    where, out = _rank_bins(sketch, ranks)
    todo = np.zeros(sketch.count.size, dtype=bool)
    todo[where[out != out]] = True
    return _ranked(sketch, ranks, *bin_cells(lf, column, kind, sketch, todo))


def _rank_bins(sketch: Histogram, ranks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The bin of each rank, and its value where the bin holds one distinct value (NaN elsewhere)."""
    where = np.searchsorted(np.cumsum(sketch.count), np.asarray(ranks, dtype=np.int64), side="right")
    return where, np.where(sketch.min[where] == sketch.max[where], sketch.min[where], np.nan)


def _ranked(
    sketch: Histogram, ranks: Sequence[int], codes: np.ndarray, values: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """The values at ``ranks``, from the sketch and the rows per distinct value of some bins
    (:func:`bin_cells`, in value order), which hold every rank the sketch leaves open."""
    where, out = _rank_bins(sketch, ranks)
    cum = np.cumsum(sketch.count)
    for i, (k, j) in enumerate(zip(np.asarray(ranks, dtype=np.int64), where, strict=True)):
        if out[i] != out[i]:
            inside = codes == j
            run = np.cumsum(counts[inside])
            out[i] = values[inside][np.searchsorted(run, k - int(cum[j] - sketch.count[j]), side="right")]
    return out


def bin_cells(
    lf: Any, column: str, kind: str, sketch: Histogram, todo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows per distinct finite value of the sketch's bins where ``todo`` is true, in value
    order: each value's bin, the value and its rows (one grouped count over those rows only)."""
    nw = nw_module()
    p = PREFIX
    bins = np.flatnonzero(todo)
    if bins.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    x = nw.col(p + "v")
    base = lf.select(as_float(lf, column, kind).alias(p + "v")).filter(_finite(x))
    base = base.with_columns(_code(x, sketch.low, sketch.high, sketch.count.size).alias(p + "bin"))
    table = collect(
        base.filter(nw.col(p + "bin").is_in(bins.tolist()))
        .group_by(p + "bin", p + "v")
        .agg(nw.len().alias(p + "n"))
    )
    codes = to_numpy(table.column(p + "bin")).astype(np.int64)
    values = to_numpy(table.column(p + "v")).astype(float)
    counts = to_numpy(table.column(p + "n")).astype(np.int64)
    order = np.lexsort((values, codes))
    return codes[order], values[order], counts[order]


def refined_distances(
    a: Any, b: Any, column: str, kind: str, sketches: tuple[Histogram, Histogram], ranks: Sequence[int],
    limit: int | None = None,
) -> tuple[float, float, np.ndarray] | None:  # fmt: skip
    """The exact KS and Wasserstein distances of two tables' finite values, and the values of
    ``a`` at the 0-based ``ranks``, from their sketches (:func:`fine_histogram` over the same bins)
    and the rows per distinct value of the few bins the sketches leave open; ``None`` when those
    bins hold more than ``limit`` rows (default :data:`OPEN_ROWS`).

    A bin is left open where the gap between the two empirical CDFs may change sign inside it
    (Wasserstein), or may exceed the largest gap at the edges (KS), or where a rank falls in a bin
    of several values. Elsewhere the bin's integral of the gap follows from its counts and sums
    (see :func:`sketch_distances`). The tables may be in two engines.
    """
    ha, hb = sketches
    n, m = int(ha.count.sum()), int(hb.count.sum())
    edges = ha.edges
    steps = np.r_[0, np.cumsum(ha.count) * m - np.cumsum(hb.count) * n]  # the gap times n * m at each edge
    g0, g1 = steps[:-1], steps[1:]
    low_g, high_g = g0 - hb.count * n, g0 + ha.count * m
    occupied = (ha.count + hb.count) > 0
    with np.errstate(invalid="ignore"):
        mn = np.where(occupied, np.fmin(ha.min, hb.min), edges[1:])
        mx = np.where(occupied, np.fmax(ha.max, hb.max), edges[1:])
    several = mx > mn
    ks_edges = int(np.abs(steps).max())
    mixed = (ha.count > 0) & (hb.count > 0)
    todo = several & (((low_g < 0) & (high_g > 0)) | (mixed & (np.maximum(-low_g, high_g) > ks_edges)))
    where, known = _rank_bins(ha, ranks)
    todo_a = todo.copy()
    todo_a[where[known != known]] = True
    limit = OPEN_ROWS if limit is None else limit
    if int(ha.count[todo_a].sum() + hb.count[todo].sum()) > limit:
        return None
    cells_a = bin_cells(a, column, kind, ha, todo_a)
    cells_b = bin_cells(b, column, kind, hb, todo)
    order = _ranked(ha, ranks, *cells_a)
    # closed bins: the gap keeps its sign, the integral of its size is the size of its integral
    nm = float(n) * float(m)
    f0, f1 = g0 / nm, g1 / nm
    inner = mx - mn
    signed = (
        f0 * inner + (ha.count * (mx - ha.low) - ha.total) / n - (hb.count * (mx - hb.low) - hb.total) / m
    )
    closed = np.abs(f0) * (mn - edges[:-1]) + np.abs(f1) * (edges[1:] - mx) + np.abs(signed)
    w = float(np.sum(np.where(todo, 0.0, closed)))
    # open bins: the gap after each distinct value
    keep = todo[cells_a[0]]
    codes = np.concatenate([cells_a[0][keep], cells_b[0]])
    values = np.concatenate([cells_a[1][keep], cells_b[1]])
    d = np.concatenate([cells_a[2][keep] * m, -cells_b[2] * n])
    if values.size:
        uniq, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        code = codes[first]
        jump = np.zeros(uniq.size, np.int64)
        np.add.at(jump, inverse, d)
        cs = np.cumsum(jump)
        start = np.r_[True, code[1:] != code[:-1]]
        begin = np.maximum.accumulate(np.where(start, np.arange(uniq.size), 0))
        gap = g0[code] + cs - (cs[begin] - jump[begin])
        following = np.r_[uniq[1:], np.inf]
        last = np.r_[code[1:] != code[:-1], True]
        following = np.where(last, edges[code + 1], following)
        w += float(np.sum(np.abs(gap) / nm * (following - uniq)))
        w += float(np.sum(np.abs(f0[code[start]]) * (uniq[start] - edges[code[start]])))
        ks_edges = max(ks_edges, int(np.abs(gap).max()))
    return ks_edges / (n * m), w, order
