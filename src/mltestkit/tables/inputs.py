"""Checks over a table: which columns play which part, and the compact rows the checks count.

With ``data=`` a table, the checks' row arguments (``y_true=``, ``y_pred=``, ``y_score=``,
``sample_weight=``, ``by=``) name its columns. :func:`table_inputs` opens the table, checks that
the columns exist, and keeps only them. :func:`compact_rows` asks the engine for the distinct
combinations of some columns with their rows, summed weights and summed squared weights (numeric
slice columns cut into bins by the engine first), which the in-memory estimators then read as
they read weighted rows: the figures equal those of the rows, and memory grows with the
combinations, not the rows. :func:`collect_rows` reads the named columns of every row, for the
figures that need them (and a score matrix: ``y_score=`` a list of columns, one per class, or a
column of fixed-size lists).

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
from .pushdown import (
    bin_expression,
    check_weights,
    collect,
    column_profile,
    grouped_counts,
    quantiles,
    to_numpy,
)
from .source import open_table, require_columns

#: Numeric slice columns with more distinct values than this are cut into bins (as in memory).
MAX_LEVELS = 10
#: Quantile bins of a numeric slice column when ``bins=`` does not say otherwise.
DEFAULT_BINS = 4


@dataclass(frozen=True)
class TableInputs:
    """A table and the names of the columns a check reads from it.

    ``scores`` names the columns of a score matrix (one per class, in the sorted classes' order)
    when ``y_score=`` named several, or the one column of fixed-size lists it named; ``y_score``
    is then ``None``.
    """

    frame: Any
    y_true: str | None = None
    y_pred: str | None = None
    y_score: str | None = None
    weight: str | None = None
    by: list[str] = field(default_factory=list)
    scores: tuple[str, ...] = ()

    @property
    def matrix(self) -> bool:
        """Whether ``y_score`` names a score matrix (several columns, or one of lists)."""
        return bool(self.scores)


def _name(value: Any, argument: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InputError(
        argument,
        f"must name a column of data, got a {type(value).__name__}",
        f'pass the column name, e.g. {argument}="label", or leave data= out and pass arrays',
    )


def _score_columns(frame: Any, y_score: Any) -> tuple[str | None, tuple[str, ...]]:
    """``y_score`` as one score column, or as the columns of a score matrix."""
    if y_score is None or isinstance(y_score, str):
        if y_score is not None:
            require_columns(frame, [y_score], "y_score")
            if is_list_column(frame, y_score):
                return None, (y_score,)
        return y_score, ()
    if isinstance(y_score, (list, tuple)) and y_score and all(isinstance(c, str) for c in y_score):
        names = require_columns(frame, list(y_score), "y_score")
        if len(set(names)) < len(names):
            raise InputError(
                "y_score", f"names a column twice: {list(y_score)}", "name each class's column once"
            )
        if len(names) == 1:
            return _score_columns(frame, names[0])
        return None, tuple(names)
    raise InputError(
        "y_score",
        f"must name a column of data or a list of columns (one per class), got a {type(y_score).__name__}",
        'pass e.g. y_score="score", or y_score=["p_a", "p_b", "p_c"] in the sorted classes\' order',
    )


def is_list_column(frame: Any, column: str) -> bool:
    """Whether a column holds a list (or fixed-size array) of numbers a row."""
    import narwhals as nw

    dtype = frame.collect_schema()[column]
    if isinstance(dtype, (nw.List, nw.Array)):
        return True
    if dtype != nw.Object:
        return False
    first = collect(frame.select(column).drop_nulls().head(1)).column(0).to_pylist()
    return bool(first) and isinstance(first[0], (list, tuple, np.ndarray))


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
    score, scores = _score_columns(frame, y_score)
    wanted = [c for c in [*names.values(), score, *scores, *slice_cols] if c is not None]
    frame = frame.select(*dict.fromkeys(wanted)) if wanted else frame
    if names["sample_weight"] is not None:
        check_weights(frame, names["sample_weight"])
    return TableInputs(
        frame, names["y_true"], names["y_pred"], score, names["sample_weight"], slice_cols, scores
    )


@dataclass(frozen=True)
class CompactRows:
    """The distinct combinations of some columns (``frame``, a pandas DataFrame), their
    ``rows``, their ``weights`` (the rows again, or the summed sample weights) and ``squares``
    (the summed squared sample weights, ``None`` without weights), and the bin edges of numeric
    slice columns the engine binned (pass them as ``bins=`` to the slicing code: a binned column
    holds a representative value per bin)."""

    frame: Any
    weights: np.ndarray
    bins: dict[str, list[float]]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: np.ndarray | None = None
    squares: np.ndarray | None = None

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
    """Distinct combinations of the slice columns and ``columns``, with their rows, summed
    weights and summed squared weights (see :class:`CompactRows`).

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
    return CompactRows(out, counts.counts, edges, labels, counts.rows, counts.squares)


def missing_in(rows: CompactRows, column: str, argument: str) -> None:
    """An error naming ``argument`` when ``column`` has missing values (how many rows)."""
    missing = rows.frame[column].isna().to_numpy()
    if missing.any():
        counted = rows.weights if rows.rows is None else rows.rows
        raise InputError(
            argument,
            f"column {column!r} has {int(counted[missing].sum())} missing values",
            "drop or fill the rows with missing values first",
        )


@dataclass(frozen=True)
class Rows:
    """A table's named columns row by row (``values``, by column name), its sample weights
    (``None`` without them) and its scores (``y_score``: one a row, an ``(n, K)`` matrix, or
    ``None`` when the check reads none)."""

    values: dict[str, np.ndarray]
    weights: np.ndarray | None = None
    scores: np.ndarray | None = None


def collect_rows(t: TableInputs, columns: Sequence[str]) -> Rows:
    """The values of ``columns``, the weights and the scores of every row: for the figures that
    read every row, at the cost of memory that grows with the rows (only these columns are read).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"y": ["a", "b"], "pa": [0.8, 0.3], "pb": [0.2, 0.7], "w": [1.0, 0.5]})
    >>> r = collect_rows(table_inputs(frame, y_true="y", y_score=["pa", "pb"], sample_weight="w"), ["y"])
    >>> r.values["y"].tolist(), r.scores.tolist(), r.weights.tolist()
    (['a', 'b'], [[0.8, 0.2], [0.3, 0.7]], [1.0, 0.5])
    """
    score = [t.y_score] if t.y_score is not None else list(t.scores)
    weight = [t.weight] if t.weight else []
    table = collect(t.frame.select(*dict.fromkeys([*columns, *score, *weight])))
    values = {c: to_numpy(table.column(c)) for c in columns}
    weights = to_numpy(table.column(t.weight)).astype(float) if t.weight else None
    if t.y_score is not None:
        scores = to_numpy(table.column(t.y_score))
    elif len(t.scores) == 1:
        scores = _list_matrix(table.column(t.scores[0]), t.scores[0])
    elif t.scores:
        scores = np.column_stack([_number_column(table.column(c), c) for c in t.scores])
    else:
        scores = None
    return Rows(values, weights, scores)


def _number_column(column: Any, name: str) -> np.ndarray:
    """One class's scores as floats (missing values are NaN, which the score checks refuse)."""
    import pyarrow as pa

    if not (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    ):
        raise InputError(
            "y_score", f"column {name!r} is not numeric ({column.type})", "name columns of scores"
        )
    return np.asarray(to_numpy(column), dtype=float)


def _list_matrix(column: Any, name: str) -> np.ndarray:
    """A column of fixed-size lists of scores as an ``(n, K)`` matrix."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if column.null_count:
        raise InputError(
            "y_score", f"column {name!r} has {column.null_count} missing rows", "drop those rows first"
        )
    lengths = np.asarray(pc.list_value_length(column).to_numpy(zero_copy_only=False))
    if lengths.size and (lengths.min() != lengths.max() or lengths.min() < 2):
        raise InputError(
            "y_score",
            f"column {name!r} holds lists of {lengths.min()} to {lengths.max()} scores",
            "give every row one score per class (at least two), e.g. model.predict_proba(X) row by row",
        )
    values = _number_column(column.flatten(), name)
    return values.reshape(len(column), int(lengths[0]) if lengths.size else 0)


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
    data: Any, *, y_true: Any, y_pred: Any, by: Any, y_score: Any = None, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray], np.ndarray | None, np.ndarray | None]:
    """The named label, prediction and slice columns of a table row by row, with its scores
    (one a row or a matrix, ``None`` when not named) and sample weights (``None`` when not named)."""
    t = table_inputs(data, y_true=y_true, y_pred=y_pred, y_score=y_score, sample_weight=sample_weight, by=by)
    if t.y_true is None:
        raise InputError("y_true", "is missing", 'with data=, name its column: y_true="..."')
    if t.y_pred is None and t.y_score is None and not t.scores:
        raise InputError("y_pred", "is missing", 'with data=, name its column: y_pred="..."')
    rows = collect_rows(t, [c for c in (t.y_true, t.y_pred, *t.by) if c is not None])
    v = rows.values
    return (
        v[t.y_true],
        v.get(t.y_pred) if t.y_pred else None,
        {c: v[c] for c in t.by},
        rows.scores,
        rows.weights,
    )
