"""Schemas: what each column of a dataset must look like, inferred from data, stored as YAML or JSON.

A :class:`Schema` lists columns with a dtype, whether missing values are allowed, a value range,
a range for the mean, allowed categories, uniqueness and a regular expression, plus bounds on
the row count. :func:`check_schema` reports every violated rule with its count and a sample of
the offending rows.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"age": [25, 31, 47, 52], "plan": ["basic", "pro", "basic", "pro"]})
>>> schema = infer_schema(frame)
>>> schema.column("age").min, schema.column("plan").allowed
(22, ['basic', 'pro'])
>>> bad = pd.DataFrame({"age": [25, -1, 47, 30], "plan": ["basic", "pro", "gold", "pro"]})
>>> result = check_schema(bad, schema)
>>> result.outcome.value, [(f["column"], f["rule"], f["count"]) for f in result.details["failures"]]
('failed', [('age', 'min', 1), ('plan', 'allowed', 1)])
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._validate import flag
from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Estimate, Requirement, judge, validate_level, validate_rule
from ..tables.profile import Rule, offending_values, row_counts
from ..tables.profile import decimals as table_decimals
from ..tables.profile import schema_dtype as table_dtype
from .io import MAX_FAILURES, column_kind, plain, sample
from .stats import (
    RowFacts,
    column_kinds,
    facts,
    offending_rows,
    require_rows,
    summary,
    table_or_frame,
    table_sample,
)

#: The dtypes a schema column can require.
DTYPES = ("int", "float", "bool", "str", "category", "datetime", "any")


@dataclass
class Column:
    """The rules for one column. ``None`` (or ``False`` for ``unique``) means no rule."""

    name: str
    dtype: str = "any"
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    mean_min: float | None = None
    mean_max: float | None = None
    allowed: list[Any] | None = None
    unique: bool = False
    regex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        defaults = {f.name: f.default for f in fields(Column)}
        return {k: v for k, v in asdict(self).items() if k == "name" or v != defaults[k]}


@dataclass
class Schema:
    """Columns with their rules and optional bounds on the number of rows.

    ``extra_columns=False`` makes columns not listed in the schema a violation; ``ordered=True``
    requires the listed columns in the order listed (other columns may sit between them unless
    ``extra_columns=False``); ``unique`` lists groups of columns whose combined values must be
    unique (``[["customer", "date"]]``: one row per customer and date).
    """

    columns: list[Column] = field(default_factory=list)
    min_rows: int | None = None
    max_rows: int | None = None
    extra_columns: bool = True
    ordered: bool = False
    unique: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    # ------------------------------------------------------------------ dict / YAML / JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.min_rows is not None:
            out["min_rows"] = self.min_rows
        if self.max_rows is not None:
            out["max_rows"] = self.max_rows
        if not self.extra_columns:
            out["extra_columns"] = False
        if self.ordered:
            out["ordered"] = True
        if self.unique:
            out["unique"] = [list(g) for g in self.unique]
        out["columns"] = [c.to_dict() for c in self.columns]
        return out

    @classmethod
    def from_dict(cls, d: Any, argument: str = "schema") -> Schema:
        if not isinstance(d, Mapping):
            raise InputError(argument, f"is a {type(d).__name__}, not a mapping", "start with 'columns:'")
        _known_keys(d, ("columns", "min_rows", "max_rows", "extra_columns", "ordered", "unique"), argument)
        cols = d.get("columns") or []
        if not isinstance(cols, list):
            raise InputError(
                f"{argument}.columns", "is not a list", "write one '- name: ...' entry per column"
            )
        columns = [_column_from(c, f"{argument}.columns[{i}]") for i, c in enumerate(cols)]
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"{argument}.columns", f"lists {dup} more than once", "list each column once")
        for key in ("min_rows", "max_rows"):
            v = d.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise InputError(f"{argument}.{key}", f"must be a non-negative int, got {v!r}", "e.g. 100")
        for key in ("extra_columns", "ordered"):
            if not isinstance(d.get(key, False), bool):
                raise InputError(
                    f"{argument}.{key}", f"must be true or false, got {d[key]!r}", f"{key}: true"
                )
        groups = d.get("unique") or []
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and g and all(isinstance(c, str) for c in g) for g in groups
        ):
            raise InputError(
                f"{argument}.unique",
                f"must be a list of lists of column names, got {groups!r}",
                "write e.g. unique: [[customer, date]]",
            )
        return cls(
            columns=columns,
            min_rows=d.get("min_rows"),
            max_rows=d.get("max_rows"),
            extra_columns=d.get("extra_columns", True),
            ordered=d.get("ordered", False),
            unique=[list(g) for g in groups],
        )

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the schema as YAML (``.yaml``/``.yml``) or JSON (``.json``)."""
        p = Path(path)
        text = json.dumps(self.to_dict(), indent=2) + "\n" if p.suffix == ".json" else self.to_yaml()
        from ..files import write_atomic

        write_atomic(p, text)

    @classmethod
    def load(cls, path: str | os.PathLike[str], argument: str = "schema") -> Schema:
        """Read a YAML or JSON schema file; a syntax error names the line."""
        p = Path(path)
        if not p.is_file():
            raise InputError(
                argument, f"schema file {str(p)!r} does not exist", "pass the path of a YAML or JSON schema"
            )
        text = p.read_text(encoding="utf-8")
        try:
            d = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                argument, f"{p} is not valid JSON (line {exc.lineno}: {exc.msg})", "fix the file"
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputError(argument, f"{p} is not valid YAML ({where}{problem})", "fix the file") from None
        return cls.from_dict(d, argument=f"{argument} ({p.name})")

    # ------------------------------------------------------------------ Great Expectations
    def to_expectations(self, name: str = "schema") -> dict[str, Any]:
        """The equivalent Great Expectations 1.x suite as a dict (``dtype`` rules are left out).

        >>> Schema([Column("age", nullable=False, min=0)]).to_expectations()["expectations"][1]
        {'type': 'expect_column_values_to_not_be_null', 'kwargs': {'column': 'age'}}
        """
        ex: list[dict[str, Any]] = []

        def add(kind: str, **kwargs: Any) -> None:
            ex.append({"type": kind, "kwargs": kwargs})

        if self.min_rows is not None or self.max_rows is not None:
            add("expect_table_row_count_to_be_between", min_value=self.min_rows, max_value=self.max_rows)
        if self.ordered and not self.extra_columns:
            add("expect_table_columns_to_match_ordered_list", column_list=[c.name for c in self.columns])
        for group in self.unique:
            add("expect_compound_columns_to_be_unique", column_list=list(group))
        for c in self.columns:
            add("expect_column_to_exist", column=c.name)
            if not c.nullable:
                add("expect_column_values_to_not_be_null", column=c.name)
            if c.min is not None or c.max is not None:
                add("expect_column_values_to_be_between", column=c.name, min_value=c.min, max_value=c.max)
            if c.mean_min is not None or c.mean_max is not None:
                add(
                    "expect_column_mean_to_be_between",
                    column=c.name,
                    min_value=c.mean_min,
                    max_value=c.mean_max,
                )
            if c.allowed is not None:
                add("expect_column_values_to_be_in_set", column=c.name, value_set=list(c.allowed))
            if c.unique:
                add("expect_column_values_to_be_unique", column=c.name)
            if c.regex is not None:
                add("expect_column_values_to_match_regex", column=c.name, regex=f"^(?:{c.regex})$")
        return {"name": name, "expectations": ex}


