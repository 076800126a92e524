"""Column facts and rule counts of a table, computed by the engine that holds it.

The data checks (:func:`~mltestkit.check_integrity`, :func:`~mltestkit.check_schema`) judge
:class:`ColumnFacts`: per column the rows, missing values, distinct values, the most frequent
values, the range, mean, standard deviation, zeros and quantiles, and the number of rows that
break each :class:`Rule`. :func:`table_facts` lets the engine compute them: one aggregate query
for the counts, ranges, means and quantiles of every column, one for the rule counts (a second
one when a rule needs a median first), and one grouped count per column for the distinct and
most frequent values, so that only figures are collected, never rows. In memory,
:func:`mltestkit.data.stats.facts` gives the same facts for a pandas DataFrame.

Missing means null or, in a float column, NaN (as pandas' ``isna``). A regular expression is
run by the engine when it uses only constructs every engine reads alike (ASCII literals,
classes, groups, alternation, repetition); otherwise only its column is read into memory and
Python's :mod:`re` decides. "Special characters" are text values holding no letter or digit
(Unicode classes L and N).

Examples
--------
>>> import pandas as pd
>>> from mltestkit.tables import open_table
>>> lf = open_table(pd.DataFrame({"x": [1.0, None, 3.0, 3.0], "c": ["a", "?", "a", "b"]}))
>>> facts = table_facts(lf, ["x", "c"], [Rule("x", "above", 2.0), Rule("c", "special")])
>>> f = facts["x"]
>>> f.missing, f.distinct, f.top_count, f.min, f.max, f.counts[Rule("x", "above", 2.0)]
(1, 2, 2, 1.0, 3.0, 2)
>>> facts["c"].top, facts["c"].counts[Rule("c", "special")]
([('a', 2), ('?', 1), ('b', 1)], 1)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats.quantiles import lerp, quantile_ranks
from .pushdown import PREFIX, collect, nw_module, to_numpy

#: The quantiles recorded for numeric columns (linear interpolation, as ``numpy.quantile``).
QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)
#: Outlier rules: ``robust_z`` flags ``|x - median| / (1.4826 * MAD) > k``, ``iqr`` flags values
#: more than ``k`` interquartile ranges outside the quartiles; NaN and infinities never count.
OUTLIER_RULES = ("robust_z", "iqr")

_SAFE_REGEX = re.compile(r"(?:[A-Za-z0-9 _\-\[\]^|()?*+{},:;/@#%&=~'\"<>!]|\\[^A-Za-z0-9])*")
_LETTER_OR_DIGIT = r"[\p{L}\p{N}]"


@dataclass(frozen=True)
class Rule:
    """A count of offending rows in one column.

    ``kind`` is ``"below"`` / ``"above"`` (values under / over ``arg``), ``"not_in"`` (present
    values not in the tuple ``arg``), ``"not_matching"`` (present values whose text does not
    fully match the regular expression ``arg``), ``"special"`` (text values without a letter or
    digit), ``"outliers"`` (``arg = (method, k)``, see :data:`OUTLIER_RULES`), ``"repeated"``
    (present values equal to an earlier one), ``"not_whole"`` (values with a fraction), or ``"mean"`` (no count: asks for the mean of
    the finite values).
    """

    column: str
    kind: str
    arg: Any = None


@dataclass
class ColumnFacts:
    """What the data checks know of one column (see the module docstring).

    ``kind`` is ``"bool"``, ``"numeric"``, ``"datetime"`` or ``"categorical"``; ``top`` holds the
    most frequent present values with their counts, most frequent first (ties by value), and
    ``top_count`` the largest count (0 for an empty column). ``min``, ``max`` are set for numeric
    and datetime columns, ``mean``, ``std`` (ddof 1), ``zeros`` and ``quantiles`` for numeric ones.
    ``counts`` maps each :class:`Rule` of the column to its offending rows; ``centre`` holds the
    outlier rules' (median, 1.4826 MAD) or quartiles.
    """

    name: str
    kind: str
    dtype: str
    rows: int
    missing: int
    distinct: int | None = None
    top_count: int = 0
    top: list[tuple[Any, int]] = field(default_factory=list)
    min: Any = None
    max: Any = None
    mean: float | None = None
    std: float | None = None
    zeros: int | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    counts: dict[Rule, int] = field(default_factory=dict)
    centre: dict[Rule, tuple[float, float]] = field(default_factory=dict)


def quantile_name(q: float) -> str:
    """``0.01 -> "p01"``, ``0.5 -> "p50"``."""
    return f"p{round(q * 100):02d}"


def pushable_regex(pattern: str) -> bool:
    """Whether every engine reads ``pattern`` as Python does: ASCII literals and classes, groups,
    alternation and repetition; no ``.``, no ``\\w``-like classes, anchors or look-arounds.

    >>> pushable_regex("[A-Z]{2}[0-9]+"), pushable_regex(r"\\w+"), pushable_regex("a.b")
    (True, False, False)
    """
    return "(?" not in pattern and _SAFE_REGEX.fullmatch(pattern) is not None


def column_kind(dtype: Any) -> str:
    """The kind of a narwhals dtype: ``bool``, ``numeric``, ``datetime`` or ``categorical``."""
    nw = nw_module()
    if dtype == nw.Boolean:
        return "bool"
    if dtype.is_numeric():
        return "numeric"
    if dtype.is_temporal():
        return "datetime"
    return "categorical"


def _is_float(dtype: Any) -> bool:
    nw = nw_module()
    return bool(dtype in (nw.Float32, nw.Float64))


def _clean(column: str, dtype: Any) -> Any:
    """The column with NaN as missing (floats), so that every engine sees pandas' missing values."""
    nw = nw_module()
    x = nw.col(column)
    return nw.when(~x.is_nan()).then(x) if _is_float(dtype) else x


