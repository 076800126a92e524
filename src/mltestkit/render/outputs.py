"""What a run writes beside its report: the baseline comparison, the model card, the HTML page.

Used by the pytest plugin at the end of a run (controller only) and by the command line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .compare import regressions
from .text import plain, short_test

__all__ = ["attach_baseline", "comparison_lines", "outputs_line", "regressions", "write_outputs"]


def attach_baseline(
    report: dict[str, Any],
    baseline_path: str | os.PathLike[str],
    margins: Sequence[str] = (),
    *,
    allow_missing: bool = False,
) -> dict[str, Any]:
    """Compare ``report`` with the baseline report file and store the result under ``report["comparison"]``.

    Raises :class:`~mltestkit.errors.ReportError` for a missing, corrupt or incompatible baseline.
    """
    from ..report import read_report
    from ..report.compare import compare_reports, parse_margins

    baseline = read_report(baseline_path)
    comparison = compare_reports(
        baseline, report, margins=parse_margins(list(margins)), allow_missing=allow_missing
    )
    comparison["baseline"]["path"] = str(baseline_path)
    report["comparison"] = comparison
    return comparison


def comparison_lines(comparison: dict[str, Any], limit: int = 20) -> list[str]:
    """A few terminal lines: the count of regressions, then each regression.

    >>> comparison_lines({"rows": [], "regressions": 0, "counts": {"same": 0}, "rule": "acceptance"})
    ['baseline comparison: 0 figures matched, no regression']
    """
    rows = comparison["rows"]
    bad = regressions(comparison)
    counts = ", ".join(f"{v} {k}" for k, v in comparison["counts"].items() if v)
    head = f"baseline comparison: {len(rows)} figures matched"
    head += f" ({counts})" if counts else ""
    head += f", {len(bad)} regression(s)" if bad else ", no regression"
    lines = [head]
    for r in bad[:limit]:
        where = f" [{r['slice']}]" if r["slice"] else ""
        interval = (
            f" [{r['low']:.4g}, {r['high']:.4g}]" if r["low"] is not None and r["high"] is not None else ""
        )
        diff = "undefined" if r["difference"] is None else f"{r['difference']:+.4g}{interval}"
        lines.append(
            f"  {r['outcome'].upper()} {plain(short_test(r['test']))} :: {plain(r['metric'])}{plain(where)}: "
            f"{diff} (margin {r['margin']:g}, {r['method']})"
        )
    if len(bad) > limit:
        lines.append(f"  ... {len(bad) - limit} more in the report")
    return lines


def write_outputs(
    report: dict[str, Any],
    *,
    model_card: str | os.PathLike[str] | None = None,
    html: str | os.PathLike[str] | None = None,
    meta: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write the Markdown model card (with its SVG plots beside it) and/or the HTML page; return the paths.

    The card links to the HTML page when both are written.
    """
    from ..report import write_atomic

    written: list[Path] = []
    if model_card is not None:
        from .model_card import load_meta, markdown_card
        from .plots import write_slice_plots

        target = Path(model_card)
        meta_path = meta if meta is not None else target.parent / "model_card.yaml"
        card_meta = load_meta(meta_path, missing_ok=True)
        plots = write_slice_plots(report, target.parent / f"{target.stem}_plots")
        links = [(title, path.relative_to(target.parent).as_posix()) for title, path in plots]
        page = os.path.relpath(Path(html).resolve(), target.parent.resolve()) if html is not None else None
        card = markdown_card(report, card_meta, plots=links, html=Path(page).as_posix() if page else None)
        written.append(write_atomic(target, card))
        written += [path for _, path in plots]
    if html is not None:
        from .html import html_report

        written.append(write_atomic(html, html_report(report)))
    return written


def outputs_line(paths: Sequence[Path], base: str | os.PathLike[str] | None = None) -> str:
    """One line naming every file written, relative to ``base`` where possible; plots are counted by folder.

    >>> outputs_line([Path("r/CARD.md"), Path("r/CARD_plots/01.svg"), Path("r/CARD_plots/02.svg"), Path("r/x.html")])
    'ML outputs: r/CARD.md, r/CARD_plots/ (2 plots), r/x.html'
    """
    shown: list[str] = []
    folders: dict[str, int] = {}
    for path in paths:
        try:
            rel = Path(path).relative_to(base) if base is not None else Path(path)
        except ValueError:
            rel = Path(path)
        if rel.suffix == ".svg":
            folder = rel.parent.as_posix() + "/"
            if folder not in folders:
                shown.append(folder)
            folders[folder] = folders.get(folder, 0) + 1
        else:
            shown.append(rel.as_posix())
    texts = [f"{x} ({folders[x]} plot{'s' if folders[x] != 1 else ''})" if x in folders else x for x in shown]
    return "ML outputs: " + plain(", ".join(texts))
