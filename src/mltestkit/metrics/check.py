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
('passed', 'wilson')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import as_1d, encode_labels, flag
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Requirement, judge, rows_to_decide_all
from .registry import compute, get_metric, positive_class


def check_metric(
    metric: str | Callable[..., Any],
    y_true: Any,
    y_pred: Any = None,
    *,
    y_score: Any = None,
    min: float | None = None,
    max: float | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    pos_label: Any = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
    keep_rows: bool = False,
) -> CheckResult:
    """Measure a metric with a confidence interval and judge it against ``min`` and/or ``max``.

    Parameters
    ----------
    metric:
        A registered name (see :data:`~mltestkit.metrics.METRICS`) or a callable
        ``f(y_true, y_pred) -> float`` (row bootstrap interval).
    y_true, y_pred:
        True and predicted labels (or values, for regression metrics).
    y_score:
        Scores or probabilities of the positive class, for ``roc_auc``, ``average_precision``,
        ``log_loss``, ``brier`` and ``ece``.
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
    keep_rows:
        Keep the per-row outcomes of a proportion metric (packed bits in ``details["rows"]``),
        so that a baseline comparison on the same rows can use a paired test.

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
    m = get_metric(metric, name if callable(metric) and not isinstance(metric, str) else None)
    est = compute(
        m,
        y_true,
        y_pred,
        y_score=y_score,
        pos_label=pos_label,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    mv = judge(m.name, est, requirement)
    outcome = worst([mv.outcome]) if mv.outcome is not None else Outcome.PASSED
    details: dict[str, Any] = {}
    if outcome is Outcome.INCONCLUSIVE:
        details["rows_to_decide"] = rows_to_decide_all([mv])
    if keep_rows:
        details["rows"] = _row_record(m.name, y_true, y_pred, pos_label)
    return CheckResult(
        name=name or m.name,
        kind="metric",
        outcome=outcome,
        metrics=[mv],
        rule=requirement.rule if requirement.gated else None,
        message=explain(mv, details.get("rows_to_decide")),
        details=details,
    )


def _row_record(name: str, y_true: Any, y_pred: Any, pos_label: Any) -> dict[str, Any]:
    from ..stats.paired import row_record

    yt, yp = as_1d(y_true, "y_true"), as_1d(y_pred, "y_pred")
    classes, t, p = encode_labels(yt, yp)
    assert p is not None
    return row_record(name, yt, positive_class(name, classes, pos_label), t, p)


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
