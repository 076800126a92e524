"""Distribution drift between a reference frame (e.g. the training data) and a current one.

Numeric and date columns: Kolmogorov-Smirnov (statistic and p-value), Wasserstein distance (for
dates in seconds) and PSI over the reference's deciles. Categorical columns: chi-squared test, Jensen-Shannon distance (base 2)
and PSI over the categories (missing values are a category of their own). The p-values are
adjusted across columns with Holm's method, so a required ``min={"p_value": alpha}`` bounds the
chance of any false alarm.

Each distance is an estimate of the distance between the two populations, with an interval:
PSI and Jensen-Shannon from a bootstrap of the bin counts (multinomial resampling of both
samples, bias-corrected percentile interval), KS from the Dvoretzky-Kiefer-Wolfowitz bound on each empirical
CDF (distribution-free, conservative), Wasserstein from a bootstrap of both samples when it is
required. The figures are judged like every other (:func:`mltestkit.stats.requirement.judge`).

Tables other than pandas frames are measured by their own engine (see :func:`check_drift`); only
counts, sums and a few order statistics are collected.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(0, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
>>> cur = pd.DataFrame({"x": rng.normal(0.5, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
>>> r = check_drift(ref, cur, max={"psi": 0.1})
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

from .._validate import MAX_BINS, column, count
from .._validate import columns as validate_columns
from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.multiplicity import holm
from ..stats.quantiles import lerp, quantile_ranks
from ..stats.requirement import (
    Estimate,
    Requirement,
    judge,
    rows_to_decide_all,
    validate_level,
    validate_rule,
)
from ..tables.distribution import (
    REFINED_BINS,
    Cells,
    bin_counts,
    ecdf_distances,
    fine_histogram,
    finite_values,
    open_pair,
    order_statistics,
    refined_distances,
    sketch_distances,
    sorts_cheaply,
    summary,
    value_cells,
)
from ..tables.source import columns_of
from ..tables.source import require_columns as require_table_columns
from .io import column_kind, load_frame, require_columns, require_hashable
from .requirements import data_requirements

#: Proportions are floored at this value in PSI so that empty bins give a finite figure.
PSI_FLOOR = 1e-4
#: Bootstrap resamples behind the PSI, Jensen-Shannon and Wasserstein intervals.
N_BOOT = 400
#: The figures of :func:`check_drift` per column, and the range each can take.
RANGES = {
    "psi": (0.0, math.inf),
    "ks": (0.0, 1.0),
    "wasserstein": (0.0, math.inf),
    "js": (0.0, 1.0),
    "p_value": (0.0, 1.0),
}
FIGURES = tuple(RANGES)
#: The requirement that holds unless ``max=`` overrides it.
DEFAULT_MAX = {"psi": 0.2}
#: Deprecated spellings: old argument -> (side, figure).
LEGACY = {
    "max_psi": ("max", "psi"),
    "max_ks": ("max", "ks"),
    "max_wasserstein": ("max", "wasserstein"),
    "max_js": ("max", "js"),
    "alpha": ("min", "p_value"),
}


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins.

    >>> round(psi(np.array([50, 50]), np.array([60, 40])), 4)
    0.0405
    """
    return float(_psi(ref_counts, cur_counts))


def _psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> np.ndarray:
    """PSI of count vectors along the last axis (one value per row of a 2-D array)."""
    p = np.maximum(ref_counts / ref_counts.sum(axis=-1, keepdims=True), PSI_FLOOR)
    q = np.maximum(cur_counts / cur_counts.sum(axis=-1, keepdims=True), PSI_FLOOR)
    return np.sum((q - p) * np.log(q / p), axis=-1)


