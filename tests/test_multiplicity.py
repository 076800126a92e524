"""Holm's correction equals statsmodels' and keeps the family-wise false alarm rate at the level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mltestkit.stats.multiplicity import holm


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([0.01, 0.05, 0.1]),
)
def test_holm_equals_statsmodels(p, alpha):
    adjusted = holm(p)
    ref_reject, ref_adjusted, _, _ = multipletests(p, alpha=alpha, method="holm")
    np.testing.assert_allclose(adjusted, ref_adjusted, rtol=0, atol=1e-12)
    # statsmodels compares p-values to alpha / (m - i) rather than the adjusted p-values to
    # alpha; away from floating-point ties with alpha the decisions agree
    near = np.isclose(adjusted, alpha, rtol=0, atol=1e-12)
    assert ((adjusted <= alpha) == ref_reject)[~near].all()


def test_holm_ties_nan_and_empty():
    assert holm([0.01, 0.01, 0.5]).tolist() == pytest.approx([0.03, 0.03, 0.5])
    out = holm([0.01, np.nan, 0.02])
    assert np.isnan(out[1]) and out[[0, 2]].tolist() == pytest.approx([0.02, 0.02])
    assert holm([]).size == 0


def test_holm_controls_family_wise_error_on_50_null_slices():
    # 50 slices whose true accuracy is exactly at the threshold 0.8; one-sided exact binomial
    # p-values of "accuracy < 0.8" per slice; 2000 simulated families
    rng = np.random.default_rng(7)
    families, slices, n = 2000, 50, 200
    k = rng.binomial(n, 0.8, size=(families, slices))
    p = stats.binom.cdf(k, n, 0.8)
    adjusted = np.array([holm(row) for row in p])
    corrected = (adjusted <= 0.05).any(axis=1).mean()
    uncorrected = (p <= 0.05).any(axis=1).mean()
    assert corrected <= 0.05
    assert uncorrected > 0.8
