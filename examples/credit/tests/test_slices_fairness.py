"""Slice-based and fairness evaluation of the credit model."""

import pytest


@pytest.mark.ml_slice
def test_no_slice_left_behind(ml, model, test_set):
    ml.check_slices(
        "recall",
        test_set.y,
        model.predict(test_set.X),
        by=test_set.frame[["sex", "age_group"]],
        min=0.55,
        min_size=30,
    )


@pytest.mark.ml_fairness
def test_fair_enough_by_sex(ml, model, test_set):
    # 300 rows cannot show small gaps; the alarm rule fails only when a gap is shown to be too large
    ml.check_fairness(
        test_set.y,
        model.predict(test_set.X),
        by=test_set.frame[["sex"]],
        max={"demographic_parity_difference": 0.25, "equalized_odds_difference": 0.30},
        rule="alarm",
    )


@pytest.mark.ml_slice
def test_weak_slices_are_reported(ml, model, test_set):
    columns = test_set.frame[["sex", "age_group", "housing", "purpose"]]
    ml.find_weak_slices(test_set.y, model.predict(test_set.X), by=columns, depth=2, min_size=30, max=0.10)
