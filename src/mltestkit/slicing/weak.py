"""Automatic discovery of weak slices: :func:`find_weak_slices`.

A lattice search over conjunctions of up to ``depth`` feature predicates (a categorical value, or
a quantile bin of a numeric feature). Every slice of every combination of features is counted in
one ``np.bincount`` pass per combination; slices smaller than ``min_size`` are pruned (their
refinements are smaller still). Each remaining slice is tested against the rest of the data with
a one-sided Fisher exact test ("the metric is worse on the slice"; with sample weights, on Kish's
effective counts of the slice and of the rest, rounded to whole rows), and Holm's correction
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
>>> r = find_weak_slices(y, pred, by={"color": color, "size": size})
>>> r.metrics[0].slice
{'color': 'red', 'size': 'L'}
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
from scipy import stats

from .._validate import MAX_ROWS, as_1d, as_weights, count, encode_labels, same_length
from ..errors import InputError
from ..metrics import PROPORTIONS, confusion_estimates, get_metric
from ..metrics.estimators import confusion_counts, effective_counts, seed_value
from ..metrics.registry import SCORES, positive_class, prepare
from ..results import CheckResult, worst
from ..stats.multiplicity import holm
from ..stats.requirement import Estimate, Requirement, judge, validate_level, validate_rule
from ..tables import table_rows
from .slices import coded_columns, combined_codes, combined_keys

#: Significant slices listed in the result (all are counted in ``details``).
TOP = 20


def find_weak_slices(
    y_true: Any,
    y_pred: Any = None,
    *,
    by: Any = None,
    metric: str = "accuracy",
    y_score: Any = None,
    depth: int = 2,
    min_size: int = 30,
    bins: Any = None,
    min_gap: float = 0.0,
    max: float | None = None,
    pos_label: Any = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    top: int = TOP,
    name: str | None = None,
    features: Any = None,
    max_fraction: float | None = None,
    data: Any = None,
    sample_weight: Any = None,
    average: str | None = None,
) -> CheckResult:
    """Search conjunctions of feature predicates for slices where a metric is significantly worse.

    Parameters
    ----------
    y_true, y_pred:
        True and predicted labels.
    y_score:
        Instead of ``y_pred``, for ``top_k_accuracy`` (``top_<k>_accuracy``): the score matrix
        (n, K), one column per class in the sorted classes' order.
    by:
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
    max:
        The requirement on ``weak_slice_fraction``, the largest share of the rows held by one
        significantly weak slice (an exact figure, judged on its value): ``max=0.05`` fails when a
        significantly weak slice holds more than 5% of the rows. Without it, the slices are only
        reported and the check passes.
    pos_label:
        The positive class for one-class metrics when the labels are not 0/1.
    rule:
        Recorded with the requirement; the figure it judges is exact, so it is decided on its value.
    confidence:
        Significance level ``(1 - confidence) / 2`` (one-sided, family-wise over all tested
        slices) and the level of each slice's interval.
    seed:
        Accepted for a uniform API (the search draws no random numbers).
    top:
        How many of the ranked significant slices become ``metrics`` of the result.
    name:
        Name of the check in the report.
    features, max_fraction:
        Deprecated spellings of ``by=`` and ``max=`` (they warn).
    sample_weight:
        One non-negative weight a row: the metric, the rest's value and the gap are weighted (as
        scikit-learn's ``sample_weight``), the test and the intervals use Kish's effective counts
        ``(sum w)**2 / sum w**2``, and ``max`` reads the share of the total weight. ``min_size``
        still counts rows. Weights of 1 give exactly the unweighted figures.
    data:
        A table (see :func:`mltestkit.tables.open_table`); ``y_true``, ``y_pred``, ``by``,
        ``y_score`` and ``sample_weight`` then name its columns (``y_score`` a list of columns,
        one per class, or a column of lists, for a score matrix).
    average:
        As in :func:`~mltestkit.check_metric`; the averages that are proportions qualify
        (``"micro"``, and ``"weighted"`` for recall: both equal accuracy).

    Returns
    -------
    CheckResult
        Kind ``"slice"``; ``metrics`` are the top significant slices (the metric's value and exact
        interval from the registry's estimator, ``slice`` keys, recorded without a requirement),
        then ``weak_slice_fraction`` when ``max`` is given; ``details`` holds their table with the
        rest's value, the gap, p-values before and after Holm's correction, and how many slices
        were tested.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.ones(400, dtype=int)
    >>> pred = np.r_[np.zeros(40), np.ones(360)].astype(int)
    >>> group = np.r_[["a"] * 100, ["b"] * 300]
    >>> r = find_weak_slices(y, pred, by={"g": group}, depth=1, max=0.1)
    >>> r.metrics[0].slice, r.metrics[-1].name, r.outcome.value
    ({'g': 'a'}, 'weak_slice_fraction', 'failed')
    """
    by = _renamed(by, features, "by", "features")
    max = _renamed(max, max_fraction, "max", "max_fraction")
    if data is not None:  # the search reads the named columns row by row
        y_true, y_pred, by, y_score, sample_weight = table_rows(
            data, y_true=y_true, y_pred=y_pred, by=by, y_score=y_score, sample_weight=sample_weight
        )
    level = validate_level(confidence)
    validate_rule(rule)
    seed_value(seed)
    m = get_metric(metric, average=average)
    if m.interval != "binomial":
        raise InputError("metric", f"{m.name} is not a proportion", f"use one of {', '.join(PROPORTIONS)}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth not in (1, 2, 3):
        raise InputError("depth", f"must be 1, 2 or 3, got {depth!r}", "pass e.g. depth=2")
    count(min_size, "min_size", high=MAX_ROWS, example=30)
    if max is not None and not (
        isinstance(max, (int, float)) and not isinstance(max, bool) and 0 <= max <= 1
    ):
        side = "max_fraction" if max_fraction is not None else "max"
        raise InputError(side, f"must be a share of the rows in [0, 1], got {max!r}", "pass e.g. max=0.05")
    if not (isinstance(min_gap, (int, float)) and 0 <= min_gap < 1):
        raise InputError("min_gap", f"must be in [0, 1), got {min_gap!r}", "pass e.g. min_gap=0.05")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError("top", f"must be an int >= 1, got {top!r}", "pass e.g. top=20")
    requirement = Requirement(max=max, rule=rule, confidence=level)
    yt = as_1d(y_true, "y_true")
    if m.input == SCORES:  # hits over a score matrix
        scored = prepare(m, yt, None, y_score)
        t, p, k, pos = scored.y, scored.p, scored.k, scored.pos
    else:
        yp = as_1d(y_pred, "y_pred")
        same_length(yt, "y_true", yp, "y_pred")
        classes, t, coded_pred = encode_labels(yt, yp)
        assert coded_pred is not None
        p, pos, k = coded_pred, positive_class(m, classes, pos_label), len(classes)
    n = len(yt)
    w = as_weights(sample_weight, n)
    try:
        coded = coded_columns(by, n, bins=bins)
    except InputError as exc:
        argument = "features" if features is not None else "by"
        raise InputError(argument if exc.argument == "by" else exc.argument, exc.problem, exc.fix) from None

    # every conjunction of up to `depth` features: one bincount of (slice, true, predicted) codes;
    # slices under min_size are dropped, and with them every refinement of theirs
    keys: list[Any] = []
    kept, rows, kept_sq = [], [], []
    searched = 0
    combos = [c for d in range(1, depth + 1) for c in itertools.combinations(coded, d)]
    for combo in combos:
        combined, levels = combined_codes(coded, combo)
        present = None
        if levels * k * k > 4 * n + 1024:  # many empty combinations: number the present ones
            present, combined = np.unique(combined, return_inverse=True)
            levels = present.size
        codes = combined.reshape(-1)
        cm = confusion_counts(codes, levels, t, p, k)
        size = cm.sum(axis=(1, 2))
        searched += int(np.count_nonzero(size))
        keep = np.flatnonzero(size >= min_size)
        if w is None:
            kept.append(cm[keep])
        else:
            kept.append(confusion_counts(codes, levels, t, p, k, w)[keep])
            kept_sq.append(confusion_counts(codes, levels, t, p, k, w * w)[keep])
        rows.append(size[keep])
        keys.extend(combined_keys(coded, combo, keep if present is None else present[keep]))
    assert m.counts is not None
    cms = np.concatenate(kept) if kept else np.zeros((0, k, k), np.int64 if w is None else float)
    cms_sq = None if w is None else (np.concatenate(kept_sq) if kept_sq else np.zeros((0, k, k)))
    s_arr, t_arr = (np.asarray(x, dtype=float) for x in m.counts(cms, pos))
    everyone = np.zeros(n, np.int64)
    total_s, total_t = m.counts(confusion_counts(everyone, 1, t, p, k, w)[0], pos)
    r_arr = np.concatenate(rows) if rows else np.zeros(0, np.int64)

    # slice vs the rest of the rows: one-sided Fisher exact test of "worse on the slice"
    # (hypergeometric: of the total_s successes among total_t, how few fall in the slice),
    # with weights on the effective counts of the slice and of the rest
    rest_s, rest_t = total_s - s_arr, total_t - t_arr
    testable = (t_arr > 0) & (rest_t > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = s_arr / t_arr
        rest = rest_s / rest_t
    hits, trials, rest_hits, rest_trials = s_arr, t_arr, rest_s, rest_t
    if cms_sq is not None and w is not None:
        sq = np.asarray(m.counts(cms_sq, pos)[1], dtype=float)
        total_sq = float(m.counts(confusion_counts(everyone, 1, t, p, k, w * w)[0], pos)[1])
        hits, trials, _ = (np.round(x) for x in effective_counts(s_arr, t_arr, sq))
        rest_hits, rest_trials, _ = (np.round(x) for x in effective_counts(rest_s, rest_t, total_sq - sq))
        testable &= (trials > 0) & (rest_trials > 0)
    sign = 1.0 if m.higher_is_better else -1.0
    with np.errstate(invalid="ignore"):
        if m.higher_is_better:
            pvalues = stats.hypergeom.cdf(hits, trials + rest_trials, hits + rest_hits, trials)
        else:
            pvalues = stats.hypergeom.sf(hits - 1, trials + rest_trials, hits + rest_hits, trials)
    pvalues = np.where(testable, np.clip(pvalues, 0.0, 1.0), np.nan)
    adjusted = holm(pvalues)
    alpha = (1 - level) / 2
    gap = sign * (value - rest)  # negative when the slice is worse
    significant = testable & (adjusted <= alpha) & (gap <= -min_gap) & (gap < 0)

    order = np.flatnonzero(significant)
    order = order[np.lexsort((-r_arr[order], gap[order]))]  # the largest gap first, then larger slices
    top_sq = None if cms_sq is None else cms_sq[order[:top]]
    est = confusion_estimates(m, cms[order[:top]], pos, level=level, n_boot=1000, seed=0, cm_sq=top_sq)
    if w is None:
        fraction = r_arr[order] / n
    else:
        fraction = cms[order].sum(axis=(1, 2)) / w.sum() if w.sum() > 0 else np.zeros(order.size)
    flagged = fraction > max if max is not None else np.zeros(order.size, bool)
    report_only = Requirement(rule=rule, confidence=level)
    values = []
    table = []
    for j, i in enumerate(order[:top]):
        mv = judge(m.name, est[j], report_only, slice=dict(keys[i]))
        values.append(mv)
        table.append(
            {
                "slice": dict(keys[i]),
                "depth": len(keys[i]),
                "rows": int(r_arr[i]),
                "fraction": float(fraction[j]),
                "n": mv.n,
                "value": mv.value,
                "low": mv.ci.low if mv.ci else None,
                "high": mv.ci.high if mv.ci else None,
                "rest": float(rest[i]),
                "gap": float(value[i] - rest[i]),
                "excess": float(-gap[i] * t_arr[i]),
                "p": float(pvalues[i]),
                "p_holm": float(adjusted[i]),
                "flagged": bool(flagged[j]),
            }
        )
    if requirement.gated:
        largest = int(np.argmax(r_arr[order])) if order.size else None
        share = Estimate(float(fraction[largest]) if largest is not None else 0.0, n=n, range=(0.0, 1.0))
        where = dict(keys[order[largest]]) if largest is not None else None
        values.append(judge("weak_slice_fraction", share, requirement, slice=where))
    outcome = worst([v.outcome for v in values if v.outcome is not None])
    overall = float(total_s / total_t) if total_t > 0 else None
    message = f"{int(significant.sum())} significantly weak slices of {int(testable.sum())} tested"
    message += f" (depth <= {depth}, min_size {min_size}, Holm at {alpha:g}); {m.name} overall"
    message += f" {overall:.4g}" if overall is not None else " undefined"
    if max is not None:
        message += f"; {int(flagged.sum())} hold more than {max:g} of the rows"
    message += "".join(f"\n  {v.describe()}" for v in values[:5])
    return CheckResult(
        name=name or f"weak slices ({m.name})",
        kind="slice",
        outcome=outcome,
        metrics=values,
        rule=requirement.rule if requirement.gated else None,
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
            "max": max,
            "slices": table,
            "by": list(coded),
            "higher_is_better": m.higher_is_better,
            "rows": n,
            "searched": searched,
        },
    )


def _renamed(new: Any, old: Any, new_name: str, old_name: str) -> Any:
    """The value of an argument that had another name; the old name warns."""
    if old is None:
        return new
    if new is not None:
        raise InputError(old_name, f"was given together with {new_name}=", f"pass {new_name}= only")
    warnings.warn(
        f"find_weak_slices({old_name}=...) is deprecated; use {new_name}=", DeprecationWarning, stacklevel=3
    )
    return old
