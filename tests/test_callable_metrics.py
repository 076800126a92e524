"""A user's callable metric: BCa bootstrap over the counts of distinct (y_true, y_pred) pairs
(the row bootstrap exactly, in distribution), over rows otherwise; calibration at n=1000."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from mltestkit import check_metric
from mltestkit.metrics import estimators as es
from mltestkit.metrics.registry import estimate
from mltestkit.stats import intervals as iv

K = 3
PROCESS = np.array([[0.30, 0.04, 0.02], [0.05, 0.20, 0.05], [0.03, 0.06, 0.25]])


def weighted_f1_of_table(table: np.ndarray) -> float:
    row, col, hits = table.sum(-1), table.sum(-2), np.diagonal(table, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(row + col > 0, 2 * hits / (row + col), 0.0)
    return float((row * per_class).sum(-1) / row.sum(-1))


def weighted_f1(a, b, sample_weight=None):
    """scikit-learn's f1_score(average="weighted") for labels 0..2, fast enough to simulate."""
    return weighted_f1_of_table(np.bincount(a * K + b, weights=sample_weight, minlength=K * K).reshape(K, K))


def weighted_f1_rows(a, b):
    return weighted_f1(a, b)


TRUTH = weighted_f1_of_table(PROCESS)


def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    cells = rng.choice(K * K, size=n, p=PROCESS.ravel())
    return cells // K, cells % K


@pytest.fixture
def seen(monkeypatch):
    """The replicates, jackknife values and weights each BCa interval is made from."""
    calls: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    real = iv.bca_interval

    def spy(replicates, value, jackknife, weights, level):
        calls.append((np.asarray(replicates), np.asarray(jackknife), weights))
        return real(replicates, value, jackknife, weights, level)

    monkeypatch.setattr(iv, "bca_interval", spy)
    return calls


def test_the_fake_weighted_f1_is_scikit_learns():
    a, b = draw(np.random.default_rng(0), 500)
    w = np.random.default_rng(1).random(500)
    assert weighted_f1(a, b) == pytest.approx(f1_score(a, b, average="weighted"), abs=1e-12)
    assert weighted_f1(a, b, w) == pytest.approx(
        f1_score(a, b, average="weighted", sample_weight=w), abs=1e-12
    )


def test_labels_are_bootstrapped_over_pair_counts_with_the_row_bootstraps_distribution(seen):
    a, b = draw(np.random.default_rng(2), 1000)
    cells = estimate(weighted_f1_rows, a, b, n_boot=4000, seed=3)[0]
    # the same labels as floats with a distinct tiny offset per row: every pair is distinct,
    # so the callable is bootstrapped over rows; it rounds the offset away
    jitter = b + np.arange(1000) * 1e-6
    rows = estimate(lambda t, p: weighted_f1(t, np.round(p).astype(int)), a, jitter, n_boot=4000, seed=4)[0]
    assert (cells.method, rows.method) == ("bca-cells", "bca")
    (cell_reps, cell_jack, counts), (row_reps, _, _) = seen
    assert stats.ks_2samp(cell_reps, row_reps).pvalue > 0.01
    assert np.quantile(cell_reps, [0.025, 0.5, 0.975]) == pytest.approx(
        np.quantile(row_reps, [0.025, 0.5, 0.975]), abs=0.004
    )
    # the jackknife over pairs is the row jackknife: each pair's value stands for its rows
    full = [weighted_f1(np.delete(a, i), np.delete(b, i)) for i in range(1000)]
    assert np.sort(np.repeat(cell_jack, counts)) == pytest.approx(np.sort(full), abs=1e-12)


def test_a_callable_taking_sample_weight_is_called_on_the_pairs_with_the_same_figures():
    a, b = draw(np.random.default_rng(5), 1500)
    calls = []

    def counted(t, p, sample_weight=None):
        calls.append(len(t))
        return weighted_f1(t, p, sample_weight)

    weighted = estimate(counted, a, b, seed=6)[0]
    expanded = estimate(weighted_f1_rows, a, b, seed=6)[0]
    assert (weighted.low, weighted.high) == (pytest.approx(expanded.low), pytest.approx(expanded.high))
    assert max(calls[1:]) <= K * K  # after the value on all rows, only the distinct pairs
    assert es.CustomValue(functools.partial(f1_score, average="weighted")).weighted


def test_sample_weight_that_does_not_weight_rows_falls_back_to_expanded_tables():
    a, b = draw(np.random.default_rng(7), 1200)

    def ignores(t, p, sample_weight=None):
        return weighted_f1(t, p)

    fallback = estimate(ignores, a, b, seed=8)[0]
    expanded = estimate(weighted_f1_rows, a, b, seed=8)[0]
    assert (fallback.low, fallback.high) == (expanded.low, expanded.high)


def test_scikit_learn_macro_f1_on_pairs_missing_from_a_replicate():
    """A class absent from a resample is absent from the weighted call too (macro averages differ
    when an absent class is scored 0)."""
    rng = np.random.default_rng(9)
    a = np.r_[rng.integers(0, 2, 1197), [2, 2, 2]]
    b = np.where(rng.random(1200) < 0.9, a, 1 - np.minimum(a, 1))

    def macro(t, p, sample_weight=None):
        return f1_score(t, p, average="macro", sample_weight=sample_weight)

    weighted = estimate(macro, a, b, n_boot=200, seed=10)[0]
    expanded = estimate(lambda t, p: f1_score(t, p, average="macro"), a, b, n_boot=200, seed=10)[0]
    assert (weighted.low, weighted.high) == (pytest.approx(expanded.low), pytest.approx(expanded.high))


def test_a_perfect_sample_gives_no_interval_rather_than_a_zero_width_pass():
    y = np.random.default_rng(11).integers(0, 3, 1000)
    r = check_metric(weighted_f1_rows, y, y, min=0.95)
    m = r.metrics[0]
    assert m.value == 1.0 and (m.ci.low, m.ci.high) == (None, None)
    assert r.outcome.value == "inconclusive"


def test_continuous_inputs_are_bootstrapped_over_rows_with_bca():
    rng = np.random.default_rng(12)
    y = rng.normal(size=1000)
    r = check_metric(lambda t, p: float(np.median(np.abs(t - p))), y, y + rng.normal(size=1000), max=1.0)
    m = r.metrics[0]
    assert m.ci.method == "bca" and m.ci.low < m.value < m.ci.high
    small = check_metric(lambda t, p: float(np.mean(t == p)), y[:999], y[:999], min=0.5)
    assert small.outcome.value == "inconclusive" and small.details["rows_to_decide"] == iv.BOOTSTRAP_MIN_ROWS


def test_acceptance_at_the_true_value_is_calibrated_at_1000_rows():
    """A weighted-f1 callable on a 3-class process at n=1000: a model whose true weighted F1 sits
    exactly at the threshold passes `min=` (lower bound above it) at most 2.5% + 2 MC SE of the
    time, and the alarm rule's upper bound errs as rarely."""
    rng = np.random.default_rng(13)
    reps, low_above, high_below = 400, 0, 0
    for r in range(reps):
        est = estimate(weighted_f1, *draw(rng, 1000), seed=r)[0]
        low_above += est.low > TRUTH
        high_below += est.high < TRUTH
    bound = 0.025 + 2 * np.sqrt(0.025 * 0.975 / reps)
    assert low_above / reps <= bound and high_below / reps <= bound
