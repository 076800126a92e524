"""Behavioral tests of the sentiment classifier: MFT, INV and DIR, as in CheckList, with pass rates."""

import pytest
from sentiment import train

from mltestkit import perturb
from mltestkit.behavior import template


@pytest.fixture(scope="module")
def model():
    return train(seed=0)


@pytest.fixture(scope="module")
def reviews():
    cases = template(
        "The {thing} was {adj}. {person} agreed.",
        thing=["movie", "meal", "hotel", "flight"],
        adj=["great", "lovely", "boring", "awful"],
        person=["Anna", "Omar", "Lena", "Ravi", "Maria", "John", "Mei", "Kwame"],
    )
    return cases.inputs


@pytest.mark.ml_behavior
def test_obvious_cases(ml, model):
    cases = template(
        "The {thing} was {adj}.", thing=["movie", "meal", "hotel"], adj={"great": 1, "terrible": 0}
    )
    ml.check_mft(model.predict, cases.inputs, expected=cases.labels, min=1.0)


@pytest.mark.ml_behavior
def test_names_do_not_matter(ml, model, reviews):
    ml.check_invariance(
        model.predict_proba,
        reviews,
        perturb.swap_names(seed=1),
        output=1,
        tolerance=0.1,
        max=0.05,
    )


@pytest.mark.ml_behavior
def test_lower_case_changes_nothing(ml, model, reviews):
    ml.check_invariance(model.predict, reviews, perturb.case("lower"), max=0.05)


@pytest.mark.ml_behavior
def test_a_typo_rarely_flips_the_label(ml, model, reviews):
    ml.check_invariance(model.predict, reviews, perturb.typos(seed=0), max=0.25)


@pytest.mark.ml_behavior
def test_negation_lowers_positive_reviews(ml, model):
    positive = template(
        "The {thing} was {adj}.",
        thing=["movie", "meal", "hotel", "book"],
        adj=["great", "lovely", "excellent"],
    )
    ml.check_directional(
        model.predict_proba,
        positive.inputs,
        perturb.negate(),
        expect="decrease",
        output=1,
        max=0.35,
    )
