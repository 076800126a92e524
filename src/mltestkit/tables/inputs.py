"""Checks over a table: which columns play which part, and the compact rows the checks count.

With ``data=`` a table, the checks' row arguments (``y_true=``, ``y_pred=``, ``y_score=``,
``sample_weight=``, ``by=``) name its columns. :func:`table_inputs` opens the table, checks that
the columns exist, and keeps only them. :func:`compact_rows` asks the engine for the distinct
combinations of some columns with their row counts (numeric slice columns cut into bins by the
engine first), which the in-memory estimators then read with the counts as frequency weights:
the figures equal those of the rows, and memory grows with the combinations, not the rows.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"label": [1, 0, 1, 1], "pred": [1, 0, 0, 1], "g": ["a", "a", "b", "b"]})
>>> t = table_inputs(frame, y_true="label", y_pred="pred", by="g")
>>> t.by, t.y_true
(['g'], 'label')
>>> rows = compact_rows(t, [t.y_true, t.y_pred])
>>> sorted(zip(rows.frame["g"], rows.frame["label"], rows.frame["pred"], rows.weights.tolist()))
[('a', 0, 0, 1), ('a', 1, 1, 1), ('b', 1, 0, 1), ('b', 1, 1, 1)]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from .pushdown import bin_expression, check_weights, column_profile, grouped_counts, quantiles
from .source import open_table, require_columns

#: Numeric slice columns with more distinct values than this are cut into bins (as in memory).
MAX_LEVELS = 10
#: Quantile bins of a numeric slice column when ``bins=`` does not say otherwise.
DEFAULT_BINS = 4


@dataclass(frozen=True)
class TableInputs:
    """A table and the names of the columns a check reads from it."""

    frame: Any
    y_true: str | None = None
    y_pred: str | None = None
    y_score: str | None = None
    weight: str | None = None
    by: list[str] = field(default_factory=list)


def _name(value: Any, argument: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InputError(
        argument,
        f"must name a column of data, got a {type(value).__name__}",
        f'pass the column name, e.g. {argument}="label", or leave data= out and pass arrays',
    )


def table_inputs(
    data: Any,
    *,
    y_true: Any = None,
    y_pred: Any = None,
    y_score: Any = None,
    sample_weight: Any = None,
    by: Any = None,
    argument: str = "data",
    memory_limit: str | None = None,
) -> TableInputs:
    """Open ``data`` and check the columns the other arguments name (each an error naming its argument)."""
    frame = open_table(data, argument, memory_limit=memory_limit)
    names = {
        "y_true": _name(y_true, "y_true"),
        "y_pred": _name(y_pred, "y_pred"),
        "y_score": _name(y_score, "y_score"),
        "sample_weight": _name(sample_weight, "sample_weight"),
    }
    for arg, col in names.items():
        if col is not None:
            require_columns(frame, [col], arg)
    if by is None:
        slice_cols: list[str] = []
    elif isinstance(by, str):
        slice_cols = [by]
    elif isinstance(by, Sequence) and all(isinstance(c, str) for c in by):
        slice_cols = list(by)
    else:
        raise InputError(
            "by",
            f"must name columns of data, got a {type(by).__name__}",
            'pass a column name or a list of names, e.g. by=["sex", "race"]',
        )
    require_columns(frame, slice_cols, "by")
    wanted = [c for c in [*names.values(), *slice_cols] if c is not None]
    frame = frame.select(*dict.fromkeys(wanted)) if wanted else frame
    if names["sample_weight"] is not None:
        check_weights(frame, names["sample_weight"])
    return TableInputs(
        frame, names["y_true"], names["y_pred"], names["y_score"], names["sample_weight"], slice_cols
    )


@dataclass(frozen=True)
class CompactRows:
    """The distinct combinations of some columns (``frame``, a pandas DataFrame), their row
    counts (``weights``), and the bin edges of numeric slice columns the engine binned (pass them
    as ``bins=`` to the slicing code: a binned column holds a representative value per bin)."""

    frame: Any
    weights: np.ndarray
    bins: dict[str, list[float]]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def relabel(self, keys: Sequence[Any]) -> list[Any]:
        """Slice keys with the labels of quantile bins as in memory (``[18, 32)``, ..., ``[64, 79]``)
        in place of the labels of their inner edges (``< 32``, ..., ``>= 64``)."""
        if not self.labels:
            return list(keys)
        return [tuple((c, self.labels.get(c, {}).get(v, v)) for c, v in key) for key in keys]


def _label(x: float) -> str:
    return f"{x:g}"


def _quantile_labels(edges: np.ndarray) -> dict[str, str]:
    """The labels of quantile bins over ``edges`` (first and last: the data's min and max), keyed
    by the labels the slicing code gives their inner edges."""
    inner = edges[1:-1]
    plain = [f"< {_label(inner[0])}"] + [f"[{_label(a)}, {_label(b)})" for a, b in itertools.pairwise(inner)]
    plain.append(f">= {_label(inner[-1])}")
    last = len(edges) - 2
    return {
        plain[i]: f"[{_label(edges[i])}, {_label(edges[i + 1])}{']' if i == last else ')'}"
        for i in range(len(edges) - 1)
    }


def _binned(t: TableInputs, bins: Any) -> tuple[dict[str, list[float]], dict[str, dict[str, str]]]:
    """The slice columns to cut into bins, with their inner edges (computed by the engine)."""
    schema = t.frame.collect_schema()
    numeric = [c for c in t.by if schema[c].is_numeric()]
    if not numeric:
        return {}, {}
    bins_of = bins if isinstance(bins, Mapping) else dict.fromkeys(t.by, bins)
    unknown = [k for k in bins_of if k not in t.by]
    if unknown:
        raise InputError("bins", f"names unknown slice columns {unknown}", f"use columns of by: {t.by}")
    distinct = column_profile(t.frame, numeric).distinct
    out: dict[str, list[float]] = {}
    labels: dict[str, dict[str, str]] = {}
    for c in numeric:
        spec = bins_of.get(c)
        if spec is None and distinct[c] <= MAX_LEVELS:
            continue
        if spec is None or (isinstance(spec, (int, np.integer)) and not isinstance(spec, bool)):
            count = DEFAULT_BINS if spec is None else int(spec)
            if count < 1:
                raise InputError("bins", f"must be >= 1 for {c!r}, got {count}", "pass e.g. bins=4")
            edges = np.unique(quantiles(t.frame, c, np.linspace(0, 1, count + 1)))
            out[c] = [float(e) for e in edges[1:-1]]
            if len(edges) > 2:
                labels[c] = _quantile_labels(edges)
            continue
        try:
            edges = np.asarray(spec, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            edges = np.array([np.nan])
        if edges.size == 0 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise InputError(
                "bins",
                f"for {c!r} must be a number of quantile bins or increasing finite edges, got {spec!r}",
                "pass e.g. bins=4 or bins=[0, 30, 40, 60]",
            )
        out[c] = [float(e) for e in edges]
    return out, labels


def compact_rows(t: TableInputs, columns: Sequence[str], *, bins: Any = None) -> CompactRows:
    """Distinct combinations of the slice columns and ``columns``, with their row counts.

    A numeric slice column the in-memory code would bin (more than :data:`MAX_LEVELS` values, or
    ``bins=`` given for it) is cut by the engine: each row's value is replaced by its bin's
    representative (``-inf`` below the first edge, else the edge at or below it), and the edges
    are returned so that the slicing code labels the bins. Quantile edges are computed exactly
    by the engine (linear interpolation, as numpy).
    """
    import narwhals as nw

    edges, labels = _binned(t, bins)
    frame = t.frame
    if edges:
        reps = {}
        for c, inner in edges.items():
            values = np.r_[-np.inf, inner]
            code = bin_expression(c, inner)
            rep = nw.lit(float(values[0]), nw.Float64)
            for i, v in enumerate(values[1:], start=1):
                rep = nw.when(code == i).then(nw.lit(float(v), nw.Float64)).otherwise(rep)
            reps[c] = nw.when(~nw.col(c).is_null()).then(rep).alias(c)
        frame = frame.with_columns(*reps.values())
    keys = list(dict.fromkeys([*t.by, *columns]))
    counts = grouped_counts(frame, keys, weight=t.weight)
    import pandas as pd

    out = pd.DataFrame({k: counts.keys[k] for k in keys})
    return CompactRows(out, counts.counts, edges, labels)


def missing_in(rows: CompactRows, column: str, argument: str) -> None:
    """An error naming ``argument`` when ``column`` has missing values (how many rows)."""
    missing = rows.frame[column].isna().to_numpy()
    if missing.any():
        raise InputError(
            argument,
            f"column {column!r} has {int(rows.weights[missing].sum())} missing values",
            "drop or fill the rows with missing values first",
        )


def collect_rows(t: TableInputs, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The values of ``columns`` row by row (repeated by the frequency weights): for the figures
    that read every row (bootstrap intervals), at the cost of memory that grows with the rows."""
    wanted = list(dict.fromkeys([*columns, *([t.weight] if t.weight else [])]))
    table = t.frame.select(*wanted).collect(backend="pyarrow").to_native()
    out = {c: np.asarray(table.column(c).to_numpy(zero_copy_only=False)) for c in columns}
    if t.weight:
        reps = np.rint(np.asarray(table.column(t.weight).to_numpy(zero_copy_only=False), float)).astype(
            np.int64
        )
        out = {c: np.repeat(v, reps) for c, v in out.items()}
    return out


def labelled_rows(
    data: Any, *, y_true: Any, y_pred: Any, by: Any, sample_weight: Any = None, bins: Any = None
) -> tuple[TableInputs, CompactRows]:
    """A table's labelled rows in compact form, for the checks that count them by group.

    The rows' ``frame`` holds the slice columns and the label and prediction columns (their
    names in the :class:`TableInputs`) of each distinct combination; slice them with
    ``bins=rows.bins or None``, weigh them by ``weights`` and pass the slice keys through
    ``relabel``.
    """
    t = table_inputs(data, y_true=y_true, y_pred=y_pred, sample_weight=sample_weight, by=by)
    for argument, column in (("y_true", t.y_true), ("y_pred", t.y_pred)):
        if column is None:
            raise InputError(argument, "is missing", f'with data=, name its column: {argument}="..."')
    if not t.by:
        raise InputError("by", "names no columns", 'pass e.g. by=["sex", "race"]')
    assert t.y_true is not None and t.y_pred is not None
    rows = compact_rows(t, [t.y_true, t.y_pred], bins=bins)
    missing_in(rows, t.y_true, "y_true")
    missing_in(rows, t.y_pred, "y_pred")
    return t, rows


def table_rows(
    data: Any, *, y_true: Any, y_pred: Any, by: Any, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The named label, prediction and slice columns of a table, row by row (weights repeat rows)."""
    t = table_inputs(data, y_true=y_true, y_pred=y_pred, sample_weight=sample_weight, by=by)
    for argument, column in (("y_true", t.y_true), ("y_pred", t.y_pred)):
        if column is None:
            raise InputError(argument, "is missing", f'with data=, name its column: {argument}="..."')
    assert t.y_true is not None and t.y_pred is not None
    rows = collect_rows(t, [t.y_true, t.y_pred, *t.by])
    return rows[t.y_true], rows[t.y_pred], {c: rows[c] for c in t.by}
