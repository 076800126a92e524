"""Behavioral requirements: minimum functionality, invariance and directional expectations."""

import pandas as pd
import pytest

from mltestkit import perturb


@pytest.mark.ml_behavior
def test_longer_loans_never_look_safer(ml, model, test_set):
    # a longer duration must not raise the probability of good credit; with 300 cases and no
    # failure, the 95% bound on the failure rate is about 1.3%, so 2% can be shown to hold
    ml.check_directional(
        model.predict_proba,
        test_set.X,
        perturb.scale("duration", 1.5),
        expect="not_increase",
        output=1,
        max=0.02,
    )


@pytest.mark.ml_behavior
def test_a_few_euros_change_nothing(ml, model, test_set):
    ml.check_invariance(
        model.predict_proba,
        test_set.X,
        perturb.shift("credit_amount", 5),
        output=1,
        tolerance=0.01,
        max=0.02,
    )


@pytest.mark.ml_behavior
def test_obvious_applicants(ml, model):
    applicants = pd.DataFrame(
        {
            "credit_amount": [500, 15000],
            "duration": [6, 60],
            "age": [45, 22],
            "job": [2, 0],
            "housing": ["own", "free"],
            "saving_accounts": ["rich", "little"],
            "checking_account": ["not_known", "little"],
            "purpose": ["radio/TV", "education"],
        }
    )
    ml.check_mft(model.predict, applicants, expected=[1, 0], min=1.0)
