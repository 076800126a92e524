"""The baseline comparison as a Markdown table (for cards, CI summaries and ``mltestkit compare``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..report.build import is_regression
from .text import fmt, md, short_test

#: Rows are listed worst first.
ORDER = {"worse": 0, "inconclusive": 1, "non-inferior": 2, "same": 3, "better": 4}


def regressions(comparison: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a baseline comparison that fail the run (:func:`mltestkit.report.build.is_regression`).

    >>> regressions({"rule": "alarm", "rows": [{"outcome": "worse"}, {"outcome": "inconclusive"}]})
    [{'outcome': 'worse'}]
    """
    return [r for r in comparison["rows"] if is_regression(r, comparison["rule"])]


def markdown_table(comparison: Mapping[str, Any], *, limit: int = 200) -> str:
    """The comparison as a Markdown table, regressions first.

    >>> print(markdown_table({"rule": "acceptance", "confidence": 0.95, "regressions": 0, "rows": [],
    ...                       "counts": {}, "only_baseline": [], "only_current": []}))
    No figure matched between the baseline and this run.
    """
    rows = sorted(
        comparison["rows"],
        key=lambda r: (ORDER[r["outcome"]], r["test"], r["check"], r["metric"], r["slice"]),
    )
    lines = []
    if not rows:
        lines.append("No figure matched between the baseline and this run.")
    else:
        lines += [
            f"Baseline comparison ({comparison['rule']} rule, {comparison['confidence']:.0%} intervals): "
            f"{len(regressions(comparison))} regression(s).",
            "",
            "| outcome | test | metric | slice | baseline | current | difference [interval] | margin | method |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows[:limit]:
            interval = f" [{fmt(r['low'])}, {fmt(r['high'])}]" if r["low"] is not None else ""
            test = short_test(r["test"])
            metric = r["metric"] if r["check"] == r["metric"] else f"{r['check']}: {r['metric']}"
            lines.append(
                f"| {r['outcome']} | {md(test)} | {md(metric)} | {md(r['slice'] or '–')} | {fmt(r['baseline'])} "
                f"| {fmt(r['current'])} | {fmt(r['difference'])}{interval} | {r['margin']:g} | {r['method']} |"
            )
        if len(rows) > limit:
            lines.append(f"\n... {len(rows) - limit} more rows in the JSON comparison.")
        unpaired = Counter(r["unpaired"] for r in rows if r.get("unpaired") and r["method"] == "intervals")
        for reason, count in sorted(unpaired.items()):
            lines += ["", f"Unpaired, compared by their intervals: {count} figure(s), {md(reason)}."]
    for key, label in (("only_baseline", "Only in the baseline"), ("only_current", "New in this run")):
        if comparison.get(key):
            lines += ["", f"{label}: " + "; ".join(md(x) for x in comparison[key][:50])]
    return "\n".join(lines)
