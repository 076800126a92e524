"""Group fairness: per-group rates and disparities between groups, with intervals built from
pairwise comparisons of the groups, judged against the requirements: :func:`check_fairness`.

Groups are the combinations of the group columns (``by=``) present in the data (intersectional
when there are several columns, as in fairlearn). Every figure is a function of the per-group
confusion counts, built in one ``np.bincount`` pass by the engine of :mod:`mltestkit.slicing.slices`;
the group rates are the registry's proportions with their own estimator (Clopper-Pearson); the interval
of each disparity comes from pairwise intervals of those rates (:func:`disparity_interval`).

Requirements name a disparity of :data:`DISPARITIES`. In ``max={...}`` a name is an upper bound and
in ``min={...}`` a lower bound; a name may also carry its direction as a suffix (``_max`` or ``_min``),
which then holds in either dict: ``max={"equalized_odds_difference": 0.1}`` and
``min={"demographic_parity_ratio": 0.8}`` say the same as
``max={"equalized_odds_difference": 0.1, "demographic_parity_ratio_min": 0.8}``.
Without any requirement, the four-fifths rule (``demographic_parity_ratio >= 0.8``) is checked.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_fairness
>>> rng = np.random.default_rng(0)
>>> sex = rng.choice(["F", "M"], 4000)
>>> y = rng.integers(0, 2, 4000)
>>> pred = np.where(rng.random(4000) < 0.85, y, 1 - y)
>>> r = check_fairness(y, pred, by={"sex": sex}, max={"equalized_odds_difference": 0.1})
>>> r.outcome.value, r.metrics[2].name, round(r.metrics[2].value, 3)
('passed', 'equalized_odds_difference', 0.002)
"""

from __future__ import annotations

import builtins
import difflib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import (
    MAX_ROWS,
    as_1d,
    as_weights,
    count,
    encode_labels,
    positive_index,
    same_length,
    validate_n_boot,
)
from ..errors import InputError
from ..metrics import METRICS, confusion_estimates
from ..metrics.estimators import confusion_counts, effective_counts, seed_value
from ..metrics.registry import SHARE
from ..results import CheckResult, MetricValue, Outcome, Threshold, worst
from ..stats import intervals as iv
from ..stats.requirement import (
    Estimate,
    Requirement,
    judge,
    rows_to_decide_all,
    validate_level,
    validate_rule,
)
from ..tables import labelled_rows
from .slices import TABLE_ROWS, Key, format_key, slice_columns, slicings

#: Per-group rates: name -> the proportion metric of :mod:`mltestkit.metrics` that computes it.
GROUP_METRICS = {
    "selection_rate": "selection_rate",
    "tpr": "recall",
    "fpr": "fpr",
    "fnr": "fnr",
    "precision": "precision",
    "accuracy": "accuracy",
}


@dataclass(frozen=True)
class Disparity:
    """A disparity between groups: the spread (``difference``: max - min) or the ``ratio`` (min / max)
    of one or more group rates; with several rates the worst one counts (the largest difference,
    the smallest ratio)."""

    name: str
    rates: tuple[str, ...]
    kind: str  # difference | ratio
    description: str


DISPARITIES: dict[str, Disparity] = {
    d.name: d
    for d in [
        Disparity(
            "demographic_parity_difference", ("selection_rate",), "difference", "spread of selection rates"
        ),
        Disparity(
            "demographic_parity_ratio", ("selection_rate",), "ratio", "lowest / highest selection rate"
        ),
        Disparity(
            "equalized_odds_difference", ("tpr", "fpr"), "difference", "larger of the TPR and FPR spreads"
        ),
        Disparity("equalized_odds_ratio", ("tpr", "fpr"), "ratio", "smaller of the TPR and FPR ratios"),
        Disparity("equal_opportunity_difference", ("tpr",), "difference", "spread of true positive rates"),
        Disparity("equal_opportunity_ratio", ("tpr",), "ratio", "lowest / highest true positive rate"),
        Disparity("fpr_gap", ("fpr",), "difference", "spread of false positive rates"),
        Disparity("fnr_gap", ("fnr",), "difference", "spread of false negative rates"),
        Disparity("predictive_parity_gap", ("precision",), "difference", "spread of precisions"),
        Disparity("accuracy_gap", ("accuracy",), "difference", "spread of accuracies"),
    ]
}

