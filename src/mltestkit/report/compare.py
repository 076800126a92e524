"""Comparing a run with a baseline run: the merge gate.

Figures are matched between two reports by test id, check name, metric name and slice. For
each pair the difference (current minus baseline, oriented so that positive is better) gets a
confidence interval, and the gate of :mod:`mltestkit.stats.requirement` decides it against a
non-inferiority margin ``m``: the requirement is ``difference >= -m``.

* **Paired** (the default for :func:`~mltestkit.check_metric` figures) -- each metric check
  keeps a compact per-row record (:mod:`mltestkit.metrics.paired`): one bit a row for
  proportions, the validated labels, scores or values otherwise. When both runs kept it on
  the same rows (the same ``rows_sha256``, a hash of the true labels in order), the rows are
  paired: McNemar's test with Tango's score interval for a proportion over the same rows
  (``mcnemar``; its one-sided error at the margin stays near nominal even with few
  discordant rows), an exact bootstrap over joint cells when the rows a proportion is over
  differ (precision) or for f1 and balanced accuracy, the paired DeLong test for roc_auc,
  a skew-corrected (power-sum) interval of per-row loss differences for mean losses, a paired bootstrap otherwise.
  Two runs that predicted the same on every row differ by exactly 0 (``identical``) and pass
  at any margin >= 0.
* **Intervals** -- otherwise (no record, the rows differ, a slice's figure): a normal interval
  for the difference of two independent estimates, with standard errors read off each run's
  interval; the row says why in ``unpaired``. Conservative when both runs used the same rows.

Each figure gets one outcome: ``better`` (the interval is above zero), ``same`` (inside
``(-m, m)``), ``non-inferior`` (above ``-m``), ``worse`` (the gate failed) or ``inconclusive``.
A ``worse`` figure, or an ``inconclusive`` one unless the rule is ``alarm``, is a regression
(as for a check). A figure undefined in both runs is ``same`` and one defined in this run only
``non-inferior``: neither is a regression, under any rule; one defined in the baseline only is
``inconclusive``. A figure of the baseline that this run does not have is a regression
(``method="missing"``) unless ``allow_missing=True``.

Examples
--------
>>> import numpy as np
>>> from mltestkit import check_metric
>>> from mltestkit.report import build_report, provenance
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 4000)
>>> def run(p_err):
...     pred = np.where(rng.random(4000) < p_err, 1 - y, y)
...     check = check_metric("accuracy", y, pred, min=0.5).to_dict()
...     return build_report([{"test": "t.py::test_acc", "index": 0, **check}], provenance=provenance(seed=0))
>>> base = run(0.10)
>>> cmp = compare_reports(base, run(0.20), margins={"accuracy": 0.01})
>>> row = cmp["rows"][0]
>>> row["method"], row["outcome"], cmp["regressions"]
('mcnemar', 'worse', 1)
>>> same = compare_reports(base, base, margins={"accuracy": 0.0})["rows"][0]
>>> same["method"], same["difference"], same["outcome"]
('identical', 0.0, 'same')
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from typing import Any

from ..errors import InputError, ReportError
from ..metrics import METRICS
from ..metrics.paired import paired_difference
from ..results import Outcome, fails_test, json_number
from ..slicing.slices import format_key
from ..stats.paired import interval_difference
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


def _paired(
    b_check: Mapping[str, Any],
    b: Mapping[str, Any],
    check: Mapping[str, Any],
    m: Mapping[str, Any],
    **options: Any,
) -> tuple[dict[str, Any] | None, str | None]:
    """The paired difference of a figure, or why it cannot be paired."""
    if m.get("slice"):
        return None, "a slice's figure (per-row records cover a check's rows)"
    if m.get("value") is None or b.get("value") is None:
        return None, "the figure is undefined"
    if m["name"] not in METRICS or len(check.get("metrics") or []) != 1:
        return None, "no per-row record for this figure"
    records = [(c.get("details") or {}).get("rows") for c in (b_check, check)]
    return paired_difference(m["name"], records[0], records[1], **options)


def _undefined(base: Any, cur: Any) -> str:
    """The outcome of a figure whose difference is undefined (one or both values are)."""
    if base is None and cur is None:
        return "same"
    return "inconclusive" if cur is None else "non-inferior"


def _row(
    key: tuple[Any, ...],
    base: Any,
    cur: Any,
    diff: Mapping[str, Any],
    margin: float,
    up: bool,
    outcome: str,
    unpaired: str | None,
) -> dict[str, Any]:
    return {
        "test": key[0],
        "check": key[1],
        "metric": key[2],
        "slice": key[3],
        "baseline": base,
        "current": cur,
        "difference": diff["difference"],
        "low": json_number(diff["low"]),
        "high": json_number(diff["high"]),
        "method": diff["method"],
        "p_value": diff.get("p_value"),
        "discordant": diff.get("discordant"),
        "margin": margin,
        "higher_is_better": up,
        "outcome": outcome,
        "paired": unpaired is None,
        "unpaired": unpaired,
    }


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
    allow_missing: bool = False,
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
    allow_missing:
        Whether a figure of the baseline that ``current`` lacks is allowed; by default it is a
        regression (a row with ``method="missing"`` and outcome ``worse``).

    Returns
    -------
    dict
        ``{"rule", "confidence", "rows": [...], "regressions", "counts", "only_baseline",
        "only_current", "baseline": {...}}``; each row has ``test, check, metric, slice,
        baseline, current, difference, low, high, method, p_value, discordant, margin,
        higher_is_better, outcome, paired, unpaired`` (difference and interval as current -
        baseline, in the metric's units; ``unpaired`` says why the rows were not paired).
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
        diff, unpaired = _paired(
            b_check, b, check, m, level=level, n_boot=n_boot, seed=seed + zlib.crc32(repr(key).encode())
        )
        if diff is not None and diff["difference"] is None:
            unpaired = "the paired difference is undefined"
        if diff is None or diff["difference"] is None:
            diff = interval_difference(b, m, level)
        up = higher_is_better(m)
        oriented = {
            "difference": diff["difference"] if up or diff["difference"] is None else -diff["difference"],
            "low": diff["low"] if up else (None if diff["high"] is None else -diff["high"]),
            "high": diff["high"] if up else (None if diff["low"] is None else -diff["low"]),
        }
        if diff["difference"] is None:
            outcome, diff["method"] = _undefined(b.get("value"), m.get("value")), "undefined"
        else:
            outcome = classify(oriented, margin, rule)
        rows.append(_row(key, b.get("value"), m.get("value"), diff, margin, up, outcome, unpaired))
    missing = sorted(base_figs.keys() - cur_figs.keys())
    if not allow_missing:
        for key in missing:
            b = base_figs[key][1]
            gone = {"difference": None, "low": None, "high": None, "method": "missing"}
            margin = margin_of.get(b["name"], default)
            rows.append(
                _row(key, b.get("value"), None, gone, margin, higher_is_better(b), "worse", "not in this run")
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
        "only_baseline": sorted({name(k) for k in missing}),
        "allow_missing": bool(allow_missing),
        "only_current": sorted({name(k) for k in cur_figs.keys() - base_figs.keys()}),
        "baseline": {"created": baseline.get("created"), "commit": b_git.get("commit")},
    }
