"""Distribution drift between a reference frame (e.g. the training data) and a current one.

Numeric and date columns: Kolmogorov-Smirnov (statistic and p-value), Wasserstein distance (for
dates in seconds) and PSI over the reference's deciles. Categorical columns: chi-squared test, Jensen-Shannon distance (base 2)
and PSI over the categories (missing values are a category of their own). The p-values are
adjusted across columns with Holm's method, so ``alpha`` bounds the chance of any false alarm.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(0, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
>>> cur = pd.DataFrame({"x": rng.normal(0.5, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
>>> r = check_drift(ref, cur, max_psi=0.1)
>>> r.outcome.value, [row["column"] for row in r.details["table"] if row["drifted"]]
('failed', ['x'])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, Threshold, worst
from ..stats.multiplicity import holm
from .io import column_kind, load_frame, require_columns, require_hashable

#: Proportions are floored at this value in PSI so that empty bins give a finite figure.
PSI_FLOOR = 1e-4


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins.

    >>> round(psi(np.array([50, 50]), np.array([60, 40])), 4)
    0.0405
    """
    p = np.maximum(ref_counts / ref_counts.sum(), PSI_FLOOR)
    q = np.maximum(cur_counts / cur_counts.sum(), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def _numeric(ref: np.ndarray, cur: np.ndarray, bins: int) -> dict[str, float]:
    """KS, its p-value (as ``scipy.stats.ks_2samp``), Wasserstein and PSI from one sort of each sample.

    The two sorted samples are merged (a stable sort of two sorted runs is a linear merge); the gap
    between the two empirical CDFs after each merged value gives KS (at the last of equal values)
    and Wasserstein (the gap integrated over the values).
    """
    a, b = np.sort(ref), np.sort(cur)
    merged = np.concatenate([a, b])
    order = np.argsort(merged, kind="stable")
    both = merged[order]
    from_a = order < a.size
    gap = np.cumsum(from_a) / a.size - np.cumsum(~from_a) / b.size
    d = float(np.abs(gap[np.append(both[1:] != both[:-1], True)]).max())
    if max(a.size, b.size) <= 10_000:
        with warnings.catch_warnings():  # scipy falls back from the exact p-value with a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            p_value = float(stats.ks_2samp(a, b).pvalue)
    else:
        en = a.size * b.size / (a.size + b.size)
        p_value = float(np.clip(stats.kstwo.sf(d, np.round(en)), 0, 1))
    edges = np.unique(np.quantile(a, np.linspace(0, 1, bins + 1)[1:-1]))
    rc = np.diff(np.searchsorted(a, edges, side="left"), prepend=0, append=a.size)
    cc = np.diff(np.searchsorted(b, edges, side="left"), prepend=0, append=b.size)
    return {
        "psi": psi(rc, cc),
        "ks": d,
        "p_value": p_value,
        "wasserstein": float(np.sum(np.abs(gap[:-1]) * np.diff(both))),
    }


def _floats(s: pd.Series) -> np.ndarray:
    """Numbers as floats; dates as seconds since 1970 (so Wasserstein is in seconds)."""
    if column_kind(s) == "datetime":
        epoch = pd.Timestamp("1970-01-01", tz=getattr(s.dt, "tz", None))
        return ((s - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    return s.to_numpy(dtype=float, na_value=np.nan)


def _categorical(ref: pd.Series, cur: pd.Series) -> dict[str, float]:
    rc = ref.value_counts(dropna=False)
    cc = cur.value_counts(dropna=False)
    table = pd.concat([rc, cc], axis=1).fillna(0).to_numpy(dtype=float).T
    r, c = table[0], table[1]
    p_value = 1.0 if table.shape[1] < 2 else float(stats.chi2_contingency(table).pvalue)
    return {"psi": psi(r, c), "js": float(jensenshannon(r, c, base=2)), "p_value": p_value}


def _limit(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise InputError(name, f"must be a non-negative number or None, got {value!r}", f"e.g. {name}=0.2")
    return float(value)


def check_drift(
    reference: Any,
    current: Any,
    *,
    columns: list[str] | None = None,
    label: str | None = None,
    prediction: str | None = None,
    max_psi: float | None = 0.2,
    max_ks: float | None = None,
    max_wasserstein: float | None = None,
    max_js: float | None = None,
    alpha: float | None = None,
    bins: int = 10,
    name: str = "drift",
) -> CheckResult:
    """Compare the distribution of each column of ``current`` with ``reference``.

    Parameters
    ----------
    reference, current:
        pandas or polars DataFrames, or paths of CSV or Parquet files.
    columns:
        The columns to compare (default: the columns of ``reference``).
    label, prediction:
        Columns holding the label and the model's predictions: compared like the others
        (label drift, prediction drift) and marked with their role in the table.
    max_psi, max_ks, max_wasserstein, max_js:
        Limits per statistic (``None``: reported, not gated). PSI 0.1-0.2 is commonly read as
        a moderate shift and above 0.2 as a large one. Wasserstein is in the column's units.
    alpha:
        When given, a column also fails if its Holm-adjusted p-value (KS or chi-squared) is
        below ``alpha``. On large samples tiny, harmless shifts are significant: prefer the
        distances for gating there.
    bins:
        Number of reference quantile bins for the PSI of numeric columns.

    Returns
    -------
    CheckResult
        Of kind ``"data"``, one :class:`~mltestkit.results.MetricValue` per column and statistic
        (``slice={"column": name}``; ``p_value`` holds the Holm-adjusted value), and
        ``details["table"]``: one row per column with every statistic, the raw and adjusted
        p-value and whether it drifted.

    Examples
    --------
    >>> import pandas as pd
    >>> ref = pd.DataFrame({"plan": ["basic"] * 80 + ["pro"] * 20})
    >>> cur = pd.DataFrame({"plan": ["basic"] * 50 + ["pro"] * 50})
    >>> r = check_drift(ref, cur, max_psi=0.2)
    >>> r.outcome.value, round(r.details["table"][0]["psi"], 3)
    ('failed', 0.416)
    """
    ref_frame = load_frame(reference, "reference")
    cur_frame = load_frame(current, "current")
    limits = {
        "psi": _limit("max_psi", max_psi),
        "ks": _limit("max_ks", max_ks),
        "wasserstein": _limit("max_wasserstein", max_wasserstein),
        "js": _limit("max_js", max_js),
    }
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, float) or not 0 < alpha < 1):
        raise InputError("alpha", f"must be a number in (0, 1) or None, got {alpha!r}", "e.g. alpha=0.01")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise InputError("bins", f"must be an int >= 2, got {bins!r}", "e.g. bins=10")
    cols = list(ref_frame.columns) if columns is None else list(columns)
    extra = [c for c in (label, prediction) if c is not None and c not in cols]
    cols += extra
    require_columns(ref_frame, cols, "columns" if columns is not None else "current", "reference")
    require_columns(cur_frame, cols, "columns" if columns is not None else "current", "current")
    roles = {label: "label", prediction: "prediction"}
    rows: list[dict[str, Any]] = []
    for c in cols:
        r, k = ref_frame[c], cur_frame[c]
        kinds = {column_kind(r), column_kind(k)}
        kind = "numeric" if kinds == {"numeric"} else "datetime" if kinds == {"datetime"} else "categorical"
        row: dict[str, Any] = {
            "column": str(c),
            "kind": kind,
            "role": roles.get(c, "feature"),
            "n_reference": len(r),
            "n_current": len(k),
            "missing_reference": int(r.isna().sum()),
            "missing_current": int(k.isna().sum()),
        }
        if kind in ("numeric", "datetime"):
            rv, kv = _floats(r), _floats(k)
            rv, kv = rv[np.isfinite(rv)], kv[np.isfinite(kv)]
            for arr, which in ((rv, "reference"), (kv, "current")):
                if arr.size == 0:
                    raise InputError(
                        which, f"column {c!r} has no finite values", "drop it or pass columns=[...]"
                    )
            row.update(_numeric(rv, kv, bins))
        else:
            require_hashable(r, "reference")
            require_hashable(k, "current")
            row.update(_categorical(r, k))
        rows.append(row)
    adjusted = holm([row["p_value"] for row in rows])
    metrics: list[MetricValue] = []
    for row, p_adj in zip(rows, adjusted, strict=True):
        row["p_adjusted"] = float(p_adj)
        outcomes = []
        for stat in ("psi", "ks", "wasserstein", "js"):
            if stat not in row:
                continue
            t = Threshold("<=", limits[stat]) if limits[stat] is not None else None  # type: ignore[arg-type]
            outcome = (Outcome.PASSED if row[stat] <= t.value else Outcome.FAILED) if t else None
            outcomes.append(outcome)
            metrics.append(_mv(stat, row, row[stat], t, outcome))
        t = Threshold(">=", alpha) if alpha is not None else None
        outcome = (Outcome.PASSED if p_adj >= alpha else Outcome.FAILED) if alpha is not None else None
        outcomes.append(outcome)
        metrics.append(_mv("p_value", row, float(p_adj), t, outcome))
        row["drifted"] = Outcome.FAILED in outcomes
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    drifted = [row["column"] for row in rows if row["drifted"]]
    message = (
        f"{len(drifted)} of {len(rows)} columns drifted: {', '.join(drifted[:20])}"
        if drifted
        else f"no drift beyond the limits in {len(rows)} columns"
    )
    return CheckResult(
        name=name,
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule="point",
        message=message,
        details={"table": rows, "test": {"numeric": "ks", "categorical": "chi2"}, "correction": "holm"},
    )


def _mv(
    stat: str, row: dict[str, Any], value: float, t: Threshold | None, outcome: Outcome | None
) -> MetricValue:
    sl: dict[str, Any] = {"column": row["column"]}
    if row["role"] != "feature":
        sl["role"] = row["role"]
    return MetricValue(
        name=stat,
        value=value,
        n=row["n_current"],
        thresholds=(t,) if t else (),
        rule="point" if t else None,
        outcome=outcome,
        slice=sl,
    )
