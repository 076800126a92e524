"""Calibration of the gates, reduced: a few hundred simulated test sets per metric at n=200.

The full run (``make calibrate``, 1000 test sets, n=200 and n=5000) writes docs/trust.md.
Here the bounds are looser, to allow for Monte Carlo noise, but tight enough that an interval
half or twice as wide as it should be fails them; the last tests prove that.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from mltestkit import check_metric
from mltestkit.metrics import METRICS, compute
from mltestkit.stats.intervals import _bca_mean_ends, percentile_interval, row_bootstrap
from mltestkit.stats.requirement import RULES, Estimate, Requirement, judge

REPS = 300


def _load_calibrate():
    path = Path(__file__).resolve().parent.parent / "bench" / "calibrate.py"
    spec = importlib.util.spec_from_file_location("mltestkit_calibrate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


cal = _load_calibrate()
PROCESSES = {
    p.metric: p
    for p in (
        make(200) for make in (cal.accuracy_process, cal.roc_auc_process, cal.f1_process, cal.rmse_process)
    )
}


@pytest.fixture(scope="module")
def simulated():
    return {name: cal.simulate(p, REPS) for name, p in PROCESSES.items()}


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_gates_are_calibrated(name, simulated):
    figs = cal.figures(PROCESSES[name], simulated[name])
    assert cal.misses(figs, cal.CI_BOUNDS) == []


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_population_standard_error_matches_the_simulated_spread(name, simulated):
    # the 3.3 SE shifts are only meaningful if the population SE is right
    sd = float(np.std(simulated[name][:, 0], ddof=1))
    assert sd == pytest.approx(PROCESSES[name].se, rel=0.15)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_population_value_is_the_mean_of_the_estimates(name, simulated):
    p = PROCESSES[name]
    mean = float(np.mean(simulated[name][:, 0]))
    assert abs(mean - p.truth) < 0.5 * p.se


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_simulation_gates_exactly_as_check_metric_does(name):
    p = PROCESSES[name]
    rng = np.random.default_rng(7)
    for _ in range(3):
        data = cal.draw(p, rng)
        value, low, high = cal.estimate(p, data)
        for threshold in (p.truth - p.se, p.truth, p.truth + p.se):
            bound = {"min": threshold} if p.higher_is_better else {"max": threshold}
            for rule in RULES:
                result = check_metric(p.metric, **data, **bound, rule=rule)
                assert result.metrics[0].value == value
                assert (result.metrics[0].ci.low, result.metrics[0].ci.high) == (low, high)
                est = Estimate(value, low, high, "interval", range=METRICS[p.metric].range)
                expected = judge(p.metric, est, Requirement(**bound, rule=rule)).outcome
                assert result.outcome == expected
                assert cal.outcomes(
                    np.array([[value, low, high]]), threshold, p.higher_is_better, rule, p.metric
                )[0] == str(expected)


def test_simulation_is_reproducible():
    p = PROCESSES["accuracy"]
    assert np.array_equal(cal.simulate(p, 20), cal.simulate(p, 20))
    assert not np.array_equal(cal.simulate(p, 20), cal.simulate(p, 20, seed=1))


def _scaled(factor: float):
    """An estimator whose interval is ``factor`` times as wide as the real one, around the estimate."""

    def estimator(process, data):
        value, low, high = cal.estimate(process, data)
        return value, value - factor * (value - low), value + factor * (high - value)

    return estimator


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_the_bounds_catch_a_broken_interval(factor):
    p = PROCESSES["accuracy"]
    figs = cal.figures(p, cal.simulate(p, REPS, estimator=_scaled(factor)))
    found = cal.misses(figs, cal.CI_BOUNDS)
    assert any(line.startswith("coverage") for line in found)
    if factor < 1:  # too narrow: false passes and false alarms at the threshold
        assert any(line.startswith("acceptance_pass_at") for line in found)
        assert any(line.startswith("alarm_fail_at") for line in found)
    else:  # too wide: no power
        assert any(line.startswith("acceptance_pass_better") for line in found)
        assert any(line.startswith("alarm_fail_worse") for line in found)


def test_the_bounds_catch_an_interval_centred_on_the_wrong_side():
    p = PROCESSES["rmse"]

    def shifted(process, data):
        value, low, high = cal.estimate(process, data)
        d = process.se
        return value - d, low - d, high - d  # optimistic by one standard error

    figs = cal.figures(p, cal.simulate(p, REPS, estimator=shifted))
    assert any(line.startswith("acceptance_pass_at") for line in cal.misses(figs, cal.CI_BOUNDS))


def test_misses_names_the_figure_and_its_bounds():
    assert cal.misses({"coverage": 0.85}, {"coverage": (0.9, 0.99)}) == [
        "coverage = 0.850 outside [0.9, 0.99]"
    ]
    assert cal.misses({"coverage": 0.95}, {"coverage": (0.9, 0.99)}) == []


def test_population_values_of_the_processes():
    # the formulas behind the known truths, checked against direct computations
    f1 = cal.f1_process(1000, (0.3, 0.1, 0.1, 0.5))
    assert f1.truth == pytest.approx(0.6 / 0.8)
    auc = cal.roc_auc_process(1000, 0.85)
    assert auc.params[0] / math.sqrt(2) == pytest.approx(1.0364, abs=1e-4)  # Phi^-1(0.85)
    assert cal.rmse_process(800, 2.0).se == pytest.approx(0.05)
    assert cal.accuracy_process(100, 0.9).se == pytest.approx(0.03)


def test_mean_losses_get_a_skew_corrected_interval():
    # Squared errors are skewed: plain percentile ends of their mean sit too low, so an RMSE at
    # the threshold passed under acceptance 4.1% of the time at n=200 instead of at most 2.5%.
    # One bootstrap per test set gives both ends, as compute("rmse") makes them.
    p = PROCESSES["rmse"]
    plain_rows = []

    def both(process, data):
        e2 = (data["y_pred"] - data["y_true"]) ** 2
        reps = row_bootstrap(
            lambda idx: e2[idx].mean(axis=1), e2.size, n_boot=1000, rng=np.random.default_rng(0)
        )
        value = float(np.sqrt(e2.mean()))
        plain_rows.append((value, *np.sqrt(percentile_interval(reps, 0.95))))
        return (value, *np.sqrt(_bca_mean_ends(e2, reps, 0.95)))

    fixed = cal.figures(p, cal.simulate(p, 1000, estimator=both))
    plain = cal.figures(p, np.array(plain_rows))
    assert fixed["acceptance_pass_at"] <= 0.035 < plain["acceptance_pass_at"]
    assert 0.94 <= fixed["coverage"] <= 0.96
    data = cal.draw(p, np.random.default_rng(0))
    est = compute("rmse", **data)
    assert est.method == "bootstrap-bca"
    assert (est.value, est.low, est.high) == pytest.approx(both(p, data))


def test_holm_keeps_family_wise_false_alarms_down_where_the_uncorrected_rate_is_high():
    figs = cal.holm_slices(150)
    assert figs["holm"] <= 0.06  # target 5%, by design 2.5%
    assert figs["uncorrected"] >= 0.5  # the same bound would catch a missing correction


def test_paired_comparison_rarely_passes_a_model_worse_by_the_margin():
    assert cal.paired_comparison(200, n=200, difference=-0.02) <= 0.06
    assert cal.paired_comparison(100, n=5000, difference=0.0) >= 0.8  # equal models pass at n=5000


def test_power_curves_are_ordered_and_drawn(tmp_path):
    grid, curves = cal.power_curve(reps=60)
    acc, alarm, point = curves["acceptance"], curves["alarm"], curves["point"]
    # on the same test sets: acceptance passes imply point passes imply alarm passes
    assert np.all(acc <= point) and np.all(point <= alarm)
    at = int(np.argmin(np.abs(grid - 0.80)))
    assert acc[at] <= 0.1 and 0.3 <= point[at] <= 0.7 and alarm[at] >= 0.9
    assert acc[0] == 0.0 and alarm[-1] == 1.0
    cal.plot(grid, curves, 0.80, 200, tmp_path / "power.png")
    assert (tmp_path / "power.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
