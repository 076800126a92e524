"""Any table as a narwhals LazyFrame: in-memory frames, engine relations, Spark, and paths.

A path (a Parquet file, a directory of Parquet files, a glob, a CSV file) is scanned by DuckDB
with a memory limit (:data:`MEMORY_LIMIT`, spilling to a temporary directory beyond it), so a
table larger than memory is read in pieces. A ``pyarrow.Table`` or ``pyarrow.dataset.Dataset``
is scanned by DuckDB in place (no copy). pandas, polars (eager or lazy), DuckDB relations and
Spark DataFrames stay in their own engine: the statistics are computed there and only they are
collected.

Examples
--------
>>> import pandas as pd
>>> lf = open_table(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
>>> lf.collect_schema().names(), engine(lf)
(['a', 'b'], 'pandas')
"""

from __future__ import annotations

import difflib
import glob
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError, require

#: Memory DuckDB may use when it scans a path; beyond it, it spills to a temporary directory.
MEMORY_LIMIT = "1GB"

_PARQUET = (".parquet", ".pq")
_CSV = {".csv": ",", ".tsv": "\t", ".txt": ","}
_NATIVE = ("pandas", "polars", "pyarrow", "duckdb", "pyspark")
#: Frames narwhals reads that the checks do not: refused with a way to pass the data that works.
_REFUSED = ("dask", "ibis", "modin", "cudf", "sqlframe")


def is_table(data: Any) -> bool:
    """Whether ``data`` is something :func:`open_table` reads: a path or a frame of a supported engine.

    >>> import numpy as np
    >>> is_table("eval/*.parquet"), is_table(np.zeros(3)), is_table([1, 2])
    (True, False, False)
    """
    if isinstance(data, (str, os.PathLike)):
        return True
    root = type(data).__module__.split(".")[0]
    if root not in _NATIVE + _REFUSED:
        return False
    return not _is_series(data)


def _is_series(data: Any) -> bool:
    name = type(data).__name__
    return name in ("Series", "ChunkedArray", "Array", "Column") or name.endswith("Array")