def cleaned(lf: Any, columns: Sequence[str]) -> Any:
    """``lf`` restricted to ``columns``, float NaN turned into nulls."""
    schema = lf.collect_schema()
    return lf.select(*[_clean(c, schema[c]).alias(c) for c in dict.fromkeys(columns)])


def _count(expr: Any) -> Any:
    nw = nw_module()
    return expr.cast(nw.Int64).sum()


def _text_has(x: Any, pattern: str) -> Any:
    return x.cast(nw_module().String).str.contains(pattern)


def rule_expression(rule: Rule, medians: dict[Rule, tuple[float, float]]) -> Any | None:
    """A boolean expression true on the offending rows of ``rule`` (over cleaned columns), or
    ``None`` when the engine cannot decide it (a regular expression only Python reads)."""
    nw = nw_module()
    x = nw.col(rule.column)
    present = ~x.is_null()
    if rule.kind == "below":
        return x < rule.arg
    if rule.kind == "above":
        return x > rule.arg
    if rule.kind == "not_in":
        values = [v for v in rule.arg if v is not None and v == v]
        return present & ~x.is_in(values) if values else present
    if rule.kind == "not_matching":
        if not pushable_regex(rule.arg):
            return None
        return present & ~_text_has(x, rf"\A(?:{rule.arg})\z")
    if rule.kind == "special":
        return present & ~_text_has(x, _LETTER_OR_DIGIT)
    if rule.kind == "not_whole":
        f = x.cast(nw.Float64)
        return present & (f.round(0) != f)
    if rule.kind == "outliers":
        method, k = rule.arg
        centre, spread = medians[rule]
        if not spread or spread != spread:
            return x.is_null() & present  # no row: nothing has a spread to stand out of
        finite = x.cast(nw.Float64)
        finite_ok = ~finite.is_nan() & (finite.abs() < float("inf"))
        if method == "robust_z":
            return finite_ok & ((finite - centre).abs() / spread > k)
        lo, hi = centre, spread  # the quartiles
        return finite_ok & ((finite < lo - k * (hi - lo)) | (finite > hi + k * (hi - lo)))
    raise ValueError(rule.kind)  # pragma: no cover - the checks build the rules


