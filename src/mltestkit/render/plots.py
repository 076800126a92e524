"""Error-bar plots of sliced figures (matplotlib with the Agg canvas, imported only here).

Figures come from the report only: every metric with a ``slice`` is grouped by its check and
metric name; each group becomes one horizontal error-bar chart with the threshold drawn as a
dashed line.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import require
from ..files import write_atomic
from .text import slice_text

_COLORS = {"passed": "#1a7f37", "failed": "#cf222e", "inconclusive": "#bf8700", "error": "#8250df"}


def slice_groups(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sliced figures grouped by check and metric, in report order.

    >>> check = {"test": "t.py::test_s", "name": "by_sex", "kind": "slice", "metrics": [
    ...     {"name": "accuracy", "value": 0.9, "n": 50, "ci": {"low": 0.8, "high": 0.95}, "threshold": [],
    ...      "outcome": "passed", "slice": {"sex": "F"}}]}
    >>> g = slice_groups({"checks": [check]})[0]
    >>> g["title"], g["rows"][0]["slice"]
    ('by_sex: accuracy', 'sex=F')
    """
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for i, check in enumerate(report.get("checks") or []):
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
                    "outcome": m.get("outcome"),
                }
            )
    return list(groups.values())


def errorbar_plot(group: Mapping[str, Any], fmt: str = "png") -> bytes:
    """One group's figures as an error-bar chart, as PNG or SVG bytes."""
    require("matplotlib", "cards", "plots of slice metrics")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [r for r in group["rows"] if r["value"] is not None][:60]
    fig = Figure(figsize=(6.4, 0.9 + 0.32 * max(len(rows), 1)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for y, r in enumerate(rows):
        lo = r["value"] if r["low"] is None else r["low"]
        hi = r["value"] if r["high"] is None else r["high"]
        ax.errorbar(
            [r["value"]],
            [y],
            xerr=[[r["value"] - lo], [hi - r["value"]]],
            fmt="o",
            color=_COLORS.get(r["outcome"] or "", "#57606a"),
            capsize=3,
        )
    for t in group["threshold"]:
        if t.get("value") is not None:
            ax.axvline(t["value"], linestyle="--", color="#57606a", linewidth=1)
    ax.set_yticks(range(len(rows)), [r["slice"][:40] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel(group["metric"])
    ax.set_title(group["title"][:80], fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "plot"


def write_slice_plots(
    report: Mapping[str, Any], out_dir: str | os.PathLike[str], *, fmt: str = "png"
) -> list[tuple[str, Path]]:
    """Write one plot per sliced group into ``out_dir``; return ``(title, path)`` pairs."""
    groups = slice_groups(report)
    out: list[tuple[str, Path]] = []
    if not groups:
        return out
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for i, g in enumerate(groups, 1):
        path = target / f"{i:02d}-{_slug(g['title'])}.{fmt}"
        write_atomic(path, errorbar_plot(g, fmt))
        out.append((g["title"], path))
    return out
