"""Data requirements: the test data follow the reviewed schema, the training data are clean,
train and test come from the same distribution, and nothing leaks between them."""

import pytest


@pytest.mark.ml_data
def test_test_data_follow_the_schema(ml, test_frame):
    ml.check_schema(test_frame, "schemas/credit.yaml")


@pytest.mark.ml_data
def test_training_data_are_clean(ml, train_frame):
    ml.fingerprint("train_data", train_frame)
    ml.check_integrity(train_frame, label="target")


@pytest.mark.ml_data
def test_no_drift_and_no_leakage(ml, train_frame, test_frame):
    with ml.soft():
        ml.check_drift(train_frame, test_frame, max={"psi": 0.2})
        ml.check_leakage(train_frame, test_frame, label="target")


@pytest.mark.ml_data
def test_great_expectations_suite(ml, test_frame):
    pytest.importorskip("great_expectations")
    ml.check_expectations(test_frame, "gx/credit_suite.json")