def _known_keys(d: Mapping[str, Any], known: tuple[str, ...], argument: str) -> None:
    for k in d:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the keys are {', '.join(known)}"
            raise InputError(argument, f"unknown key {k!r}", hint)


def _column_from(d: Any, argument: str) -> Column:
    if not isinstance(d, Mapping) or "name" not in d:
        raise InputError(argument, "has no 'name'", "write each column as a mapping with a 'name' key")
    known = tuple(f.name for f in fields(Column))
    _known_keys(d, known, argument)
    c = Column(**dict(d))
    if c.dtype not in DTYPES:
        raise InputError(f"{argument}.dtype", f"unknown dtype {c.dtype!r}", f"use one of {', '.join(DTYPES)}")
    for key in ("min", "max", "mean_min", "mean_max"):
        v = getattr(c, key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v)):
            raise InputError(f"{argument}.{key}", f"must be a number, got {v!r}", f"e.g. {key}: 0")
    if c.allowed is not None and not isinstance(c.allowed, list):
        raise InputError(f"{argument}.allowed", "is not a list", "list the allowed values, e.g. [a, b]")
    if c.regex is not None:
        try:
            re.compile(c.regex)
        except re.error as exc:
            raise InputError(
                f"{argument}.regex", f"is not a valid regular expression ({exc})", "fix it"
            ) from None
    return c


