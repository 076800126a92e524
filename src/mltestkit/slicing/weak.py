"""Automatic discovery of weak slices: :func:`find_weak_slices`.

A lattice search over conjunctions of up to ``depth`` feature predicates (a categorical value, or
a quantile bin of a numeric feature). Every slice of every combination of features is counted in
one ``np.bincount`` pass per combination; slices smaller than ``min_size`` are pruned (their
refinements are smaller still). Each remaining slice is tested against the rest of the data with
a one-sided Fisher exact test ("the metric is worse on the slice"), and Holm's correction
across all tested slices keeps the chance of reporting any slice that is not truly worse at
``(1 - confidence) / 2``. Significant slices are ranked by their gap to the rest (the worst
first; larger slices first among equal gaps); ``excess`` in the table is the gap times the rows
the metric counts on the slice, the errors the slice adds over the rest's rate.

Examples
--------
>>> import numpy as np
>>> from mltestkit import find_weak_slices
>>> rng = np.random.default_rng(0)
>>> color = rng.choice(["red", "green", "blue"], 6000)
>>> size = rng.choice(["S", "M", "L"], 6000)
>>> y = rng.integers(0, 2, 6000)
>>> accurate = rng.random(6000) < np.where((color == "red") & (size == "L"), 0.6, 0.9)
>>> pred = np.where(accurate, y, 1 - y)
>>> r = find_weak_slices(y, pred, features={"color": color, "size": size})
>>> r.metrics[0].slice
{'color': 'red', 'size': 'L'}
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy import stats

from .._validate import as_1d, encode_labels, positive_index, same_length
from ..errors import InputError
from ..metrics import METRICS, PROPORTIONS, get_metric, proportion_counts
from ..results import CheckResult, Interval, MetricValue, Outcome
from ..stats import intervals as iv
from ..stats.multiplicity import holm
from ..stats.requirement import validate_level
from .slices import coded_columns, combined_codes, combined_keys

#: Significant slices listed in the result (all are counted in ``details``).
TOP = 20


def find_weak_slices(
    y_true: Any,
    y_pred: Any,
    *,
    features: Any,
    metric: str = "accuracy",
    depth: int = 2,
    min_size: int = 30,
    bins: Any = None,
    min_gap: float = 0.0,
    max_fraction: float | None = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    top: int = TOP,
    name: str | None = None,
) -> CheckResult:
    """Search conjunctions of feature predicates for slices where a metric is significantly worse.

    Parameters
    ----------
    y_true, y_pred:
        True and predicted labels.
    features:
        The columns to search (DataFrame or dict of named arrays). Categorical values are used as
        they are; numeric columns with many values are cut in quantile bins (``bins=``, as in
        :func:`~mltestkit.slicing.slices.check_slices`); missing values form ``"(missing)"``.
    metric:
        A proportion metric: accuracy, precision, recall, specificity, fpr, fnr or selection_rate.
    depth:
        Largest number of predicates in a conjunction (1 to 3).
    min_size:
        Slices with fewer rows are not tested.
    min_gap:
        Only slices whose metric is worse than the rest by at least this much are reported.
    max_fraction:
        The gate: fail when a significant weak slice holds at least this share of the rows.
        Without it, the slices are only reported and the check passes.
    pos_label:
        The positive class for one-class metrics when the labels are not 0/1.
    confidence:
        Significance level ``(1 - confidence) / 2`` (one-sided, family-wise over all tested slices).
    top:
        How many of the ranked significant slices become ``metrics`` of the result.
    name:
        Name of the check in the report.

    Returns
    -------
    CheckResult
        Kind ``"slice"``; ``metrics`` are the top significant slices (value, Wilson interval,
        ``slice`` keys); ``details`` holds their table with the rest's value, the gap, p-values
        before and after Holm's correction, and how many slices were tested.
    """
    level = validate_level(confidence)
    m = get_metric(metric)
    if m.name not in PROPORTIONS:
        raise InputError("metric", f"{m.name} is not a proportion", f"use one of {', '.join(PROPORTIONS)}")
    if isinstance(depth, bool) or depth not in (1, 2, 3):
        raise InputError("depth", f"must be 1, 2 or 3, got {depth!r}", "pass e.g. depth=2")
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise InputError("min_size", f"must be an int >= 1, got {min_size!r}", "pass e.g. min_size=30")
    if max_fraction is not None and not (isinstance(max_fraction, (int, float)) and 0 < max_fraction <= 1):
        raise InputError(
            "max_fraction", f"must be in (0, 1], got {max_fraction!r}", "pass e.g. max_fraction=0.05"
        )
    if not (isinstance(min_gap, (int, float)) and 0 <= min_gap < 1):
        raise InputError("min_gap", f"must be in [0, 1), got {min_gap!r}", "pass e.g. min_gap=0.05")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError("top", f"must be an int >= 1, got {top!r}", "pass e.g. top=20")
    yt = as_1d(y_true, "y_true")
    yp = as_1d(y_pred, "y_pred")
    same_length(yt, "y_true", yp, "y_pred")
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    if m.name != "accuracy" and len(classes) > 2 and pos_label is None:
        raise InputError(
            "pos_label",
            f"{m.name} scores one class and the labels have {len(classes)} classes",
            "pass pos_label=",
        )
    pos = positive_index(classes, pos_label, m.name) if m.name != "accuracy" else 0
    n = len(yt)
    try:
        coded = coded_columns(features, n, bins=bins)
    except InputError as exc:
        raise InputError("features" if exc.argument == "by" else exc.argument, exc.problem, exc.fix) from None

    # every conjunction of up to `depth` features: one bincount of (slice, true, predicted) codes;
    # slices under min_size are dropped, and with them every refinement of theirs
    k = len(classes)
    cell = t * k + p
    keys: list[Any] = []
    successes, trials, rows = [], [], []
    searched = 0
    combos = [c for d in range(1, depth + 1) for c in itertools.combinations(coded, d)]
    for combo in combos:
        combined, levels = combined_codes(coded, combo)
        present = None
        if levels * k * k > 4 * n + 1024:  # many empty combinations: number the present ones
            present, combined = np.unique(combined, return_inverse=True)
            levels = present.size
        cm = np.bincount(combined.reshape(-1) * (k * k) + cell, minlength=levels * k * k).reshape(
            levels, k, k
        )
        size = cm.sum(axis=(1, 2))
        searched += int(np.count_nonzero(size))
        keep = np.flatnonzero(size >= min_size)
        s, tr = proportion_counts(m.name, cm[keep], pos)
        successes.append(s)
        trials.append(tr)
        rows.append(size[keep])
        keys.extend(combined_keys(coded, combo, keep if present is None else present[keep]))
    total_s, total_t = proportion_counts(m.name, np.bincount(cell, minlength=k * k).reshape(k, k), pos)
    s_arr = np.concatenate(successes).astype(float) if successes else np.zeros(0)
    t_arr = np.concatenate(trials).astype(float) if trials else np.zeros(0)
    r_arr = np.concatenate(rows) if rows else np.zeros(0, np.int64)

    # slice vs the rest of the rows: one-sided Fisher exact test of "worse on the slice"
    # (hypergeometric: of the total_s successes among total_t, how few fall in the slice)
    rest_s, rest_t = total_s - s_arr, total_t - t_arr
    testable = (t_arr > 0) & (rest_t > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = s_arr / t_arr
        rest = rest_s / rest_t
    sign = 1.0 if m.higher_is_better else -1.0
    if m.higher_is_better:
        pvalues = stats.hypergeom.cdf(s_arr, total_t, total_s, t_arr)
    else:
        pvalues = stats.hypergeom.sf(s_arr - 1, total_t, total_s, t_arr)
    pvalues = np.where(testable, np.clip(pvalues, 0.0, 1.0), np.nan)
    adjusted = holm(pvalues)
    alpha = (1 - level) / 2
    gap = sign * (value - rest)  # negative when the slice is worse
    significant = testable & (adjusted <= alpha) & (gap <= -min_gap) & (gap < 0)

    order = np.flatnonzero(significant)
    order = order[np.lexsort((-r_arr[order], gap[order]))]  # the largest gap first, then larger slices
    low, high = iv.wilson(s_arr[order], t_arr[order], level)
    flagged = (r_arr[order] / n >= max_fraction) if max_fraction is not None else np.zeros(order.size, bool)
    values = []
    table = []
    for j, i in enumerate(order):
        outcome = (Outcome.FAILED if flagged[j] else Outcome.PASSED) if max_fraction is not None else None
        mv = MetricValue(
            name=m.name,
            value=float(value[i]),
            n=int(t_arr[i]),
            ci=Interval(float(low[j]), float(high[j]), level, "wilson"),
            outcome=outcome,
            slice=dict(keys[i]),
        )
        if j < top:
            values.append(mv)
            table.append(
                {
                    "slice": dict(keys[i]),
                    "depth": len(keys[i]),
                    "rows": int(r_arr[i]),
                    "fraction": float(r_arr[i] / n),
                    "n": int(t_arr[i]),
                    "value": float(value[i]),
                    "low": float(low[j]),
                    "high": float(high[j]),
                    "rest": float(rest[i]),
                    "gap": float(value[i] - rest[i]),
                    "excess": float(-gap[i] * t_arr[i]),
                    "p": float(pvalues[i]),
                    "p_holm": float(adjusted[i]),
                    "flagged": bool(flagged[j]),
                }
            )
    outcome = Outcome.FAILED if flagged.any() else Outcome.PASSED
    overall = float(total_s / total_t) if total_t > 0 else None
    message = f"{int(significant.sum())} significantly weak slices of {int(testable.sum())} tested"
    message += f" (depth <= {depth}, min_size {min_size}, Holm at {alpha:g}); {m.name} overall"
    message += f" {overall:.4g}" if overall is not None else " undefined"
    if max_fraction is not None:
        message += f"; {int(flagged.sum())} hold at least {max_fraction:g} of the rows"
    message += "".join(f"\n  {v.describe()}" for v in values[:5])
    return CheckResult(
        name=name or f"weak slices ({m.name})",
        kind="slice",
        outcome=outcome,
        metrics=values,
        rule=None,
        message=message,
        details={
            "metric": m.name,
            "overall": overall,
            "tested": int(testable.sum()),
            "significant": int(significant.sum()),
            "flagged": int(flagged.sum()),
            "holm": True,
            "alpha": alpha,
            "min_size": min_size,
            "depth": depth,
            "max_fraction": max_fraction,
            "slices": table,
            "features": list(coded),
            "higher_is_better": METRICS[m.name].higher_is_better,
            "rows": n,
            "searched": searched,
        },
    )
