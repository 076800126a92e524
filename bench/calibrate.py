"""Calibration grid of the gates: how often each rule passes or fails when the truth is known.

Every registered metric x n in {30, 100, 1000, 10000} x distribution (balanced, 10% prevalence;
normal, Laplace and Student-t(3) errors for the losses), fairness disparities x k groups x rows a
group, Holm across slices and the paired baseline comparison at its margin. A cell draws many
test sets from a process with a known population value and measures them all at once with the
library's grouped estimator (each test set is one group, exactly what ``check_slices`` does per
slice; ``check_metric`` on a test set alone gives the same figures, which the grid checks on the
first test sets of every cell). Each cell reports:

- coverage: the share of defined 95% intervals that contain the true value, and the share of
  test sets without an interval (inconclusive: too few rows for an honest one);
- acceptance: P(pass) when the threshold equals the true value (target <= 2.5%), and the power,
  P(pass) when the true value is 3.3 standard errors better than the threshold;
- alarm: P(fail) at the threshold (target <= 2.5%) and 3.3 standard errors worse (power).

Shares carry their Monte Carlo standard error. The standard error of a cell is the simulated
spread of its estimates.

Usage::

    python bench/calibrate.py                 # the full grid (1000 test sets a cell), writes docs/trust.md
    python bench/calibrate.py --reps 400 --no-write
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy import integrate, special

from mltestkit.metrics import METRICS, compute, estimate
from mltestkit.metrics.estimators import confusion_counts, confusion_estimates, loss_estimates, loss_moments
from mltestkit.slicing.fairness import DISPARITIES, disparity_interval
from mltestkit.stats.intervals import mover_ratio, newcombe_difference, range_quantile, wilson

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "trust.md"
PLOT = ROOT / "docs" / "img" / "gate-power.png"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"

#: Distance, in standard errors, between the true value and the threshold for the power figures.
SHIFT = 3.3
SEED = 20261201
LEVEL = 0.95
SIZES = (30, 100, 1000, 10000)

#: Confusion-cell probabilities (tn, fp, fn, tp) of the label processes.
LABEL_CELLS = {
    "balanced": (0.425, 0.075, 0.075, 0.425),  # prevalence 50%, TPR = TNR = 0.85
    "10% prevalence": (0.81, 0.09, 0.02, 0.08),  # TPR 0.8, TNR 0.9
}
ERRORS = ("normal", "Laplace", "Student-t(3)")
SCORE_SETTINGS = ("balanced", "10% prevalence")
#: Metrics whose interval is a row bootstrap: fewer test sets, and no n = 10000 (cost).
ROW_BOOTSTRAP = ("average_precision", "ece")


def _rng(label: str, seed: int = SEED) -> np.random.Generator:
    """A generator seeded by ``seed`` and a label naming the simulated setting."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


@dataclass(frozen=True)
class Cell:
    """One cell of the grid: what is simulated, and the figures."""

    check: str
    setting: str
    n: int
    truth: float
    higher_is_better: bool
    method: str
    figures: dict[str, float]
    reps: int


# ---------------------------------------------------------------- processes


