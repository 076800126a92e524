"""Metric requirements of the credit model, written by hand."""

import pytest


@pytest.mark.ml_metric
def test_model_is_good_enough(ml, model, test_set):
    ml.fingerprint("test_data", test_set.frame)
    ml.fingerprint("model", "models/credit.skops")
    # thresholds come from [tool.mltestkit.thresholds] when the test gives none
    ml.check_metric("roc_auc", test_set.y, y_score=model.predict_proba(test_set.X)[:, 1])
    ml.check_metric("accuracy", test_set.y, model.predict(test_set.X))


@pytest.mark.ml_metric
def test_calibration_and_loss(ml, model, test_set):
    proba = model.predict_proba(test_set.X)[:, 1]
    with ml.soft():
        ml.check_metric("brier", test_set.y, y_score=proba, max=0.22)
        ml.check_metric("ece", test_set.y, y_score=proba, max=0.15, rule="alarm")
        ml.check_metric("log_loss", test_set.y, y_score=proba, max=0.6)
