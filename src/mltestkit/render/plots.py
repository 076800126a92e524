"""The pictures of a report, chosen per kind of check and drawn as inline SVG (:mod:`.svg`).

Everything comes from the report: sliced figures give forest plots (slices and fairness);
``details`` stored by the checks give the rest: ``curves`` (ROC, precision-recall,
reliability) and ``confusion`` of classifier metrics, ``bins`` of drift checks, ``histogram``
of latency checks, ``history`` of load tests. Data checks are shown as tables, not plots.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import write_atomic
from . import svg
from .text import slice_text

#: Kinds whose sliced figures are model performance (plotted as forest plots).
SLICED_KINDS = ("slice", "fairness", "metric", "behavior", "custom")


def slice_groups(report: Mapping[str, Any], kinds: tuple[str, ...] = SLICED_KINDS) -> list[dict[str, Any]]:
    """Sliced figures of checks of ``kinds``, grouped by check and metric, in report order.

    >>> check = {"test": "t.py::test_s", "name": "by_sex", "kind": "slice", "metrics": [
    ...     {"name": "accuracy", "value": 0.9, "n": 50, "ci": {"low": 0.8, "high": 0.95}, "threshold": [],
    ...      "outcome": "passed", "slice": {"sex": "F"}}]}
    >>> g = slice_groups({"checks": [check]})[0]
    >>> g["title"], g["rows"][0]["slice"]
    ('by_sex: accuracy', 'sex=F')
    """
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for i, check in enumerate(report.get("checks") or []):
        if check.get("kind") not in kinds:
            continue
        for m in check.get("metrics") or []:
            if not m.get("slice"):
                continue
            key = (i, m["name"])
            if key not in groups:
                title = check["name"] if check["name"] == m["name"] else f"{check['name']}: {m['name']}"
                groups[key] = {
                    "title": title,
                    "test": check.get("test") or "",
                    "kind": check.get("kind"),
                    "check": i,
                    "metric": m["name"],
                    "threshold": list(m.get("threshold") or []),
                    "rows": [],
                }
            ci = m.get("ci") or {}
            groups[key]["rows"].append(
                {
                    "slice": slice_text(m["slice"]),
                    "keys": len(m["slice"]),
                    "value": m.get("value"),
                    "low": ci.get("low"),
                    "high": ci.get("high"),
                    "n": m.get("n"),
                    "outcome": m.get("outcome") if m.get("threshold") else None,
                }
            )
    return list(groups.values())


def forest_plot(group: Mapping[str, Any]) -> str:
    """A slice group as a forest plot (estimate, interval, requirement line, sorted by value)."""
    limits = [t["value"] for t in group["threshold"] if t.get("value") is not None]
    rows = [{**r, "label": r["slice"]} for r in group["rows"]]
    return svg.forest(
        rows, threshold=limits[0] if limits else None, title=group["title"], xlabel=group["metric"]
    )


def check_plots(check: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(caption, svg)`` pictures of one check from its stored details (none for plain data checks).

    >>> check_plots({"kind": "metric", "name": "accuracy", "details": {
    ...     "confusion": {"labels": ["0", "1"], "matrix": [[5, 1], [2, 7]]}}})[0][0]
    'confusion matrix'
    """
    d = check.get("details") or {}
    name = str(check.get("name", ""))
    out: list[tuple[str, str]] = []
    conf = d.get("confusion")
    if isinstance(conf, Mapping) and conf.get("matrix"):
        out.append(
            (
                "confusion matrix",
                svg.heatmap(conf["matrix"], conf["labels"], title=f"{name}: confusion matrix"),
            )
        )
    curves: Mapping[str, Any] = d["curves"] if isinstance(d.get("curves"), Mapping) else {}
    if curves.get("roc"):
        roc = curves["roc"]
        out.append(("ROC curve", svg.lines([("ROC", roc["fpr"], roc["tpr"])], title=f"{name}: ROC curve",
                                           xlabel="false positive rate", ylabel="true positive rate",
                                           diagonal=True, unit_square=True)))  # fmt: skip
    if curves.get("pr"):
        pr = curves["pr"]
        out.append(("precision-recall curve", svg.lines([("precision", pr["recall"], pr["precision"])],
                                                        title=f"{name}: precision-recall", xlabel="recall",
                                                        ylabel="precision", unit_square=True)))  # fmt: skip
    if curves.get("reliability"):
        rel = curves["reliability"]
        out.append(("reliability diagram", svg.lines([("observed", rel["predicted"], rel["observed"])],
                                                     title=f"{name}: reliability", xlabel="predicted probability",
                                                     ylabel="observed frequency", diagonal=True,
                                                     unit_square=True)))  # fmt: skip
    for b in d.get("bins") or []:
        labels = b.get("edges") or b.get("categories") or []
        out.append((f"drift of {b['column']}", svg.bars(labels, [("reference", b["reference"]), ("current", b["current"])],
                                                        title=f"{b['column']}: reference vs current (PSI {b['psi']:.3g})",
                                                        xlabel=str(b["column"]))))  # fmt: skip
    for size, h in (d.get("histogram") or {}).items():
        if h.get("counts"):
            out.append((f"latency, batch {size}", svg.bars(h["edges_ms"], [("calls", h["counts"])],
                                                           title=f"{name}: call time, batch size {size}",
                                                           xlabel="ms", ylabel="calls")))  # fmt: skip
    hist = d.get("history") or {}
    if hist.get("t_s"):
        t = hist["t_s"]
        out.append(("requests per second", svg.lines([("requests/s", t, hist["requests_per_s"])],
                                                     title=f"{name}: requests/s over time", xlabel="s",
                                                     ylabel="requests/s")))  # fmt: skip
        p95 = [(a, b) for a, b in zip(t, hist["p95_ms"], strict=False) if b is not None]
        if p95:
            out.append(("p95 over time", svg.lines([("p95 ms", [a for a, _ in p95], [b for _, b in p95])],
                                                   title=f"{name}: p95 response time over time", xlabel="s",
                                                   ylabel="ms")))  # fmt: skip
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "plot"


def write_slice_plots(
    report: Mapping[str, Any], out_dir: str | os.PathLike[str], *, kinds: tuple[str, ...] = ("slice",)
) -> list[tuple[str, Path]]:
    """Write one forest plot (``.svg``) per sliced group of ``kinds`` into ``out_dir``; return ``(title, path)`` pairs."""
    groups = slice_groups(report, kinds)
    out: list[tuple[str, Path]] = []
    if not groups:
        return out
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for i, g in enumerate(groups, 1):
        path = target / f"{i:02d}-{_slug(g['title'])}.svg"
        write_atomic(path, forest_plot(g))
        out.append((g["title"], path))
    return out