def as_schema(schema: Any, argument: str = "schema") -> Schema:
    """A :class:`Schema` from a Schema, a dict or the path of a YAML/JSON file."""
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, (str, os.PathLike)):
        return Schema.load(schema, argument)
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema, argument)
    raise InputError(argument, f"is a {type(schema).__name__}", "pass a Schema, a dict or a YAML/JSON path")


# ---------------------------------------------------------------------- inference
def infer_schema(
    data: Any, *, slack: float = 0.1, max_categories: int = 20, extra_columns: bool = True
) -> Schema:
    """A first schema from data (a pandas DataFrame, or any table: its engine computes the
    figures), to review and commit.

    Numeric ranges are widened by ``slack`` times the observed span on each side (a range that
    starts at 0 or above stays non-negative) and rounded outward to the data's precision: whole
    numbers for integers, the most decimals a value has (up to 10) for floats. A numeric column
    whose values are exactly 0 and 1 (a binary label or flag) gets ``allowed: [0, 1]`` instead. Text columns
    with at most ``max_categories`` distinct values get their categories as ``allowed``.
    Columns without missing values are not nullable; integer and text columns whose values are
    all distinct are unique.

    >>> import pandas as pd
    >>> s = infer_schema(pd.DataFrame({"x": [0.0, 10.0, None]}))
    >>> s.column("x").dtype, s.column("x").nullable, s.column("x").min, s.column("x").max
    ('float', True, 0.0, 11.0)
    >>> s = infer_schema(pd.DataFrame({"bmi": [18.25, 30.1519, 24.5], "label": [0, 1, 1]}), slack=0)
    >>> s.column("bmi").min, s.column("bmi").max, s.column("label").allowed
    (18.25, 30.1519, [0, 1])
    """
    if isinstance(slack, bool) or not isinstance(slack, (int, float)) or not 0 <= slack <= 10:
        raise InputError("slack", f"must be a number in [0, 10], got {slack!r}", "e.g. slack=0.1")
    frame, names = table_or_frame(data)
    got, _ = facts(frame, names, top=max_categories + 1, strict=False)
    require_rows(got[names[0]].rows)
    dtypes = _dtypes(frame, names)
    columns = []
    for name in names:
        f = got[name]
        col = Column(name=str(name), dtype=dtypes[name], nullable=f.missing > 0)
        present = f.rows - f.missing
        if col.dtype in ("int", "float") and present and f.distinct == 2 and f.min == 0 and f.max == 1:
            col.allowed = [0, 1]  # a binary label or flag
        elif col.dtype in ("int", "float") and present:
            lo, hi = float(f.min), float(f.max)
            pad = slack * (hi - lo)
            low, high = lo - pad, hi + pad
            if lo >= 0:
                low = max(low, 0.0)
            digits = 0 if col.dtype == "int" else _decimals_of(frame, name)
            col.min, col.max = _round_out(low, high, digits, integer=col.dtype == "int")
        if col.dtype in ("str", "category") and f.distinct is not None and f.distinct <= max_categories:
            col.allowed = sorted(plain(v) for v, _ in f.top)
        elif col.dtype in ("int", "str") and f.distinct == present and present > 1:
            col.unique = True
        columns.append(col)
    return Schema(columns=columns, extra_columns=extra_columns)


def _decimals_of(frame: Any, column: str) -> int:
    if isinstance(frame, pd.DataFrame):
        return _decimals(frame[column].to_numpy(dtype=float, na_value=np.nan))
    return table_decimals(frame, column)


