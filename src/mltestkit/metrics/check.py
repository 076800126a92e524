""":func:`check_metric`: one metric on all rows, measured by its registry entry, judged by ``judge``.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_metric
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 2000)
>>> pred = np.where(rng.random(2000) < 0.9, y, 1 - y)
>>> result = check_metric("accuracy", y, pred, min=0.85)
>>> result.outcome.value, result.metrics[0].ci.method
('passed', 'clopper-pearson')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import flag
from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Requirement, judge, rows_to_decide_all
from .curves import confusion, score_curves
from .pushdown import table_estimate
from .registry import LABELS, SCORES, compute, get_metric


def check_metric(
    metric: str | Callable[..., Any],
    y_true: Any = None,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    data: Any = None,
    sample_weight: Any = None,
    min: float | None = None,
    max: float | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    pos_label: Any = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    keep_rows: bool | None = None,
    average: str | None = None,
) -> CheckResult:
    """Measure a metric with a confidence interval and judge it against ``min`` and/or ``max``.

    Parameters
    ----------
    metric:
        A registered name (see :data:`~mltestkit.metrics.METRICS`) or a callable
        ``f(y_true, y_pred) -> float`` (BCa bootstrap interval, one call of ``f`` per replicate).
    y_true, y_pred:
        True and predicted labels (or values, for regression metrics).
    y_score:
        Scores or probabilities of the positive class, for ``roc_auc``, ``average_precision``,
        ``log_loss``, ``brier`` and ``ece``; or a matrix (n, K), one column per class in the
        sorted classes' order (``model.predict_proba(X)``), for ``top_k_accuracy``
        (``top_<k>_accuracy``), ``log_loss`` and ``roc_auc_ovr`` / ``roc_auc_ovr_weighted``.
    data:
        A table (any input of :func:`mltestkit.tables.open_table`: DataFrame, Arrow, DuckDB,
        Spark, a Parquet or CSV path); ``y_true``, ``y_pred``, ``y_score`` and ``sample_weight``
        name its columns and its engine computes the statistics (see the "Any table, any size"
        page). For a score matrix, ``y_score`` names one column per class, in the sorted
        classes' order (``y_score=["p_ant", "p_bee", "p_cat"]``), or one column of fixed-size
        lists. The figures equal those of the same rows in memory.
    min, max:
        The requirement. Without either, the figure is recorded with ``outcome=None`` and
        ``rule=None``, and the check's outcome is ``passed`` (nothing was required).
    rule:
        ``"acceptance"`` (default), ``"alarm"`` or ``"point"``; see :mod:`mltestkit.stats.requirement`.
    confidence:
        Two-sided level of the interval; the rules use its one-sided end.
    pos_label:
        The positive class for one-class metrics when the labels are not 0/1.
    n_boot, seed:
        Bootstrap replicates and seed, where the metric uses a bootstrap.
    name:
        The check's name in the report (default: the metric's); a callable metric's figure is
        recorded under it too.
    sample_weight:
        A weight per row (or, with ``data``, the name of its column), for count metrics and
        mean losses: the value is scikit-learn's with ``sample_weight``, the interval rests on
        Kish's effective size ``(sum w)**2 / sum w**2`` (``n`` in the result).
    average:
        ``"macro"``, ``"micro"``, ``"weighted"`` (or ``"binary"``, the metric itself): the entry
        averaging ``metric`` over classes, as scikit-learn's ``average=``; ``check_metric("f1",
        ..., average="macro")`` records the figure ``f1_macro``. One class at a time:
        ``pos_label=<the class>``.
    keep_rows:
        Keep the compact per-row record in ``details["rows"]`` (:mod:`mltestkit.metrics.paired`),
        so that a baseline comparison on the same rows uses a paired test. ``None`` (default):
        kept for a registered metric on up to 1,000,000 rows (proportions, one bit a row) or
        100,000 rows (the others).

    Returns
    -------
    CheckResult
        Of kind ``"metric"``, with one :class:`~mltestkit.results.MetricValue`; when the figure
        is inconclusive, ``details["rows_to_decide"]`` says about how many rows would decide it.

    Examples
    --------
    >>> r = check_metric("rmse", [1.0, 2.0, 3.0, 4.0] * 50, [1.1, 1.9, 3.2, 3.9] * 50, max=0.5)
    >>> r.outcome.value, round(r.metrics[0].value, 3)
    ('passed', 0.132)
    >>> r = check_metric("accuracy", [1, 0, 1, 1], [1, 0, 0, 1])
    >>> r.outcome.value, r.metrics[0].outcome, r.rule
    ('passed', None, None)
    """
    requirement = Requirement(min, max, rule, confidence)
    keep_rows = None if keep_rows is None else flag(keep_rows, "keep_rows")
    m = get_metric(
        metric, name if callable(metric) and not isinstance(metric, str) else None, average=average
    )
    details: dict[str, Any] = {}
    if data is not None:
        if keep_rows:
            raise InputError("keep_rows", "needs the rows in memory", "pass arrays, not data=, to keep rows")
        est, sketch = table_estimate(
            m, data, y_true=y_true, y_pred=y_pred, y_score=y_score, sample_weight=sample_weight,
            pos_label=pos_label, confidence=confidence, n_boot=n_boot, seed=seed,
        )  # fmt: skip
        details.update({"sketch": sketch} if sketch else {})
    else:
        est = compute(
            m,
            y_true,
            y_pred,
            y_score=y_score,
            pos_label=pos_label,
            confidence=confidence,
            n_boot=n_boot,
            seed=seed,
            sample_weight=sample_weight,
        )
    mv = judge(m.name, est, requirement)
    outcome = worst([mv.outcome]) if mv.outcome is not None else Outcome.PASSED
    if outcome is Outcome.INCONCLUSIVE:
        details["rows_to_decide"] = rows_to_decide_all([mv]) or est.needed
    from .paired import keeps_rows, row_record

    if data is None and keeps_rows(m, len(y_true), keep_rows):
        details["rows"] = row_record(m, y_true, y_pred, y_score=y_score, pos_label=pos_label)
    curves = (
        None
        if data is not None
        else score_curves(y_true, y_score, pos_label)
        if m.input == SCORES
        else confusion(y_true, y_pred)
        if m.input == LABELS
        else None
    )
    if curves:
        details["curves" if m.input == SCORES else "confusion"] = curves
    return CheckResult(
        name=name or m.name,
        kind="metric",
        outcome=outcome,
        metrics=[mv],
        rule=requirement.rule if requirement.gated else None,
        message=explain(mv, details.get("rows_to_decide")),
        details=details,
    )


def explain(mv: MetricValue, rows_to_decide: int | None = None) -> str:
    """The figure's line and, unless it passed, why it did not."""
    head = mv.describe()
    if mv.outcome in (None, Outcome.PASSED):
        return head
    if mv.outcome is Outcome.FAILED:
        if mv.rule == "alarm":
            return f"{head}\nthe whole {mv.ci.level if mv.ci else ''} interval is on the wrong side of the threshold."
        return f"{head}\nthe estimate misses the threshold."
    if mv.value is None or mv.ci is None or mv.ci.low is None or mv.ci.high is None:
        text = f"{head}\nthe figure or its interval is undefined on this data, so nothing can be decided."
    else:
        text = f"{head}\nthe interval straddles the threshold, so the data cannot tell whether the requirement holds."
    if rows_to_decide is not None:
        text += f" About {rows_to_decide} rows (now {mv.n}) would decide it if the estimate held."
    if mv.rule == "alarm":
        text += " Under the alarm rule this passes with a warning."
    return text
