"""Integrity of one dataset: duplicates, conflicting labels, constant columns, mixed types,
placeholder values, outliers, class imbalance and missing values.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 1.0], "y": [0, 1, 0, 1]})
>>> r = check_integrity(frame, label="y")
>>> r.outcome.value, r.details["failures"][0]["rule"], r.details["failures"][0]["count"]
('failed', 'conflicting_labels', 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validate import column, flag, number
from .._validate import columns as validate_columns
from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Estimate, judge, validate_level, validate_rule
from ..tables.profile import Rule, offending_values, row_counts
from ..tables.profile import class_counts as table_class_counts
from .io import MAX_FAILURES, plain, sample
from .requirements import data_requirements
from .stats import (
    RowFacts,
    class_counts,
    column_kinds,
    facts,
    offending_rows,
    require_names,
    require_rows,
    summary,
    table_or_frame,
    table_sample,
    text_columns,
)

#: Outlier rules: ``robust_z`` flags ``|x - median| / (1.4826 * MAD) > k`` (k = 3.5 by default),
#: ``iqr`` flags values more than ``k`` interquartile ranges outside the quartiles (k = 1.5).
OUTLIER_METHODS = {"robust_z": 3.5, "iqr": 1.5}

#: The figures of :func:`check_integrity`, each a share of rows (of present values for ``top_fraction``).
FIGURES = (
    "duplicate_rows",
    "conflicting_labels",
    "missing",
    "top_fraction",
    "mixed_types",
    "special_characters",
    "outliers",
    "minority_class",
)
#: The requirements that hold unless ``max=`` overrides them (``None`` drops one).
DEFAULT_MAX = {
    "duplicate_rows": 0.0,
    "conflicting_labels": 0.0,
    "missing": 0.0,
    "top_fraction": 0.999,
    "mixed_types": 0.0,
    "special_characters": 0.0,
}
#: Deprecated spellings: old argument -> (side, figure).
LEGACY = {
    "max_duplicate_fraction": ("max", "duplicate_rows"),
    "max_conflict_fraction": ("max", "conflicting_labels"),
    "max_missing_fraction": ("max", "missing"),
    "max_top_fraction": ("max", "top_fraction"),
    "max_mixed_type_fraction": ("max", "mixed_types"),
    "max_special_fraction": ("max", "special_characters"),
    "max_outlier_fraction": ("max", "outliers"),
    "min_class_fraction": ("min", "minority_class"),
}


def check_integrity(
    data: Any,
    *,
    label: str | None = None,
    columns: list[str] | None = None,
    min: dict[str, float | None] | None = None,
    max: dict[str, float | None] | None = None,
    outliers: str = "robust_z",
    outlier_k: float | None = None,
    describe: bool = True,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Check one dataset for common faults.

    Every figure is an exact share of the rows given, judged by its value.

    Parameters
    ----------
    data:
        A pandas DataFrame (checked in memory) or any table
        :func:`~mltestkit.tables.open_table` reads: polars, Arrow, DuckDB, Spark, or the path
        of a CSV file or of Parquet data (file, directory, glob). A table's engine computes the
        figures (the same as in memory) and reads only the columns checked; its failure samples
        hold values without row positions.
    label:
        The label column: enables conflicting labels (identical features, different labels)
        and class balance; it is left out of the per-column checks.
    columns:
        The feature columns to check (default: all but ``label``).
    min, max:
        Requirements keyed by figure, ``max`` merged over :data:`DEFAULT_MAX` (``None`` drops a
        default, leaving the figure recorded ungated). The figures: ``duplicate_rows`` (rows
        that repeat an earlier row, all checked columns and the label), ``conflicting_labels``
        (rows in groups of identical features that carry more than one label), ``missing``
        (per column), ``top_fraction`` (share of the most frequent non-missing value per column;
        a constant column has 1), ``mixed_types`` (values of an object column whose Python type
        is not the column's most common one), ``special_characters`` (text values made only of
        punctuation, symbols or blanks: ``"?"``, ``"-"``, ``""``), ``outliers`` (per numeric
        column) and ``minority_class`` (the smallest class's share of the label; a ``min``).
    outliers, outlier_k:
        Outlier rule, ``"robust_z"`` or ``"iqr"``, and its constant (see :data:`OUTLIER_METHODS`).
    describe:
        Record per-column statistics in ``details["statistics"]``.
    rule, confidence, seed:
        Accepted for a uniform API: exact shares are judged by their value under every rule,
        and nothing is drawn at random.
    name:
        The check's name in the report (default ``"integrity"``).
    **legacy:
        ``max_duplicate_fraction=``, ``max_conflict_fraction=``, ``max_missing_fraction=``,
        ``max_top_fraction=``, ``max_mixed_type_fraction=``, ``max_special_fraction=``,
        ``max_outlier_fraction=`` (now ``max={...}``) and ``min_class_fraction=`` (now
        ``min={"minority_class": ...}``) still work for this release with a ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Of kind ``"data"``, with one :class:`~mltestkit.results.MetricValue` per figure (frame-level
        ones without ``slice``, per-column ones with ``slice={"column": name}``), judged by value,
        and ``details["failures"]`` with counts and samples of offending rows.

    Examples
    --------
    >>> import pandas as pd
    >>> r = check_integrity(pd.DataFrame({"city": ["Oslo", "?", "Lima", "Oslo"], "n": [1, 2, 3, 4]}))
    >>> [(f["column"], f["rule"], f["sample"]) for f in r.details["failures"]]
    [('city', 'special_characters', [{'row': 1, 'value': '?'}])]
    """
    frame, names = table_or_frame(data)
    label, columns = column(label, "label"), validate_columns(columns, "columns")
    describe = flag(describe, "describe")
    if outlier_k is not None:
        outlier_k = number(outlier_k, "outlier_k", low=0, example=3.5)
    if not isinstance(outliers, str) or outliers not in OUTLIER_METHODS:
        raise InputError(
            "outliers", f"unknown method {outliers!r}", f"use one of {', '.join(OUTLIER_METHODS)}"
        )
    k = OUTLIER_METHODS[outliers] if outlier_k is None else float(outlier_k)
    rule, level = validate_rule(rule), validate_level(confidence)
    requirements = data_requirements(
        "check_integrity", min, max, legacy, LEGACY, FIGURES, DEFAULT_MAX, rule=rule, confidence=level
    )
    if label is not None:
        require_names(names, [label], "label")
    features = (
        require_names(names, columns, "columns") if columns is not None else [c for c in names if c != label]
    )
    in_memory = isinstance(frame, pd.DataFrame)
    text = set(text_columns(frame, features))
    kinds = column_kinds(frame, features)
    rules = [Rule(c, "special") for c in features if c in text]
    rules += [Rule(c, "outliers", (outliers, k)) for c in features if kinds[c] == "numeric"]
    wanted = list(
        dict.fromkeys([*features, *([label] if label is not None else []), *(names if describe else [])])
    )
    got, encoded = facts(frame, wanted, rules, top=5, stats=describe)
    n = got[wanted[0]].rows
    require_rows(n)
    metrics: list[MetricValue] = []
    failures: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []

    def record(
        metric: str,
        count: int,
        column: Any = None,
        where: Any = None,
        value: float | None = None,
    ) -> None:
        """Judge one share; ``where`` gives the sample of offending rows when one is kept."""
        frac = count / n if value is None else value
        place = {"column": str(column)} if column is not None else None
        mv = judge(metric, Estimate(frac, n=n, range=(0.0, 1.0)), requirements[metric], slice=place)
        metrics.append(mv)
        if mv.outcome is Outcome.FAILED or (mv.outcome is None and count and metric != "minority_class"):
            entry: dict[str, Any] = {
                "column": None if column is None else str(column),
                "rule": metric,
                "count": int(count),
                "fraction": frac,
            }
            if where is not None:
                entry["sample"] = where()
            (failures if mv.outcome is Outcome.FAILED else findings).append(entry)

    def rows_of(c: str, r: Rule | None) -> Any:
        """A sample of the rows that break ``r`` (missing values when ``r`` is ``None``)."""
        if in_memory:
            s = frame[c]

            def take() -> Any:
                pos = offending_rows(s, r, got[c], encoded.get(c))
                return sample(pos, s.iloc[pos])

            return take
        return lambda: table_sample(offending_values(frame, r or Rule(c, "missing"), got[c]))

    # rows: duplicates and conflicting labels
    if in_memory:
        rows = RowFacts(frame, features, label, encoded)
        duplicates, conflicts = rows.duplicates, rows.conflicts

        def dup_sample() -> Any:
            pos, first = rows.duplicate_sample()
            return sample(pos, first)

        def conflict_sample() -> Any:
            pos = rows.conflict_positions()
            return sample(pos, frame[label].iloc[pos])
    else:
        duplicates, conflicts = row_counts(frame, features, label)

        def dup_sample() -> Any:
            return []

        conflict_sample = dup_sample
    record("duplicate_rows", duplicates, where=dup_sample)
    classes: list[tuple[Any, int]] = []
    if label is not None:
        record("conflicting_labels", conflicts, where=conflict_sample)
        classes = class_counts(frame[label]) if in_memory else table_class_counts(frame, label)
        if classes:
            total = sum(c for _, c in classes)
            record("minority_class", classes[-1][1], value=classes[-1][1] / total)
    # columns
    for c in features:
        f = got[c]
        record("missing", f.missing, c, rows_of(c, None))
        present = n - f.missing
        if present == 0:
            continue
        record("top_fraction", f.top_count, c, value=f.top_count / present)
        if in_memory and frame[c].dtype == object:
            s = frame[c]
            types = s.dropna().map(type)
            main = types.value_counts().index[0]
            odd = s.notna().to_numpy() & (s.map(type).to_numpy() != main)
            pos = np.flatnonzero(odd)
            record("mixed_types", len(pos), c, lambda pos=pos, s=s: sample(pos, s.iloc[pos]))
        for r in rules:
            if r.column == c:
                figure = "special_characters" if r.kind == "special" else "outliers"
                record(figure, f.counts[r], c, rows_of(c, r))
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    details: dict[str, Any] = {
        "rows": n,
        "failures": failures[:MAX_FAILURES],
        "findings": findings[:MAX_FAILURES],
        "outlier_method": outliers,
    }
    if label is not None:
        details["classes"] = [{"value": plain(v), "count": int(k_)} for v, k_ in classes[:50]]
    if describe:
        details["statistics"] = {"rows": n, "columns": {str(c): summary(got[c]) for c in names}}
    return CheckResult(
        name=name or "integrity",
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message=_message(failures, n),
        details=details,
    )


def _message(failures: list[dict[str, Any]], n: int) -> str:
    if not failures:
        return f"no integrity limit is exceeded on {n} rows"
    lines = [f"{len(failures)} integrity limits are exceeded on {n} rows:"]
    for f in failures[:10]:
        where = f"column {f['column']!r}" if f["column"] is not None else "rows"
        rows = ", ".join(str(x["row"]) for x in f.get("sample", [])[:5] if "row" in x)
        lines.append(
            f"  {where}: {f['rule']} {f['count']} ({f['fraction']:.3%}){'; rows ' + rows if rows else ''}"
        )
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more in the report")
    return "\n".join(lines)