def table_facts(
    lf: Any,
    columns: Sequence[str],
    rules: Sequence[Rule] = (),
    *,
    top: int = 5,
    stats: bool = True,
    distinct: bool = True,
) -> dict[str, ColumnFacts]:
    """:class:`ColumnFacts` of ``columns`` with the counts of ``rules``, computed by ``lf``'s engine.

    Parameters
    ----------
    lf:
        A :class:`narwhals.LazyFrame` (see :func:`~mltestkit.tables.open_table`).
    columns:
        The columns to describe; only they are read.
    rules:
        The :class:`Rule` counts wanted (their columns must be in ``columns``).
    top:
        How many most frequent values to keep for categorical and bool columns.
    stats:
        Also compute ranges, means, standard deviations, zeros and quantiles (a
        ``Rule(column, "mean")`` asks for one mean alone).
    distinct:
        Also count the distinct and most frequent values of numeric and datetime columns
        (categorical ones always get them).
    """
    nw = nw_module()
    schema = lf.collect_schema()
    columns = list(dict.fromkeys(columns))
    base = cleaned(lf, columns)
    kinds = {c: column_kind(schema[c]) for c in columns}
    exprs = [nw.len().alias(PREFIX + "rows")]
    qspecs: list[tuple[str, str, Any, float]] = []
    want_range = {r.column for r in rules if r.kind == "outliers"}
    want_mean = {r.column for r in rules if r.kind == "mean"}
    for i, c in enumerate(columns):
        x = nw.col(c)
        exprs.append(x.null_count().alias(f"{PREFIX}n{i}"))
        if kinds[c] == "numeric":
            f = x.cast(nw.Float64)
            finite = nw.when(f.abs() < float("inf")).then(f)
            if stats:
                exprs += [
                    x.min().alias(f"{PREFIX}lo{i}"),
                    x.max().alias(f"{PREFIX}hi{i}"),
                    finite.std(ddof=1).alias(f"{PREFIX}std{i}"),
                    _count(x == 0).alias(f"{PREFIX}z{i}"),
                ]
                qspecs += [(f"{PREFIX}q{i}_{j}", f"q{i}", f, q) for j, q in enumerate(QUANTILES)]
            if stats or c in want_mean:
                exprs.append(finite.mean().alias(f"{PREFIX}mean{i}"))
            if c in want_range:
                qspecs += [
                    (f"{PREFIX}fq{i}_{j}", f"fq{i}", finite, q) for j, q in enumerate((0.25, 0.5, 0.75))
                ]
        elif kinds[c] == "datetime" and stats:
            exprs += [x.min().alias(f"{PREFIX}lo{i}"), x.max().alias(f"{PREFIX}hi{i}")]
    row = _aggregate(base, exprs, qspecs)
    rows = int(row[PREFIX + "rows"])
    out: dict[str, ColumnFacts] = {}
    for i, c in enumerate(columns):
        f = ColumnFacts(c, kinds[c], str(schema[c]), rows, int(row[f"{PREFIX}n{i}"]))
        if f"{PREFIX}lo{i}" in row:
            f.min, f.max = row[f"{PREFIX}lo{i}"], row[f"{PREFIX}hi{i}"]
        if f"{PREFIX}mean{i}" in row:
            f.mean = _float(row[f"{PREFIX}mean{i}"])
        if f"{PREFIX}std{i}" in row:
            f.std = _float(row[f"{PREFIX}std{i}"])
            f.zeros = int(row[f"{PREFIX}z{i}"] or 0)
            if f.missing < rows:
                f.quantiles = {
                    quantile_name(q): float(row[f"{PREFIX}q{i}_{j}"]) for j, q in enumerate(QUANTILES)
                }
            if f.mean is None or f.std is None or rows - f.missing < 2:
                f.std = None
        out[c] = f
    # medians (robust z) and quartiles (IQR) of the finite values for the outlier rules
    medians: dict[Rule, tuple[float, float]] = {}
    outlier_rules = [r for r in rules if r.kind == "outliers"]
    mads = []
    for r in outlier_rules:
        i = columns.index(r.column)
        q1, med, q3 = (row[f"{PREFIX}fq{i}_{j}"] for j in range(3))
        finite_n = _finite_count(base, r.column) if med is not None else 0
        if finite_n < 4 or med is None:
            medians[r] = (0.0, 0.0)
        elif r.arg[0] == "iqr":
            medians[r] = (float(q1), float(q3)) if q3 != q1 else (0.0, 0.0)
        else:
            mads.append((r, float(med)))
    if mads:
        f64 = nw.Float64
        dev = [
            (
                f"{PREFIX}mad{j}",
                f"mad{j}",
                nw.when(nw.col(c).cast(f64).abs() < float("inf")).then((nw.col(c).cast(f64) - med).abs()),
                0.5,
            )
            for j, (r, med) in enumerate(mads)
            for c in [r.column]
        ]
        got = _aggregate(base, [], dev)
        for j, (r, med) in enumerate(mads):
            medians[r] = (med, 1.4826 * float(got[f"{PREFIX}mad{j}"]))
    for r, m in medians.items():
        out[r.column].centre[r] = m
    # the rule counts, in one query
    exprs, fallbacks = [], []
    for j, r in enumerate(rules):
        if r.kind in ("repeated", "mean"):
            continue
        cond = rule_expression(r, medians)
        if cond is None:
            fallbacks.append(r)
        else:
            exprs.append(_count(cond).alias(f"{PREFIX}r{j}"))
    if exprs:
        got = collect(base.select(*exprs)).to_pylist()[0]
        for j, r in enumerate(rules):
            if f"{PREFIX}r{j}" in got:
                out[r.column].counts[r] = int(got[f"{PREFIX}r{j}"] or 0)
    for r in fallbacks:
        text = base.select(nw.col(r.column).cast(nw.String)).collect(backend="pandas").to_native()[r.column]
        pattern = re.compile(r.arg)
        out[r.column].counts[r] = sum(pattern.fullmatch(v) is None for v in text.dropna())
    # distinct and most frequent values: one grouped count per column
    repeated = {r.column for r in rules if r.kind == "repeated"}
    for c in columns:
        f = out[c]
        if kinds[c] in ("numeric", "datetime") and not (stats or distinct) and c not in repeated:
            continue
        values = base.select(c).filter(~nw.col(c).is_null()).group_by(c).agg(nw.len().alias(PREFIX + "k"))
        summary = collect(
            values.select(nw.len().alias("d"), nw.col(PREFIX + "k").max().alias("t"))
        ).to_pylist()[0]
        f.distinct, f.top_count = int(summary["d"]), int(summary["t"] or 0)
        if kinds[c] in ("categorical", "bool") and top and f.distinct:
            head = collect(values.sort([PREFIX + "k", c], descending=[True, False]).head(top))
            f.top = [
                (v, int(k))
                for v, k in zip(
                    head.column(c).to_pylist(), head.column(PREFIX + "k").to_pylist(), strict=True
                )
            ]
        for r in rules:
            if r.column == c and r.kind == "repeated":
                f.counts[r] = rows - f.missing - f.distinct
    return out