def _js(ref_counts: np.ndarray, cur_counts: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (base 2) of count vectors along the last axis."""
    p = ref_counts / ref_counts.sum(axis=-1, keepdims=True)
    q = cur_counts / cur_counts.sum(axis=-1, keepdims=True)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(p > 0, p * np.log2(p / m), 0.0).sum(axis=-1) + np.where(
            q > 0, q * np.log2(q / m), 0.0
        ).sum(axis=-1)
    return np.sqrt(np.maximum(kl / 2, 0.0))


def count_intervals(
    ref_counts: np.ndarray, cur_counts: np.ndarray, level: float, rng: np.random.Generator
) -> dict[str, tuple[float, float]]:
    """Bias-corrected percentile bootstrap intervals of PSI and Jensen-Shannon from multinomial resamples of both count vectors.

    >>> low, high = count_intervals(np.array([500, 500]), np.array([600, 400]), 0.95, np.random.default_rng(0))["psi"]
    >>> bool(low < 0.0405 < high)
    True
    """
    r = rng.multinomial(int(ref_counts.sum()), ref_counts / ref_counts.sum(), size=N_BOOT)
    c = rng.multinomial(int(cur_counts.sum()), cur_counts / cur_counts.sum(), size=N_BOOT)
    out = {}
    for name, values, estimate in (
        ("psi", _psi(r, c), _psi(ref_counts, cur_counts)),
        ("js", _js(r, c), _js(ref_counts, cur_counts)),
    ):
        out[name] = bias_corrected_interval(float(estimate), values, level)
    return out


def bias_corrected_interval(estimate: float, resamples: np.ndarray, level: float) -> tuple[float, float]:
    """The bias-corrected percentile interval: bootstrap quantiles shifted by the bootstrap bias, floored at 0.

    Plug-in distances are biased upward, and their resamples more so; subtracting the mean
    excess of the resamples over the estimate keeps the bounds about the estimate.

    >>> [round(v, 3) for v in bias_corrected_interval(0.1, np.array([0.1, 0.15, 0.2]), 0.5)]
    [0.075, 0.125]
    """
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(resamples, [tail, 100 - tail])
    bias = float(np.mean(resamples)) - estimate
    return max(0.0, float(low) - bias), max(0.0, float(high) - bias)


def ks_interval(d: float, n: int, m: int, level: float) -> tuple[float, float]:
    """A distribution-free interval for the KS distance of two populations from samples of ``n`` and ``m``.

    By the Dvoretzky-Kiefer-Wolfowitz inequality each empirical CDF is within
    ``sqrt(log(4 / alpha) / (2 n))`` of its population's everywhere with probability at least
    ``1 - alpha / 2``, so the sample distance is within the sum of the two of the true one.

    >>> [round(v, 3) for v in ks_interval(0.1, 1000, 1000, 0.95)]
    [0.006, 0.194]
    """
    alpha = 1 - level
    eps = math.sqrt(math.log(4 / alpha) / (2 * n)) + math.sqrt(math.log(4 / alpha) / (2 * m))
    return max(0.0, d - eps), min(1.0, d + eps)


def _wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.wasserstein_distance(a, b))


#: Below this many values on each side, the exact two-sample p-value of ``scipy.stats.ks_2samp``;
#: above, the asymptotic one.
EXACT_P_ROWS = 10_000


def _inner(bins: int) -> np.ndarray:
    """The probabilities of the inner edges of ``bins`` equal-count bins."""
    return np.linspace(0, 1, bins + 1)[1:-1]


def ks_p_value(d: float, n: int, m: int) -> float:
    """The asymptotic p-value of a two-sample KS distance ``d`` (as ``scipy.stats.ks_2samp``'s)."""
    en = n * m / (n + m)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0, 1))


def _numeric(ref: np.ndarray, cur: np.ndarray, bins: int) -> dict[str, Any]:
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
    steps = np.cumsum(from_a) * b.size - np.cumsum(~from_a) * a.size  # the gap times both sizes
    gap = steps / (a.size * b.size)
    d = int(np.abs(steps[np.append(both[1:] != both[:-1], True)]).max()) / (a.size * b.size)
    if max(a.size, b.size) <= EXACT_P_ROWS:
        with warnings.catch_warnings():  # scipy falls back from the exact p-value with a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            p_value = float(stats.ks_2samp(a, b).pvalue)
    else:
        p_value = ks_p_value(d, a.size, b.size)
    low, high, weight = quantile_ranks(a.size, _inner(bins))
    edges = np.unique(lerp(a[low], a[high], weight))
    rc = np.diff(np.searchsorted(a, edges, side="left"), prepend=0, append=a.size)
    cc = np.diff(np.searchsorted(b, edges, side="left"), prepend=0, append=b.size)
    return {
        "counts": (rc, cc),
        "labels": [float(min(a[0], b[0])), *map(float, edges), float(max(a[-1], b[-1]))],
        "psi": psi(rc, cc),
        "ks": d,
        "p_value": p_value,
        "wasserstein": float(np.sum(np.abs(gap[:-1]) * np.diff(both))),
    }


