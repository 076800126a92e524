"""Reading data for the data checks: pandas DataFrames, CSV and Parquet paths, polars frames.

>>> import pandas as pd
>>> frame = load_frame(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
>>> [column_kind(frame[c]) for c in frame]
['numeric', 'categorical']
"""

from __future__ import annotations

import datetime
import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, require
from ..tables import is_table, open_table

#: How many offending values a failure keeps as a sample.
SAMPLE_SIZE = 5
#: How many failure entries a check keeps in its details.
MAX_FAILURES = 100

_READERS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


def load_frame(data: Any, argument: str = "data") -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame (not copied), any table :func:`~mltestkit.tables.open_table`
    reads (polars, Arrow, DuckDB, Spark: collected), a CSV or Parquet file, or a Parquet
    directory or glob.

    Raises :class:`~mltestkit.errors.InputError` for other inputs, missing or unreadable files
    and frames without rows or columns.
    """
    frame: pd.DataFrame
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (str, os.PathLike)) and not (
        Path(data).is_dir() or any(c in str(data) for c in "*?[")
    ):
        frame = _read(Path(data), argument)
    elif isinstance(data, pd.Series):
        raise InputError(argument, "is a Series", "pass a DataFrame, e.g. series.to_frame()")
    elif is_table(data):  # Parquet directories and globs, Arrow, DuckDB, Spark, polars frames
        frame = open_table(data, argument).collect(backend="pandas").to_native()
    else:
        raise InputError(
            argument,
            f"is a {type(data).__name__}",
            "pass a pandas or polars DataFrame, or the path of a CSV or Parquet file or directory "
            "(or any table mltestkit.tables.open_table reads)",
        )
    if frame.shape[1] == 0:
        raise InputError(argument, "has no columns", "pass a frame with at least one column")
    if len(frame) == 0:
        raise InputError(argument, "has no rows", "pass a frame with at least one row")
    if not frame.columns.is_unique:
        dup = frame.columns[frame.columns.duplicated()].tolist()[:5]
        raise InputError(argument, f"has duplicated column names {dup}", "rename the columns")
    return frame


def _read(path: Path, argument: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(argument, f"file {str(path)!r} does not exist", "pass the path of an existing file")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            argument,
            f"cannot read files ending in {path.suffix!r}",
            "pass a .csv, .tsv or .parquet file, or a DataFrame",
        )
    try:
        if kind == "parquet":
            require("pyarrow", "parquet", "Reading Parquet files")
            return pd.read_parquet(path)
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        return pd.read_csv(path, sep=sep)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(argument, f"cannot read {str(path)!r} ({exc})", "check the file's format") from None


def require_columns(frame: pd.DataFrame, columns: Iterable[Any], argument: str, frame_name: str) -> list[Any]:
    """The columns, checked to exist in ``frame``; a close match is suggested for a typo."""
    wanted = list(columns)
    present = set(frame.columns)
    for c in wanted:
        if c not in present:
            close = difflib.get_close_matches(str(c), [str(x) for x in frame.columns], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the columns are {list(frame.columns)[:20]}"
            raise InputError(argument, f"column {c!r} is not in {frame_name}", hint)
    return wanted


def column_kind(s: pd.Series) -> str:
    """``"bool"``, ``"numeric"``, ``"datetime"`` or ``"categorical"`` (strings, categories, objects)."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def require_hashable(s: pd.Series, argument: str) -> None:
    """Raise when an object column holds unhashable values (lists, dicts, sets)."""
    if s.dtype != object:
        return
    try:
        pd.util.hash_pandas_object(s, index=False)
    except TypeError:
        bad = s.map(lambda v: v is not None and getattr(v, "__hash__", None) is None).to_numpy(bool)
        row = int(np.flatnonzero(bad)[0]) if bad.any() else 0
        raise InputError(
            argument,
            f"column {s.name!r} holds unhashable values ({type(s.iloc[row]).__name__} at row {row})",
            "convert them to strings or tuples, or leave the column out",
        ) from None


def row_hashes(frame: pd.DataFrame, columns: list[Any], argument: str) -> np.ndarray:
    """One uint64 per row over ``columns``, computed column by column (equal rows hash equally)."""
    out: np.ndarray = np.zeros(len(frame), dtype=np.uint64)
    for i, c in enumerate(columns):
        s = frame[c]
        require_hashable(s, argument)
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(s.cat.categories.dtype)
        h = pd.util.hash_pandas_object(s, index=False, categorize=False).to_numpy()
        with np.errstate(over="ignore"):
            out = out * np.uint64(0x100000001B3) + h + np.uint64(i)
    return out


def sample(positions: np.ndarray, values: Any, size: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """The first ``size`` offending rows as ``{"row": position, "value": value}``."""
    pos = np.asarray(positions)[:size]
    vals = np.asarray(values, dtype=object)[:size]
    return [{"row": int(p), "value": plain(v)} for p, v in zip(pos, vals, strict=True)]


def plain(v: Any) -> Any:
    """A JSON-safe scalar: numbers and strings kept, missing values as None, dates and times in ISO
    8601 (with a time zone: in UTC), others as ``repr``."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.generic,)):
        v = v.item()
    if isinstance(v, float):
        return None if v != v or v in (float("inf"), float("-inf")) else v
    if isinstance(v, (bool, int, str)):
        return v if not isinstance(v, str) else v[:200]
    if getattr(v, "tzinfo", None) is not None and hasattr(v, "astimezone"):
        v = v.astimezone(datetime.timezone.utc)  # an instant: one spelling in every engine
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return repr(v)[:200]
