"""Decision rules that turn an estimate and its interval into an outcome.

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

Examples
--------
>>> from mltestkit.results import Threshold
>>> gate(0.83, 0.79, 0.87, [Threshold(">=", 0.80)], "acceptance")
<Outcome.INCONCLUSIVE: 'inconclusive'>
>>> gate(0.83, 0.79, 0.87, [Threshold(">=", 0.80)], "alarm")
<Outcome.INCONCLUSIVE: 'inconclusive'>
>>> gate(0.83, 0.79, 0.87, [Threshold(">=", 0.80)], "point")
<Outcome.PASSED: 'passed'>
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import InputError
from ..results import Outcome, Threshold, worst

RULES = ("acceptance", "alarm", "point")


def check_rule(rule: str, argument: str = "rule") -> str:
    if rule not in RULES:
        raise InputError(argument, f"unknown gate rule {rule!r}", f"use one of {', '.join(RULES)}")
    return rule


def check_level(level: float, argument: str = "confidence") -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.5 <= float(level) < 1.0:
        raise InputError(argument, f"must be a number in [0.5, 1), got {level!r}", "use e.g. 0.95")
    return float(level)


def thresholds_from(min: float | None, max: float | None, argument: str = "min/max") -> list[Threshold]:
    """Build the requirement list from ``min=`` / ``max=`` arguments."""
    out = []
    for op, value, name in ((">=", min, "min"), ("<=", max, "max")):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(name, f"must be a finite number, got {value!r}", f"pass e.g. {name}=0.8")
        out.append(Threshold(op, float(value)))
    return out


def _one(value: float, low: float, high: float, t: Threshold, rule: str) -> Outcome:
    good = value >= t.value if t.op == ">=" else value <= t.value
    if rule == "point":
        return Outcome.PASSED if good else Outcome.FAILED
    if math.isnan(low) or math.isnan(high):
        return Outcome.INCONCLUSIVE
    if t.op == ">=":
        surely_good, surely_bad = low >= t.value, high < t.value
    else:
        surely_good, surely_bad = high <= t.value, low > t.value
    if rule == "acceptance":
        if surely_good:
            return Outcome.PASSED
        return Outcome.FAILED if not good else Outcome.INCONCLUSIVE
    # alarm
    if surely_bad:
        return Outcome.FAILED
    return Outcome.PASSED if surely_good else Outcome.INCONCLUSIVE


def gate(
    value: float | None,
    low: float | None,
    high: float | None,
    thresholds: Sequence[Threshold],
    rule: str,
) -> Outcome | None:
    """Outcome of an estimate with interval ``[low, high]`` against ``thresholds`` under ``rule``.

    Returns ``None`` when there is no threshold (a figure that is only reported), and
    ``INCONCLUSIVE`` when the value is undefined.
    """
    if not thresholds:
        return None
    if value is None or not math.isfinite(value):
        return Outcome.INCONCLUSIVE
    lo = float("nan") if low is None else float(low)
    hi = float("nan") if high is None else float(high)
    return worst([_one(float(value), lo, hi, t, rule) for t in thresholds])


def rows_to_decide(value: float, low: float, high: float, n: int, threshold: Threshold) -> int | None:
    """About how many rows in all would make the interval clear ``threshold`` if the estimate held.

    The half-width of an interval shrinks like ``1/sqrt(n)``, so the rows needed grow with the
    square of (current half-width / distance to the threshold). ``None`` when the estimate sits
    on the threshold (no sample size decides it).
    """
    half = (high - value) if threshold.op == "<=" else (value - low)
    gap = abs(value - threshold.value)
    if gap == 0 or not math.isfinite(half) or half <= 0:
        return None
    return math.ceil(round(n * (half / gap) ** 2, 6))
