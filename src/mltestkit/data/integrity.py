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

from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, Threshold, worst
from .io import MAX_FAILURES, column_kind, load_frame, require_columns, row_hashes, sample
from .stats import describe_data

#: Outlier rules: ``robust_z`` flags ``|x - median| / (1.4826 * MAD) > k`` (k = 3.5 by default),
#: ``iqr`` flags values more than ``k`` interquartile ranges outside the quartiles (k = 1.5).
OUTLIER_METHODS = {"robust_z": 3.5, "iqr": 1.5}


def _fraction(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(name, f"must be a fraction in [0, 1] or None, got {value!r}", f"e.g. {name}=0.01")
    return float(value)


def _outliers(x: np.ndarray, method: str, k: float) -> np.ndarray:
    """Mask of outliers among the finite values of ``x`` (NaN is never an outlier)."""
    finite = np.isfinite(x)
    v = x[finite]
    mask = np.zeros(x.shape, bool)
    if v.size < 4:
        return mask
    if method == "robust_z":
        med = np.median(v)
        mad = 1.4826 * np.median(np.abs(v - med))
        if mad == 0:
            return mask
        with np.errstate(invalid="ignore"):
            mask[finite] = np.abs(v - med) / mad > k
    else:
        q1, q3 = np.quantile(v, [0.25, 0.75])
        iqr = q3 - q1
        if iqr == 0:
            return mask
        mask[finite] = (v < q1 - k * iqr) | (v > q3 + k * iqr)
    return mask


def check_integrity(
    data: Any,
    *,
    label: str | None = None,
    columns: list[str] | None = None,
    max_duplicate_fraction: float | None = 0.0,
    max_conflict_fraction: float | None = 0.0,
    max_missing_fraction: float | None = 0.0,
    max_top_fraction: float | None = 0.999,
    max_mixed_type_fraction: float | None = 0.0,
    max_special_fraction: float | None = 0.0,
    max_outlier_fraction: float | None = None,
    outliers: str = "robust_z",
    outlier_k: float | None = None,
    min_class_fraction: float | None = None,
    describe: bool = True,
    name: str = "integrity",
) -> CheckResult:
    """Check one dataset for common faults.

    Every limit is a fraction of rows; ``None`` reports the figure without gating it.

    Parameters
    ----------
    data:
        A pandas or polars DataFrame, or the path of a CSV or Parquet file.
    label:
        The label column: enables conflicting labels (identical features, different labels)
        and class balance; it is left out of the per-column checks.
    columns:
        The feature columns to check (default: all but ``label``).
    max_duplicate_fraction:
        Rows that repeat an earlier row (all checked columns and the label).
    max_conflict_fraction:
        Rows in groups of identical features that carry more than one label.
    max_missing_fraction:
        Missing values per column.
    max_top_fraction:
        Share of the most frequent non-missing value per column; a constant column has 1.
    max_mixed_type_fraction:
        Values of an object column whose Python type is not the column's most common one.
    max_special_fraction:
        Text values made only of punctuation, symbols or blanks (``"?"``, ``"-"``, ``""``).
    max_outlier_fraction, outliers, outlier_k:
        Outliers per numeric column by ``"robust_z"`` or ``"iqr"`` (see :data:`OUTLIER_METHODS`).
    min_class_fraction:
        The smallest class's share of the label (class imbalance).
    describe:
        Record per-column statistics in ``details["statistics"]``.

    Returns
    -------
    CheckResult
        Of kind ``"data"``, with one :class:`~mltestkit.results.MetricValue` per figure (frame-level
        ones without ``slice``, per-column ones with ``slice={"column": name}``), gated with the
        ``"point"`` rule, and ``details["failures"]`` with counts and samples of offending rows.

    Examples
    --------
    >>> import pandas as pd
    >>> r = check_integrity(pd.DataFrame({"city": ["Oslo", "?", "Lima", "Oslo"], "n": [1, 2, 3, 4]}))
    >>> [(f["column"], f["rule"], f["sample"]) for f in r.details["failures"]]
    [('city', 'special_characters', [{'row': 1, 'value': '?'}])]
    """
    frame = load_frame(data)
    if outliers not in OUTLIER_METHODS:
        raise InputError(
            "outliers", f"unknown method {outliers!r}", f"use one of {', '.join(OUTLIER_METHODS)}"
        )
    k = OUTLIER_METHODS[outliers] if outlier_k is None else float(outlier_k)
    limits = {
        "duplicate_rows": _fraction("max_duplicate_fraction", max_duplicate_fraction),
        "conflicting_labels": _fraction("max_conflict_fraction", max_conflict_fraction),
        "missing": _fraction("max_missing_fraction", max_missing_fraction),
        "top_fraction": _fraction("max_top_fraction", max_top_fraction),
        "mixed_types": _fraction("max_mixed_type_fraction", max_mixed_type_fraction),
        "special_characters": _fraction("max_special_fraction", max_special_fraction),
        "outliers": _fraction("max_outlier_fraction", max_outlier_fraction),
    }
    min_class = _fraction("min_class_fraction", min_class_fraction)
    if label is not None:
        require_columns(frame, [label], "label", "data")
    features = (
        require_columns(frame, columns, "columns", "data")
        if columns is not None
        else [c for c in frame.columns if c != label]
    )
    n = len(frame)
    metrics: list[MetricValue] = []
    failures: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []

    def record(
        metric: str,
        count: int,
        column: Any = None,
        positions: Any = None,
        values: Any = None,
        value: float | None = None,
        threshold: Threshold | None = None,
    ) -> None:
        frac = count / n if value is None else value
        t = (
            threshold
            if threshold is not None
            else (
                Threshold("<=", limits[metric]) if limits.get(metric) is not None else None  # type: ignore[arg-type]
            )
        )
        outcome = None
        if t is not None:
            ok = frac >= t.value if t.op == ">=" else frac <= t.value
            outcome = Outcome.PASSED if ok else Outcome.FAILED
        metrics.append(
            MetricValue(
                name=metric,
                value=frac,
                n=n,
                thresholds=(t,) if t else (),
                rule="point" if t else None,
                outcome=outcome,
                slice={"column": str(column)} if column is not None else None,
            )
        )
        if outcome is Outcome.FAILED or (outcome is None and count and metric != "minority_class"):
            entry: dict[str, Any] = {
                "column": None if column is None else str(column),
                "rule": metric,
                "count": int(count),
                "fraction": frac,
            }
            if positions is not None:
                entry["sample"] = sample(positions, values)
            (failures if outcome is Outcome.FAILED else findings).append(entry)

    # rows: duplicates and conflicting labels, from one hash per row
    keys = [*features, label] if label is not None else list(features)
    whole = row_hashes(frame, keys, "data")
    dup = pd.Series(whole).duplicated(keep="first").to_numpy()
    dpos = np.flatnonzero(dup)
    codes, _ = pd.factorize(whole)
    first = np.unique(codes, return_index=True)[1]
    record("duplicate_rows", int(dup.sum()), positions=dpos, values=first[codes[dpos[:5]]])
    if label is not None:
        check_label = frame[label]
        feats = row_hashes(frame, list(features), "data")
        groups = pd.DataFrame({"f": feats, "y": row_hashes(frame, [label], "label")})
        labels_per_group = groups.groupby("f", sort=False)["y"].transform("nunique").to_numpy()
        conflict = labels_per_group > 1
        cpos = np.flatnonzero(conflict)
        record("conflicting_labels", int(conflict.sum()), positions=cpos, values=check_label.iloc[cpos[:5]])
        counts = check_label.value_counts(dropna=True)
        if len(counts):
            record(
                "minority_class",
                int(counts.iloc[-1]),
                value=float(counts.iloc[-1] / counts.sum()),
                threshold=Threshold(">=", min_class) if min_class is not None else None,
            )
    # columns
    for c in features:
        s = frame[c]
        miss = s.isna().to_numpy()
        mpos = np.flatnonzero(miss)
        record("missing", int(miss.sum()), c, mpos, s.iloc[mpos[:5]])
        present = n - int(miss.sum())
        kind = column_kind(s)
        if present == 0:
            continue
        try:
            top = int(s.value_counts(dropna=True).iloc[0])
        except TypeError:
            raise InputError(
                "data", f"column {c!r} holds unhashable values", "convert them to strings or tuples"
            ) from None
        record("top_fraction", top, c, value=top / present)
        if s.dtype == object:
            types = s.dropna().map(type)
            main = types.value_counts().index[0]
            odd = s.notna().to_numpy() & (s.map(type).to_numpy() != main)
            pos = np.flatnonzero(odd)
            record("mixed_types", len(pos), c, pos, s.iloc[pos[:5]])
        if kind == "categorical" and pd.api.types.infer_dtype(s, skipna=True) in ("string", "mixed"):
            text = s.astype("str")
            special = s.notna().to_numpy() & text.str.fullmatch(r"[\W_]*").to_numpy(
                dtype=bool, na_value=False
            )
            pos = np.flatnonzero(special)
            record("special_characters", len(pos), c, pos, s.iloc[pos[:5]])
        if kind == "numeric":
            mask = _outliers(s.to_numpy(dtype=float, na_value=np.nan), outliers, k)
            pos = np.flatnonzero(mask)
            record("outliers", len(pos), c, pos, s.iloc[pos[:5]])
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    details: dict[str, Any] = {
        "rows": n,
        "failures": failures[:MAX_FAILURES],
        "findings": findings[:MAX_FAILURES],
        "outlier_method": outliers,
    }
    if label is not None:
        details["classes"] = [
            {"value": v, "count": int(k_)}
            for v, k_ in frame[label].value_counts(dropna=True).head(50).items()
        ]
    if describe:
        details["statistics"] = describe_data(frame)
    return CheckResult(
        name=name,
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule="point",
        message=_message(failures, n),
        details=details,
    )


def _message(failures: list[dict[str, Any]], n: int) -> str:
    if not failures:
        return f"no integrity limit is exceeded on {n} rows"
    lines = [f"{len(failures)} integrity limits are exceeded on {n} rows:"]
    for f in failures[:10]:
        where = f"column {f['column']!r}" if f["column"] is not None else "rows"
        rows = ", ".join(str(x["row"]) for x in f.get("sample", [])[:5])
        lines.append(
            f"  {where}: {f['rule']} {f['count']} ({f['fraction']:.3%}){'; rows ' + rows if rows else ''}"
        )
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more in the report")
    return "\n".join(lines)
