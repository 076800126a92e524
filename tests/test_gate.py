"""The three rules, decided by ``decide`` (what ``judge`` records) by hand and on random data."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mltestkit.results import Outcome, Threshold
from mltestkit.stats.requirement import Estimate, Requirement, decide, judge, rows_to_decide

MIN = [Threshold(">=", 0.8)]
MAX = [Threshold("<=", 0.1)]


def outcome_of(value, low, high, thresholds, rule):
    """The outcome ``judge`` gives an estimate with an interval against ``thresholds``."""
    return decide(Estimate(value, low, high, "interval"), Requirement.of(thresholds, rule))[0]


@pytest.mark.parametrize(
    ("value", "low", "high", "rule", "expected"),
    [
        (0.90, 0.85, 0.95, "acceptance", Outcome.PASSED),
        (0.83, 0.79, 0.87, "acceptance", Outcome.INCONCLUSIVE),
        (0.78, 0.74, 0.82, "acceptance", Outcome.FAILED),
        (0.90, 0.85, 0.95, "alarm", Outcome.PASSED),
        (0.83, 0.79, 0.87, "alarm", Outcome.INCONCLUSIVE),
        (0.78, 0.74, 0.82, "alarm", Outcome.INCONCLUSIVE),
        (0.70, 0.65, 0.75, "alarm", Outcome.FAILED),
        (0.83, 0.79, 0.87, "point", Outcome.PASSED),
        (0.78, 0.74, 0.82, "point", Outcome.FAILED),
        (0.80, 0.80, 0.85, "acceptance", Outcome.PASSED),
    ],
)
def test_min_threshold(value, low, high, rule, expected):
    assert outcome_of(value, low, high, MIN, rule) is expected


@pytest.mark.parametrize(
    ("value", "low", "high", "rule", "expected"),
    [
        (0.05, 0.02, 0.08, "acceptance", Outcome.PASSED),
        (0.08, 0.05, 0.12, "acceptance", Outcome.INCONCLUSIVE),
        (0.12, 0.09, 0.15, "acceptance", Outcome.FAILED),
        (0.14, 0.11, 0.17, "alarm", Outcome.FAILED),
        (0.12, 0.09, 0.15, "alarm", Outcome.INCONCLUSIVE),
    ],
)
def test_max_threshold(value, low, high, rule, expected):
    assert outcome_of(value, low, high, MAX, rule) is expected


def test_both_thresholds_worst_wins():
    both = [Threshold(">=", 0.2), Threshold("<=", 0.5)]
    assert outcome_of(0.35, 0.3, 0.4, both, "acceptance") is Outcome.PASSED
    assert outcome_of(0.55, 0.5, 0.6, both, "acceptance") is Outcome.FAILED


def test_no_threshold_and_undefined_value():
    assert outcome_of(0.5, 0.4, 0.6, [], "acceptance") is None
    assert outcome_of(None, None, None, MIN, "acceptance") is Outcome.INCONCLUSIVE
    assert outcome_of(0.9, math.nan, math.nan, MIN, "acceptance") is Outcome.INCONCLUSIVE


@given(
    value=st.floats(0, 1),
    half=st.floats(0, 0.3),
    threshold=st.floats(0, 1),
)
def test_rules_are_ordered(value, half, threshold):
    """Acceptance never passes what point fails; alarm never fails what point passes."""
    t = [Threshold(">=", threshold)]
    low, high = value - half, value + half
    acceptance, alarm, point = (outcome_of(value, low, high, t, r) for r in ("acceptance", "alarm", "point"))
    if point is Outcome.FAILED:
        assert acceptance is Outcome.FAILED
    if point is Outcome.PASSED:
        assert alarm is not Outcome.FAILED
    if acceptance is Outcome.PASSED:
        assert alarm is Outcome.PASSED


def test_rows_to_decide():
    # half-width 0.04 at n=400, gap 0.02 -> four times the rows
    assert rows_to_decide(0.82, 0.78, 0.86, 400, Threshold(">=", 0.80)) == 1600
    assert rows_to_decide(0.80, 0.76, 0.84, 400, Threshold(">=", 0.80)) is None


def test_requirement_validates():
    assert Requirement(0.5, None).thresholds == (Threshold(">=", 0.5),)
    with pytest.raises(ValueError, match="min: must be a finite number, got nan"):
        Requirement(float("nan"), None)
    with pytest.raises(ValueError, match="max: must be a finite number, got '0.3'"):
        Requirement(None, "0.3")


def test_judge_records_what_decide_decides():
    est = Estimate(0.83, 0.79, 0.87, "wilson", 200, range=(0.0, 1.0))
    for rule in ("acceptance", "alarm", "point"):
        mv = judge("accuracy", est, Requirement(min=0.8, rule=rule))
        assert mv.outcome is outcome_of(0.83, 0.79, 0.87, MIN, rule) and mv.rule == rule
    assert judge("accuracy", est, Requirement()).outcome is None
