"""Sample weights: values equal scikit-learn and fairlearn with sample_weight; intervals rest on
Kish's effective size; weights that are all 1 change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn import metrics as flm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from mltestkit import check_fairness, check_metric, check_slices
from mltestkit.errors import InputError

LABEL = {
    "accuracy": skm.accuracy_score,
    "precision": skm.precision_score,
    "recall": skm.recall_score,
    "f1": skm.f1_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
}
LOSS = {
    "mae": skm.mean_absolute_error,
    "rmse": skm.root_mean_squared_error,
    "mape": skm.mean_absolute_percentage_error,
}
SCORE = {"log_loss": skm.log_loss, "brier": skm.brier_score_loss}


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(40, 300))
def test_weighted_values_equal_scikit_learn(seed, n):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 3.0, n)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    for name, fn in LABEL.items():
        got = check_metric(name, y, p, sample_weight=w).metrics[0].value
        assert got == pytest.approx(fn(y, p, sample_weight=w), abs=1e-12), name
    s = np.clip(0.3 * y + 0.7 * rng.random(n), 0.01, 0.99)
    for name, fn in SCORE.items():
        got = check_metric(name, y, y_score=s, sample_weight=w).metrics[0].value
        assert got == pytest.approx(fn(y, s, sample_weight=w), abs=1e-12), name
    yr = rng.uniform(1, 3, n)
    pr = yr + rng.normal(size=n)
    for name, fn in LOSS.items():
        got = check_metric(name, yr, pr, sample_weight=w).metrics[0].value
        assert got == pytest.approx(fn(yr, pr, sample_weight=w), abs=1e-12), name


def test_unit_weights_change_nothing_and_unequal_weights_shrink_the_effective_size():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.where(rng.random(500) < 0.85, y, 1 - y)
    for name in ("accuracy", "f1", "balanced_accuracy"):
        plain = check_metric(name, y, p).metrics[0]
        ones = check_metric(name, y, p, sample_weight=np.ones(500)).metrics[0]
        assert (ones.value, ones.ci.low, ones.ci.high) == pytest.approx(
            (plain.value, plain.ci.low, plain.ci.high)
        )
    w = np.where(rng.random(500) < 0.5, 1.0, 4.0)
    kish = w.sum() ** 2 / (w**2).sum()
    acc = check_metric("accuracy", y, p, sample_weight=w).metrics[0]
    assert acc.n == int(kish)
    plain = check_metric("accuracy", y, p).metrics[0]
    assert acc.ci.high - acc.ci.low > plain.ci.high - plain.ci.low


def test_weighted_slices_and_fairness_equal_fairlearn():
    rng = np.random.default_rng(1)
    n = 3000
    g = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < np.where(g == "a", 0.9, 0.75), y, 1 - y)
    w = rng.uniform(0.2, 2.0, n)
    r = check_slices("recall", y, p, by={"g": g}, sample_weight=w)
    for m in r.metrics:
        mask = g == m.slice["g"]
        assert m.value == pytest.approx(skm.recall_score(y[mask], p[mask], sample_weight=w[mask]), abs=1e-12)
    f = check_fairness(y, p, by={"g": g}, sample_weight=w, max={"equalized_odds_difference": 0.5})
    d = f.details["disparities"]
    for name, fn in (
        ("demographic_parity_difference", flm.demographic_parity_difference),
        ("demographic_parity_ratio", flm.demographic_parity_ratio),
        ("equalized_odds_difference", flm.equalized_odds_difference),
        ("equalized_odds_ratio", flm.equalized_odds_ratio),
    ):
        assert d[name]["value"] == pytest.approx(
            fn(y, p, sensitive_features=g, sample_weight=w), abs=1e-12
        ), name
        assert d[name]["low"] <= d[name]["value"] <= d[name]["high"]


def test_weighted_rates_keep_their_level_in_simulation():
    # unequal weights (1 or 4): the Kish-based exact interval still passes a model at the
    # threshold at most about 2.5% of the time
    rng = np.random.default_rng(2)
    reps, n, truth = 1500, 200, 0.85
    passed = failed = 0
    for _ in range(reps):
        y = np.ones(n, int)
        p = (rng.random(n) < truth).astype(int)
        w = np.where(rng.random(n) < 0.5, 1.0, 4.0)
        ci = check_metric("recall", y, p, sample_weight=w).metrics[0].ci
        passed += ci.low >= truth
        failed += ci.high < truth
    assert passed / reps <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)
    assert failed / reps <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)


def test_bad_weights_name_the_argument():
    with pytest.raises(InputError, match="sample_weight: has negative weights"):
        check_metric("accuracy", [0, 1], [0, 1], sample_weight=[1, -1])
    with pytest.raises(InputError, match="sample_weight: has 1 rows but y_true has 2"):
        check_metric("accuracy", [0, 1], [0, 1], sample_weight=[1])
    with pytest.raises(InputError, match="sample_weight: is not supported for roc_auc"):
        check_metric("roc_auc", [0, 1], y_score=[0.2, 0.7], sample_weight=[1, 1])


def test_weighted_slice_counts_add_across_partitions_and_equal_the_rows():
    from mltestkit.slicing import merge, slice_counts

    rng = np.random.default_rng(3)
    n = 900
    g = rng.choice(["a", "b"], n)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    w = rng.uniform(0.5, 2.0, n)
    parts = [slice(0, 300), slice(300, 900)]
    merged = merge(*(slice_counts(y[s], p[s], by={"g": g[s]}, sample_weight=w[s]) for s in parts))
    whole = slice_counts(y, p, by={"g": g}, sample_weight=w)
    np.testing.assert_allclose(merged.counts, whole.counts, rtol=1e-12)
    np.testing.assert_allclose(merged.squares, whole.squares, rtol=1e-12)
    from_counts = check_slices("precision", counts=merged)
    from_rows = check_slices("precision", y, p, by={"g": g}, sample_weight=w)
    for a, b in zip(from_counts.metrics, from_rows.metrics, strict=True):
        assert (a.value, a.ci.low, a.ci.high) == pytest.approx((b.value, b.ci.low, b.ci.high), rel=1e-9)
    with pytest.raises(InputError, match="parts: mix weighted and unweighted counts"):
        merge(whole, slice_counts(y, p, by={"g": g}))
