"""Calibration of the gates: how often each rule passes or fails when the truth is known.

For each metric a data-generating process with a known population value draws many test
sets; each is measured with :func:`mltestkit.metrics.compute` and judged with
:func:`mltestkit.stats.requirement.judge`, exactly what :func:`mltestkit.check_metric` does. The
figures are:

- coverage: the share of intervals that contain the true value (target 94-96% at 95%);
- acceptance rule: P(pass) when the true value equals the threshold (target <= 2.5%) and when
  it is 3.3 standard errors better (target >= 90%);
- alarm rule: P(fail) at the threshold (target <= 2.5%) and 3.3 standard errors worse (>= 90%);
- point rule: the same figures, for comparison (about 50% at the threshold).

Whether a gate passes depends on the distance between the true value and the threshold, so
one set of simulated test sets per process serves all three thresholds (true value, 3.3 SE
better, 3.3 SE worse). The standard error is the population one, from the process.

Usage::

    python bench/calibrate.py                 # 1000 test sets per point, writes docs/trust.md
    python bench/calibrate.py --reps 200 --no-write
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special, stats

from mltestkit.metrics import METRICS, compute
from mltestkit.stats.intervals import wilson
from mltestkit.stats.requirement import RULES, Estimate, Requirement, judge

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "trust.md"
PLOT = ROOT / "docs" / "img" / "gate-power.png"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"

#: Distance, in standard errors, between the true value and the threshold for the power figures.
SHIFT = 3.3
SEED = 20261129


# ---------------------------------------------------------------- data-generating processes


@dataclass(frozen=True)
class Process:
    """A way to draw test sets of ``n`` rows whose metric has the population value ``truth``."""

    metric: str
    interval: str
    n: int
    truth: float
    se: float
    higher_is_better: bool
    params: tuple[float, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.metric} n={self.n}"


def accuracy_process(n: int, p: float = 0.85) -> Process:
    """Balanced labels, each prediction correct with probability ``p``."""
    return Process("accuracy", "Wilson", n, p, math.sqrt(p * (1 - p) / n), True, (p,))


def f1_process(n: int, cells: Sequence[float] = (0.30, 0.08, 0.10, 0.52)) -> Process:
    """Rows fall in the confusion cells (tp, fp, fn, tn) with the given probabilities.

    The population F1 is ``2 tp / (2 tp + fp + fn)``; its standard error is the delta method
    over the multinomial covariance of the cell shares.
    """
    pi = np.asarray(cells, dtype=float)
    pi = pi / pi.sum()
    tp, fp, fn, _ = pi
    d = 2 * tp + fp + fn
    grad = np.array([2 * (fp + fn) / d**2, -2 * tp / d**2, -2 * tp / d**2, 0.0])
    cov = np.diag(pi) - np.outer(pi, pi)
    se = math.sqrt(float(grad @ cov @ grad) / n)
    return Process("f1", "cell bootstrap", n, float(2 * tp / d), se, True, tuple(float(c) for c in pi))


def roc_auc_process(n: int, auc: float = 0.85, prevalence: float = 0.3) -> Process:
    """Binormal scores: negatives N(0, 1), positives N(d, 1), so AUC = Phi(d / sqrt 2).

    The class counts are fixed; the standard error is the exact variance of the Mann-Whitney
    estimate, with P(two positives both above one negative) a bivariate normal probability.
    """
    m = round(prevalence * n)
    k = n - m
    a = float(special.ndtri(auc))  # d / sqrt(2)
    q = float(stats.multivariate_normal(mean=[0, 0], cov=[[1, 0.5], [0.5, 1]]).cdf([a, a]))
    var = (auc * (1 - auc) + (m - 1) * (q - auc**2) + (k - 1) * (q - auc**2)) / (m * k)
    return Process("roc_auc", "DeLong", n, auc, math.sqrt(var), True, (a * math.sqrt(2), float(m)))


def rmse_process(n: int, sigma: float = 1.0) -> Process:
    """Predictions off by normal errors of standard deviation ``sigma``: the population RMSE.

    The mean squared error has variance ``2 sigma^4 / n``, so the RMSE's standard error is
    about ``sigma / sqrt(2 n)``.
    """
    return Process("rmse", "row bootstrap", n, sigma, sigma / math.sqrt(2 * n), False, (sigma,))


def draw(process: Process, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One test set from ``process``, as the keyword arguments of :func:`compute`."""
    n = process.n
    if process.metric == "accuracy":
        y = rng.integers(0, 2, n)
        correct = rng.random(n) < process.params[0]
        return {"y_true": y, "y_pred": np.where(correct, y, 1 - y)}
    if process.metric == "f1":
        cell = rng.choice(4, size=n, p=np.asarray(process.params))
        return {"y_true": (cell == 0) | (cell == 2), "y_pred": (cell == 0) | (cell == 1)}
    if process.metric == "roc_auc":
        d, m = process.params[0], int(process.params[1])
        y = np.arange(n) < m
        return {"y_true": y, "y_score": rng.normal(size=n) + d * y}
    if process.metric == "rmse":
        y = rng.normal(size=n)
        return {"y_true": y, "y_pred": y + process.params[0] * rng.normal(size=n)}
    raise KeyError(process.metric)


