"""Comparing a run with a baseline run: the merge gate.

Figures are matched between two reports by test id, check name, metric name and slice. For
each pair the difference (current minus baseline, oriented so that positive is better) gets a
confidence interval, and the gate of :mod:`mltestkit.stats.gate` decides it against a
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

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError, ReportError
from ..results import Outcome, Threshold
from ..stats import intervals as iv
from ..stats.gate import check_level, check_rule, gate

#: Default non-inferiority margin, in the metric's own units.
DEFAULT_MARGIN = 0.01

OUTCOMES = ("better", "same", "non-inferior", "worse", "inconclusive")

#: Proportion metrics that can keep per-row outcomes: name -> (trial rows, successful rows).
_ROW_RULES = {
    "accuracy": ("all", "correct"),
    "selection_rate": ("all", "pred_pos"),
    "precision": ("pred_pos", "true_pos"),
    "recall": ("true_pos_rows", "pred_pos"),
    "fnr": ("true_pos_rows", "pred_neg"),
    "specificity": ("true_neg_rows", "pred_neg"),
    "fpr": ("true_neg_rows", "pred_pos"),
}


def _pack(bits: np.ndarray) -> str:
    return base64.b64encode(np.packbits(bits.astype(bool)).tobytes()).decode("ascii")


def _unpack(text: str, n: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=np.uint8)
    if raw.size * 8 < n:
        raise ValueError("too few bits")
    return np.unpackbits(raw)[:n].astype(bool)


def rows_id(y_true: np.ndarray) -> str:
    """A sha256 of the true labels in order: two runs can be paired only on the same rows."""
    values, codes = np.unique(y_true, return_inverse=True)
    h = hashlib.sha256(json.dumps([str(v) for v in values.tolist()]).encode())
    h.update(np.ascontiguousarray(codes.reshape(-1), dtype=np.int64).tobytes())
    return h.hexdigest()


def row_record(name: str, y_true: np.ndarray, pos: int, t: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Per-row outcomes of a proportion metric, packed as bits (one byte per eight rows, base64).

    ``t`` and ``p`` are the true and predicted class codes made by ``encode_labels``; ``pos`` the
    positive class's index. ``success`` and ``trial`` are the rows counted in the numerator and
    the denominator; ``trial`` is ``None`` when every row counts.
    """
    if name not in _ROW_RULES:
        raise InputError(
            "keep_rows",
            f"per-row outcomes are kept only for proportion metrics, not {name}",
            f"drop keep_rows=True or use one of {', '.join(_ROW_RULES)}",
        )
    sets = {
        "all": np.ones(len(t), dtype=bool),
        "correct": t == p,
        "pred_pos": p == pos,
        "pred_neg": p != pos,
        "true_pos_rows": t == pos,
        "true_neg_rows": t != pos,
    }
    sets["true_pos"] = sets["pred_pos"] & sets["true_pos_rows"]
    trial_key, success_key = _ROW_RULES[name]
    trial = sets[trial_key]
    success = sets[success_key] & trial
    return {
        "encoding": "packbits-base64",
        "n": len(t),
        "rows_sha256": rows_id(y_true),
        "success": _pack(success),
        "trial": None if trial_key == "all" else _pack(trial),
    }