#: The four-fifths rule: the lowest selection rate is at least 80% of the highest.
FOUR_FIFTHS = 0.8


def requirements(max: Any, min: Any) -> list[tuple[str, Threshold]]:
    """Parse ``max=`` / ``min=`` dicts into (disparity, threshold) pairs; see the module docs."""
    out: list[tuple[str, Threshold]] = []
    for argument, given, default_op in (("max", max, "<="), ("min", min, ">=")):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise InputError(
                argument,
                f"must be a dict of disparity name -> bound, got {type(given).__name__}",
                f"pass e.g. {argument}={{'equalized_odds_difference': 0.1}}",
            )
        for key, value in given.items():
            name, op = str(key), default_op
            for suffix, sop in (("_max", "<="), ("_min", ">=")):
                if name.endswith(suffix) and name.removesuffix(suffix) in DISPARITIES:
                    name, op = name.removesuffix(suffix), sop
            if name not in DISPARITIES:
                close = difflib.get_close_matches(
                    str(key), [*DISPARITIES, *(f"{d}_min" for d in DISPARITIES)], n=1
                )
                hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(DISPARITIES)}"
                raise InputError(argument, f"unknown disparity {key!r}", hint)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(
                    argument, f"bound of {key!r} must be a finite number, got {value!r}", "pass e.g. 0.1"
                )
            out.append((name, Threshold(op, float(value))))
    return out


def _spread(rates: np.ndarray, kind: str) -> np.ndarray:
    """max - min or min / max over the last axis, ignoring undefined (NaN) groups; NaN with < 2 groups."""
    defined = np.isfinite(rates)
    hi = np.where(defined, rates, -np.inf).max(axis=-1)
    lo = np.where(defined, rates, np.inf).min(axis=-1)
    enough = defined.sum(axis=-1) >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        value = hi - lo if kind == "difference" else np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)
    return np.where(enough, value, np.nan)


def group_columns(by: Any, sensitive: Any) -> tuple[Any, str]:
    """The group columns and the argument that gave them (``sensitive=`` is the old spelling of ``by=``)."""
    if sensitive is None:
        return by, "by"
    if by is not None:
        raise InputError("sensitive", "was given together with by=", "pass the group columns as by= only")
    warnings.warn("check_fairness(sensitive=...) is deprecated; use by=", DeprecationWarning, stacklevel=3)
    return sensitive, "sensitive"


