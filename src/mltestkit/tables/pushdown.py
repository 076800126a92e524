"""Sufficient statistics computed by the engine that holds the table; only they are collected.

Every function here reads a :class:`narwhals.LazyFrame` (see :func:`~mltestkit.tables.open_table`),
selects the columns it needs, lets the engine group and sum, and returns numpy arrays whose size
is bounded by the number of groups or bins, never by the number of rows:

- :func:`grouped_counts`: rows (and, with weights, ``sum w`` and ``sum w**2``) per distinct
  combination of key columns: confusion counts per slice and group are this with the slice,
  label and prediction columns as keys;
- :func:`column_profile`: per column, rows, nulls, distinct values, min and max;
- :func:`duplicate_rows`: rows that repeat an earlier row over some columns;
- :func:`histogram`: counts per bin of given edges (PSI, chi-square, KS, Wasserstein);
- :func:`quantiles`: exact (linear) quantiles, e.g. for bin edges.

Examples
--------
>>> import pandas as pd
>>> from mltestkit.tables import open_table
>>> lf = open_table(pd.DataFrame({"g": ["a", "b", "a"], "y": [1, 0, 1]}))
>>> c = grouped_counts(lf, ["g", "y"])
>>> c.keys["g"].tolist(), c.keys["y"].tolist(), c.counts.tolist()
(['a', 'b'], [1, 0], [2, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError

#: Prefix of the columns the statistics add to a table (DuckDB compares names case-insensitively).
PREFIX = "__mltestkit_"


def nw_module() -> Any:
    import narwhals as nw

    return nw


def to_numpy(column: Any) -> np.ndarray:
    """A collected Arrow column as numpy: integers (DuckDB's 128-bit sums too) as int64 or float."""
    import pyarrow as pa

    t = column.type
    if pa.types.is_decimal(t):
        column = column.cast(pa.float64()) if t.scale else column.cast(pa.int64())
    elif pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
    return np.asarray(column.to_numpy(zero_copy_only=False))


def collect(lf: Any) -> Any:
    """The (small) result of a query as a ``pyarrow.Table``."""
    return lf.collect(backend="pyarrow").to_native()


def check_weights(lf: Any, weight: str, argument: str = "sample_weight") -> None:
    """Sample weights must be numbers >= 0, finite and present in every row (as in memory)."""
    nw = nw_module()
    if not lf.collect_schema()[weight].is_numeric():
        raise InputError(
            argument, f"column {weight!r} is not numeric", "name a column of non-negative weights"
        )
    w = nw.col(weight).cast(nw.Float64)
    out = collect(
        lf.select(
            w.min().alias(PREFIX + "min"),
            (w.is_null() | ~w.is_finite()).cast(nw.Int64).sum().alias(PREFIX + "bad"),
            (w < 0).cast(nw.Int64).sum().alias(PREFIX + "negative"),
        )
    )
    low = out.column(0)[0].as_py()
    bad, negative = (int(out.column(i)[0].as_py() or 0) for i in (1, 2))
    if bad or negative:
        found = [f"{bad} missing or infinite"] * bool(bad) + [f"{negative} negative, smallest {low}"] * bool(
            negative
        )
        raise InputError(
            argument,
            f"column {weight!r} must hold finite weights >= 0 ({', '.join(found)})",
            "drop or fill those rows first, or leave sample_weight out",
        )


@dataclass(frozen=True)
class Counts:
    """Rows per distinct combination of key columns.

    ``keys`` maps each key column to its values (one per combination, ``None``/NaN where the
    key is missing); ``rows`` the rows of each combination; ``counts`` the rows again (integers)
    or, with weights, their summed weights ``sum w`` (floats), and ``squares`` the summed
    squared weights ``sum w**2`` (``None`` without weights), which the intervals read as in
    memory (Kish's effective size ``(sum w)**2 / sum w**2``).
    """

    keys: dict[str, np.ndarray]
    counts: np.ndarray
    rows: np.ndarray
    squares: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.counts)


def grouped_counts(
    lf: Any, keys: Sequence[str], *, weight: str | None = None, sums: Sequence[str] = ()
) -> Counts:
    """Rows (and summed weights and squared weights) per distinct combination of ``keys``,
    missing keys kept.

    ``sums`` names further columns whose per-combination sums are returned under their names
    in ``keys`` (as floats). The engine does the grouping; only the combinations are collected.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> lf = open_table(pd.DataFrame({"g": ["a", "b", "a"], "w": [0.5, 2.0, 1.5]}))
    >>> c = grouped_counts(lf, ["g"], weight="w")
    >>> c.keys["g"].tolist(), c.rows.tolist(), c.counts.tolist(), c.squares.tolist()
    (['a', 'b'], [2, 1], [2.0, 2.0], [2.5, 4.0])
    """
    nw = nw_module()
    aggs = [nw.len().alias(PREFIX + "rows")]
    weights = []
    if weight is not None:
        w = nw.col(weight).cast(nw.Float64)
        weights = [w.alias(PREFIX + "w"), (w * w).alias(PREFIX + "ww")]
        aggs += [nw.col(PREFIX + "w").sum().alias(PREFIX + "count")]
        aggs += [nw.col(PREFIX + "ww").sum().alias(PREFIX + "squares")]
    aggs += [nw.col(c).sum().alias(PREFIX + "sum_" + c) for c in sums]
    frame = lf.select(*dict.fromkeys([*keys, *sums]), *weights)
    table = collect(frame.group_by(*keys, drop_null_keys=False).agg(*aggs))
    out = {k: _keys(table.column(k)) for k in keys}
    out.update({c: to_numpy(table.column(PREFIX + "sum_" + c)).astype(float) for c in sums})
    rows = np.rint(to_numpy(table.column(PREFIX + "rows"))).astype(np.int64)
    if weight is None:
        return Counts(out, rows, rows)
    counts, squares = (to_numpy(table.column(PREFIX + c)).astype(float) for c in ("count", "squares"))
    return Counts(out, counts, rows, squares)