def connection(memory_limit: str | None = None) -> Any:
    """A new in-process DuckDB connection with a memory limit and no progress bar.

    >>> con = connection("64MB")
    >>> con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    '61.0 MiB'
    """
    duckdb: Any = require("duckdb", "duckdb", "Reading paths and Arrow tables")
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{memory_limit or MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def open_table(data: Any, argument: str = "data", *, memory_limit: str | None = None, con: Any = None) -> Any:
    """``data`` as a :class:`narwhals.LazyFrame`; an :class:`~mltestkit.errors.InputError` naming
    ``argument`` when it is not a table or the path does not lead to one.

    Parameters
    ----------
    data:
        A pandas or polars DataFrame, a polars LazyFrame, a ``pyarrow.Table`` or
        ``pyarrow.dataset.Dataset``, a DuckDB relation, a Spark DataFrame, or a path: a Parquet
        file, a directory of Parquet files, a glob, or a CSV/TSV file.
    argument:
        The name of the argument, for error messages.
    memory_limit:
        DuckDB's memory limit for paths and Arrow data (default :data:`MEMORY_LIMIT`), e.g. ``"4GB"``.
    con:
        A DuckDB connection (see :func:`connection`) to scan paths and Arrow data on, instead of a
        new one; pandas and polars DataFrames and polars LazyFrames are then scanned on it too, so
        that two tables opened on one connection can be combined in one query. A DuckDB relation
        stands for its connection (for every input but paths).
    """
    nw: Any = require("narwhals", "core", "Reading tables")
    if isinstance(data, (str, os.PathLike)):
        return nw.from_native(_scan(Path(data), argument, memory_limit, con))
    module = type(data).__module__.split(".")[0]
    if module == "pyarrow":
        name = type(data).__name__
        if name in ("Table", "RecordBatch") or "Dataset" in name:
            return nw.from_native(_scan_on(con if con is not None else connection(memory_limit), data))
    if (
        con is not None
        and module in ("pandas", "polars")
        and type(data).__name__ in ("DataFrame", "LazyFrame")
    ):
        eager = type(data).__name__ == "DataFrame"
        return nw.from_native(
            _scan_on(con, nw.from_native(data, eager_only=True).to_arrow() if eager else data)
        )
    if module in _REFUSED and is_table(data):
        raise InputError(
            argument,
            f"is a {module} {type(data).__name__}, which the checks do not read "
            "(they compute on pandas, polars, Arrow, DuckDB and Spark)",
            "write it to Parquet and pass the path (DuckDB scans it out of core), "
            "e.g. frame.to_parquet('eval/') then data='eval/', or pass it computed into pandas",
        )
    if not is_table(data):
        raise InputError(
            argument,
            f"is a {type(data).__name__}, not a table",
            "pass a pandas/polars DataFrame, a polars LazyFrame, a pyarrow Table or Dataset, "
            "a DuckDB relation, a Spark DataFrame, or the path of a Parquet file, directory or CSV",
        )
    try:
        frame = nw.from_native(data)
    except TypeError as exc:
        raise InputError(argument, f"cannot be read as a table ({exc})", "pass a DataFrame") from None
    if isinstance(frame, nw.DataFrame):
        frame = frame.lazy()
    return frame


def _scan_on(con: Any, data: Any) -> Any:
    """Arrow data or a polars LazyFrame as a relation of the DuckDB connection ``con``, or of the
    connection of the relation ``con``: DuckDB scans it in place (polars evaluates a LazyFrame as
    DuckDB reads it)."""
    mltestkit_scanned = data  # noqa: F841  (DuckDB finds the scanned object by its variable name)
    if type(con).__name__ == "DuckDBPyRelation":
        return con.query("mltestkit_beside", "SELECT * FROM mltestkit_scanned")
    if type(data).__module__.split(".")[0] == "pyarrow":
        return con.from_arrow(data)
    return con.sql("SELECT * FROM mltestkit_scanned")


def _scan(path: Path, argument: str, memory_limit: str | None, con: Any = None) -> Any:
    text = str(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _PARQUET)
        if not files:
            raise InputError(
                argument,
                f"directory {text!r} holds no Parquet files",
                "pass a directory of .parquet files, a glob such as 'data/*.parquet', or a file",
            )
        pattern, kind = str(path / "**" / "*.parquet"), "parquet"
        if any(p.suffix.lower() == ".pq" for p in files):
            pattern = [str(p) for p in files]  # type: ignore[assignment]
    elif any(ch in text for ch in "*?["):
        matches = glob.glob(text, recursive=True)
        if not matches:
            raise InputError(argument, f"no file matches {text!r}", "check the pattern and the directory")
        suffixes = {Path(m).suffix.lower() for m in matches}
        kind = "csv" if suffixes <= set(_CSV) else "parquet"
        pattern = text
    elif path.is_file():
        suffix = path.suffix.lower()
        if suffix in _PARQUET:
            kind = "parquet"
        elif suffix in _CSV:
            kind = "csv"
        else:
            raise InputError(
                argument,
                f"cannot read files ending in {path.suffix!r}",
                "pass a .parquet, .csv or .tsv file, a directory of Parquet files, or a DataFrame",
            )
        pattern = text
    else:
        raise InputError(
            argument,
            f"path {text!r} does not exist",
            "pass an existing Parquet file, directory of Parquet files, glob or CSV file",
        )
    con = con if con is not None else connection(memory_limit)
    try:
        if kind == "parquet":
            return con.read_parquet(pattern, union_by_name=True)
        return _csv(con, pattern, "\t" if text.lower().endswith(".tsv") else ",")
    except Exception as exc:  # DuckDB raises its own IOException, InvalidInputException, ...
        raise InputError(argument, f"cannot read {text!r} ({exc})", "check the file's format") from None


def _csv(con: Any, pattern: Any, sep: str) -> Any:
    """A CSV file read as pandas reads it: a text column whose every value is a number (DuckDB's
    sniffer leaves a column of floats text when its first value is ``inf``, as pandas writes it)
    is read as floats."""
    rel = con.read_csv(pattern, sep=sep)
    text = [c for c, t in zip(rel.columns, rel.types, strict=True) if str(t) == "VARCHAR"]
    if not text:
        return rel
    quoted = ['"' + c.replace('"', '""') + '"' for c in text]
    checks = [f"bool_and(TRY_CAST({q} AS DOUBLE) IS NOT NULL OR {q} IS NULL), count({q})" for q in quoted]
    row = rel.aggregate(", ".join(checks)).fetchall()[0]
    numbers = {c: "DOUBLE" for i, c in enumerate(text) if row[2 * i] and row[2 * i + 1]}
    return con.read_csv(pattern, sep=sep, dtype=numbers) if numbers else rel


def engine(lf: Any) -> str:
    """The engine that evaluates a LazyFrame: ``duckdb``, ``polars``, ``pandas``, ``pyspark``, ..."""
    return str(lf.implementation.name).lower()


def columns_of(lf: Any) -> list[str]:
    """The column names of a LazyFrame (read from its schema, no data scanned)."""
    return list(lf.collect_schema().names())


def require_columns(lf: Any, wanted: Iterable[Any], argument: str, table: str = "data") -> list[str]:
    """The columns ``wanted``, each checked to exist in ``lf``; a close match is suggested for a typo."""
    names = columns_of(lf)
    out = []
    for c in wanted:
        if not isinstance(c, str) or c not in names:
            close = difflib.get_close_matches(str(c), names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the columns are {names[:20]}"
            raise InputError(argument, f"names column {c!r}, which is not in {table}", hint)
        out.append(c)
    return out
