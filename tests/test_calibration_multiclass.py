"""Calibration of the multi-class label gates, reduced: cells of the grid's 3- and 5-class processes
(bench/calibrate.py) with fixed seeds, and bounds that a bad interval breaks.

Each bound is the target plus three Monte Carlo standard errors. The last test shows that the
bounds catch a plain percentile bootstrap over the cells at n = 30 (it passes a model at the
threshold about 10% of the time), which is why the cell bootstrap is BCa and needs 300 rows.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from mltestkit.metrics import METRICS
from mltestkit.metrics.estimators import confusion_estimates
from mltestkit.stats import intervals as iv


def _load_calibrate():
    path = Path(__file__).resolve().parent.parent / "bench" / "calibrate.py"
    spec = importlib.util.spec_from_file_location("mltestkit_calibrate_multiclass", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cal = _load_calibrate()
THREE, FIVE = cal.CLASS_PROCESSES


def _bound(reps: int, target: float = 0.025) -> float:
    return target + 3 * math.sqrt(target * (1 - target) / reps)


def _cell(metric: str, setting: str, n: int, reps: int, n_boot: int = 1000):
    truth = cal.class_truth(metric, setting)
    figs, method = cal.class_simulate(metric, setting, n, reps, n_boot=n_boot)
    return method, cal.figures(truth, METRICS[metric].higher_is_better, *figs)


def test_the_processes_are_multi_class_with_unequal_shares():
    for setting, k in ((THREE, 3), (FIVE, 5)):
        p = cal.class_cells(setting)
        assert p.shape == (k, k) and p.sum() == pytest.approx(1.0)
        assert len(set(np.round(p.sum(axis=1), 6))) == k
    assert {"f1_macro", "cohen_kappa", "matthews_corrcoef", "balanced_accuracy"} <= set(cal.class_metrics())
    assert ("f1_weighted", FIVE, 30, 10) in cal.class_tasks(10)


@pytest.mark.parametrize("metric", ["precision_macro", "recall_macro", "balanced_accuracy", "f1_micro"])
@pytest.mark.parametrize("setting", [THREE, FIVE])
def test_per_class_intervals_hold_at_small_n(metric, setting):
    for n in (30, 100):
        method, f = _cell(metric, setting, n, 4000)
        assert method.startswith("clopper-pearson")
        assert f["acceptance_at"] <= _bound(4000), (n, f)
        assert f["alarm_at"] <= _bound(4000), (n, f)
        assert f["coverage"] >= 0.935, (n, f)


@pytest.mark.parametrize("metric", ["f1_macro", "precision_weighted", "cohen_kappa", "matthews_corrcoef"])
def test_cell_bootstrap_holds_from_its_minimum_rows(metric):
    method, f = _cell(metric, FIVE, iv.CELLS_MIN_ROWS, 600, n_boot=500)
    assert method == "bca-cells" and f["undefined"] == 0.0
    assert f["acceptance_at"] <= _bound(600), f
    assert f["alarm_at"] <= _bound(600), f
    assert f["coverage"] >= 0.935 - 3 * math.sqrt(0.05 * 0.95 / 600), f
    # below it: no interval, so nothing passes (acceptance) or fails (alarm) on the interval
    _, f = _cell(metric, THREE, 100, 200, n_boot=100)
    assert f["undefined"] == 1.0 and f["acceptance_at"] == 0.0 and f["alarm_at"] == 0.0


def test_the_bounds_catch_a_percentile_cell_bootstrap_at_n_30(monkeypatch):
    def percentile(counts, statistic, replicates, level):
        return iv.percentile_interval(replicates, 1 - (1 - level) / iv.BCA_ERROR_SHARE)

    monkeypatch.setattr(iv, "CELLS_MIN_ROWS", 0)
    monkeypatch.setattr(iv, "bca_cells", percentile)
    _, f = _cell("precision_weighted", THREE, 30, 600, n_boot=500)
    assert f["acceptance_at"] > _bound(600), f


def test_mover_on_per_class_f1_would_not_hold():
    # per-class f1s share their errors, so MOVER (which assumes independent parts) is too narrow:
    # this is why f1_macro is bootstrapped over the cells
    p = cal.class_cells(THREE)
    counts = np.random.default_rng(3).multinomial(1000, p.ravel(), size=4000).reshape(4000, 3, 3)
    diag = np.diagonal(counts, axis1=1, axis2=2)
    trials = counts.sum(axis=1) + counts.sum(axis=2) - diag
    low, high = iv.clopper_pearson(diag, trials, 0.95)
    f1 = lambda j: 2 * j / (1 + j)  # noqa: E731
    value, lo, _ = iv.mover_mean(f1(diag / trials), f1(low), f1(high), trials > 0)
    truth = cal.class_truth("f1_macro", THREE)
    assert np.mean(lo >= truth) > _bound(4000)
    est = confusion_estimates(METRICS["f1_macro"], counts[:3], 0, level=0.95, n_boot=200, seed=0)
    assert est.value == pytest.approx(value[:3], abs=1e-12)