def _aggregate(base: Any, exprs: list[Any], qspecs: list[tuple[str, str, Any, float]]) -> dict[str, Any]:
    """One aggregate query: ``exprs`` and the exact quantiles ``(alias, key, values, q)``.

    DuckDB holds a column's values in memory for its quantile aggregate: there the quantiles of
    one ``key`` are asked in one aggregate (one copy of the values for all of them, not one per
    quantile), all keys together, else key by key; beyond the memory limit they come from a
    sort instead (which spills)."""
    if qspecs and _on_duckdb(base):
        row = dict(collect(base.select(*exprs)).to_pylist()[0]) if exprs else {}
        row.update(_duckdb_quantiles(base, qspecs))
        return row
    quantiles = [v.quantile(q, interpolation="linear").alias(a) for a, _, v, q in qspecs]
    return dict(collect(base.select(*exprs, *quantiles)).to_pylist()[0])


def _on_duckdb(lf: Any) -> bool:
    return str(lf.implementation.name).lower() == "duckdb"


def _duckdb_quantiles(base: Any, qspecs: list[tuple[str, str, Any, float]]) -> dict[str, Any]:
    keys = {k: v for _, k, v, _ in qspecs}
    wanted = {k: [(a, q) for a, kk, _, q in qspecs if kk == k] for k in keys}
    rel = base.select(*(v.alias(k) for k, v in keys.items())).to_native()

    def ask(group: list[str]) -> dict[str, Any]:
        sql = ", ".join(f'quantile_cont("{k}", {[q for _, q in wanted[k]]!r})' for k in group)
        got = rel.aggregate(sql).fetchall()[0]
        return {
            a: v
            for k, values in zip(group, got, strict=True)
            for (a, _), v in zip(wanted[k], values, strict=True)
        }

    try:
        return ask(list(keys))
    except Exception as exc:  # duckdb.OutOfMemoryException
        if type(exc).__name__ != "OutOfMemoryException":
            raise
    out: dict[str, Any] = {}
    for k in keys:
        try:
            out.update(ask([k]))
        except Exception as exc:
            if type(exc).__name__ != "OutOfMemoryException":
                raise
            got = sorted_quantiles(base, keys[k], [q for _, q in wanted[k]])
            out.update({a: g for (a, _), g in zip(wanted[k], got, strict=True)})
    return out


