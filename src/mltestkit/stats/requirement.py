"""Requirements and the one judgment that turns an estimate into an outcome.

A :class:`Requirement` says what a figure must satisfy (``min`` and/or ``max``), under which
rule and at which confidence. An :class:`Estimate` is what a check measured: a value, an
interval, how the interval was made, and how many rows (or calls) it rests on.
:func:`judge` is the only code in mltestkit that decides ``passed`` / ``failed`` /
``inconclusive``; every kind of check calls it.

Three rules:

``acceptance`` (the default)
    Passed iff the one-sided bound (the interval end on the requirement's side) clears the
    threshold; failed iff the point estimate misses it; otherwise inconclusive, which fails
    the test. Protects against accepting a model that is not good enough.
``alarm``
    Failed only when the whole interval is on the wrong side; inconclusive passes with a
    warning. Protects against false alarms.
``point``
    The estimate alone, as plain ``assert value >= threshold`` would.

Figures that are exact counts (a number of duplicate rows, a share of failed requests that
is itself the requirement) carry no sampling error and are judged by their value whatever
the rule. A threshold at the edge of a figure's range (``min=1`` for a share, ``max=0`` for
a count of errors) can only be met by the value itself: no interval from a finite sample
clears it, so such a requirement is judged on the estimate and says so.

Examples
--------
>>> req = Requirement(min=0.80)
>>> judge("accuracy", Estimate(0.83, 0.79, 0.87, "wilson", 200), req).outcome
<Outcome.INCONCLUSIVE: 'inconclusive'>
>>> judge("accuracy", Estimate(0.83, 0.79, 0.87, "wilson", 200), Requirement(min=0.80, rule="point")).outcome
<Outcome.PASSED: 'passed'>
>>> judge("accuracy", Estimate(0.83, 0.79, 0.87, "wilson", 200), Requirement()).outcome is None
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from ..results import Interval, MetricValue, Outcome, Threshold, worst

#: The gate rules, in the order they are documented.
RULES = ("acceptance", "alarm", "point")

#: Interval method of a figure that is an exact count, not an estimate.
EXACT = "exact"


def validate_rule(rule: Any, argument: str = "rule") -> str:
    """``rule`` if it names a gate rule, else an :class:`~mltestkit.errors.InputError`."""
    if not isinstance(rule, str) or rule not in RULES:
        raise InputError(argument, f"unknown gate rule {rule!r}", f"use one of {', '.join(RULES)}")
    return str(rule)


def validate_level(level: Any, argument: str = "confidence") -> float:
    """``level`` as a float in [0.5, 1), else an :class:`~mltestkit.errors.InputError`."""
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 <= float(level) < 1.0:
        raise InputError(argument, f"must be a number in [0.5, 1), got {level!r}", "use e.g. 0.95")
    return float(level)


def _bound(value: Any, argument: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(argument, f"must be a finite number, got {value!r}", f"pass e.g. {argument}=0.8")
    return float(value)


@dataclass(frozen=True)
class Requirement:
    """What one figure must satisfy: ``min <= value <= max`` under ``rule`` at ``confidence``.

    Either bound may be ``None``; with neither, the figure is recorded without an outcome.
    Arguments are validated on construction; ``argument`` names the user-facing argument that
    the bounds came from, for error messages.

    >>> Requirement(max=0.2).thresholds
    (Threshold(op='<=', value=0.2),)
    >>> Requirement(min="high")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: min: must be a finite number, got 'high'; pass e.g. min=0.8
    """

    min: float | None = None
    max: float | None = None
    rule: str = "acceptance"
    confidence: float = 0.95
    argument: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        prefix = f"{self.argument}." if self.argument else ""
        object.__setattr__(self, "min", _bound(self.min, f"{prefix}min" if prefix else "min"))
        object.__setattr__(self, "max", _bound(self.max, f"{prefix}max" if prefix else "max"))
        object.__setattr__(self, "rule", validate_rule(self.rule))
        object.__setattr__(self, "confidence", validate_level(self.confidence))

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        out = []
        if self.min is not None:
            out.append(Threshold(">=", self.min))
        if self.max is not None:
            out.append(Threshold("<=", self.max))
        return tuple(out)

    @property
    def gated(self) -> bool:
        """Whether there is anything to judge."""
        return self.min is not None or self.max is not None

    @classmethod
    def of(
        cls, thresholds: Sequence[Threshold], rule: str = "acceptance", confidence: float = 0.95
    ) -> Requirement:
        """The requirement made of ``thresholds`` (``>=`` gives ``min``, ``<=`` gives ``max``)."""
        lo = [t.value for t in thresholds if t.op == ">="]
        hi = [t.value for t in thresholds if t.op == "<="]
        return cls(min(lo, default=None), max(hi, default=None), rule, confidence)


def requirements_by_figure(
    min: Any, max: Any, figures: Sequence[str], *, rule: str, confidence: float, default: str | None = None
) -> dict[str, Requirement]:
    """One :class:`Requirement` per figure of a check that measures several.

    ``min`` and ``max`` are each ``None``, a number (for the ``default`` figure) or a mapping from
    figure name to bound. Unknown figure names raise an error that lists the known ones.

    >>> reqs = requirements_by_figure(None, {"psi": 0.2}, ["psi", "ks"], rule="acceptance", confidence=0.95)
    >>> reqs["psi"].max, reqs["ks"].gated
    (0.2, False)
    """
    per: dict[str, dict[str, Any]] = {f: {} for f in figures}
    for side, given in (("min", min), ("max", max)):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            if default is None:
                raise InputError(
                    side,
                    f"this check measures several figures ({', '.join(figures)}), got a single number",
                    f"pass a dict keyed by figure, e.g. {side}={{{figures[0]!r}: ...}}",
                )
            given = {default: given}
        for key, value in given.items():
            if key not in per:
                raise InputError(side, f"unknown figure {key!r}", f"use one of {', '.join(figures)}")
            per[key][side] = value
    return {
        f: Requirement(b.get("min"), b.get("max"), rule, confidence, argument=f"{f}" if b else "")
        for f, b in per.items()
    }


@dataclass(frozen=True)
class Estimate:
    """A measured figure: value, interval ``[low, high]``, the interval's method and its sample size.

    ``value`` is ``None`` (or NaN) when the figure is undefined on the data, with ``reason``.
    ``low``/``high`` are ``None`` (or NaN) when no interval could be made. ``method="exact"``
    marks a figure that is an exact count. ``range`` is the set of values the figure can take
    (``(0, 1)`` for a share), which tells :func:`judge` when a threshold sits at its edge.
    ``needed`` is the number of rows that would give an interval where this sample gives none.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    method: str = EXACT
    n: int | None = None
    range: tuple[float, float] | None = None
    reason: str | None = None
    needed: int | None = None

    @property
    def exact(self) -> bool:
        return self.method == EXACT


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _defined(x: Any) -> float | None:
    """A bound as a float (infinite bounds are one-sided intervals), ``None`` when undefined."""
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) else f