def _errors(kind: str, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Errors of unit variance."""
    if kind == "normal":
        return rng.normal(size=size)
    if kind == "Laplace":
        return rng.laplace(size=size) / math.sqrt(2)
    return rng.standard_t(3, size=size) / math.sqrt(3)


#: E|e| of the unit-variance errors.
ABS_MEAN = {"normal": math.sqrt(2 / math.pi), "Laplace": 1 / math.sqrt(2), "Student-t(3)": 2 / math.pi}


def _probabilities(setting: str, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Calibrated probabilities: uniform on [0.05, 0.95] (balanced) or on [0, 0.2] (10% prevalence)."""
    return rng.uniform(0.05, 0.95, size) if setting == "balanced" else rng.uniform(0.0, 0.2, size)


def _probability_truth(setting: str, loss: Callable[[float], float]) -> float:
    lo, hi = (0.05, 0.95) if setting == "balanced" else (0.0, 0.2)
    return float(integrate.quad(loss, lo, hi)[0] / (hi - lo))


def truth_of(metric: str, setting: str) -> float:
    """The population value of ``metric`` under ``setting``."""
    if setting in CLASS_PROCESSES:
        return class_truth(metric, setting)
    m = METRICS[metric]
    if metric in ("rmse", "mae", "mape"):
        if metric == "rmse":
            return 1.0
        return ABS_MEAN[setting] * (math.log(3) / 2 if metric == "mape" else 1.0)
    if metric == "r2":
        return 0.75
    if metric == "brier":
        return _probability_truth(setting, lambda p: p * (1 - p))
    if metric == "log_loss":
        return _probability_truth(
            setting, lambda p: -(p * math.log(p) + (1 - p) * math.log(1 - p)) if 0 < p < 1 else 0.0
        )
    if metric == "roc_auc":
        return 0.85
    if metric in ("average_precision", "ece"):
        rng = _rng(f"truth/{metric}/{setting}")
        rows = _score_rows(metric, setting, 4_000_000, rng)
        return float(METRICS[metric].value(rows["y_true"].astype(float), rows["y_score"]))
    cells = np.asarray(LABEL_CELLS[setting], dtype=float).reshape(1, 2, 2)
    return float(m.value(cells, 1)[0])


def _score_rows(metric: str, setting: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if metric == "ece":  # miscalibrated: P(y = 1 | s) = s**2
        s = rng.uniform(size=n) if setting == "balanced" else rng.uniform(0, 0.4, size=n)
        return {"y_true": (rng.uniform(size=n) < s * s).astype(int), "y_score": s}
    prevalence = 0.5 if setting == "balanced" else 0.1
    y = (rng.uniform(size=n) < prevalence).astype(int)
    d = float(special.ndtri(0.85)) * math.sqrt(2)
    return {"y_true": y, "y_score": rng.normal(size=n) + d * y}


def _grouped(
    metric: str, rows: dict[str, np.ndarray], reps: int, n: int, n_boot: int
) -> tuple[np.ndarray, str]:
    """value, low, high per test set (shape (3, reps)) from one grouped estimate."""
    est = estimate(metric, **rows, groups=np.repeat(np.arange(reps), n), size=reps, n_boot=n_boot, seed=0)
    return np.stack([est.value, est.low, est.high]), est.method[0]


def count_figures(m: Any, counts: np.ndarray, pos: int, n_boot: int) -> tuple[np.ndarray, str]:
    """Value, low, high of every test set's confusion counts (shape (3, reps)) and the method.

    A bootstrap interval (``cells``) is drawn from a seed of each test set's own, as every
    check of a suite gets its own seed: one seed for all test sets would share the bootstrap's
    own noise between them, and the cell's shares would move by up to a point with it."""
    if m.interval != "cells":
        est = confusion_estimates(m, counts, pos, level=LEVEL, n_boot=n_boot, seed=0)
        return np.stack([est.value, est.low, est.high]), est.method[0]
    parts = [
        confusion_estimates(m, counts[r : r + 1], pos, level=LEVEL, n_boot=n_boot, seed=r + 1)
        for r in range(len(counts))
    ]
    figs = np.array([[e.value[0], e.low[0], e.high[0]] for e in parts]).T
    return figs, parts[0].method[0]


def simulate(metric: str, setting: str, n: int, reps: int, *, n_boot: int = 1000) -> tuple[np.ndarray, str]:
    """``reps`` test sets of ``n`` rows: value, low, high of each (shape (3, reps)) and the method."""
    if setting in CLASS_PROCESSES:
        return class_simulate(metric, setting, n, reps, n_boot=n_boot)
    rng = _rng(f"{metric}/{setting}/{n}")
    m = METRICS[metric]
    if metric in LABEL_METRICS:
        counts = rng.multinomial(n, LABEL_CELLS[setting], size=reps).reshape(reps, 2, 2)
        return count_figures(m, counts, 1, n_boot)
    out, method = [], ""
    chunk = max(1, 2_000_000 // n)
    for start in range(0, reps, chunk):
        b = min(chunk, reps - start)
        if metric in ("rmse", "mae", "mape", "r2"):
            y = rng.uniform(1, 3, size=(b, n)) if metric == "mape" else rng.normal(size=(b, n))
            e = _errors(setting, rng, (b, n)) * (0.5 if metric == "r2" else 1.0)
            rows = {"y_true": y.ravel(), "y_pred": (y + e).ravel()}
        elif metric in ("brier", "log_loss"):
            p = _probabilities(setting, rng, (b, n))
            rows = {"y_true": (rng.uniform(size=(b, n)) < p).astype(int).ravel(), "y_score": p.ravel()}
        else:
            rows = _score_rows(metric, setting, b * n, rng)
        figs, method = _grouped(metric, rows, b, n, n_boot)
        out.append(figs)
        if start == 0:
            _check_alone(metric, rows, n, figs, n_boot)
    return np.concatenate(out, axis=1), method


def _check_alone(metric: str, rows: dict[str, np.ndarray], n: int, figs: np.ndarray, n_boot: int) -> None:
    """check_metric on each of the first test sets alone gives the grouped figures."""
    for g in range(min(3, figs.shape[1])):
        part = {k: v[g * n : (g + 1) * n] for k, v in rows.items()}
        try:
            est = compute(metric, **part, n_boot=n_boot, seed=0)
        except Exception:  # undefined on this test set: the grouped figure is NaN too
            assert not np.isfinite(figs[0, g])
            continue
        alone = [np.nan if x is None else x for x in (est.value, est.low, est.high)]
        np.testing.assert_allclose(alone, figs[:, g], rtol=1e-9, atol=1e-12)


LABEL_METRICS = tuple(name for name, m in METRICS.items() if m.statistics == "confusion counts")


# ---------------------------------------------------------------- multi-class scores

#: Multi-class score processes: class priors and each class's separation ``delta``; the scores
#: are ``softmax(delta[y] * onehot(y) + Z)`` with ``Z`` standard normal in every column.
MULTICLASS = {
    "K=3, balanced": ((1 / 3, 1 / 3, 1 / 3), (1.0, 1.5, 2.0)),
    "K=5, imbalanced": ((0.4, 0.25, 0.15, 0.12, 0.08), (1.0, 1.25, 1.5, 1.75, 2.0)),
}
#: The metrics read from a score matrix (log_loss also has binary cells).
MATRIX_METRICS = ("top_k_accuracy", "log_loss", "roc_auc_ovr", "roc_auc_ovr_weighted")
#: Population values of log_loss and the one-vs-rest AUCs (per class) under each process, from
#: ``multiclass_monte_carlo()``: 10 batches of 1,000,000 rows, the mean of the batches' values
#: (each batch's value is unbiased: a mean loss, a Mann-Whitney statistic), and one Monte Carlo
#: standard error (the batches' spread / sqrt(10)) in the comments.
MULTICLASS_TRUTH: dict[str, dict[str, Any]] = {
    "K=3, balanced": {
        "log_loss": 0.61307308,  # ± 0.00021
        "auc": [0.88078038, 0.91016956, 0.93827362],  # ± 0.00010, 0.00014, 0.00007
    },
    "K=5, imbalanced": {
        "log_loss": 1.07261653,  # ± 0.00025
        "auc": [0.83027286, 0.85462092, 0.88363623, 0.90976227, 0.93185755],  # ± 0.00014 .. 0.00021
    },
}


def multiclass_rows(setting: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` rows of a multi-class process: labels and a (n, K) probability matrix."""
    prior, delta = (np.asarray(x) for x in MULTICLASS[setting])
    y = rng.choice(len(prior), size=n, p=prior)
    logits = rng.normal(size=(n, len(prior)))
    logits[np.arange(n), y] += delta[y]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return {"y_true": y, "y_score": p / p.sum(axis=1, keepdims=True)}


def top_k_truth(setting: str, k: int = 2) -> float:
    """Exact top-k accuracy of a process: given the true class's noise ``z``, each other class
    ranks above it with probability ``1 - Phi(delta + z)``, independently."""
    from scipy import stats

    prior, delta = MULTICLASS[setting]
    K = len(prior)

    def given(z: float, d: float) -> float:
        return float(stats.norm.pdf(z) * stats.binom.cdf(k - 1, K - 1, stats.norm.sf(d + z)))

    return sum(
        pi * integrate.quad(given, -12, 12, args=(d,), epsabs=1e-13)[0]
        for pi, d in zip(prior, delta, strict=True)
    )


def multiclass_monte_carlo(setting: str, batches: int = 10, rows: int = 1_000_000) -> dict[str, Any]:
    """Monte Carlo population values: log loss, each class's one-vs-rest AUC, and their errors."""
    from mltestkit.metrics.estimators import log_loss_matrix, one_vs_rest

    rng = _rng(f"truth/multiclass/{setting}")
    loss, aucs = [], []
    for _ in range(batches):
        r = multiclass_rows(setting, rows, rng)
        loss.append(float(log_loss_matrix(r["y_true"], r["y_score"]).mean()))
        aucs.append(one_vs_rest(r["y_true"], r["y_score"], np.zeros(rows, np.int64), 1).auc[0])
    a = np.array(aucs)
    return {
        "log_loss": float(np.mean(loss)),
        "log_loss_error": float(np.std(loss, ddof=1) / math.sqrt(batches)),
        "auc": a.mean(axis=0).tolist(),
        "auc_error": (a.std(axis=0, ddof=1) / math.sqrt(batches)).tolist(),
    }


def multiclass_truth(metric: str, setting: str) -> float:
    """The population value of a matrix metric under a multi-class process."""
    if metric == "top_k_accuracy":
        return top_k_truth(setting)
    mc = MULTICLASS_TRUTH.get(setting) or MULTICLASS_TRUTH.setdefault(
        setting, multiclass_monte_carlo(setting)
    )
    if metric == "log_loss":
        return float(mc["log_loss"])
    prior = np.asarray(MULTICLASS[setting][0])
    weights = prior if metric == "roc_auc_ovr_weighted" else np.full(prior.size, 1 / prior.size)
    return float(weights @ np.asarray(mc["auc"]))


def multiclass_cell(args: tuple[str, str, int, int]) -> Cell:
    """One cell of a matrix metric: ``reps`` test sets of ``n`` rows, estimated as one grouped call."""
    metric, setting, n, reps = args
    m = METRICS[metric]
    truth = multiclass_truth(metric, setting)
    rng = _rng(f"{metric}/{setting}/{n}")
    out, method = [], ""
    chunk = max(1, 1_000_000 // n)
    for start in range(0, reps, chunk):
        b = min(chunk, reps - start)
        rows = multiclass_rows(setting, b * n, rng)
        figs, method = _grouped(metric, rows, b, n, 1000)
        out.append(figs)
        if start == 0:
            _check_alone(metric, rows, n, figs, 1000)
    figs = np.concatenate(out, axis=1)
    return Cell(
        metric, setting, n, truth, m.higher_is_better, method, figures(truth, m.higher_is_better, *figs), reps
    )


def multiclass_tasks(reps: int, sizes: Sequence[int] = SIZES) -> list[tuple[str, str, int, int]]:
    return [(m, s, n, reps) for m in MATRIX_METRICS for s in MULTICLASS for n in sizes]


# ---------------------------------------------------------------- multi-class label processes

#: K-class label processes: class shares and each class's accuracy; a wrong prediction goes to
#: another class in proportion to that class's share.
CLASS_PROCESSES = {
    "3 classes 60/30/10%": ((0.6, 0.3, 0.1), (0.85, 0.7, 0.6)),
    "5 classes 40/25/15/12/8%": ((0.4, 0.25, 0.15, 0.12, 0.08), (0.9, 0.8, 0.7, 0.6, 0.5)),
}


def class_cells(setting: str) -> np.ndarray:
    """The K x K cell probabilities (true class, predicted class) of a multi-class process."""
    shares, right = (np.asarray(x, dtype=float) for x in CLASS_PROCESSES[setting])
    wrong = shares[:, None] * (1 - right)[:, None] * shares[None, :] / (1 - shares)[:, None]
    return np.where(np.eye(shares.size, dtype=bool), (shares * right)[:, None], wrong)


def class_metrics() -> tuple[str, ...]:
    """The label metrics over every class (no ``pos_label``): they get the multi-class cells."""
    return tuple(
        name for name in LABEL_METRICS if METRICS[name].input == "labels" and not METRICS[name].one_class
    )


def class_truth(metric: str, setting: str) -> float:
    """The population value: every label metric is a function of the cell shares."""
    return float(METRICS[metric].value(class_cells(setting)[None], 0)[0])


def class_simulate(
    metric: str, setting: str, n: int, reps: int, *, n_boot: int = 1000
) -> tuple[np.ndarray, str]:
    """``reps`` test sets of ``n`` rows as K x K counts (a multinomial draw: exactly what rows give)."""
    p = class_cells(setting)
    rng = _rng(f"{metric}/{setting}/{n}")
    counts = rng.multinomial(n, p.ravel(), size=reps).reshape(reps, *p.shape)
    return count_figures(METRICS[metric], counts, 0, n_boot)


def class_tasks(reps: int, sizes: Sequence[int] = SIZES) -> list[tuple[str, str, int, int]]:
    return [
        (metric, setting, n, reps) for metric in class_metrics() for setting in CLASS_PROCESSES for n in sizes
    ]


def settings_of(metric: str) -> tuple[str, ...]:
    if metric in ("rmse", "mae", "mape", "r2"):
        return ERRORS
    return SCORE_SETTINGS


# ---------------------------------------------------------------- figures


def figures(
    truth: float,
    higher_is_better: bool,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    se: float | None = None,
) -> dict[str, float]:
    """Coverage, undefined share, and the pass / fail shares of the acceptance and alarm rules
    (the power at ``SHIFT`` times ``se``, by default the simulated spread of the values)."""
    defined = np.isfinite(low) & np.isfinite(high) & np.isfinite(value)
    if se is None:
        se = float(np.nanstd(value, ddof=1)) if np.isfinite(value).sum() > 1 else math.nan
    lo = np.where(defined, low, np.nan)
    hi = np.where(defined, high, np.nan)
    with np.errstate(invalid="ignore"):
        if higher_is_better:
            passes = lambda t: lo >= t  # noqa: E731
            fails = lambda t: hi < t  # noqa: E731
            easier, harder = truth - SHIFT * se, truth + SHIFT * se
        else:
            passes = lambda t: hi <= t  # noqa: E731
            fails = lambda t: lo > t  # noqa: E731
            easier, harder = truth + SHIFT * se, truth - SHIFT * se
        covered = (lo <= truth) & (truth <= hi)
    n_def = int(defined.sum())
    return {
        "se": se,
        "coverage": float(covered.sum() / n_def) if n_def else math.nan,
        "defined": n_def,
        "undefined": float(1 - n_def / value.size),
        "acceptance_at": float(np.mean(passes(truth))),
        "acceptance_power": float(np.mean(passes(easier))),
        "alarm_at": float(np.mean(fails(truth))),
        "alarm_power": float(np.mean(fails(harder))),
    }


def metric_cell(args: tuple[str, str, int, int]) -> Cell:
    metric, setting, n, reps = args
    m = METRICS[metric]
    truth = truth_of(metric, setting)
    figs, method = simulate(metric, setting, n, reps)
    return Cell(
        metric, setting, n, truth, m.higher_is_better, method, figures(truth, m.higher_is_better, *figs), reps
    )


def metric_tasks(reps: int, sizes: Sequence[int] = SIZES) -> list[tuple[str, str, int, int]]:
    tasks = []
    for metric in METRICS:
        if metric in MATRIX_METRICS[:1] + MATRIX_METRICS[2:]:
            continue  # multiclass_tasks
        for setting in settings_of(metric):
            for n in sizes:
                if metric in ROW_BOOTSTRAP:
                    if n <= 1000:
                        tasks.append((metric, setting, n, max(reps // 10, 50)))
                elif metric == "r2" and n >= 100:
                    tasks.append((metric, setting, n, max(reps // 10, 50)))
                else:
                    tasks.append((metric, setting, n, reps))
    return tasks


# ---------------------------------------------------------------- sample weights


def weighted_cell(args: tuple[str, str, str, int, int]) -> Cell:
    """``metric`` on test sets of ``n`` rows that carry sample weights independent of the outcome
    (so the weighted population value is the unweighted one): confusion counts of summed weights
    and of summed squared weights, or weighted power sums of the losses."""
    metric, setting, weights, n, reps = args
    m = METRICS[metric]
    rng = _rng(f"{metric}/{setting}/{weights}/{n}")
    truth = truth_of(metric, setting)
    groups = np.repeat(np.arange(reps), n)
    w = _weights(weights, rng, (reps * n,))
    if metric in LABEL_METRICS:
        cell = rng.choice(4, size=reps * n, p=LABEL_CELLS[setting])
        t, p = cell // 2, cell % 2
        cm = confusion_counts(groups, reps, t, p, 2, w)
        cm_sq = confusion_counts(groups, reps, t, p, 2, w * w)
        est = confusion_estimates(m, cm, 1, level=LEVEL, n_boot=0, seed=0, cm_sq=cm_sq)
    else:
        losses = np.abs(_errors(setting, rng, (reps * n,)))
        mom, shift = loss_moments(losses, groups, reps, w)
        est = loss_estimates(m, mom, level=LEVEL, shift=shift)
    figs = figures(truth, m.higher_is_better, est.value, est.low, est.high)
    return Cell(metric, f"{setting}, {weights}", n, truth, m.higher_is_better, est.method[0], figs, reps)


def weighted_tasks(reps: int) -> list[tuple[str, str, str, int, int]]:
    cells = [(metric, "balanced") for metric in ("accuracy", "f1", "balanced_accuracy")]
    cells += [("f1", "10% prevalence"), ("mae", "normal"), ("mae", "Laplace")]
    return [(metric, setting, w, n, reps) for metric, setting in cells for w in WEIGHTS for n in (100, 1000)]


# ---------------------------------------------------------------- fairness


def reference_interval(kind: str, p: np.ndarray, n: np.ndarray, level: float) -> tuple[float, float, float]:
    """The reference a disparity's interval is compared with: Newcombe's interval (MOVER-R for a
    ratio) from Wilson limits on every pair of groups, all at the studentized-range critical
    value for ``k`` groups at ``1 - (1 - level) / 2`` (a max-over-pairs adjustment on both ends, so
    that each end holds for every ordered pair at once at its one-sided level), then the extreme
    ends over the pairs. ``p`` are the group rates, ``n`` their (effective) rows."""
    c = range_quantile(p.size, 1 - (1 - level) / 2)
    lo, hi = wilson(p * n, n, 2 * float(special.ndtr(c)) - 1)
    i, j = np.nonzero(~np.eye(p.size, dtype=bool))
    if kind == "difference":
        down, up = newcombe_difference(p[i], lo[i], hi[i], p[j], lo[j], hi[j])
        return float(p.max() - p.min()), max(float(down.max()), 0.0), min(float(up.max()), 1.0)
    down, up = mover_ratio(p[i], lo[i], hi[i], p[j], lo[j], hi[j])
    return float(p.min() / p.max()), max(float(np.nanmin(down)), 0.0), min(float(np.nanmin(up)), 1.0)


#: Sample weights of the weighted cells: 1, 2 or 5 (equally likely), or lognormal.
WEIGHTS = ("weights 1/2/5", "lognormal weights")


def _weights(kind: str, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    if kind == "weights 1/2/5":
        return rng.choice(np.array([1.0, 2.0, 5.0]), size=size)
    return rng.lognormal(0.0, 1.0, size=size)


def disparity_cell(args: tuple[str, int, int, int, str | None]) -> Cell:
    """``k`` groups of ``rows`` rows whose selection rates are evenly spread so that the disparity is
    exactly at its threshold: a difference of 0.1 (0.3 ... 0.4), or a ratio of 0.8 (0.32 ... 0.4).
    With ``weights``, every row carries a sample weight independent of its outcome (the weighted
    population rates are the same). The reference interval's figures are in ``figures["reference"]``."""
    name, k, rows, reps, weights = args
    d = DISPARITIES[name]
    rates = np.linspace(0.3, 0.4, k) if d.kind == "difference" else np.linspace(0.32, 0.4, k)
    truth = 0.1 if d.kind == "difference" else 0.8
    rng = _rng(f"{name}/{k}/{rows}" + (f"/{weights}" if weights else ""))
    used = np.ones(k, dtype=bool)
    out = np.full((3, reps), np.nan)
    ref = np.full((3, reps), np.nan)
    for r in range(reps):
        cm = np.zeros((k, 2, 2))
        if weights is None:
            selected = rng.binomial(rows, rates)
            cm[:, 0, 1], cm[:, 0, 0] = selected, rows - selected
            cm_sq = None
            n_eff = np.full(k, float(rows))
        else:
            w = _weights(weights, rng, (k, rows))
            hit = rng.uniform(size=(k, rows)) < rates[:, None]
            cm_sq = np.zeros((k, 2, 2))
            cm[:, 0, 1], cm[:, 0, 0] = (w * hit).sum(1), (w * ~hit).sum(1)
            cm_sq[:, 0, 1], cm_sq[:, 0, 0] = (w * w * hit).sum(1), (w * w * ~hit).sum(1)
            n_eff = w.sum(1) ** 2 / (w * w).sum(1)
        value, low, high, _ = disparity_interval(d, cm, used, LEVEL, cm_sq)
        out[:, r] = [np.nan if x is None else x for x in (value, low, high)]
        ref[:, r] = reference_interval(d.kind, cm[:, 0, 1] / cm[:, 0].sum(1), n_eff, LEVEL)
    higher = d.kind == "ratio"
    figs: dict[str, Any] = figures(truth, higher, *out)
    figs["reference"] = figures(truth, higher, *ref, se=figs["se"])
    setting = f"{k} groups" + (f", {weights}" if weights else "")
    return Cell(name, setting, rows, truth, higher, "pairs", figs, reps)


def fairness_tasks(reps: int) -> list[tuple[str, int, int, int, str | None]]:
    names = ("demographic_parity_difference", "demographic_parity_ratio")
    plain = [(name, k, rows, reps, None) for name in names for k in (2, 6, 20) for rows in (100, 1000)]
    return plain + [
        ("demographic_parity_difference", k, 1000, reps, weights) for weights in WEIGHTS for k in (2, 6)
    ]


# ---------------------------------------------------------------- families of slices, comparisons


def holm_slices(
    reps: int, *, slices: int = 50, rows: int = 200, p: float = 0.85, seed: int = SEED
) -> dict[str, float]:
    """``slices`` slices of ``rows`` rows, every one with true accuracy ``p`` = the threshold.

    ``check_slices(..., min=p, rule="alarm")`` fails when any slice is significantly below
    after Holm's correction; the uncorrected figure is the share of runs in which at least one
    slice's own interval lies wholly below the threshold.
    """
    from mltestkit import check_slices

    rng = _rng(f"holm/{slices}/{rows}/{p}", seed)
    group = np.repeat(np.array([f"s{i:02d}" for i in range(slices)]), rows)
    holm = plain = 0
    for _ in range(reps):
        y = rng.integers(0, 2, group.size)
        pred = np.where(rng.random(group.size) < p, y, 1 - y)
        result = check_slices("accuracy", y, pred, by={"slice": group}, min=p, rule="alarm")
        assert len(result.metrics) == slices and result.details["holm"]
        holm += str(result.outcome) == "failed"
        plain += any(m.ci is not None and m.ci.high < p for m in result.metrics)
    return {"holm": holm / reps, "uncorrected": plain / reps}


def _paired_cells(difference: float) -> list[float]:
    """Probabilities of the joint cells (both right, only the baseline right, only the current
    right, both wrong) for a baseline of accuracy 0.85 and a current model ``difference`` better,
    with 10% discordant rows."""
    only_base, only_cur = 0.05 - difference / 2, 0.05 + difference / 2
    return [0.85 - only_base, only_base, only_cur, 0.10 + only_base - 0.05]


def paired_comparison(
    reps: int, *, n: int, difference: float, margin: float = 0.02, seed: int = SEED
) -> float:
    """P(the comparison passes) for two models scored on the same ``n`` rows, as users run it:
    ``check_metric(..., keep_rows=True)`` in two reports, then ``compare_reports`` with a
    non-inferiority margin. Passing means the outcome is better, same or non-inferior."""
    from mltestkit import check_metric
    from mltestkit.report import build_report, provenance
    from mltestkit.report.compare import compare_reports

    prov = provenance(seed=0)
    rng = _rng(f"compare/{n}/{difference!r}/{margin!r}", seed)
    cells = np.asarray(_paired_cells(difference))

    def report(y: np.ndarray, right: np.ndarray) -> dict[str, Any]:
        check = check_metric("accuracy", y, np.where(right, y, 1 - y), min=0.5, keep_rows=True)
        return build_report([{"test": "test_model", "index": 0, **check.to_dict()}], provenance=prov)

    passed = 0
    for _ in range(reps):
        y = rng.integers(0, 2, n)
        cell = rng.choice(4, size=n, p=cells)
        base, cur = report(y, cell <= 1), report(y, (cell == 0) | (cell == 2))
        row = compare_reports(base, cur, margins={"accuracy": margin})["rows"][0]
        passed += row["outcome"] in ("better", "same", "non-inferior")
    return passed / reps


def family_rows(reps: int, jobs: int) -> list[tuple[str, str, str, str, float, int]]:
    """(check, setting, figure, target, simulated share, test sets) for Holm and the comparison."""
    m = 0.02
    small = max(reps // 10, 50)
    tasks: list[tuple[Callable[..., Any], dict[str, Any]]] = [(holm_slices, {"reps": small})]
    tasks += [
        (paired_comparison, {"reps": small, "n": n, "difference": d, "margin": m})
        for n in (200, 5000)
        for d in (-m, 0.0)
    ]
    out = _map(_call, tasks, jobs)
    holm = out[0]
    slices = "check_slices, alarm rule, Holm"
    setting = "50 slices x 200 rows, accuracy 0.85 in each, min=0.85"
    rows = [
        (slices, setting, "P(fail): any false alarm, with Holm", "<= 2.5%", holm["holm"], small),
        (slices, setting, "P(any slice's own interval below), uncorrected", "-", holm["uncorrected"], small),
    ]
    for (_, kw), share in zip(tasks[1:], out[1:], strict=True):
        where = "at the margin" if kw["difference"] < 0 else "equal models"
        rows.append(
            (
                f"compare_reports, paired (McNemar/Tango), margin {m}",
                f"accuracy 0.85, n={kw['n']}, true difference {kw['difference']:+g}",
                f"P(pass), {where}",
                "<= 2.5%" if kw["difference"] < 0 else "(power)",
                share,
                small,
            )
        )
    return rows


def _call(task: tuple[Callable[..., Any], dict[str, Any]]) -> Any:
    fn, kwargs = task
    return fn(**kwargs)


# ---------------------------------------------------------------- the power curve


def power_curve(
    n: int = 200, threshold: float = 0.80, reps: int = 4000
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """P(the test passes) of each rule for accuracy on ``n`` rows against the true accuracy, with
    ``min=threshold``: an inconclusive result fails under acceptance and passes under alarm."""
    se = math.sqrt(threshold * (1 - threshold) / n)
    grid = np.round(np.linspace(threshold - 5 * se, threshold + 5 * se, 41), 4)
    rng = _rng(f"curve/{n}/{threshold}")
    k = rng.binomial(n, grid[:, None], size=(grid.size, reps))
    low, high = wilson(k, n, LEVEL)
    value = k / n
    curves = {
        "acceptance": np.mean(low >= threshold, axis=1),
        "alarm": np.mean(high >= threshold, axis=1),
        "point": np.mean(value >= threshold, axis=1),
    }
    return grid, curves


def plot(grid: np.ndarray, curves: dict[str, np.ndarray], threshold: float, n: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    se = math.sqrt(threshold * (1 - threshold) / n)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    styles = {"acceptance": ("C0", "-"), "alarm": ("C3", "-"), "point": ("0.4", "--")}
    for rule, (colour, dash) in styles.items():
        ax.plot(grid, curves[rule], dash, color=colour, lw=2, label=f"{rule}")
    ax.axvline(threshold, color="0.2", lw=0.8)
    for x in (threshold - SHIFT * se, threshold + SHIFT * se):
        ax.axvline(x, color="0.6", lw=0.8, ls=":")
    for y in (0.025, 0.90, 0.975):
        ax.axhline(y, color="0.8", lw=0.8, ls=":")
    ax.set_xlabel(f"true accuracy (threshold min={threshold}, n={n}; dotted: ±{SHIFT} SE)")
    ax.set_ylabel("P(test passes)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Probability that check_metric passes, by gate rule")
    ax.legend(loc="upper left", frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


# ---------------------------------------------------------------- output


def _map(fn: Callable[[Any], Any], tasks: list[Any], jobs: int) -> list[Any]:
    if jobs <= 1:
        return [_progress(fn(t), t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [_progress(out, t) for out, t in zip(pool.map(fn, tasks), tasks, strict=True)]


def _progress(out: Any, task: Any) -> Any:
    """Print one line per finished task (stderr), so that a long run shows where it is."""
    print(f"done {task!r:.70} {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)
    return out


def mc_error(x: float, reps: int) -> float:
    """One Monte Carlo standard error of a share ``x`` of ``reps`` (at least that of 1 in ``reps``)."""
    return math.sqrt(max(x * (1 - x), 1 / reps) / reps)


def over(x: float, reps: int, limit: float) -> bool:
    """True when the share ``x`` of ``reps`` is above ``limit`` beyond Monte Carlo noise."""
    low, _ = wilson(round(x * reps), reps, 0.95)
    return bool(low > limit)


def under(x: float, reps: int, limit: float) -> bool:
    """True when the share ``x`` of ``reps`` is below ``limit`` beyond Monte Carlo noise."""
    _, high = wilson(round(x * reps), reps, 0.95)
    return bool(high < limit)


def misses(cell: Cell, *, single: bool = True) -> list[str]:
    """The targets a cell misses beyond Monte Carlo noise, as readable lines."""
    f, r = cell.figures, cell.reps
    out = []
    for key in ("acceptance_at", "alarm_at"):
        if over(f[key], r, 0.025):
            out.append(f"{key} = {f[key]:.3f} > 0.025")
    defined = int(f["defined"])
    if defined and under(f["coverage"], defined, 0.935):
        out.append(f"coverage = {f['coverage']:.3f} < 0.935")
    if single and defined and over(f["coverage"], defined, 0.975):
        out.append(f"coverage = {f['coverage']:.3f} > 0.975")
    return out


def _pct(x: float, reps: int, bold: bool = False) -> str:
    if not math.isfinite(x):
        return "-"
    text = f"{100 * x:.1f} ± {100 * mc_error(x, reps):.1f}"
    return f"**{text}**" if bold else text


def cell_table(cells: list[Cell], *, single: bool = True) -> str:
    head = [
        "check",
        "setting",
        "n",
        "interval",
        "true value",
        "SE",
        "no interval",
        "coverage %",
        "acceptance P(pass) at threshold %",
        "power, 3.3 SE better %",
        "alarm P(fail) at threshold %",
        "power, 3.3 SE worse %",
    ]
    reference = any("reference" in c.figures for c in cells)
    if reference:
        head += ["reference: acceptance at threshold %", "reference: power better %"]
        head += ["reference: alarm at threshold %", "reference: power worse %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in cells:
        f, r = c.figures, c.reps
        miss = " ".join(misses(c, single=single))
        defined = max(int(f["defined"]), 1)
        cells_ = [
            c.check,
            c.setting,
            str(c.n),
            c.method,
            f"{c.truth:.4g}",
            f"{f['se']:.3g}",
            f"{100 * f['undefined']:.0f}%",
            _pct(f["coverage"], defined, "coverage" in miss),
            _pct(f["acceptance_at"], r, "acceptance_at" in miss),
            _pct(f["acceptance_power"], r),
            _pct(f["alarm_at"], r, "alarm_at" in miss),
            _pct(f["alarm_power"], r),
        ]
        if reference:
            g = f["reference"]
            cells_ += [
                _pct(g[key], r) for key in ("acceptance_at", "acceptance_power", "alarm_at", "alarm_power")
            ]
        lines.append("| " + " | ".join(cells_) + " |")
    return "\n".join(lines)


def family_table(rows: list[tuple[str, str, str, str, float, int]]) -> str:
    lines = ["| check | setting | figure | target | simulated % |", "|---|---|---|---|---|"]
    for check, setting, figure, target, share, reps in rows:
        text = _pct(share, reps, target == "<= 2.5%" and over(share, reps, 0.025))
        lines.append(f"| {check} | {setting} | {figure} | {target} | {text} |")
    return "\n".join(lines)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def section(body: str, reps: int) -> str:
    """The generated part of the page: the same on every run with the same seed, ``reps`` and
    versions (no timing, no job count: the seeds make the figures independent of both)."""
    versions = ", ".join(f"{p} {_version(p)}" for p in ("mltestkit", "numpy", "scipy"))
    return (
        f"{START}\n"
        f"{reps} simulated test sets per cell ({max(reps // 10, 50)} for average_precision and ece, and for "
        f"r2 at n >= 100: their row bootstrap costs n x 1000 per test set), seed {SEED}, "
        f"`python bench/calibrate.py --reps {reps}`, on Python {sys.version.split()[0]}, {versions}. "
        f"Shares are percent ± one Monte Carlo standard error. Bold: off its target beyond Monte Carlo "
        f"noise (the 95% interval of the simulated share misses the target).\n\n{body}\n{END}"
    )


def write_section(page: Path, text: str) -> None:
    old = page.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(old):
        raise SystemExit(f"{page}: markers {START} ... {END} not found")
    page.write_text(pattern.sub(lambda _: text, old), encoding="utf-8")


def run(
    reps: int, jobs: int
) -> tuple[list[Cell], list[Cell], list[Cell], list[tuple[str, str, str, str, float, int]]]:
    metric_cells = _map(metric_cell, metric_tasks(reps) + class_tasks(reps), jobs) + _map(
        multiclass_cell, multiclass_tasks(reps), jobs
    )
    weighted_cells = _map(weighted_cell, weighted_tasks(reps), jobs)
    fair_cells = _map(disparity_cell, fairness_tasks(reps), jobs)
    return metric_cells, weighted_cells, fair_cells, family_rows(reps, jobs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000, help="simulated test sets per cell")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--page", type=Path, default=PAGE, help="Markdown page to write the tables into")
    parser.add_argument("--plot", type=Path, default=PLOT, help="PNG of the power curves")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    metric_cells, weighted_cells, fair_cells, fam = run(args.reps, args.jobs)
    body = (
        "### Metrics (overall and per slice: the same estimator)\n\n"
        + cell_table(metric_cells)
        + "\n\n### Sample weights (independent of the outcome; n = rows, the interval uses Kish's effective size)\n\n"
        + cell_table(weighted_cells)
        + "\n\n### Fairness disparities (selection rates; rows = rows a group)\n\n"
        + cell_table(fair_cells, single=False)
        + "\n\n### Holm across slices, and the paired baseline comparison\n\n"
        + family_table(fam)
    )
    print(body, flush=True)
    seconds = time.perf_counter() - started
    print(f"{seconds:.1f} s")
    if not args.no_write:
        grid, curves = power_curve()
        plot(grid, curves, 0.80, 200, args.plot)
        write_section(args.page, section(body, args.reps))
        print(f"wrote {args.page} and {args.plot}")
    for c in metric_cells + weighted_cells:
        for line in misses(c):
            print(f"off target: {c.check} {c.setting} n={c.n}: {line}")
    for c in fair_cells:
        for line in misses(c, single=False):
            print(f"off target: {c.check} {c.setting} rows={c.n}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