def _read_rows(rec: Any) -> tuple[np.ndarray, np.ndarray, str] | None:
    if not isinstance(rec, Mapping) or rec.get("encoding") != "packbits-base64":
        return None
    try:
        n = int(rec["n"])
        success = _unpack(rec["success"], n)
        trial = np.ones(n, dtype=bool) if rec.get("trial") is None else _unpack(rec["trial"], n)
        return success, trial, str(rec["rows_sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"per-row outcomes in the report are corrupt ({exc})") from exc


def tango_interval(b: int, c: int, n: int, level: float) -> tuple[float, float]:
    """Score interval (Tango 1998) for ``(c - b) / n``, the difference of two paired proportions.

    ``b`` rows only the first run got right, ``c`` only the second, ``n`` rows in all. The
    interval inverts the score test of ``H0: difference = d`` with the nuisance parameter at its
    restricted maximum likelihood; its one-sided error stays near nominal even with few
    discordant rows, where the interval conditional on the discordant count is too liberal.

    >>> low, high = tango_interval(5, 10, 100, 0.95)
    >>> round(low, 4), round(high, 4)
    (-0.0286, 0.1335)
    """
    from scipy import optimize

    z = iv.z_value(level)

    def score(d: float) -> float:  # score statistic of H0: (b - c) / n = d
        bb = (2 * n - b + c) * d - (b + c)
        x = (-bb + math.sqrt(max(bb * bb + 8 * n * c * d * (1 - d), 0.0))) / (4 * n)
        var = n * (2 * x + d * (1 - d))
        gap = b - c - n * d
        return gap / math.sqrt(var) if var > 0 else math.copysign(math.inf, gap)

    eps = 1e-12
    upper = optimize.brentq(lambda d: score(d) + z, -1 + eps, 1 - eps, xtol=1e-12)
    lower = optimize.brentq(lambda d: score(d) - z, -1 + eps, 1 - eps, xtol=1e-12)
    return -upper, -lower


def paired_difference(
    base: tuple[np.ndarray, np.ndarray],
    cur: tuple[np.ndarray, np.ndarray],
    *,
    level: float,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Difference (current - baseline) of a proportion from per-row (success, trial) bits of both runs.

    >>> s1 = np.array([1, 1, 0, 1, 0, 1] * 50, bool); s2 = np.array([1, 0, 0, 1, 1, 1] * 50, bool)
    >>> everything = np.ones(300, bool)
    >>> d = paired_difference((s1, everything), (s2, everything), level=0.95)
    >>> d["method"], d["difference"], d["discordant"]
    ('mcnemar', 0.0, 100)
    """
    from scipy import stats

    (s1, t1), (s2, t2) = base, cur
    if np.array_equal(t1, t2):
        rows = int(t1.sum())
        b = int(np.count_nonzero(s1 & ~s2 & t1))  # the baseline got right, the current wrong
        c = int(np.count_nonzero(~s1 & s2 & t1))
        d_pairs = b + c
        if rows == 0:
            return {"difference": None, "low": None, "high": None, "method": "mcnemar", "p_value": None}
        low, high = tango_interval(b, c, rows, level)
        return {
            "difference": (c - b) / rows,
            "low": low,
            "high": high,
            "method": "mcnemar",
            "p_value": float(stats.binomtest(c, d_pairs, 0.5).pvalue) if d_pairs else 1.0,
            "discordant": d_pairs,
        }
    code = s1.astype(np.int64) + 2 * t1 + 4 * s2 + 8 * t2
    counts = np.bincount(code, minlength=16)
    cells = np.arange(16)
    bits = [(cells >> k) & 1 for k in range(4)]

    def diff(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        k1, n1, k2, n2 = (
            (c * (bits[0] * bits[1])).sum(-1),
            (c * bits[1]).sum(-1),
            (c * (bits[2] * bits[3])).sum(-1),
            (c * bits[3]).sum(-1),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(k2 / n2 - k1 / n1)

    value = float(diff(counts))
    reps = iv.cell_bootstrap(counts, diff, n_boot=n_boot, rng=np.random.default_rng(seed))
    low, high = iv.percentile_interval(reps, level)
    return {
        "difference": value if math.isfinite(value) else None,
        "low": low,
        "high": high,
        "method": "paired-bootstrap",
        "p_value": None,
    }


def interval_difference(base: Mapping[str, Any], cur: Mapping[str, Any], level: float) -> dict[str, Any]:
    """Difference of two independent estimates; standard errors from each figure's interval."""
    if base.get("value") is None or cur.get("value") is None:
        return {"difference": None, "low": None, "high": None, "method": "intervals", "p_value": None}
    d = float(cur["value"]) - float(base["value"])
    z = iv.z_value(level)
    ses = []
    for m in (base, cur):
        ci = m.get("ci") or {}
        lo, hi = ci.get("low"), ci.get("high")
        if lo is None or hi is None:
            ses.append(math.nan)
        else:
            ses.append((float(hi) - float(lo)) / (2 * iv.z_value(float(ci.get("level") or level))))
    se = math.hypot(*ses)
    if not math.isfinite(se):
        return {"difference": d, "low": None, "high": None, "method": "intervals", "p_value": None}
    return {"difference": d, "low": d - z * se, "high": d + z * se, "method": "intervals", "p_value": None}


def higher_is_better(metric: Mapping[str, Any]) -> bool:
    """The registered direction of a metric, else the direction of its threshold (``<=``: lower)."""
    from ..metrics import METRICS

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
    outcome = gate(value, low, high, [Threshold(">=", -margin)], rule)
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
    if not s:
        return ""
    return ", ".join(f"{k}={v}" for k, v in sorted(s.items()))


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
    rule = check_rule(rule if rule is not None else prov.get("gate_rule", "acceptance"))
    level = check_level(confidence if confidence is not None else prov.get("confidence", 0.95))
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
            _read_rows(b_check["details"].get("rows")),
            _read_rows(check["details"].get("rows")),
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
                "low": _finite(diff["low"]),
                "high": _finite(diff["high"]),
                "method": diff["method"],
                "p_value": diff.get("p_value"),
                "discordant": diff.get("discordant"),
                "margin": margin,
                "higher_is_better": up,
                "outcome": outcome,
            }
        )
    regressions = sum(
        r["outcome"] == "worse" or (r["outcome"] == "inconclusive" and rule == "acceptance") for r in rows
    )
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


def _finite(x: Any) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.4g}"