def _at_edge(t: Threshold, bounds: tuple[float, float] | None) -> bool:
    if bounds is None:
        return False
    lo, hi = bounds
    return (t.op == ">=" and t.value >= hi) or (t.op == "<=" and t.value <= lo)


def _one(value: float, low: float | None, high: float | None, t: Threshold, rule: str) -> Outcome:
    good = value >= t.value if t.op == ">=" else value <= t.value
    if rule == "point":
        return Outcome.PASSED if good else Outcome.FAILED
    if low is None or high is None:
        return Outcome.INCONCLUSIVE
    if t.op == ">=":
        surely_good, surely_bad = low >= t.value, high < t.value
    else:
        surely_good, surely_bad = high <= t.value, low > t.value
    if rule == "acceptance":
        if surely_good:
            return Outcome.PASSED
        return Outcome.FAILED if not good else Outcome.INCONCLUSIVE
    if surely_bad:
        return Outcome.FAILED
    return Outcome.PASSED if surely_good else Outcome.INCONCLUSIVE


def decide(estimate: Estimate, requirement: Requirement) -> tuple[Outcome | None, str]:
    """The outcome of ``estimate`` against ``requirement`` and the rule that actually decided.

    The decided rule is ``"point"`` for exact counts and for thresholds at the edge of the
    figure's range; otherwise the requirement's rule.
    """
    thresholds = requirement.thresholds
    if not thresholds:
        return None, requirement.rule
    value = _finite(estimate.value)
    if value is None:
        return Outcome.INCONCLUSIVE, requirement.rule
    low, high = _defined(estimate.low), _defined(estimate.high)
    outcomes = []
    used = requirement.rule
    for t in thresholds:
        rule = requirement.rule
        if estimate.exact or _at_edge(t, estimate.range):
            rule = "point"
            used = "point"
        outcomes.append(_one(value, low, high, t, rule))
    return worst(outcomes), used