def sorted_quantiles(lf: Any, values: Any, qs: Sequence[float]) -> list[float | None]:
    """Exact linear quantiles of the expression ``values`` over a DuckDB table, from one sort
    (row numbers over the sorted values), which DuckDB spills to disk beyond its memory limit."""

    nw = nw_module()
    col = PREFIX + "v"
    rel = lf.select(values.alias(col)).filter(~nw.col(col).is_null()).to_native()
    n = int(rel.aggregate("count(*)").fetchall()[0][0])
    if n == 0:
        return [None for _ in qs]
    wanted = sorted({int(i) for part in quantile_ranks(n, qs)[:2] for i in part})
    sql = (
        f'SELECT "{col}", r FROM (SELECT "{col}", row_number() OVER (ORDER BY "{col}") - 1 AS r FROM t) '
        f"WHERE r IN ({', '.join(map(str, wanted))})"
    )
    at = {int(r): float(v) for v, r in rel.query("t", sql).fetchall()}
    low, high, weight = quantile_ranks(n, qs)
    got = lerp(np.array([at[int(i)] for i in low]), np.array([at[int(i)] for i in high]), weight)
    return [float(v) for v in got]


def _finite_count(base: Any, column: str) -> int:
    nw = nw_module()
    f = nw.col(column).cast(nw.Float64)
    got = collect(base.select(_count(f.abs() < float("inf")).alias("n"))).to_pylist()[0]
    return int(got["n"] or 0)