# ---------------------------------------------------------------- simulation and figures


def _rng(label: str, seed: int = SEED) -> np.random.Generator:
    """A generator seeded by ``seed`` and a label naming the simulated setting."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


#: ``(process, test set) -> (value, low, high)``.
Estimator = Callable[[Process, dict[str, np.ndarray]], tuple[float, float, float]]


def estimate(process: Process, data: dict[str, np.ndarray]) -> tuple[float, float, float]:
    """The estimate and interval a user gets: ``compute`` with its defaults."""
    est = compute(process.metric, **data)
    return est.value, est.low, est.high


def simulate(process: Process, reps: int, *, seed: int = SEED, estimator: Estimator = estimate) -> np.ndarray:
    """``reps`` test sets from ``process``: an array of shape (reps, 3) of value, low, high.

    The random stream depends only on ``seed`` and the process's metric, n and true value,
    so a figure does not change when other rows are added or the work is spread over processes.
    """
    rng = _rng(f"{process.metric}/{process.n}/{process.truth!r}", seed)
    return np.array([estimator(process, draw(process, rng)) for _ in range(reps)], dtype=float)


def outcomes(
    estimates: np.ndarray, threshold: float, higher_is_better: bool, rule: str, metric: str = "accuracy"
) -> np.ndarray:
    """The outcome ``judge`` gives (as a string) each simulated estimate against one threshold."""
    bound = {"min": threshold} if higher_is_better else {"max": threshold}
    req = Requirement(**bound, rule=rule)
    span = METRICS[metric].range
    return np.array(
        [
            str(judge(metric, Estimate(v, lo, hi, "interval", range=span), req).outcome)
            for v, lo, hi in estimates
        ]
    )


def figures(process: Process, estimates: np.ndarray) -> dict[str, float]:
    """Coverage and the pass / fail probabilities of the three rules."""
    sign = 1.0 if process.higher_is_better else -1.0
    at = process.truth
    easier = process.truth - sign * SHIFT * process.se  # the truth is 3.3 SE better than this
    harder = process.truth + sign * SHIFT * process.se  # the truth is 3.3 SE worse than this
    low, high = estimates[:, 1], estimates[:, 2]

    def rate(threshold: float, rule: str, outcome: str) -> float:
        found = outcomes(estimates, threshold, process.higher_is_better, rule, process.metric)
        return float(np.mean(found == outcome))

    return {
        "coverage": float(np.mean((low <= process.truth) & (process.truth <= high))),
        "acceptance_pass_at": rate(at, "acceptance", "passed"),
        "acceptance_pass_better": rate(easier, "acceptance", "passed"),
        "alarm_fail_at": rate(at, "alarm", "failed"),
        "alarm_fail_worse": rate(harder, "alarm", "failed"),
        "point_pass_at": rate(at, "point", "passed"),
        "point_pass_better": rate(easier, "point", "passed"),
        "point_fail_worse": rate(harder, "point", "failed"),
    }


#: Targets for 1000 test sets per point: figure -> (lowest, highest) accepted.
TARGETS: dict[str, tuple[float, float]] = {
    "coverage": (0.94, 0.96),
    "acceptance_pass_at": (0.0, 0.025),
    "acceptance_pass_better": (0.90, 1.0),
    "alarm_fail_at": (0.0, 0.025),
    "alarm_fail_worse": (0.90, 1.0),
}

#: Looser bounds for a few hundred test sets at n=200 (the CI test): wide enough for Monte
#: Carlo noise and for the lower power of a skewed metric near its edge at small n (about
#: 80%, see docs/trust.md), narrow enough that an interval half or twice as wide as it should
#: be is caught.
CI_BOUNDS: dict[str, tuple[float, float]] = {
    "coverage": (0.90, 0.99),
    "acceptance_pass_at": (0.0, 0.06),
    "acceptance_pass_better": (0.70, 1.0),
    "alarm_fail_at": (0.0, 0.06),
    "alarm_fail_worse": (0.70, 1.0),
    "point_pass_at": (0.30, 0.70),
}


def misses(figs: dict[str, float], bounds: dict[str, tuple[float, float]]) -> list[str]:
    """The figures outside their bounds, as readable lines (empty when all hold)."""
    return [
        f"{name} = {figs[name]:.3f} outside [{lo}, {hi}]"
        for name, (lo, hi) in bounds.items()
        if not lo <= figs[name] <= hi
    ]


def processes() -> list[Process]:
    return [
        make(n) for make in (accuracy_process, roc_auc_process, f1_process, rmse_process) for n in (200, 5000)
    ]


def _row_task(args: tuple[Process, int]) -> dict[str, float]:
    process, reps = args
    return figures(process, simulate(process, reps))


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
    # categorical labels: a numeric column with many levels would be binned
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


def family_rows(reps: int, jobs: int) -> list[tuple[str, str, str, str, float]]:
    """(check, setting, figure, target, simulated share) for the Holm and comparison rows."""
    m = 0.02
    tasks: list[tuple[Callable[..., Any], dict[str, Any]]] = [(holm_slices, {"reps": reps})]
    tasks += [
        (paired_comparison, {"reps": reps, "n": n, "difference": d, "margin": m})
        for n in (200, 5000)
        for d in (-m, 0.0)
    ]
    out = _map(_call, tasks, jobs)
    holm = out[0]
    slices = "check_slices, alarm rule, Holm"
    setting = "50 slices x 200 rows, accuracy 0.85 in each, min=0.85"
    rows = [
        (slices, setting, "P(fail): any false alarm, with Holm", "<= 5%", holm["holm"]),
        (slices, setting, "P(any slice's own interval below), uncorrected", "-", holm["uncorrected"]),
    ]
    for (_, kw), share in zip(tasks[1:], out[1:], strict=True):
        where = "at the margin" if kw["difference"] < 0 else "equal models"
        rows.append(
            (
                f"compare_reports, paired (McNemar/Tango), margin {m}",
                f"accuracy 0.85, n={kw['n']}, true difference {kw['difference']:+g}",
                f"P(pass), {where}",
                "<= 2.5%" if kw["difference"] < 0 else "(reported)",
                share,
            )
        )
    return rows


def _call(task: tuple[Callable[..., Any], dict[str, Any]]) -> Any:
    fn, kwargs = task
    return fn(**kwargs)


def family_table(rows: list[tuple[str, str, str, str, float]], reps: int) -> str:
    lines = ["| check | setting | figure | target | simulated |", "|---|---|---|---|---|"]
    for check, setting, figure, target, share in rows:
        text = f"{100 * share:.1f}%"
        limit = {"<= 5%": 0.05, "<= 2.5%": 0.025}.get(target)
        if limit is not None and off_target(share, reps, (0.0, limit)):
            text = f"**{text}**"
        lines.append(f"| {check} | {setting} | {figure} | {target} | {text} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- the power curve


def power_curve(
    n: int = 200, threshold: float = 0.80, reps: int = 1000, jobs: int = 1
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """P(pass) of each rule for accuracy on ``n`` rows, against the true accuracy, with ``min=threshold``.

    A test passes as :attr:`~mltestkit.results.CheckResult.fails_test` says: an inconclusive
    result fails it under the acceptance rule and passes it (with a warning) under alarm.
    """
    se = math.sqrt(threshold * (1 - threshold) / n)
    grid = np.round(np.linspace(threshold - 5 * se, threshold + 5 * se, 41), 4)
    tasks = [(accuracy_process(n, float(p)), reps, threshold) for p in grid]
    rows = _map(_curve_task, tasks, jobs)
    return grid, {rule: np.array([r[rule] for r in rows]) for rule in RULES}


def _curve_task(args: tuple[Process, int, float]) -> dict[str, float]:
    process, reps, threshold = args
    est = simulate(process, reps)
    # as CheckResult.fails_test: inconclusive fails under acceptance, passes under alarm
    passing = {"acceptance": ("passed",), "alarm": ("passed", "inconclusive"), "point": ("passed",)}
    return {
        rule: float(np.mean(np.isin(outcomes(est, threshold, True, rule), passing[rule]))) for rule in RULES
    }


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
        return [fn(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, tasks))


def off_target(x: float, reps: int, target: tuple[float, float]) -> bool:
    """True when the simulated share ``x`` of ``reps`` is off ``target`` beyond Monte Carlo noise:
    its 95% Wilson interval does not reach the target range."""
    low, high = wilson(round(x * reps), reps, 0.95)
    return bool(high < target[0] or low > target[1])


def _pct(x: float, reps: int, name: str) -> str:
    text = f"{100 * x:.1f}%"
    return f"**{text}**" if name in TARGETS and off_target(x, reps, TARGETS[name]) else text


def table(rows: list[tuple[Process, dict[str, float]]], reps: int) -> str:
    head = [
        "metric (interval)",
        "n",
        "true value",
        "SE",
        "coverage",
        "acceptance: P(pass) at threshold",
        "P(pass) 3.3 SE better",
        "alarm: P(fail) at threshold",
        "P(fail) 3.3 SE worse",
        "point: P(pass) at threshold",
        "P(pass) 3.3 SE better",
        "P(fail) 3.3 SE worse",
    ]
    target = [
        "**target**",
        "",
        "",
        "",
        "94-96%",
        "<= 2.5%",
        ">= 90%",
        "<= 2.5%",
        ">= 90%",
        "about 50%",
        "",
        "",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), "| " + " | ".join(target) + " |"]
    keys = [
        "coverage",
        "acceptance_pass_at",
        "acceptance_pass_better",
        "alarm_fail_at",
        "alarm_fail_worse",
        "point_pass_at",
        "point_pass_better",
        "point_fail_worse",
    ]
    for p, f in rows:
        cells = [f"{p.metric} ({p.interval})", str(p.n), f"{p.truth:.4g}", f"{p.se:.4f}"]
        cells += [_pct(f[k], reps, k) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def section(body: str, reps: int, seconds: float, jobs: int) -> str:
    versions = ", ".join(f"{p} {_version(p)}" for p in ("mltestkit", "numpy", "scipy"))
    return (
        f"{START}\n"
        f"{reps} simulated test sets per row, seed {SEED}, `make calibrate` "
        f"(`python bench/calibrate.py --reps {reps} --jobs {jobs}`), {seconds:.0f} s on "
        f"Python {sys.version.split()[0]}, {versions}. Bold: off the target by more than "
        f"Monte Carlo noise (the 95% interval of the simulated share misses the target). "
        f"Monte Carlo error (one standard error) with {reps} test sets: "
        f"{100 * math.sqrt(0.95 * 0.05 / reps):.1f} points at 95%, "
        f"{100 * math.sqrt(0.025 * 0.975 / reps):.1f} at 2.5%, "
        f"{100 * math.sqrt(0.9 * 0.1 / reps):.1f} at 90%.\n\n{body}\n{END}"
    )


def write_section(page: Path, text: str) -> None:
    old = page.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(old):
        raise SystemExit(f"{page}: markers {START} ... {END} not found")
    page.write_text(pattern.sub(lambda _: text, old), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000, help="simulated test sets per point")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--page", type=Path, default=PAGE, help="Markdown page to write the table into")
    parser.add_argument("--plot", type=Path, default=PLOT, help="PNG of the power curves")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    procs = processes()
    figs = _map(_row_task, [(p, args.reps) for p in procs], args.jobs)
    rows = list(zip(procs, figs, strict=True))
    body = table(rows, args.reps) + "\n\n" + family_table(family_rows(args.reps, args.jobs), args.reps)
    print(body, flush=True)
    if not args.no_write:
        grid, curves = power_curve(reps=args.reps, jobs=args.jobs)
        plot(grid, curves, 0.80, 200, args.plot)
    seconds = time.perf_counter() - started
    print(f"{seconds:.1f} s")
    if not args.no_write:
        write_section(args.page, section(body, args.reps, seconds, args.jobs))
        print(f"wrote {args.page} and {args.plot}")
    for p, f in rows:
        for name, target in TARGETS.items():
            if off_target(f[name], args.reps, target):
                print(f"off target: {p.label}: {name} = {f[name]:.3f}, target [{target[0]}, {target[1]}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