def _dtypes(frame: Any, names: list[str]) -> dict[str, str]:
    if isinstance(frame, pd.DataFrame):
        return {c: _dtype_of(frame[c]) for c in names}
    return {c: table_dtype(d) for c, d in frame.collect_schema().items() if c in names}


def _decimals(x: np.ndarray, most: int = 10) -> int:
    """The fewest decimals (up to ``most``) that write every value of ``x`` exactly.

    >>> _decimals(np.array([1.5, 30.1519])), _decimals(np.array([1 / 3]))
    (4, 10)
    """
    x = x[np.isfinite(x)]
    for d in range(most + 1):
        if np.all(np.abs(np.round(x, d) - x) <= 1e-12 * np.maximum(np.abs(x), 1.0)):
            return d
    return most


def _round_out(low: float, high: float, digits: int, *, integer: bool) -> tuple[Any, Any]:
    """``low`` rounded down and ``high`` rounded up to ``digits`` decimals, written as short as they are."""
    scale = 10.0**digits
    lo = round(math.floor(round(low * scale, 6)) / scale, digits)
    hi = round(math.ceil(round(high * scale, 6)) / scale, digits)
    if lo > low:  # rounding error near the bound: one more step outward
        lo = round(lo - 1 / scale, digits)
    if hi < high:
        hi = round(hi + 1 / scale, digits)
    exact = 2.0**52  # beyond this the decimals are below a float's resolution: keep the bound
    lo, hi = (
        (low if lo > low or abs(low) * scale >= exact else lo),
        (high if hi < high or abs(high) * scale >= exact else hi),
    )
    if integer:
        return int(lo), int(hi)
    return lo, hi


def _nunique(s: pd.Series) -> int | None:
    try:
        return int(s.nunique())
    except TypeError:
        return None


def _dtype_of(s: pd.Series) -> str:
    kind = column_kind(s)
    if kind == "numeric":
        return "int" if pd.api.types.is_integer_dtype(s.dtype) else "float"
    if kind in ("bool", "datetime"):
        return kind
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_string_dtype(s.dtype) and pd.api.types.infer_dtype(s, skipna=True) in (
        "string",
        "empty",
    ):
        return "str"
    return "any"


# ---------------------------------------------------------------------- checking
def _dtype_violations(s: pd.Series, dtype: str) -> np.ndarray:
    """A mask of the non-missing values that do not have ``dtype``."""
    present = s.notna().to_numpy()
    kind = column_kind(s)
    if dtype in ("any", "category"):
        return np.zeros(len(s), bool)
    if dtype == "bool":
        if kind == "bool":
            return np.zeros(len(s), bool)
        return present & ~s.isin([True, False]).to_numpy()
    if dtype == "datetime":
        if kind == "datetime":
            return np.zeros(len(s), bool)
        return present & pd.to_datetime(s, errors="coerce", format="mixed").isna().to_numpy()
    if dtype == "str":
        if kind in ("numeric", "bool", "datetime"):
            return present
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            return np.zeros(len(s), bool)
        return present & ~s.map(lambda v: isinstance(v, str), na_action="ignore").to_numpy(
            bool, na_value=False
        )
    # int / float
    x = s if kind == "numeric" else pd.to_numeric(s, errors="coerce")
    bad = present & x.isna().to_numpy() if kind != "numeric" else np.zeros(len(s), bool)
    if kind == "bool":
        bad = present
    if dtype == "int" and kind != "bool":
        xv = x.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad |= present & np.isfinite(xv) & (xv != np.round(xv))
    return bad


def _numeric(s: pd.Series) -> np.ndarray:
    if column_kind(s) == "numeric":
        return s.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _pandas_mask(s: pd.Series, c: Column, figure: str) -> np.ndarray:
    """The rows of a pandas column that break one rule of ``c``, by pandas' own reading (types
    coerced as :func:`pandas.to_numeric` and :func:`pandas.to_datetime` do)."""
    present = s.notna().to_numpy()
    if figure == "dtype":
        return _dtype_violations(s, c.dtype)
    if figure == "nullable":
        return ~present
    if figure in ("min", "max"):
        x = _numeric(s)
        with np.errstate(invalid="ignore"):
            return x < c.min if figure == "min" else x > c.max
    if figure == "allowed":
        return present & ~s.isin(c.allowed or []).to_numpy()
    if figure == "unique":
        return present & s.duplicated(keep="first").to_numpy()
    text = s.astype("str")
    ok = text.str.fullmatch(c.regex or "").to_numpy(dtype=bool, na_value=False)
    return present & ~ok