def _float(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def row_counts(lf: Any, features: Sequence[str], label: str | None = None) -> tuple[int, int]:
    """Rows that repeat an earlier row over ``features`` (and ``label``), and rows in groups of
    identical features that carry more than one label (0 without a label), in one grouped count.
    Missing values compare equal to each other, as in pandas' ``duplicated``.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> lf = open_table(pd.DataFrame({"x": [1, 1, 2, 2], "y": [0, 0, 0, 1]}))
    >>> row_counts(lf, ["x"], "y")
    (1, 2)
    """
    nw = nw_module()
    keys = [*features, *([label] if label is not None else [])]
    base = cleaned(lf, keys)
    rows = int(collect(base.select(nw.len().alias("n"))).column(0)[0].as_py())
    combos = base.group_by(*keys, drop_null_keys=False).agg(nw.len().alias(PREFIX + "n"))
    if label is None or not features:
        got = collect(combos.select(nw.len().alias("k"))).to_pylist()[0]
        return rows - int(got["k"]), 0
    groups = combos.group_by(*features, drop_null_keys=False).agg(
        nw.len().alias(PREFIX + "k"), nw.col(PREFIX + "n").sum().alias(PREFIX + "rows")
    )
    got = collect(
        groups.select(
            nw.col(PREFIX + "k").sum().alias("combos"),
            nw.when(nw.col(PREFIX + "k") > 1)
            .then(nw.col(PREFIX + "rows"))
            .otherwise(0)
            .sum()
            .alias("conflicts"),
        )
    ).to_pylist()[0]
    return rows - int(got["combos"]), int(got["conflicts"] or 0)


def class_counts(lf: Any, label: str) -> list[tuple[Any, int]]:
    """Rows per present label value, most frequent first (ties by value)."""
    nw = nw_module()
    counts = (
        cleaned(lf, [label])
        .filter(~nw.col(label).is_null())
        .group_by(label)
        .agg(nw.len().alias(PREFIX + "k"))
        .sort([PREFIX + "k", label], descending=[True, False])
    )
    t = collect(counts)
    return [
        (v, int(k))
        for v, k in zip(t.column(label).to_pylist(), to_numpy(t.column(PREFIX + "k")).tolist(), strict=True)
    ]


def offending_values(lf: Any, rule: Rule, facts: ColumnFacts, size: int = 5) -> list[Any]:
    """Up to ``size`` values of rows that break ``rule`` (any rows: a table has no order)."""
    nw = nw_module()
    base = cleaned(lf, [rule.column])
    if rule.kind == "repeated":
        values = (
            base.filter(~nw.col(rule.column).is_null())
            .group_by(rule.column)
            .agg(nw.len().alias(PREFIX + "k"))
        )
        cond_frame = values.filter(nw.col(PREFIX + "k") > 1).select(rule.column)
    elif rule.kind == "missing":
        return [None] * min(size, facts.missing)
    else:
        cond = rule_expression(rule, facts.centre)
        if cond is None:
            return []
        cond_frame = base.filter(cond).select(rule.column)
    return collect(cond_frame.head(size)).column(rule.column).to_pylist()


__all__ = [
    "OUTLIER_RULES",
    "QUANTILES",
    "ColumnFacts",
    "Rule",
    "class_counts",
    "column_kind",
    "decimals",
    "offending_values",
    "pushable_regex",
    "quantile_name",
    "row_counts",
    "schema_dtype",
    "sorted_quantiles",
    "table_facts",
]


def decimals(lf: Any, column: str, most: int = 10) -> int:
    """The fewest decimals (up to ``most``) that write every finite value of a numeric column
    exactly (to a relative 1e-12), in one aggregate query.

    >>> import pandas as pd
    >>> from mltestkit.tables import open_table
    >>> decimals(open_table(pd.DataFrame({"x": [1.5, 30.1519, None]})), "x")
    4
    """
    nw = nw_module()
    x = nw.col(column).cast(nw.Float64)
    finite = nw.when(x.abs() < float("inf")).then(x)
    scale = nw.when(finite.abs() > 1.0).then(finite.abs()).otherwise(1.0)
    exprs = [
        _count((finite.round(d) - finite).abs() > 1e-12 * scale).alias(f"{PREFIX}d{d}")
        for d in range(most + 1)
    ]
    got = collect(cleaned(lf, [column]).select(*exprs)).to_pylist()[0]
    return next((d for d in range(most + 1) if not got[f"{PREFIX}d{d}"]), most)


def schema_dtype(dtype: Any) -> str:
    """The schema dtype (``int``, ``float``, ``bool``, ``str``, ``category``, ``datetime``, ``any``)
    of a narwhals dtype."""
    nw = nw_module()
    if dtype == nw.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_numeric():
        return "float"
    if dtype.is_temporal():
        return "datetime"
    if dtype in (nw.Categorical, nw.Enum):
        return "category"
    if dtype == nw.String:
        return "str"
    return "any"