def check_fairness(
    y_true: Any,
    y_pred: Any,
    *,
    by: Any = None,
    max: Mapping[str, float] | None = None,
    min: Mapping[str, float] | None = None,
    pos_label: Any = None,
    min_size: int = 0,
    bins: Any = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    sensitive: Any = None,
    data: Any = None,
    sample_weight: Any = None,
) -> CheckResult:
    """Per-group rates and disparities between groups, with intervals, judged against the requirements.

    Parameters
    ----------
    y_true, y_pred:
        True and predicted labels; binary, or any labels with ``pos_label`` (then one-vs-rest).
        With ``data=`` a table (see :func:`mltestkit.tables.open_table`), the names of its
        columns, as ``by`` and ``sample_weight``; its engine then counts the rows (and sums the
        weights and squared weights) of each group (see the "Any table, any size" page).
    by:
        The group (sensitive) columns: DataFrame, dict of named arrays, Series or one array.
        Groups are the combinations of their values present in the data; missing values form
        ``"(missing)"``, numeric columns are binned as in :func:`~mltestkit.slicing.slices.check_slices`
        (``bins=``).
    max, min:
        Bounds on disparities (see :data:`DISPARITIES` and the module docs for the key names).
        Without any, the four-fifths rule ``demographic_parity_ratio >= 0.8`` is required.
    pos_label:
        The favourable (positive) label when the labels are not 0/1.
    min_size:
        Groups with fewer rows are reported but left out of the disparities.
    rule, confidence, n_boot, seed:
        Rule, interval level; ``n_boot`` and ``seed`` are accepted for a uniform API (no figure
        here is bootstrapped).
    name:
        Name of the check in the report (default ``"fairness"``).
    sensitive:
        Deprecated spelling of ``by=`` (warns).
    sample_weight:
        A weight per row: rates and disparities are fairlearn's with ``sample_weight``; the
        intervals rest on Kish's effective sizes.

    Returns
    -------
    CheckResult
        Kind ``"fairness"``. ``metrics``: every disparity (pairwise interval, judged when
        required), then the six rates of every group (``slice`` = the group, the registry's
        estimator: Clopper-Pearson intervals, recorded without a requirement). ``details``: the group
        table (at most 500 rows; every group is in ``metrics``), each disparity with its
        lowest and highest group, the four-fifths rule and, when inconclusive, ``rows_to_decide``.

    Examples
    --------
    >>> r = check_fairness([1, 0, 1, 0] * 50, [1, 0, 0, 0] * 50, by={"g": ["a", "a", "b", "b"] * 50},
    ...                    max={"demographic_parity_difference": 0.9})
    >>> r.details["disparities"]["demographic_parity_difference"]["value"]
    0.5
    """
    columns_given, argument = group_columns(by, sensitive)
    level = validate_level(confidence)
    validate_rule(rule)
    n_boot = validate_n_boot(n_boot)
    seed_int = seed_value(seed)
    required = requirements(max, min)
    if not required:
        required = [("demographic_parity_ratio", Threshold(">=", FOUR_FIFTHS))]
    count(min_size, "min_size", low=0, high=MAX_ROWS, example=30)
    compact: Any = None
    relabel: Any = list
    if data is not None:  # the engine counts the rows and sums the weights of each cell
        tab, compact = labelled_rows(
            data, y_true=y_true, y_pred=y_pred, by=columns_given, sample_weight=sample_weight, bins=bins
        )
        frame = compact.frame
        y_true, y_pred, columns_given = frame[tab.y_true], frame[tab.y_pred], frame[tab.by]
        bins, relabel = compact.bins or None, compact.relabel
    yt = as_1d(y_true, "y_true")
    yp = as_1d(y_pred, "y_pred")
    same_length(yt, "y_true", yp, "y_pred")
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    if len(classes) > 2 and pos_label is None:
        raise InputError(
            "pos_label",
            f"fairness rates need a favourable label and the labels have {len(classes)} classes",
            "pass pos_label=<the favourable label>",
        )
    pos = positive_index(classes, pos_label, "fairness")
    try:
        columns = slice_columns(columns_given, len(yt))
        (sl,) = slicings(columns, len(yt), bins=bins, combos=[tuple(columns)])
    except InputError as exc:
        raise InputError(argument if exc.argument == "by" else exc.argument, exc.problem, exc.fix) from None
    sl = replace(sl, keys=relabel(sl.keys))
    size = len(sl.keys)
    tb, pb = (t == pos).astype(np.int64), (p == pos).astype(np.int64)
    if compact is not None:
        cm = confusion_counts(sl.codes, size, tb, pb, 2, compact.weights)
        cm_sq = (
            None if compact.squares is None else confusion_counts(sl.codes, size, tb, pb, 2, compact.squares)
        )
        cm = cm if cm_sq is not None else np.rint(cm).astype(np.int64)
        rows = np.rint(np.bincount(sl.codes, weights=compact.rows, minlength=size)).astype(np.int64)
    else:
        w = as_weights(sample_weight, len(yt))
        cm = confusion_counts(sl.codes, size, tb, pb, 2, w)
        cm_sq = None if w is None else confusion_counts(sl.codes, size, tb, pb, 2, w * w)
        rows = np.bincount(sl.codes, minlength=size)
    used = rows >= builtins.max(min_size, 1)
    if used.sum() < 2:
        detail = (
            "all rows are in one group"
            if (rows > 0).sum() < 2
            else f"fewer than two groups have {min_size} rows"
        )
        reason = f"disparities need two groups and {detail}"
    else:
        reason = "fewer than two groups where the rates are defined"

    rates_g = {
        r: confusion_estimates(METRICS[metric], cm, 1, level=level, n_boot=n_boot, seed=seed_int, cm_sq=cm_sq)
        for r, metric in GROUP_METRICS.items()
    }
    masked = {k: np.where(used, est_r.value, np.nan) for k, est_r in rates_g.items()}

    values: list[MetricValue] = []
    by_name: dict[str, list[Threshold]] = {}
    for dname, th in required:
        by_name.setdefault(dname, []).append(th)
    disparities: dict[str, Any] = {}
    for d in DISPARITIES.values():
        value, low, high, note = disparity_interval(d, cm, used, level, cm_sq)
        est = Estimate(
            value,
            low if value is not None else None,
            high if value is not None else None,
            "newcombe-pairs" if d.kind == "difference" else "mover-ratio-pairs",
            int(rows[used].sum()),
            range=SHARE,
            reason=note if value is not None else reason,
        )
        mv = judge(d.name, est, Requirement.of(by_name.get(d.name, []), rule, level))
        values.append(mv)
        rate = d.rates[0] if len(d.rates) == 1 else _worst_rate(d, masked)
        lowest, highest = _extremes(masked[rate], sl.keys)
        disparities[d.name] = {
            "value": value,
            "low": est.low,
            "high": est.high,
            "rate": rate,
            "lowest_group": lowest,
            "highest_group": highest,
            "outcome": mv.outcome.value if mv.outcome else None,
        }
    report_only = Requirement(rule=rule, confidence=level)
    rates = rates_g
    table = []
    for g, key in enumerate(sl.keys):
        row: dict[str, Any] = {**dict(key), "rows": int(rows[g])}
        for rname, est_g in rates.items():
            mv = judge(rname, est_g[g], report_only, slice=dict(key))
            values.append(mv)
            row[rname] = mv.value
        table.append(row)

    ratio = disparities["demographic_parity_ratio"]["value"]
    four_fifths = {"ratio": ratio, "holds": None if ratio is None else bool(ratio >= FOUR_FIFTHS)}
    outcome = worst([v.outcome for v in values if v.outcome is not None])
    names = list(dict(sl.keys[0]).keys()) if sl.keys else []
    details: dict[str, Any] = {
        "by": names,
        "groups": table[:TABLE_ROWS],
        **({"groups_truncated": len(table)} if len(table) > TABLE_ROWS else {}),
        "disparities": disparities,
        "four_fifths": four_fifths,
        "min_size": min_size,
    }
    if outcome is Outcome.INCONCLUSIVE:
        details["rows_to_decide"] = rows_to_decide_all(values)
    return CheckResult(
        name=name or "fairness",
        kind="fairness",
        outcome=outcome,
        metrics=values,
        rule=rule,
        message=_message(values, outcome, disparities, size, names),
        details=details,
    )