def judge(
    name: str,
    estimate: Estimate,
    requirement: Requirement,
    *,
    slice: Mapping[str, Any] | None = None,
) -> MetricValue:
    """The :class:`~mltestkit.results.MetricValue` of ``estimate`` judged against ``requirement``.

    - no bound: the figure is recorded with ``outcome=None``;
    - an undefined value or interval: ``inconclusive`` under the acceptance and alarm rules;
    - an exact count, or a threshold at the edge of the figure's range: judged by its value.

    >>> mv = judge("duplicates", Estimate(3, n=1000), Requirement(max=0))
    >>> mv.outcome.value, mv.rule, mv.ci
    ('failed', 'point', None)
    >>> judge("auc", Estimate(0.9, None, None, "delong", 4), Requirement(min=0.8, rule="alarm")).outcome.value
    'inconclusive'
    """
    outcome, used = decide(estimate, requirement)
    ci = None
    if not estimate.exact:
        ci = Interval(_finite(estimate.low), _finite(estimate.high), requirement.confidence, estimate.method)
    return MetricValue(
        name=name,
        value=estimate.value,
        n=estimate.n,
        ci=ci,
        thresholds=requirement.thresholds,
        rule=used if requirement.gated else None,
        outcome=outcome,
        slice=slice,
        reason=estimate.reason,
    )


def rows_to_decide(value: float, low: float, high: float, n: int, threshold: Threshold) -> int | None:
    """About how many rows in all would make the interval clear ``threshold`` if the estimate held.

    The half-width of an interval shrinks like ``1/sqrt(n)``, so the rows needed grow with the
    square of (current half-width / distance to the threshold). ``None`` when the estimate sits
    on the threshold (no sample size decides it).

    >>> rows_to_decide(0.83, 0.79, 0.87, 200, Threshold(">=", 0.80))
    356
    """
    half = (high - value) if threshold.op == "<=" else (value - low)
    gap = abs(value - threshold.value)
    if gap == 0 or not math.isfinite(half) or half <= 0:
        return None
    return math.ceil(round(n * (half / gap) ** 2, 6))


def rows_to_decide_all(values: Sequence[MetricValue]) -> int | None:
    """The most rows that any inconclusive figure of ``values`` would need (see :func:`rows_to_decide`)."""
    needed = []
    for mv in values:
        if mv.outcome is not Outcome.INCONCLUSIVE or mv.value is None or mv.n is None or mv.ci is None:
            continue
        lo, hi = mv.ci.low, mv.ci.high
        if lo is None or hi is None:
            continue
        for t in mv.thresholds:
            need = rows_to_decide(float(mv.value), lo, hi, mv.n, t)
            if need is not None:
                needed.append(need)
    return max(needed, default=None)


def set_aside(mv: MetricValue, reason: str) -> MetricValue:
    """A judged figure set aside (``skipped``) with ``reason``, e.g. a slice with too few rows to judge.

    >>> set_aside(judge("recall", Estimate(1.0, 0.2, 1.0, "wilson", 3), Requirement(min=0.8)), "n < 30").outcome
    <Outcome.SKIPPED: 'skipped'>
    """
    return replace(mv, outcome=Outcome.SKIPPED, reason=reason)


def adjust_for_multiplicity(
    values: Sequence[MetricValue], pvalues: Sequence[float], alpha: float
) -> list[tuple[MetricValue, float]]:
    """Holm's correction over a family of judged figures (the alarm rule across slices).

    A failure stands only if its Holm-adjusted p-value is at most ``alpha``; otherwise it becomes
    inconclusive. Nothing else changes: the correction never fails a figure, and an undefined
    p-value (NaN, from an undefined value or interval) never stands as a failure.

    >>> failed = judge("accuracy", Estimate(0.70, 0.60, 0.79, "wilson", 100), Requirement(min=0.8, rule="alarm"))
    >>> adjusted = adjust_for_multiplicity([failed, failed], [0.01, float("nan")], 0.025)
    >>> tuple((mv.outcome.value, round(p, 3)) for mv, p in adjusted)
    (('failed', 0.01), ('inconclusive', nan))
    """
    from .multiplicity import holm

    adjusted = holm([float(p) for p in pvalues])
    out = []
    for mv, pa in zip(values, adjusted, strict=True):
        if mv.outcome is Outcome.FAILED and not pa <= alpha:
            mv = replace(mv, outcome=Outcome.INCONCLUSIVE)
        out.append((mv, float(pa)))
    return out
