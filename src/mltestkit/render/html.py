"""A self-contained HTML report: one file, inline CSS, plots embedded as data URIs, no script.

Sections: summary, every check, slice and fairness tables with error-bar plots,
counterexamples and other details, the baseline comparison when present, the ML Test Score
and the provenance. The page's content security policy forbids loading anything from
outside the file.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from html import escape
from typing import Any

from .compare import ORDER, regressions
from .plots import slice_groups
from .text import bounds, fmt, interval, provenance_lines, requirement, short_test

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#1f2328}
h1{font-size:1.6em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums}
.passed,.better,.same,.non-inferior{color:#1a7f37;font-weight:600}.failed,.worse,.error{color:#cf222e;font-weight:600}
.inconclusive{color:#9a6700;font-weight:600}.skipped{color:#57606a}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1.2em;min-width:7em}
.card b{display:block;font-size:1.8em}pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:24em;font-size:12px}
img{max-width:100%;border:1px solid #d0d7de;margin:.4em 0}details{margin:.3em 0}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _outcome(o: Any) -> str:
    return f'<span class="{_e(o)}">{_e(o)}</span>' if o else "–"


def _summary(report: Mapping[str, Any]) -> str:
    s = report.get("summary") or {}
    cards = "".join(
        f'<div class="card" id="summary-{k}"><b class="{k}">{int(s.get(k, 0))}</b>{k}</div>'
        for k in ("checks", "passed", "failed", "inconclusive", "error", "skipped")
    )
    return f'<h2 id="summary">Summary</h2><div class="cards">{cards}</div>'


def _checks(report: Mapping[str, Any]) -> str:
    rows = []
    for c in report.get("checks") or []:
        figures = [m for m in c.get("metrics") or [] if not m.get("slice")]
        sliced = len(c.get("metrics") or []) - len(figures)
        first = figures[0] if figures else None
        value = "–"
        if first is not None:
            value = (
                f'<span class="figure" data-metric="{_e(first["name"])}">{_e(fmt(first.get("value")))}</span>'
                if first.get("value") is not None
                else _e(f"undefined ({first.get('reason') or '?'})")
            )
        extra = f" (+{len(figures) - 1} figures)" if len(figures) > 1 else ""
        extra += f" ({sliced} sliced figures)" if sliced else ""
        rows.append(
            f"<tr><td>{_outcome(c['outcome'])}</td><td>{_e(short_test(c.get('test')))}</td>"
            f"<td>{_e(c['kind'])}</td><td>{_e(c['name'])}</td>"
            f"<td>{_e(first['name']) if first else '–'}</td><td class='num'>{value}</td>"
            f"<td class='num'>{_e(interval(first)) if first else '–'}</td>"
            f"<td>{_e(requirement(first.get('threshold'))) if first else '–'}</td>"
            f"<td class='num'>{_e(fmt(first.get('n'))) if first else '–'}</td><td>{_e(extra.strip())}</td></tr>"
        )
    if not rows:
        return '<h2 id="checks">Checks</h2><p>The report holds no check.</p>'
    head = "<tr><th>outcome</th><th>test</th><th>kind</th><th>check</th><th>figure</th><th>value</th><th>interval</th><th>requirement</th><th>n</th><th></th></tr>"
    return f'<h2 id="checks">Checks</h2><table id="checks-table">{head}{"".join(rows)}</table>'


def _slices(report: Mapping[str, Any], plots: bool) -> str:
    groups = slice_groups(report)
    if not groups:
        return ""
    parts = ['<h2 id="slices">Slices and fairness</h2>']
    for i, g in enumerate(groups):
        parts.append(
            f"<h3>{_e(g['title'])} <small>({_e(short_test(g['test']))}, requirement {_e(requirement(g['threshold']))})</small></h3>"
        )
        if plots:
            from .plots import errorbar_plot

            data = base64.b64encode(errorbar_plot(g, "png")).decode("ascii")
            parts.append(f'<img id="plot-{i}" alt="{_e(g["title"])}" src="data:image/png;base64,{data}">')
        body = "".join(
            f"<tr><td>{_e(r['slice'])}</td><td class='num'>{_e(fmt(r['value']))}</td>"
            f"<td class='num'>{_e(bounds(r['low'], r['high']))}</td>"
            f"<td class='num'>{_e(fmt(r['n']))}</td><td>{_outcome(r['outcome'])}</td></tr>"
            for r in g["rows"][:500]
        )
        parts.append(
            f"<table><tr><th>slice</th><th>value</th><th>interval</th><th>n</th><th>outcome</th></tr>{body}</table>"
        )
    return "".join(parts)


def _details(report: Mapping[str, Any]) -> str:
    parts = []
    for c in report.get("checks") or []:
        details = {k: v for k, v in (c.get("details") or {}).items() if k != "rows"}
        if not details and not c.get("message"):
            continue
        text = json.dumps(details, indent=1, ensure_ascii=False)
        if len(text) > 20000:
            text = text[:20000] + "\n... (cut; the full details are in the JSON report)"
        label = f"{(c.get('test') or '').split('::')[-1]} :: {c['kind']}:{c['name']}"
        msg = f"<pre>{_e(c['message'])}</pre>" if c.get("message") else ""
        body = f"<pre>{_e(text)}</pre>" if details else ""
        parts.append(f"<details><summary>{_outcome(c['outcome'])} {_e(label)}</summary>{msg}{body}</details>")
    if not parts:
        return ""
    return '<h2 id="details">Counterexamples and details</h2>' + "".join(parts)


def _comparison(report: Mapping[str, Any]) -> str:
    cmp = report.get("comparison")
    if not cmp:
        return ""
    rows = sorted(cmp["rows"], key=lambda r: ORDER.get(r["outcome"], 9))
    body = "".join(
        f"<tr><td>{_outcome(r['outcome'])}</td><td>{_e(short_test(r['test']))}</td><td>{_e(r['metric'])}</td>"
        f"<td>{_e(r['slice'] or '–')}</td><td class='num'>{_e(fmt(r['baseline']))}</td><td class='num'>{_e(fmt(r['current']))}</td>"
        f"<td class='num'>{_e(fmt(r['difference']))} {_e(bounds(r['low'], r['high']))}</td>"
        f"<td class='num'>{_e(fmt(r['margin']))}</td><td>{_e(r['method'])}</td></tr>"
        for r in rows[:1000]
    )
    head = f"<p>{len(regressions(cmp))} regression(s) under the {_e(cmp['rule'])} rule.</p>"
    table = (
        "<table id='comparison'><tr><th>outcome</th><th>test</th><th>metric</th><th>slice</th><th>baseline</th>"
        f"<th>current</th><th>difference [interval]</th><th>margin</th><th>method</th></tr>{body}</table>"
    )
    return f'<h2 id="baseline">Baseline comparison</h2>{head}{table}'


def _score(report: Mapping[str, Any]) -> str:
    from ..report.score import SECTION_TITLES, SECTIONS, score_report

    s = score_report(report)
    rows = "".join(
        f"<tr><td>{_e(SECTION_TITLES[k])}</td><td class='num'>{fmt(s['sections'][k])}</td></tr>"
        for k in SECTIONS
    )
    return (
        f'<h2 id="score">ML Test Score</h2><p>Final score <b id="final-score">{fmt(s["final"])}</b> '
        f"(the lowest section sum; automated tests only): {_e(s['band'])}.</p><table>{rows}</table>"
    )


def _provenance(report: Mapping[str, Any]) -> str:
    items = "".join(
        f"<li>{_e(line[2:].replace('`', ''))}</li>"
        for line in provenance_lines(report)
        if line.startswith("- ")
    )
    return f'<h2 id="provenance">Provenance</h2><ul>{items}</ul>'


def html_report(report: Mapping[str, Any], *, title: str = "ML test report", plots: bool = True) -> str:
    """The report as one self-contained HTML page.

    ``plots=False`` leaves out the error-bar images (and the need for matplotlib).

    >>> page = html_report({"summary": {"checks": 0}, "checks": [], "provenance": {}}, plots=False)
    >>> page.startswith("<!DOCTYPE html>") and "<script" not in page
    True
    """
    body = "".join(
        [
            f"<h1>{_e(title)}</h1>",
            _summary(report),
            _checks(report),
            _slices(report, plots),
            _comparison(report),
            _details(report),
            _score(report),
            _provenance(report),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
