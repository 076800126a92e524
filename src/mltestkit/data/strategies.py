"""Hypothesis strategies that generate rows and frames satisfying a schema.

Use them to property-test feature code on every kind of row the schema allows (ML Test Score,
data test 7: "all input feature code is tested").

Examples
--------
>>> from hypothesis import given, settings
>>> from mltestkit.data.schema import Column, Schema
>>> schema = Schema([Column("age", dtype="int", min=0, max=120, nullable=False),
...                  Column("plan", dtype="str", allowed=["basic", "pro"])])
>>> @settings(max_examples=20)
... @given(rows(schema))
... def test_feature(row):
...     assert 0 <= row["age"] <= 120 and row["plan"] in ("basic", "pro", None)
>>> test_feature()
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from ..data.schema import Column, Schema, as_schema
from ..errors import InputError

_INT64 = (-(2**63), 2**63 - 1)


def _values(c: Column) -> st.SearchStrategy[Any]:
    if c.allowed is not None:
        allowed = [
            v
            for v in c.allowed
            if not isinstance(v, (int, float))
            or isinstance(v, bool)
            or ((c.min is None or v >= c.min) and (c.max is None or v <= c.max))
        ]
        if not allowed:
            raise InputError(
                f"schema column {c.name!r}", "allows no value within its min/max", "widen the range"
            )
        return st.sampled_from(allowed)
    if c.dtype == "int":
        lo = _INT64[0] if c.min is None else math.ceil(c.min)
        hi = _INT64[1] if c.max is None else math.floor(c.max)
        return st.integers(min_value=lo, max_value=hi)
    if c.dtype == "float":
        return st.floats(min_value=c.min, max_value=c.max, allow_nan=False, allow_infinity=False)
    if c.dtype == "bool":
        return st.booleans()
    if c.dtype == "datetime":  # within the range of nanosecond timestamps, which older pandas needs
        return st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(2200, 1, 1))
    if c.regex is not None:
        return st.from_regex(c.regex, fullmatch=True)
    if c.min is not None or c.max is not None:  # numbers for an untyped column with a range
        return st.floats(min_value=c.min, max_value=c.max, allow_nan=False, allow_infinity=False)
    return st.text(max_size=20)


def _column(c: Column) -> st.SearchStrategy[Any]:
    values = _values(c)
    return st.one_of(st.none(), values) if c.nullable else values


def rows(schema: Schema | dict[str, Any] | str) -> st.SearchStrategy[dict[str, Any]]:
    """Rows (dicts column -> value) each of which satisfies every per-value rule of ``schema``.

    Missing values appear as ``None`` in nullable columns. Rules over a whole column
    (``unique``, ``mean_min``/``mean_max``) are the business of :func:`frames`.
    """
    s = as_schema(schema)
    return st.fixed_dictionaries({c.name: _column(c) for c in s.columns})


def frames(
    schema: Schema | dict[str, Any] | str, *, min_size: int | None = None, max_size: int = 50
) -> st.SearchStrategy[pd.DataFrame]:
    """DataFrames whose rows satisfy ``schema``, with unique columns unique and the row count
    within ``min_size`` (default: the schema's ``min_rows``, else 1) and ``max_size``.

    The mean rules are not generated for; filter with ``.filter(...)`` if a test needs them.
    """
    s = as_schema(schema)
    low = min_size if min_size is not None else max(s.min_rows or 0, 1)
    high = max_size if s.max_rows is None else min(max_size, s.max_rows)
    if low > high:
        raise InputError("min_size/max_size", f"min_size {low} is above max_size {high}", "lower min_size")
    unique = [c.name for c in s.columns if c.unique]
    keys = tuple((lambda r, name=name: r[name]) for name in unique)
    lists = st.lists(rows(s), min_size=low, max_size=high, unique_by=keys or None)
    names = [c.name for c in s.columns]
    return lists.map(lambda rs: pd.DataFrame(rs, columns=names))
