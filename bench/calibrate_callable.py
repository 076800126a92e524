"""Calibration of a callable metric's interval at n=1000: BCa against the percentile bootstrap on
the same replicates.

A model exactly at the threshold: the share of simulated test sets whose lower end is above the
true value (acceptance passes ``min=``) and whose upper end is below it (alarm fails it), with
the Monte Carlo standard error. Usage::

    python bench/calibrate_callable.py [--reps 3000] [--row-reps 1000]
"""

from __future__ import annotations

import argparse

import numpy as np

from mltestkit.metrics.registry import estimate
from mltestkit.stats import intervals as iv

K = 3
PROCESSES = {
    "3 classes, balanced": np.array([[0.30, 0.04, 0.02], [0.05, 0.20, 0.05], [0.03, 0.06, 0.25]]),
    "3 classes, one dominant": np.array([[0.70, 0.05, 0.02], [0.05, 0.08, 0.02], [0.01, 0.02, 0.05]]),
}


def weighted_f1_of_table(table: np.ndarray) -> float:
    row, col, hits = table.sum(-1), table.sum(-2), np.diagonal(table, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(row + col > 0, 2 * hits / (row + col), 0.0)
    return float((row * per_class).sum(-1) / row.sum(-1))


def weighted_f1(a: np.ndarray, b: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    return weighted_f1_of_table(np.bincount(a * K + b, weights=sample_weight, minlength=K * K).reshape(K, K))


def relative_mae(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(y - p)) / np.mean(np.abs(y)))


def rows_normal(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.normal(5, 1, n)
    return y, y + rng.laplace(0, 1, n)


def rows_lognormal(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.lognormal(0, 1, n)
    return y, y + rng.standard_t(4, n) * 0.5


def simulate(draw, metric, truth: float, reps: int, seed: int) -> dict[str, tuple[float, float]]:
    """Acceptance and alarm error shares of BCa and of the percentile interval, same replicates."""
    real, seen = iv.bca_interval, []

    def keep(replicates, value, jackknife, weights, level):
        seen.append(iv.percentile_interval(np.asarray(replicates), level))
        return real(replicates, value, jackknife, weights, level)

    iv.bca_interval = keep
    rng = np.random.default_rng(seed)
    errors = np.zeros(4)
    try:
        for r in range(reps):
            est = estimate(metric, *draw(rng, 1000), seed=r)[0]
            low, high = seen.pop()
            errors += [est.low > truth, est.high < truth, low > truth, high < truth]
    finally:
        iv.bca_interval = real
    share = errors / reps
    return {"bca": (share[0], share[1]), "percentile": (share[2], share[3])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000)
    parser.add_argument("--row-reps", type=int, default=1000)
    args = parser.parse_args()
    cases = []
    for name, table in PROCESSES.items():
        cells = table.ravel() / table.sum()

        def draw(rng, n, cells=cells):
            c = rng.choice(K * K, size=n, p=cells)
            return c // K, c % K

        cases.append(
            (f"weighted-F1 callable, {name}", draw, weighted_f1, weighted_f1_of_table(table), args.reps)
        )
    big = np.random.default_rng(99)
    for name, draw in (("normal targets, Laplace errors", rows_normal), ("lognormal, t(4)", rows_lognormal)):
        truth = relative_mae(*draw(big, 4_000_000))
        cases.append((f"MAE / mean abs(y) callable, {name}", draw, relative_mae, truth, args.row_reps))
    print("| callable at n=1000 | test sets | method | acceptance P(pass) | alarm P(fail) |")
    print("|---|---|---|---|---|")
    for i, (name, draw, metric, truth, reps) in enumerate(cases):
        se = 100 * np.sqrt(0.025 * 0.975 / reps)
        for method, (acc, alarm) in simulate(draw, metric, truth, reps, 20261201 + i).items():
            print(
                f"| {name} | {reps} | {method} | {100 * acc:.1f} ± {se:.1f} | {100 * alarm:.1f} ± {se:.1f} |"
            )


if __name__ == "__main__":
    main()
