"""Rates of behaviour checks and of services (failure rate, pass rate, fail ratio, agreement):
exact binomial sums show that their acceptance gate passes a rate at the threshold at most 2.5%
of the time at n=30, where a Wilson interval would pass it up to 6% of the time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from mltestkit import check_agreement, check_mft
from mltestkit.serving.load import share_estimate
from mltestkit.stats import intervals as iv
from mltestkit.stats.requirement import Estimate, Requirement, judge

N = 30
RATES = [round(r, 2) for r in np.arange(0.05, 0.951, 0.05)]


def worst_pass_share(passes: Callable[[int, float], bool]) -> float:
    """The largest chance, over rates at the threshold, that ``passes(k, rate)`` with k ~ Binomial(N, rate)."""
    k = np.arange(N + 1)
    worst = 0.0
    for rate in RATES:
        pmf = stats.binom.pmf(k, N, rate)
        worst = max(worst, float(sum(pmf[i] for i in k if passes(int(i), rate))))
    return worst


def mft_passes(failures: int, rate: float) -> bool:
    outputs = np.r_[np.zeros(failures), np.ones(N - failures)]
    return check_mft(lambda x: np.asarray(x), outputs, expected=1.0, max=rate).outcome.value == "passed"


def mft_pass_rate_passes(passing: int, rate: float) -> bool:
    outputs = np.r_[np.ones(passing), np.zeros(N - passing)]
    r = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, min={"pass_rate": rate})
    return r.outcome.value == "passed"


def agreement_passes(agreeing: int, rate: float) -> bool:
    expected = [1] * N
    responses = [1] * agreeing + [0] * (N - agreeing)
    return check_agreement(responses, expected, min=rate).outcome.value == "passed"


def fail_ratio_passes(failed: int, rate: float) -> bool:
    return (
        judge("fail_ratio", share_estimate(failed, N, 0.95), Requirement(max=rate)).outcome.value == "passed"
    )


@pytest.mark.parametrize(
    "passes",
    [mft_passes, mft_pass_rate_passes, agreement_passes, fail_ratio_passes],
    ids=lambda f: f.__name__,
)
def test_acceptance_passes_a_rate_at_the_threshold_at_most_2_5_percent(passes):
    assert worst_pass_share(passes) <= 0.025


def test_the_same_sums_catch_a_wilson_gate():
    def wilson_passes(failed: int, rate: float) -> bool:
        low, high = (float(v) for v in iv.wilson(failed, N, 0.95))
        est = Estimate(failed / N, low, high, "wilson", N, range=(0.0, 1.0))
        return judge("fail_ratio", est, Requirement(max=rate)).outcome.value == "passed"

    assert worst_pass_share(wilson_passes) > 0.05


def test_rates_name_their_method():
    outputs = np.r_[np.zeros(3), np.ones(97)]
    r = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, max=0.1)
    agreement = check_agreement([1] * 99 + [0], [1] * 100, min=0.9)
    ci = stats.binomtest(3, 100).proportion_ci(method="exact")
    assert r.metrics[0].ci.method == agreement.metrics[0].ci.method == "clopper-pearson"
    assert (r.metrics[0].ci.low, r.metrics[0].ci.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert share_estimate(0, 0, 0.95).method == "clopper-pearson"
