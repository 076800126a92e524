"""Comparing a run with a baseline run: the merge gate.

Figures are matched between two reports by test id, check name, metric name and slice. For
each pair the difference (current minus baseline, oriented so that positive is better) gets a
confidence interval, and the gate of :mod:`mltestkit.stats.requirement` decides it against a
non-inferiority margin ``m``: the requirement is ``difference >= -m``.

* **Paired, McNemar** -- both runs kept their per-row outcomes (``check_metric(...,
  keep_rows=True)``) on the same rows and the metric is a proportion over the same rows
  (accuracy, recall, specificity, FNR, FPR, selection rate): the discordant pairs decide.
  McNemar's exact p-value (``scipy.stats.binomtest`` on the discordant pairs) tests for any
  difference; the interval for the difference is Tango's score interval, whose one-sided
  error at the margin stays near nominal (the exact interval conditional on the number of
  discordant pairs is too liberal when they are few).
* **Paired, bootstrap** -- per-row outcomes on the same rows, but the rows the proportion is
  over differ between the runs (precision): a bootstrap over rows, done exactly and at no
  per-row cost as a multinomial draw over the 16 joint cells of the two runs' row outcomes.
* **Intervals** -- otherwise: a normal interval for the difference of two independent
  estimates, with standard errors read off each run's interval. Conservative when both runs
  used the same rows.

Each figure gets one outcome: ``better`` (the interval is above zero), ``same`` (inside
``(-m, m)``), ``non-inferior`` (above ``-m``), ``worse`` (the gate failed) or ``inconclusive``.
A ``worse`` figure, or an ``inconclusive`` one under the acceptance rule, is a regression.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_metric
>>> from mltestkit.report import build_report, provenance
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 4000)
>>> def run(p_err):
...     pred = np.where(rng.random(4000) < p_err, 1 - y, y)
...     check = check_metric("accuracy", y, pred, min=0.5, keep_rows=True).to_dict()
...     return build_report([{"test": "t.py::test_acc", "index": 0, **check}], provenance=provenance(seed=0))
>>> cmp = compare_reports(run(0.10), run(0.20), margins={"accuracy": 0.01})
>>> row = cmp["rows"][0]
>>> row["method"], row["outcome"], cmp["regressions"]
('mcnemar', 'worse', 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import InputError, ReportError
from ..metrics import METRICS
from ..results import Outcome, fails_test, json_number
from ..slicing.slices import format_key
from ..stats.paired import interval_difference, paired_difference, read_rows
from ..stats.requirement import Estimate, Requirement, decide, validate_level, validate_rule

#: Default non-inferiority margin, in the metric's own units.
DEFAULT_MARGIN = 0.01

OUTCOMES = ("better", "same", "non-inferior", "worse", "inconclusive")
#: The judgment behind each comparison outcome (``better``/``same``/``non-inferior`` passed).
_AS_OUTCOME = {"worse": Outcome.FAILED, "inconclusive": Outcome.INCONCLUSIVE}


def higher_is_better(metric: Mapping[str, Any]) -> bool:
    """The registry's direction of a metric, else the direction of its threshold (``<=``: lower)."""
    if metric["name"] in METRICS:
        return METRICS[metric["name"]].higher_is_better
    ops = {t["op"] for t in metric.get("threshold") or []}
    return ops != {"<="}


def classify(diff: Mapping[str, Any], margin: float, rule: str) -> str:
    """better / same / non-inferior / worse / inconclusive for an oriented difference (positive is better).

    >>> classify({"difference": 0.001, "low": -0.004, "high": 0.006}, 0.01, "acceptance")
    'same'
    >>> classify({"difference": -0.03, "low": -0.05, "high": -0.01}, 0.01, "acceptance")
    'worse'
    """
    value, low, high = diff["difference"], diff["low"], diff["high"]
    outcome, _ = decide(Estimate(value, low, high, "difference"), Requirement(min=-margin, rule=rule))
    if outcome is Outcome.FAILED:
        return "worse"
    if outcome is not Outcome.PASSED:
        return "inconclusive"
    if rule == "point" or low is None or high is None:
        return "better" if value > margin else "same"
    if low > 0:
        return "better"
    if high < margin or low == high == 0:
        return "same"
    return "non-inferior"


def _slice_text(s: Any) -> str:
    return format_key(dict(sorted(s.items()))) if s else ""


def _figures(report: Mapping[str, Any]) -> dict[tuple[str, str, str, str, int], tuple[dict, dict]]:
    out: dict[tuple[str, str, str, str, int], tuple[dict, dict]] = {}
    for check in report.get("checks") or []:
        for m in check.get("metrics") or []:
            key = (check.get("test") or "", check["name"], m["name"], _slice_text(m.get("slice")))
            k = 0
            while (*key, k) in out:
                k += 1
            out[(*key, k)] = (check, m)
    return out