#: How a rule is counted: a :class:`Rule` of the facts, ``"missing"`` (the missing values),
#: ``"pandas"`` (the column read by pandas, :func:`_pandas_mask`) or ``None`` (no row can break it).
_How = Rule | str | None


def _plan(c: Column, kind: str, dtype: Any, in_memory: bool) -> list[tuple[str, _How]]:
    """The rules of column ``c`` in the order they are reported, each with how it is counted."""
    out: list[tuple[str, _How]] = []
    if c.dtype != "any":
        out.append(("dtype", "pandas" if in_memory else _table_dtype_rule(c, kind, dtype)))
    if not c.nullable:
        out.append(("nullable", "missing"))
    numeric = kind == "numeric"
    if c.min is not None:
        out.append(("min", Rule(c.name, "below", c.min) if numeric else "pandas"))
    if c.max is not None:
        out.append(("max", Rule(c.name, "above", c.max) if numeric else "pandas"))
    if c.allowed is not None:
        rule = Rule(c.name, "not_in", tuple(c.allowed))
        out.append(("allowed", rule if in_memory or _comparable(c.allowed, kind, dtype) else "pandas"))
    if c.unique:
        out.append(("unique", Rule(c.name, "repeated")))
    if c.regex is not None:
        rule = Rule(c.name, "not_matching", c.regex)
        out.append(("regex", rule if in_memory or table_dtype(dtype) == "str" else "pandas"))
    return out


def _table_dtype_rule(c: Column, kind: str, dtype: Any) -> _How:
    """The dtype rule of a table column, decided from the column's type where it can be."""
    have = table_dtype(dtype)
    if c.dtype == "category" or have == c.dtype or (c.dtype == "float" and have == "int"):
        return None
    if c.dtype == "int" and have == "float":
        return Rule(c.name, "not_whole")
    if (c.dtype == "str" and kind in ("numeric", "bool", "datetime")) or (
        c.dtype in ("int", "float") and kind == "bool"
    ):
        return Rule(c.name, "not_in", ())  # every present value breaks it
    return "pandas"


def _comparable(values: list[Any], kind: str, dtype: Any) -> bool:
    """Whether an engine compares ``values`` with the column as pandas would (no casts)."""
    if kind == "numeric":
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if kind == "bool":
        return all(isinstance(v, bool) for v in values)
    return table_dtype(dtype) in ("str", "category") and all(isinstance(v, str) for v in values)