def _pair_limits(
    cm: np.ndarray, rate: str, used: np.ndarray, z: float, cm_sq: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Value and Clopper-Pearson limits at the normal quantile ``z`` of one rate in every used group
    (on Kish's effective counts when ``cm_sq`` holds summed squared weights)."""
    m = METRICS[GROUP_METRICS[rate]]
    assert m.counts is not None
    k, n = m.counts(cm, 1)
    k_eff, n_eff, p = effective_counts(k, n, None if cm_sq is None else m.counts(cm_sq, 1)[1])
    ok = used & (np.asarray(n) > 0)
    lo, hi = iv.clopper_pearson_z(k_eff, n_eff, z)
    return p[ok], lo[ok], hi[ok]


def disparity_interval(
    d: Disparity, cm: np.ndarray, used: np.ndarray, level: float, cm_sq: np.ndarray | None = None
) -> tuple[float | None, float | None, float | None, str | None]:
    """Value and interval of a disparity from pairwise intervals of the group rates.

    The spread ``max - min`` of ``k`` rates is the largest difference over ordered pairs of
    groups, and ``min / max`` the smallest ratio. Its end on the side a requirement usually
    protects (the upper end of a difference, the lower end of a ratio) is the most extreme end
    of Newcombe's interval (MOVER-R for ratios) over the pairs: the truly extreme pair is one of
    them, so no adjustment is needed and the bound keeps its level. The other end must hold for
    every pair at once: there the group limits use the studentized-range quantile for ``k``
    groups (Tukey-Kramer; Bonferroni over the rates of a two-rate disparity). With several rates,
    a rate whose spread is undefined (fewer than two groups define it) leaves the disparity
    judged on the rest: the value and the far end are those of the defined rates, and the
    protected end is the edge of the range, 1 for a difference and 0 for a ratio.

    ``cm`` holds the groups' confusion counts (or summed weights, with ``cm_sq`` their summed
    squared weights). Returns ``(value, low, high, note)``; ``note`` names the rates left out.
    """
    alpha = 1 - level
    z = iv.z_value(level)
    parts: list[tuple[float, float, float]] = []
    missing = []
    for rate in d.rates:
        p, lo, hi = _pair_limits(cm, rate, used, z, cm_sq)
        if p.size < 2:
            missing.append(rate)
            continue
        z_all = iv.range_quantile(p.size, 1 - alpha / (2 * len(d.rates)))
        _, lo_a, hi_a = _pair_limits(cm, rate, used, z_all, cm_sq)
        off = ~np.eye(p.size, dtype=bool)
        i, j = np.nonzero(off)
        if d.kind == "difference":
            value = float(p.max() - p.min())
            _, up = iv.newcombe_difference(p[i], lo[i], hi[i], p[j], lo[j], hi[j])
            down, _ = iv.newcombe_difference(p[i], lo_a[i], hi_a[i], p[j], lo_a[j], hi_a[j])
            parts.append((value, max(float(down.max()), 0.0), min(float(up.max()), 1.0)))
        else:
            top = float(p.max())
            value = float(p.min() / top) if top > 0 else math.nan
            down, _ = iv.mover_ratio(p[i], lo[i], hi[i], p[j], lo[j], hi[j])
            _, up = iv.mover_ratio(p[i], lo_a[i], hi_a[i], p[j], lo_a[j], hi_a[j])
            low_r = float(np.nanmin(np.where(np.isnan(down), np.inf, down)))
            high_r = float(np.nanmin(np.where(np.isnan(up), np.inf, up)))
            if math.isfinite(value):
                parts.append((value, max(low_r, 0.0), min(high_r, 1.0)))
            else:
                missing.append(rate)
    if not parts:
        return None, None, None, None
    note = None
    if missing:
        kept = ", ".join(r for r in d.rates if r not in missing)
        note = f"{', '.join(missing)} defined in fewer than two groups: judged on {kept}"
    if d.kind == "difference":
        value = max(v for v, _, _ in parts)
        low = max(lo for _, lo, _ in parts)
        high = 1.0 if missing else max(hi for _, _, hi in parts)
    else:
        value = min(v for v, _, _ in parts)
        low = 0.0 if missing else min(lo for _, lo, _ in parts)
        high = min(hi for _, _, hi in parts)
    return value, low, high, note


def _worst_rate(d: Disparity, rates: Mapping[str, np.ndarray]) -> str:
    spreads = [float(_spread(rates[r], d.kind)) for r in d.rates]
    spreads = [
        s if math.isfinite(s) else (-math.inf if d.kind == "difference" else math.inf) for s in spreads
    ]
    pick = int(np.argmax(spreads)) if d.kind == "difference" else int(np.argmin(spreads))
    return d.rates[pick]


def _extremes(rate: np.ndarray, keys: list[Key]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    defined = np.flatnonzero(np.isfinite(rate))
    if defined.size == 0:
        return None, None
    lo = defined[np.argmin(rate[defined])]
    hi = defined[np.argmax(rate[defined])]
    return dict(keys[lo]), dict(keys[hi])


def _message(
    values: list[MetricValue],
    outcome: Outcome,
    disparities: Mapping[str, Any],
    groups: int,
    columns: list[str],
) -> str:
    gated = [v for v in values if v.outcome is not None]
    text = f"fairness over {groups} groups of {', '.join(columns)}: {outcome.value}"
    for v in gated:
        text += f"\n  {v.describe()}"
        info = disparities[v.name]
        if info["lowest_group"] is not None and v.value is not None:
            lo, hi = format_key(info["lowest_group"]), format_key(info["highest_group"])
            text += f" ({info['rate']} lowest for {lo}, highest for {hi})"
    return text