def parse_margins(items: Any) -> dict[str, float]:
    """Margins from ``{"accuracy": 0.01}`` or ``["accuracy=0.01", "0.02"]`` (a bare number sets the default ``*``).

    >>> parse_margins(["accuracy=0.01", "0.02"])
    {'accuracy': 0.01, '*': 0.02}
    """
    pairs = items.items() if isinstance(items, Mapping) else []
    if not isinstance(items, Mapping):
        parsed = []
        for item in items or []:
            name, sep, value = str(item).rpartition("=")
            parsed.append((name.strip() if sep else "*", value.strip()))
        pairs = parsed
    out: dict[str, float] = {}
    for name, value in pairs:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise InputError(
                "margins",
                f"margin for {name!r} must be a non-negative number, got {value!r}",
                "write NAME=VALUE, e.g. accuracy=0.01, or a bare number for every metric",
            )
        out[str(name)] = number
    return out


def compare_reports(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    margins: Mapping[str, float] | None = None,
    rule: str | None = None,
    confidence: float | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare every figure of ``current`` with the same figure of ``baseline``.

    Parameters
    ----------
    baseline, current:
        Report dictionaries (both are validated; a bad baseline raises
        :class:`~mltestkit.errors.ReportError`).
    margins:
        Non-inferiority margin per metric name, in the metric's units; the key ``"*"`` sets the
        default (:data:`DEFAULT_MARGIN` otherwise).
    rule, confidence:
        Gate rule and interval level; default to the current run's.
    n_boot, seed:
        For the paired bootstrap.

    Returns
    -------
    dict
        ``{"rule", "confidence", "rows": [...], "regressions", "counts", "only_baseline",
        "only_current", "baseline": {...}}``; each row has ``test, check, metric, slice,
        baseline, current, difference, low, high, method, p_value, discordant, margin, outcome``
        (difference and interval oriented as current - baseline, in the metric's units).
    """
    from .io import validate

    for which, rep in (("baseline", baseline), ("current", current)):
        try:
            validate(rep)
        except ReportError as exc:
            raise ReportError(f"{which} report: {exc}") from exc
    prov = current.get("provenance") or {}
    rule = validate_rule(rule if rule is not None else prov.get("gate_rule", "acceptance"))
    level = validate_level(confidence if confidence is not None else prov.get("confidence", 0.95))
    margin_of = parse_margins(margins or {})
    default = margin_of.pop("*", DEFAULT_MARGIN)
    base_figs, cur_figs = _figures(baseline), _figures(current)
    rows: list[dict[str, Any]] = []
    for key, (check, m) in cur_figs.items():
        if key not in base_figs:
            continue
        b_check, b = base_figs[key]
        margin = margin_of.get(m["name"], default)
        diff = None
        base_rows, cur_rows = (
            read_rows(b_check["details"].get("rows")),
            read_rows(check["details"].get("rows")),
        )
        if base_rows and cur_rows and base_rows[2] == cur_rows[2] and len(m.get("slice") or {}) == 0:
            diff = paired_difference(
                base_rows[:2], cur_rows[:2], level=level, n_boot=n_boot, seed=seed + len(rows)
            )
        if diff is None or diff["difference"] is None:
            diff = interval_difference(b, m, level)
        up = higher_is_better(m)
        oriented = {
            "difference": diff["difference"] if up or diff["difference"] is None else -diff["difference"],
            "low": diff["low"] if up else (None if diff["high"] is None else -diff["high"]),
            "high": diff["high"] if up else (None if diff["low"] is None else -diff["low"]),
        }
        outcome = classify(oriented, margin, rule)
        rows.append(
            {
                "test": key[0],
                "check": key[1],
                "metric": key[2],
                "slice": key[3],
                "baseline": b.get("value"),
                "current": m.get("value"),
                "difference": diff["difference"],
                "low": json_number(diff["low"]),
                "high": json_number(diff["high"]),
                "method": diff["method"],
                "p_value": diff.get("p_value"),
                "discordant": diff.get("discordant"),
                "margin": margin,
                "higher_is_better": up,
                "outcome": outcome,
            }
        )
    regressions = sum(fails_test(_AS_OUTCOME.get(r["outcome"]), rule) for r in rows)
    counts = {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}
    name = lambda k: f"{k[0]} :: {k[1]} :: {k[2]}" + (f" [{k[3]}]" if k[3] else "")  # noqa: E731
    b_git = (baseline.get("provenance") or {}).get("git") or {}
    return {
        "rule": rule,
        "confidence": level,
        "rows": rows,
        "regressions": int(regressions),
        "counts": counts,
        "only_baseline": sorted({name(k) for k in base_figs.keys() - cur_figs.keys()}),
        "only_current": sorted({name(k) for k in cur_figs.keys() - base_figs.keys()}),
        "baseline": {"created": baseline.get("created"), "commit": b_git.get("commit")},
    }