def check_schema(
    data: Any,
    schema: Any,
    *,
    describe: bool = True,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Check a dataset against a schema.

    Parameters
    ----------
    data:
        A pandas DataFrame (checked in memory) or any table
        :func:`~mltestkit.tables.open_table` reads: polars, Arrow, DuckDB, Spark, or the path
        of a CSV file or of Parquet data (file, directory, glob). A table's engine computes the
        figures (the same as in memory) and reads only the columns checked; its failure samples
        hold values without row positions.
    schema:
        A :class:`Schema`, a dict, or the path of a YAML or JSON schema file: the requirements.
    describe:
        Record per-column statistics (:func:`~mltestkit.data.stats.describe_data`) in
        ``details["statistics"]``.
    rule, confidence, seed:
        Accepted for a uniform API: every figure is an exact count (or the exact mean) of the
        data given, judged by its value under every rule; nothing is drawn at random.
    name:
        The check's name in the report (default ``"schema"``).

    Returns
    -------
    CheckResult
        Of kind ``"data"``. One :class:`~mltestkit.results.MetricValue` per rule and column
        (the number of violating rows, required to be 0; ``mean`` and ``rows`` carry their value),
        and ``details["failures"]``: ``{column, rule, count, sample: [{row, value}]}`` per
        violated rule.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Schema([Column("id", dtype="int", unique=True, nullable=False)], min_rows=2)
    >>> r = check_schema(pd.DataFrame({"id": [1, 2, 2]}), s)
    >>> r.outcome.value, r.details["failures"][0]["sample"], r.metrics[-1].rule
    ('failed', [{'row': 2, 'value': 2}], 'point')
    """
    rule, level = validate_rule(rule), validate_level(confidence)
    describe = flag(describe, "describe")
    frame, names = table_or_frame(data)
    sch = as_schema(schema)
    in_memory = isinstance(frame, pd.DataFrame)
    present_cols = set(names)
    listed = [c for c in sch.columns if c.name in present_cols]
    kinds = column_kinds(frame, [c.name for c in listed])
    dtypes = {} if in_memory else dict(frame.collect_schema().items())
    plans = {c.name: _plan(c, kinds[c.name], dtypes.get(c.name), in_memory) for c in listed}
    rules = [how for plan in plans.values() for _, how in plan if isinstance(how, Rule)]
    rules += [Rule(c.name, "mean") for c in listed if c.mean_min is not None or c.mean_max is not None]
    wanted = list(dict.fromkeys([*(c.name for c in listed), *(names if describe else [])]))
    got, encoded = facts(
        frame, wanted, rules, top=5 if describe else 0, stats=describe, distinct=describe, strict=False
    )
    n = got[wanted[0]].rows if wanted else _rows(frame)
    require_rows(n)
    # rules only pandas reads: their columns alone are read into memory
    by_pandas = [c.name for c in listed if any(how == "pandas" for _, how in plans[c.name])]
    by_pandas += [c.name for c in listed if c.name not in by_pandas and _mean_by_pandas(c, kinds[c.name])]
    local = frame if in_memory else _read_columns(frame, by_pandas)
    metrics: list[MetricValue] = []
    failures: list[dict[str, Any]] = []

    def record(
        metric: str,
        value: float | None,
        low: float | None,
        high: float | None,
        column: str | None,
        **why: Any,
    ) -> bool:
        """Judge one exact figure; ``True`` when it failed."""
        requirement = Requirement(low, high, rule, level)
        where = {"column": column} if column is not None else None
        mv = judge(metric, Estimate(value, n=n, reason=why.get("reason")), requirement, slice=where)
        metrics.append(mv)
        return mv.outcome is not Outcome.PASSED

    def rows_of(c: Column, figure: str, how: _How) -> list[dict[str, Any]]:
        """A sample of the rows that break one rule."""
        f = got[c.name]
        if in_memory or how == "pandas":
            col = local[c.name]
            if isinstance(how, Rule):
                pos = offending_rows(col, how, f, encoded.get(c.name))
            elif how == "missing":
                pos = offending_rows(col, None, f)
            else:
                pos = np.flatnonzero(_pandas_mask(col, c, figure))[:5]
            return sample(pos, col.iloc[pos]) if in_memory else table_sample(col.iloc[pos].tolist())
        return table_sample(
            offending_values(frame, how if isinstance(how, Rule) else Rule(c.name, "missing"), f)
        )

    if (sch.min_rows is not None or sch.max_rows is not None) and record(
        "rows", n, sch.min_rows, sch.max_rows, None
    ):
        failures.append({"column": None, "rule": "rows", "count": n, "sample": []})
    for c in sch.columns:
        if c.name not in present_cols:
            record("missing_column", 1, None, 0, c.name)
            failures.append({"column": c.name, "rule": "missing_column", "count": n, "sample": []})
            continue
        f = got[c.name]
        for figure, how in plans[c.name]:
            if how is None:
                count = 0
            elif how == "missing":
                count = f.missing
            elif how == "pandas":
                count = int(np.count_nonzero(_pandas_mask(local[c.name], c, figure)))
            else:
                count = f.counts[how]  # type: ignore[index]
            if record(figure, count, None, 0, c.name):
                failures.append(
                    {"column": c.name, "rule": figure, "count": count, "sample": rows_of(c, figure, how)}
                )
        if c.mean_min is not None or c.mean_max is not None:
            mean = _pandas_mean(local[c.name]) if _mean_by_pandas(c, kinds[c.name]) else f.mean
            reason = "the column has no numeric values" if mean is None else None
            if record("mean", mean, c.mean_min, c.mean_max, c.name, reason=reason):
                entry: dict[str, Any] = {
                    "column": c.name,
                    "rule": "mean",
                    "count": n if mean is None else None,
                    "sample": [],
                }
                failures.append(entry if mean is None else {**entry, "value": mean})
    if sch.ordered:
        names_listed = [c.name for c in listed]
        found = [c for c in names if c in set(names_listed)]
        misplaced = sum(a != b for a, b in zip(names_listed, found, strict=True))
        if record("column_order", misplaced, None, 0, None):
            failures.append(
                {
                    "column": None,
                    "rule": "ordered",
                    "count": misplaced,
                    "expected": names_listed[:20],
                    "found": found[:20],
                }
            )
    for group in sch.unique:
        label = ", ".join(group)
        absent = [c for c in group if c not in present_cols]
        if absent:
            record("missing_column", len(absent), None, 0, label)
            failures.append({"column": label, "rule": "missing_column", "count": n, "sample": []})
            continue
        if in_memory:
            repeats = RowFacts(frame, list(group), None, {})
            count = repeats.duplicates
        else:
            count = row_counts(frame, list(group), None)[0]
        if record("unique", count, None, 0, label):
            rows: list[dict[str, Any]] = []
            if in_memory:
                pos, _ = repeats.duplicate_sample()
                values = frame[list(group)]
                rows = [{"row": int(i), "value": [plain(v) for v in values.iloc[i].tolist()]} for i in pos]
            failures.append({"column": label, "rule": "unique", "count": count, "sample": rows})
    if not sch.extra_columns:
        extra = [c for c in names if c not in {col.name for col in sch.columns}]
        if record("extra_columns", len(extra), None, 0, None):
            failures.append(
                {"column": None, "rule": "extra_columns", "count": len(extra), "columns": extra[:20]}
            )
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    details: dict[str, Any] = {"rows": n, "failures": failures[:MAX_FAILURES]}
    if len(failures) > MAX_FAILURES:
        details["failures_left_out"] = len(failures) - MAX_FAILURES
    if describe:
        details["statistics"] = {"rows": n, "columns": {str(c): summary(got[c]) for c in names}}
    return CheckResult(
        name=name or "schema",
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message=_message(failures, n, len(metrics)),
        details=details,
    )


def _mean_by_pandas(c: Column, kind: str) -> bool:
    """A mean rule on a column that is not numeric: pandas coerces its values to numbers."""
    return (c.mean_min is not None or c.mean_max is not None) and kind != "numeric"


def _pandas_mean(s: pd.Series) -> float | None:
    x = _numeric(s)
    finite = np.isfinite(x)
    k = int(np.count_nonzero(finite))
    return None if k == 0 else float(x.mean() if k == x.size else x[finite].mean())


def _read_columns(lf: Any, columns: list[str]) -> pd.DataFrame:
    """The named columns of a table as a pandas DataFrame (only they are read)."""
    if not columns:
        return pd.DataFrame()
    return lf.select(*dict.fromkeys(columns)).collect(backend="pandas").to_native()


def _rows(frame: Any) -> int:
    if isinstance(frame, pd.DataFrame):
        return len(frame)
    import narwhals as nw

    return int(frame.select(nw.len()).collect(backend="pyarrow").to_native().column(0)[0].as_py())


def _message(failures: list[dict[str, Any]], n: int, rules: int) -> str:
    if not failures:
        return f"all {rules} schema rules hold on {n} rows"
    lines = [f"{len(failures)} of {rules} schema rules are violated on {n} rows:"]
    for f in failures[:10]:
        where = f"column {f['column']!r}" if f["column"] is not None else "the frame"
        rows = ", ".join(
            (f"row {x['row']}: " if "row" in x else "") + repr(x["value"]) for x in f.get("sample", [])[:3]
        )
        count = (
            f" ({f['count']} rows)"
            if f.get("count") is not None and f["rule"] not in ("rows", "missing_column")
            else ""
        )
        value = f" (value {f['value']:.4g})" if "value" in f else ""
        lines.append(f"  {where}, rule {f['rule']}{count}{value}{': ' + rows if rows else ''}")
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more in the report")
    return "\n".join(lines)