def _keys(column: Any) -> np.ndarray:
    import pyarrow as pa

    if pa.types.is_decimal(column.type) or pa.types.is_dictionary(column.type):
        return to_numpy(column)
    if column.null_count and pa.types.is_integer(column.type):
        return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False))
    if column.null_count and pa.types.is_boolean(column.type):
        return np.asarray(column.to_pylist(), dtype=object)
    return np.asarray(column.to_numpy(zero_copy_only=False))


@dataclass(frozen=True)
class Profile:
    """Per-column statistics of a table: ``rows`` and, per column, nulls, distinct values
    (missing excluded), min and max (``None`` where the column has no order)."""

    rows: int
    nulls: dict[str, int]
    distinct: dict[str, int]
    min: dict[str, Any]
    max: dict[str, Any]


def column_profile(lf: Any, columns: Sequence[str], *, ordered: Sequence[str] = ()) -> Profile:
    """Rows, nulls, distinct values, and min/max of the ``ordered`` columns, in one scan.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> p = column_profile(open_table(pd.DataFrame({"a": [1.0, None, 3.0]})), ["a"], ordered=["a"])
    >>> p.rows, p.nulls, p.distinct, p.min, p.max
    (3, {'a': 1}, {'a': 2}, {'a': 1.0}, {'a': 3.0})
    """
    nw = nw_module()
    exprs = [nw.len().alias(PREFIX + "rows")]
    for i, c in enumerate(columns):
        exprs += [
            nw.col(c).null_count().alias(f"{PREFIX}n{i}"),
            nw.col(c).n_unique().alias(f"{PREFIX}d{i}"),
        ]
    for i, c in enumerate(ordered):
        exprs += [nw.col(c).min().alias(f"{PREFIX}lo{i}"), nw.col(c).max().alias(f"{PREFIX}hi{i}")]
    row = collect(lf.select(*exprs)).to_pylist()[0]
    nulls = {c: int(row[f"{PREFIX}n{i}"]) for i, c in enumerate(columns)}
    # n_unique counts a missing value as one more value
    distinct = {c: int(row[f"{PREFIX}d{i}"]) - (nulls[c] > 0) for i, c in enumerate(columns)}
    lows = {c: row[f"{PREFIX}lo{i}"] for i, c in enumerate(ordered)}
    highs = {c: row[f"{PREFIX}hi{i}"] for i, c in enumerate(ordered)}
    return Profile(int(row[PREFIX + "rows"]), nulls, distinct, lows, highs)


def duplicate_rows(lf: Any, columns: Sequence[str]) -> int:
    """Rows that repeat an earlier row over ``columns`` (rows minus distinct combinations).

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> duplicate_rows(open_table(pd.DataFrame({"a": [1, 1, 2], "b": ["x", "x", "x"]})), ["a", "b"])
    1
    """
    nw = nw_module()
    rows = collect(lf.select(nw.len().alias(PREFIX + "rows"))).column(0)[0].as_py()
    distinct = lf.select(*columns).unique().select(nw.len().alias(PREFIX + "rows"))
    return int(rows) - int(collect(distinct).column(0)[0].as_py())


def quantiles(lf: Any, column: str, qs: Sequence[float] | np.ndarray) -> np.ndarray:
    """Exact quantiles of a numeric column, linear interpolation (numpy's default), missing values left out.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> quantiles(open_table(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})), "x", [0.0, 0.5, 1.0]).tolist()
    [1.0, 2.5, 4.0]
    """
    nw = nw_module()
    x = nw.col(column).cast(nw.Float64)
    row = collect(
        lf.select(
            *[x.quantile(float(q), interpolation="linear").alias(f"{PREFIX}q{i}") for i, q in enumerate(qs)]
        )
    ).to_pylist()[0]
    return np.array(
        [np.nan if row[f"{PREFIX}q{i}"] is None else row[f"{PREFIX}q{i}"] for i in range(len(qs))]
    )


def bin_expression(column: str, inner: Sequence[float]) -> Any:
    """An expression giving each row's bin: the number of ``inner`` edges at or below its value
    (``numpy.searchsorted(inner, x, side="right")``), missing where the value is missing."""
    nw = nw_module()
    x = nw.col(column).cast(nw.Float64)
    code = nw.lit(0, nw.Int64)
    for e in inner:
        code = code + (x >= float(e)).cast(nw.Int64)
    return nw.when(~x.is_null()).then(code)


def histogram(lf: Any, column: str, inner: Sequence[float], *, weight: str | None = None) -> np.ndarray:
    """Rows (or summed weights) per bin of a numeric column: bin ``i`` holds values in ``[inner[i-1], inner[i])``
    (``len(inner) + 1`` bins, the outer ones open); missing values are not counted.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> histogram(open_table(pd.DataFrame({"x": [0.5, 1.0, 2.5, None]})), "x", [1.0, 2.0]).tolist()
    [1, 1, 1]
    """
    name = PREFIX + "bin"
    binned = lf.with_columns(bin_expression(column, inner).alias(name))
    c = grouped_counts(binned, [name], weight=weight)
    out = np.zeros(len(inner) + 1, dtype=np.int64 if weight is None else float)
    codes = c.keys[name]
    present = np.array([v is not None and v == v for v in codes], dtype=bool)
    np.add.at(out, codes[present].astype(np.int64), c.counts[present])
    return out
