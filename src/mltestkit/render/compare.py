"""The baseline comparison as a Markdown table (for cards, CI summaries and ``mltestkit compare``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


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