def markdown_table(comparison: Mapping[str, Any], *, limit: int = 200) -> str:
    """The comparison as a Markdown table, regressions first.

    >>> print(markdown_table({"rule": "acceptance", "confidence": 0.95, "regressions": 0, "rows": [],
    ...                       "counts": {}, "only_baseline": [], "only_current": []}))
    No figure matched between the baseline and this run.
    """
    order = {"worse": 0, "inconclusive": 1, "non-inferior": 2, "same": 3, "better": 4}
    rows = sorted(
        comparison["rows"],
        key=lambda r: (order[r["outcome"]], r["test"], r["check"], r["metric"], r["slice"]),
    )
    lines = []
    if not rows:
        lines.append("No figure matched between the baseline and this run.")
    else:
        lines += [
            f"Baseline comparison ({comparison['rule']} rule, {comparison['confidence']:.0%} intervals): "
            f"{comparison['regressions']} regression(s).",
            "",
            "| outcome | test | metric | slice | baseline | current | difference [interval] | margin | method |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows[:limit]:
            interval = f" [{_fmt(r['low'])}, {_fmt(r['high'])}]" if r["low"] is not None else ""
            test = r["test"].split("::")[-1] or "–"
            metric = r["metric"] if r["check"] == r["metric"] else f"{r['check']}: {r['metric']}"
            lines.append(
                f"| {r['outcome']} | {_md(test)} | {_md(metric)} | {_md(r['slice']) or '–'} | {_fmt(r['baseline'])} "
                f"| {_fmt(r['current'])} | {_fmt(r['difference'])}{interval} | {r['margin']:g} | {r['method']} |"
            )
        if len(rows) > limit:
            lines.append(f"\n... {len(rows) - limit} more rows in the JSON comparison.")
    for key, label in (("only_baseline", "Only in the baseline"), ("only_current", "New in this run")):
        if comparison.get(key):
            lines += ["", f"{label}: " + "; ".join(comparison[key][:50])]
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