def _floats(s: pd.Series) -> np.ndarray:
    """Numbers as floats; dates as seconds since 1970 (so Wasserstein is in seconds): since
    1970-01-01 UTC for dates with a time zone (instants), since 1970-01-01 for naive ones."""
    if column_kind(s) == "datetime":
        epoch = pd.Timestamp("1970-01-01", tz=None if getattr(s.dt, "tz", None) is None else "UTC")
        return ((s - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    return s.to_numpy(dtype=float, na_value=np.nan)


class _Missing:
    """The category of missing values (``None``, NaN and ``pd.NA`` alike)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def _with_missing(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), MISSING)


def _categorical(ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    rc = _with_missing(ref).value_counts()
    cc = _with_missing(cur).value_counts()
    return categorical_statistics(list(rc.index), rc.to_numpy(), list(cc.index), cc.to_numpy())


def categorical_statistics(
    ref_values: list[Any], ref_counts: np.ndarray, cur_values: list[Any], cur_counts: np.ndarray
) -> dict[str, Any]:
    """Chi-squared p-value, PSI and Jensen-Shannon distance of two samples' category counts.

    The categories are ordered by reference count, then current count, then label (the order
    of the bins in the bootstrap), and those with no rows on either side are left out.

    >>> r = categorical_statistics(["a", "b"], np.array([80, 20]), ["b", "a"], np.array([50, 50]))
    >>> r["labels"], round(r["psi"], 3)
    (['a', 'b'], 0.416)
    """
    joined: dict[Any, list[float]] = {}
    for values, counts, side in ((ref_values, ref_counts, 0), (cur_values, cur_counts, 1)):
        for v, k in zip(values, counts, strict=True):
            key = MISSING if v is None or v is MISSING or (isinstance(v, float) and v != v) else v
            joined.setdefault(key, [0.0, 0.0])[side] += float(k)
    used = sorted(
        ((v, k) for v, k in joined.items() if k[0] + k[1] > 0),
        key=lambda item: (-item[1][0], -item[1][1], str(item[0])),
    )
    table = np.array([k for _, k in used], dtype=float).reshape(-1, 2).T
    r, c = table[0], table[1]
    p_value = 1.0 if table.shape[1] < 2 else float(stats.chi2_contingency(table).pvalue)
    return {
        "counts": (r, c),
        "labels": [str(v) for v, _ in used],
        "psi": psi(r, c),
        "js": float(jensenshannon(r, c, base=2)),
        "p_value": p_value,
    }


def check_drift(
    reference: Any,
    current: Any,
    *,
    columns: list[str] | None = None,
    label: str | None = None,
    prediction: str | None = None,
    min: dict[str, float | None] | None = None,
    max: dict[str, float | None] | None = None,
    bins: int = 10,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Compare the distribution of each column of ``current`` with ``reference``.

    Parameters
    ----------
    reference, current:
        pandas DataFrames (compared in memory), or any table :func:`mltestkit.tables.open_table`
        reads: polars DataFrames or LazyFrames, ``pyarrow`` Tables or Datasets, DuckDB relations,
        Spark DataFrames, paths of Parquet files, directories or globs, or CSV files. Their
        engines compute the statistics (see :mod:`mltestkit.tables.distribution`): category and
        bin counts exactly; KS and Wasserstein exactly when one engine that orders values
        cheaply (DuckDB, polars, pandas) reads both tables, otherwise (Spark, or two engines)
        from a fine-histogram sketch whose bound each such row of ``details["table"]`` states
        under ``"sketch"`` (the KS interval is widened by it).
    columns:
        The columns to compare (default: the columns of ``reference``).
    label, prediction:
        Columns holding the label and the model's predictions: compared like the others
        (label drift, prediction drift) and marked with their role in the table.
    min, max:
        Requirements keyed by statistic, the same for every column; ``max`` is merged over
        :data:`DEFAULT_MAX` (``{"psi": 0.2}``; ``None`` drops it). ``max`` bounds ``psi``, ``ks``,
        ``wasserstein`` (in the column's units) and ``js``; ``min={"p_value": alpha}`` fails a
        column whose Holm-adjusted p-value (KS or chi-squared) is below ``alpha``. PSI 0.1-0.2
        is commonly read as a moderate shift and above 0.2 as a large one. On large samples tiny,
        harmless shifts are significant: prefer the distances for gating there.
    bins:
        Number of reference quantile bins for the PSI of numeric columns.
    rule, confidence:
        Gate rule and level of the intervals.
    seed:
        Seed of the bootstrap.
    name:
        The check's name in the report (default ``"drift"``).
    **legacy:
        ``max_psi=``, ``max_ks=``, ``max_wasserstein=``, ``max_js=`` (now ``max={...}``) and
        ``alpha=`` (now ``min={"p_value": ...}``) still work for this release with a
        ``DeprecationWarning``.

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
    >>> r = check_drift(ref, cur, max={"psi": 0.2})
    >>> r.outcome.value, round(r.details["table"][0]["psi"], 3)
    ('failed', 0.416)
    """
    in_memory = isinstance(reference, pd.DataFrame) and isinstance(current, pd.DataFrame)
    source: Any = (
        (load_frame(reference, "reference"), load_frame(current, "current"))
        if in_memory
        else open_pair(reference, current, ("reference", "current"))
    )
    rule, level = validate_rule(rule), validate_level(confidence)
    requirements = data_requirements(
        "check_drift", min, max, legacy, LEGACY, FIGURES, DEFAULT_MAX, rule=rule, confidence=level,
        shares=("ks", "js", "p_value"),
    )  # fmt: skip
    alpha = requirements["p_value"].min
    if alpha is not None and not 0 < alpha < 1:
        side = "alpha" if "alpha" in legacy else "min"
        raise InputError(side, f"p_value must be in (0, 1), got {alpha!r}", "e.g. min={'p_value': 0.01}")
    bins, seed = (
        count(bins, "bins", low=2, high=MAX_BINS),
        count(seed, "seed", low=0, high=2**63 - 1, example=0),
    )
    label, prediction = column(label, "label"), column(prediction, "prediction")
    columns = validate_columns(columns, "columns")
    names = list(source[0].columns) if in_memory else columns_of(source[0])
    cols = names if columns is None else list(columns)
    cols += [c for c in (label, prediction) if c is not None and c not in cols]
    argument = "columns" if columns is not None else "current"
    roles = {label: "label", prediction: "prediction"}
    measured = (
        _frame_rows(source[0], source[1], cols, argument, bins)
        if in_memory
        else _table_rows(source[0], source[1], source[2], cols, argument, bins)
    )
    rows = [
        {"column": row["column"], "kind": row["kind"], "role": roles.get(row["column"], "feature"), **row}
        for row in measured
    ]
    adjusted = holm([row["p_value"] for row in rows])
    metrics: list[MetricValue] = []
    bins_of: list[dict[str, Any]] = []
    for i, (row, p_adj) in enumerate(zip(rows, adjusted, strict=True)):
        row["p_adjusted"] = float(p_adj)
        rng = np.random.default_rng([seed, i])
        ref_counts, cur_counts = row.pop("counts")
        bins_of.append(_shares(row, row.pop("labels"), ref_counts, cur_counts))
        intervals = count_intervals(ref_counts, cur_counts, level, rng)
        samples = row.pop("samples", None)
        sketches = row.pop("sketches", None)
        widen = row.get("sketch", {}).get("bound", {})
        n_finite = row.pop("n_finite", None)
        if "ks" in row:
            dkw = ks_interval(row["ks"], n_finite[0], n_finite[1], level)
            intervals["ks"] = _widen(dkw, widen.get("ks", 0.0), 1.0)
        if "wasserstein" in row and requirements["wasserstein"].gated:
            boot = (
                _boot_wasserstein(samples[0], samples[1], level, rng)
                if samples is not None
                else _boot_wasserstein_sketch(row["wasserstein"], sketches(), level, rng)
            )
            intervals["wasserstein"] = _widen(boot, widen.get("wasserstein", 0.0), math.inf)
        judged = []
        for stat in ("psi", "ks", "wasserstein", "js"):
            if stat in row:
                low, high = intervals.get(stat, (None, None))
                method = {"ks": "dkw", "wasserstein": "bootstrap"}.get(stat, "multinomial bootstrap")
                estimate = Estimate(row[stat], low, high, method, row["n_current"], range=RANGES[stat])
                judged.append(_judge(stat, row, estimate, requirements[stat]))
        p_value = Estimate(float(p_adj), n=row["n_current"], range=RANGES["p_value"])
        judged.append(_judge("p_value", row, p_value, requirements["p_value"]))
        metrics += judged
        row["drifted"] = any(m.outcome is Outcome.FAILED for m in judged)
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    drifted = [row["column"] for row in rows if row["drifted"]]
    message = (
        f"{len(drifted)} of {len(rows)} columns drifted: {', '.join(drifted[:20])}"
        if drifted
        else f"no drift beyond the limits in {len(rows)} columns"
    )
    need = rows_to_decide_all(metrics)
    if need is not None:
        message += f"; about {need} current rows would decide the undecided figures"
    return CheckResult(
        name=name or "drift",
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message=message,
        details={
            "table": rows,
            "test": {"numeric": "ks", "categorical": "chi2"},
            "correction": "holm",
            "bins": sorted(bins_of, key=lambda b: -b["psi"])[:PLOTTED_COLUMNS],
        },
    )


def _widen(interval: tuple[float, float], bound: float, top: float) -> tuple[float, float]:
    """An interval widened by a sketch's bound on each side, within ``[0, top]``."""
    return max(0.0, interval[0] - bound), min(top, interval[1] + bound)


def _frame_rows(
    ref_frame: pd.DataFrame, cur_frame: pd.DataFrame, cols: list[Any], argument: str, bins: int
) -> list[dict[str, Any]]:
    """Each column's statistics from two pandas frames."""
    require_columns(ref_frame, cols, argument, "reference")
    require_columns(cur_frame, cols, argument, "current")
    rows: list[dict[str, Any]] = []
    for c in cols:
        r, k = ref_frame[c], cur_frame[c]
        kinds = {column_kind(r), column_kind(k)}
        kind = "numeric" if kinds == {"numeric"} else "datetime" if kinds == {"datetime"} else "categorical"
        row: dict[str, Any] = {
            "column": str(c),
            "kind": kind,
            "n_reference": len(r),
            "n_current": len(k),
            "missing_reference": int(r.isna().sum()),
            "missing_current": int(k.isna().sum()),
        }
        if kind in ("numeric", "datetime"):
            rv, kv = _floats(r), _floats(k)
            rv, kv = rv[np.isfinite(rv)], kv[np.isfinite(kv)]
            _require_finite(c, rv.size, kv.size)
            row.update(_numeric(rv, kv, bins))
            row["samples"], row["n_finite"] = (rv, kv), (rv.size, kv.size)
        else:
            require_hashable(r, "reference")
            require_hashable(k, "current")
            row.update(_categorical(r, k))
        rows.append(row)
    return rows


def _require_finite(c: Any, n_ref: int, n_cur: int) -> None:
    for size, which in ((n_ref, "reference"), (n_cur, "current")):
        if size == 0:
            raise InputError(which, f"column {c!r} has no finite values", "drop it or pass columns=[...]")


def _kind(dtype: Any) -> str:
    import narwhals as nw

    if dtype == nw.Boolean or not dtype.is_numeric():
        return "datetime" if dtype in (nw.Datetime, nw.Date) else "categorical"
    return "numeric"


def _table_rows(
    ref: Any, cur: Any, joint: bool, cols: list[Any], argument: str, bins: int
) -> list[dict[str, Any]]:
    """Each column's statistics computed by the tables' engines (see :mod:`mltestkit.tables.distribution`).

    Category counts and PSI counts are exact. KS and Wasserstein are exact when both engines order
    values cheaply: each column then costs one grouped count a table (rows per distinct value,
    :func:`~mltestkit.tables.distribution.value_cells`) from which every figure follows, and a
    numeric column of more distinct values than
    :data:`~mltestkit.tables.distribution.CELL_LIMIT` gets them from fine sketches and the rows of
    the bins they leave open (:func:`~mltestkit.tables.distribution.refined_distances`), or from a
    window over its values in one engine. Otherwise they are the midpoints of the sketch's
    intervals, with the half-width in ``row["sketch"]["bound"]``. The columns without cells share
    one aggregate query a table for their missing values and range, and one for their PSI bin
    counts.
    """
    require_table_columns(ref, cols, argument, "reference")
    require_table_columns(cur, cols, argument, "current")
    schemas = ref.collect_schema(), cur.collect_schema()
    kinds = {}
    for c in cols:
        pair = {_kind(schemas[0][c]), _kind(schemas[1][c])}
        kinds[c] = pair.pop() if len(pair) == 1 else "categorical"
    grouped = sorts_cheaply(ref) and sorts_cheaply(cur)
    cells = {c: value_cells(ref, cur, c, kinds[c]) for c in cols if grouped or kinds[c] == "categorical"}
    rest = {c: kinds[c] for c in cols if cells.get(c) is None}
    sums = summary(ref, rest), summary(cur, rest)
    for s, which in zip(sums, ("reference", "current"), strict=True):
        if s.rows == 0:
            raise InputError(which, "has no rows", "pass a frame with at least one row")
    rows = []
    for c in cols:
        kind, cell = kinds[c], cells.get(c)
        missing = cell.missing() if cell is not None else (sums[0].missing[c], sums[1].missing[c])
        row: dict[str, Any] = {
            "column": str(c),
            "kind": kind,
            "n_reference": sums[0].rows,
            "n_current": sums[1].rows,
            "missing_reference": missing[0],
            "missing_current": missing[1],
        }
        if cell is not None and kind == "categorical":
            row.update(categorical_statistics(cell.values, cell.a, cell.values, cell.b))
        else:
            row.update(_table_numeric(ref, cur, joint, c, kind, sums, bins, cell))
        rows.append(row)
    pending = {row["column"]: row for row in rows if "edges" in row and "counts" not in row}
    wanted = {c: (kinds[c], row["edges"]) for c, row in pending.items()}
    counted = bin_counts(ref, wanted), bin_counts(cur, wanted)
    for c, row in pending.items():
        row["counts"] = (counted[0][c], counted[1][c])
    for row in rows:
        if "edges" in row:
            (lo, hi), edges, counts = row.pop("range"), row.pop("edges"), row.pop("counts")
            figures = {k: row.pop(k) for k in ("ks", "p_value", "wasserstein")}
            row.update(counts=counts, labels=[lo, *map(float, edges), hi], psi=psi(*counts), **figures)
    return rows


def _table_numeric(
    ref: Any, cur: Any, joint: bool, c: str, kind: str, sums: tuple[Any, Any], bins: int, cell: Cells | None
) -> dict[str, Any]:
    """A numeric column's figures; the PSI counts are left to :func:`bin_counts` unless ``cell`` has them."""
    if cell is not None:
        f = cell.finite()
        n, m = int(f.a.sum()), int(f.b.sum())
    else:
        n, m = sums[0].finite[c], sums[1].finite[c]
    _require_finite(c, n, m)
    if max(n, m) <= EXACT_P_ROWS:  # small: the rows themselves, for scipy's exact p-value
        a, b = finite_values(ref, c, kind), finite_values(cur, c, kind)
        return {**_numeric(a, b, bins), "samples": (a, b), "n_finite": (n, m)}
    if cell is not None:
        lo, hi = float(f.values[0]), float(f.values[-1])
    else:
        lo = float(np.fmin(sums[0].low[c], sums[1].low[c]))
        hi = float(np.fmax(sums[0].high[c], sums[1].high[c]))
    below, above, weight = quantile_ranks(n, _inner(bins))
    ranks = np.unique(np.r_[below, above])

    def sketches() -> tuple[Any, Any]:
        return fine_histogram(ref, c, kind, lo, hi), fine_histogram(cur, c, kind, lo, hi)

    out: dict[str, Any] = {"n_finite": (n, m), "sketches": sketches}
    exact = cell.distances(ranks.tolist()) if cell is not None else None
    if exact is None and sorts_cheaply(ref) and sorts_cheaply(cur):
        fine = (
            fine_histogram(ref, c, kind, lo, hi, REFINED_BINS),
            fine_histogram(cur, c, kind, lo, hi, REFINED_BINS),
        )
        exact = refined_distances(ref, cur, c, kind, fine, ranks.tolist())
    if exact is None and joint and sorts_cheaply(ref):
        exact = ecdf_distances(ref, cur, c, kind, n, m, ranks.tolist())
    if exact is not None:
        d, w, values = exact
    else:
        ha, hb = out["sketches"]()
        iv = sketch_distances(ha, hb)
        d, w = (sum(iv["ks"]) / 2, sum(iv["wasserstein"]) / 2)
        values = order_statistics(ref, c, kind, ha, ranks.tolist())
        out["sketches"] = lambda: (ha, hb)
        out["sketch"] = {
            "method": "fine histogram",
            "bins": int(ha.count.size),
            "bound": {name: (pair[1] - pair[0]) / 2 for name, pair in iv.items()},
            "p_value": [ks_p_value(iv["ks"][1], n, m), ks_p_value(iv["ks"][0], n, m)],
        }
    at = dict(zip(ranks.tolist(), values.tolist(), strict=True))
    edges = np.unique(
        lerp(np.array([at[k] for k in below.tolist()]), np.array([at[k] for k in above.tolist()]), weight)
    )
    if cell is not None:
        out["counts"] = cell.below(edges)
    return {
        **out,
        "edges": edges,
        "range": (lo, hi),
        "ks": float(d),
        "p_value": ks_p_value(d, n, m),
        "wasserstein": float(w),
    }


def _boot_wasserstein_sketch(
    estimate: float, sketches: tuple[Any, Any], level: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Bias-corrected percentile bootstrap interval of the Wasserstein distance from two sketches:
    multinomial resamples of the bins' counts, each bin standing at the mean of its values."""
    a, b = sketches
    keep_a, keep_b = a.count > 0, b.count > 0
    va = a.low + a.total[keep_a] / a.count[keep_a]
    vb = b.low + b.total[keep_b] / b.count[keep_b]
    pa, pb = a.count[keep_a] / a.count.sum(), b.count[keep_b] / b.count.sum()
    values = [
        stats.wasserstein_distance(
            va,
            vb,
            rng.multinomial(int(a.count.sum()), pa) + 0.0,
            rng.multinomial(int(b.count.sum()), pb) + 0.0,
        )
        for _ in range(N_BOOT // 4)
    ]
    return bias_corrected_interval(estimate, np.asarray(values), level)


#: ``details["bins"]`` keeps the binned shares of this many columns, those of highest PSI.
PLOTTED_COLUMNS = 5


def _shares(row: dict[str, Any], labels: list[Any], ref: np.ndarray, cur: np.ndarray) -> dict[str, Any]:
    """A column's reference and current shares per bin (``edges`` for numbers, ``categories`` otherwise)."""
    key = "categories" if row["kind"] not in ("numeric", "datetime") else "edges"
    return {
        "column": row["column"],
        "psi": row["psi"],
        key: labels[:50],
        "reference": [round(float(v), 4) for v in (ref / max(ref.sum(), 1))[:50]],
        "current": [round(float(v), 4) for v in (cur / max(cur.sum(), 1))[:50]],
    }


def _boot_wasserstein(
    a: np.ndarray, b: np.ndarray, level: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Bias-corrected percentile bootstrap interval of the Wasserstein distance, resampling both samples."""
    values = [_wasserstein(rng.choice(a, a.size), rng.choice(b, b.size)) for _ in range(N_BOOT // 4)]
    return bias_corrected_interval(_wasserstein(a, b), np.asarray(values), level)


def _judge(stat: str, row: dict[str, Any], estimate: Estimate, requirement: Requirement) -> MetricValue:
    sl: dict[str, Any] = {"column": row["column"]}
    if row["role"] != "feature":
        sl["role"] = row["role"]
    return judge(stat, estimate, requirement, slice=sl)
