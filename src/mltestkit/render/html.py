"""A self-contained HTML report: one file, inline CSS and SVG, no script, nothing loaded from outside.

The page opens with a summary (counts by outcome, the failing and inconclusive requirements,
provenance), a table of contents and a checks table that can be filtered by kind and outcome
(radio buttons and CSS ``:has()``, so the page needs no script). Then one section per kind of
check with the pictures that suit it (:mod:`.plots`): forest plots of slices and fairness,
confusion matrices, ROC, precision-recall and reliability curves, drift histograms, latency
distributions and load over time; data checks and counterexamples as tables; the baseline
comparison with its paired intervals; the ML Test Score. Tables wrap or scroll inside their
own box, so the page never scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from . import svg
from .compare import ORDER, regressions
from .plots import check_plots, forest_plot, slice_groups
from .text import (
    OUTCOMES,
    bounds,
    fmt,
    interval,
    provenance_lines,
    requirement,
    short_test,
    slice_text,
    worst_column,
)

#: Sections of the page by kind of check: (id, title, kinds).
SECTIONS = (
    ("performance", "Model performance", ("metric", "custom")),
    ("slices", "Slices and fairness", ("slice", "fairness")),
    ("behavior", "Behavioral tests", ("behavior",)),
    ("data", "Data checks", ("data",)),
    ("serving", "Latency and load", ("latency", "load")),
)
KINDS = tuple(k for _, _, kinds in SECTIONS for k in kinds)

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:1em 1.2em;color:#1f2328;overflow-wrap:break-word}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}h3{margin:1.2em 0 .4em;font-size:1.05em}
.box{max-width:100%;overflow-x:auto;margin:.5em 0}
table{border-collapse:collapse;font-size:13px;max-width:100%}th,td{border:1px solid #d0d7de;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.passed,.better,.same,.non-inferior{color:#1a7f37;font-weight:600}.failed,.worse,.error{color:#cf222e;font-weight:600}
.inconclusive{color:#9a6700;font-weight:600}.skipped,.muted{color:#57606a}
.cards{display:flex;gap:.6em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.4em 1em;min-width:6.5em}
.card b{display:block;font-size:1.7em}
nav.toc{display:flex;flex-wrap:wrap;gap:.3em 1em;padding:.5em 0;border-bottom:1px solid #d0d7de}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr));gap:.8em}
figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:.3em;min-width:0}figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12px;color:#57606a}pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:20em;font-size:12px;white-space:pre-wrap}
.filters{display:flex;flex-wrap:wrap;gap:.2em .8em;margin:.4em 0}.filters label{white-space:nowrap}
"""


def _filter_css() -> str:
    rules = [
        f'body:has(#k-{k}:checked) tr.check:not([data-kind="{k}"]){{display:none}}'
        for k in (*KINDS, "comparison")
    ]
    rules += [
        f'body:has(#o-{o}:checked) tr.check:not([data-outcome="{o}"]){{display:none}}' for o in OUTCOMES
    ]
    return "".join(rules)


_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _outcome(o: Any) -> str:
    return f'<span class="{_e(o)}">{_e(o)}</span>' if o else "–"


def _table(head: Sequence[str], rows: Iterable[str], attrs: str = "") -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f'<div class="box"><table{attrs}><tr>{cells}</tr>{"".join(rows)}</table></div>'


def _figures(plots: Sequence[tuple[str, str]]) -> str:
    if not plots:
        return ""
    items = "".join(
        f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>" for caption, chart in plots
    )
    return f'<div class="plots">{items}</div>'


def _value(m: Mapping[str, Any]) -> str:
    if m.get("value") is None:
        return _e(f"undefined ({m.get('reason') or '?'})")
    return f'<span class="figure" data-metric="{_e(m["name"])}">{_e(fmt(m["value"]))}</span>'


def _gated_outcome(m: Mapping[str, Any]) -> str:
    return _outcome(m.get("outcome")) if m.get("threshold") else "–"


def _figure_rows(checks: Iterable[Mapping[str, Any]], *, sliced: bool = False) -> list[str]:
    rows = []
    for c in checks:
        for m in c.get("metrics") or []:
            if bool(m.get("slice")) != sliced:
                continue
            where = f"<td>{_e(slice_text(m['slice']))}</td>" if sliced else ""
            rows.append(
                f"<tr><td>{_e(short_test(c.get('test')))}</td><td>{_e(c['name'])}</td>{where}"
                f"<td>{_e(m['name'])}</td><td class='num'>{_value(m)}</td><td class='num'>{_e(interval(m))}</td>"
                f"<td>{_e(requirement(m.get('threshold')))}</td><td class='num'>{_e(fmt(m.get('n')))}</td>"
                f"<td>{_gated_outcome(m)}</td></tr>"
            )
    return rows


_FIGURE_HEAD = ("test", "check", "figure", "value", "interval", "requirement", "n", "outcome")


def _sliced_head(where: str) -> tuple[str, ...]:
    return (*_FIGURE_HEAD[:2], where, *_FIGURE_HEAD[2:])


def _collapsed(summary: str, head: Sequence[str], rows: list[str]) -> str:
    """A table folded under a ``<details>`` line; nothing when there are no rows."""
    if not rows:
        return ""
    return f"<details><summary>{_e(summary)} ({len(rows)})</summary>{_table(head, rows)}</details>"


def attention(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """``(check, figure)`` pairs that need a look: failed, inconclusive or error, worst first.

    A check that failed without a figure of its own (an error, a schema failure) comes with ``None``.
    """
    rank = {"error": 0, "failed": 1, "inconclusive": 2}
    out: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
    for c in report.get("checks") or []:
        bad = [m for m in c.get("metrics") or [] if m.get("threshold") and m.get("outcome") in rank]
        if bad:
            out += [(c, m) for m in bad]
        elif c.get("outcome") in rank:
            out.append((c, None))
    return sorted(out, key=lambda p: rank[(p[1] or p[0]).get("outcome") or "error"])


def _summary(report: Mapping[str, Any]) -> str:
    s = report.get("summary") or {}
    cards = "".join(
        f'<div class="card" id="summary-{k}"><b class="{k}">{int(s.get(k, 0))}</b>{k}</div>'
        for k in ("checks", *OUTCOMES)
    )
    rows = []
    for c, m in attention(report)[:200]:
        if m is None:
            first = (c.get("message") or "").strip().splitlines()[:1]
            rows.append(
                f"<tr><td>{_outcome(c['outcome'])}</td><td>{_e(short_test(c.get('test')))}</td>"
                f"<td>{_e(c['kind'])}:{_e(c['name'])}</td><td colspan='4'>{_e(first[0] if first else '')}</td></tr>"
            )
        else:
            where = f" [{slice_text(m['slice'])}]" if m.get("slice") else ""
            rows.append(
                f"<tr><td>{_outcome(m['outcome'])}</td><td>{_e(short_test(c.get('test')))}</td>"
                f"<td>{_e(c['kind'])}:{_e(c['name'])}</td><td>{_e(m['name'] + where)}</td>"
                f"<td class='num'>{_value(m)}</td><td class='num'>{_e(interval(m))}</td>"
                f"<td>{_e(requirement(m.get('threshold')))}</td></tr>"
            )
    need = (
        '<h3 id="attention">Needs attention</h3>'
        + _table(("outcome", "test", "check", "figure", "value", "interval", "requirement"), rows)
        if rows
        else '<p id="attention" class="passed">Every requirement passed.</p>'
    )
    prov = report.get("provenance") or {}
    git = prov.get("git") or {}
    facts = [f"created {report.get('created') or '–'}"]
    if git.get("commit"):
        facts.append(
            f"commit {str(git['commit'])[:12]}" + (" (uncommitted changes)" if git.get("dirty") else "")
        )
    facts.append(
        f"rule {prov.get('gate_rule', 'acceptance')}, {fmt(prov.get('confidence', 0.95))} intervals, seed {prov.get('seed', '–')}"
    )
    complete = s.get("complete")
    if complete is False:
        facts.append(f"INCOMPLETE RUN: {s.get('incomplete_reason') or 'see the report'}")
    return (
        f'<section id="summary"><div class="cards">{cards}</div>'
        f'<p class="muted">{_e("; ".join(facts))} (<a href="#provenance">provenance</a>)</p>{need}</section>'
    )


def _checks(report: Mapping[str, Any]) -> str:
    checks = list(report.get("checks") or [])
    if not checks:
        return '<h2 id="checks">Checks</h2><p>The report holds no check.</p>'
    kinds = sorted({str(c.get("kind")) for c in checks})
    outcomes = [o for o in OUTCOMES if any(c.get("outcome") == o for c in checks)]
    filters = (
        '<div class="filters"><b>kind:</b>'
        + _radio("kind", "all", "all", True)
        + "".join(_radio("kind", k, k) for k in kinds)
        + '</div><div class="filters"><b>outcome:</b>'
        + _radio("outcome", "all", "all", True)
        + "".join(_radio("outcome", o, o) for o in outcomes)
        + "</div>"
    )
    ordered = sorted(checks, key=lambda c: {"error": 0, "failed": 1, "inconclusive": 2}.get(c["outcome"], 3))
    rows = []
    for c in ordered:
        gated = sorted(
            (m for m in c.get("metrics") or [] if m.get("threshold")),
            key=lambda m: {"error": 0, "failed": 1, "inconclusive": 2}.get(m.get("outcome") or "", 3),
        )
        shown = (gated or [m for m in c.get("metrics") or [] if not m.get("slice")] or [None])[0]
        more = len(c.get("metrics") or []) - (1 if shown else 0)
        rows.append(
            f'<tr class="check" data-kind="{_e(c["kind"])}" data-outcome="{_e(c["outcome"])}">'
            f"<td>{_outcome(c['outcome'])}</td><td>{_e(short_test(c.get('test')))}</td><td>{_e(c['kind'])}</td>"
            f"<td>{_e(c['name'])}</td><td>{_e(shown['name']) if shown else '–'}</td>"
            f"<td class='num'>{_value(shown) if shown else '–'}</td>"
            f"<td class='num'>{_e(interval(shown)) if shown else '–'}</td>"
            f"<td>{_e(requirement(shown.get('threshold'))) if shown else '–'}</td>"
            f"<td class='muted'>{f'+{more} figures' if more > 0 else ''}</td></tr>"
        )
    head = ("outcome", "test", "kind", "check", "figure", "value", "interval", "requirement", "")
    table = _table(head, rows, ' id="checks-table"')
    return f'<h2 id="checks">Checks</h2>{filters}{table}'


def _radio(group: str, value: str, label: str, on: bool = False) -> str:
    checked = " checked" if on else ""
    return (
        f'<label><input type="radio" name="{group}" id="{group[0]}-{_e(value)}"{checked}> {_e(label)}</label>'
    )


def _performance(checks: Sequence[Mapping[str, Any]]) -> str:
    parts = [_table(_FIGURE_HEAD, _figure_rows(checks))]
    drawn: dict[str, str] = {}
    for c in checks:
        label = f"{short_test(c.get('test'))} :: {c['name']}"
        details = c.get("details") or {}
        same = _json([details.get("confusion"), details.get("curves")])
        if same in drawn:  # several metrics of one classifier on the same rows share their curves
            if same != _json([None, None]):
                parts.append(
                    f"<p class='muted'>{_e(label)}: the same rows and curves as {_e(drawn[same])}.</p>"
                )
            continue
        drawn[same] = label
        plots = check_plots(c)
        if plots:
            parts.append(f"<h3>{_e(label)}</h3>{_figures(plots)}")
    return "".join(parts)


def _fairness_rates(check: Mapping[str, Any]) -> set[str]:
    """The group rates behind a fairness check's gated disparities (the ones worth a plot)."""
    disparities = (check.get("details") or {}).get("disparities") or {}
    gated = [d for d in disparities.values() if isinstance(d, Mapping) and d.get("rate") and d.get("outcome")]
    return {str(d["rate"]) for d in gated}


def _slices(report: Mapping[str, Any], checks: Sequence[Mapping[str, Any]]) -> str:
    index = {id(c): i for i, c in enumerate(report.get("checks") or [])}
    wanted = {index[id(c)] for c in checks if id(c) in index}
    all_checks = report.get("checks") or []
    plots = []
    for g in slice_groups(report, ("slice", "fairness")):
        if g["check"] not in wanted:
            continue
        check = all_checks[g["check"]]
        rates = _fairness_rates(check) if check.get("kind") == "fairness" else set()
        if not rates or g["metric"] in rates:
            need = f" (requirement {requirement(g['threshold'])})" if g["threshold"] else ""
            caption = f"{short_test(g['test'])}: {g['title']}{need}"
            plots.append((caption, forest_plot(g)))
    parts = [_figures(plots)]
    gated = [dict(c, metrics=[m for m in c.get("metrics") or [] if m.get("threshold")]) for c in checks]
    overall = _figure_rows(gated)
    if overall:  # figures of the whole data (slice checks have none)
        parts.append(_table(_FIGURE_HEAD, overall))
    rest = _figure_rows(
        [dict(c, metrics=[m for m in c.get("metrics") or [] if not m.get("threshold")]) for c in checks]
    )
    parts.append(_collapsed("figures without a requirement", _FIGURE_HEAD, rest))
    parts.append(_collapsed("every sliced figure", _sliced_head("slice"), _figure_rows(checks, sliced=True)))
    return "".join(parts)


def _behavior(checks: Sequence[Mapping[str, Any]]) -> str:
    parts = [_table(_FIGURE_HEAD, _figure_rows(checks))]
    for c in checks:
        examples = (c.get("details") or {}).get("counterexamples") or []
        if not examples:
            continue
        keys = sorted({k for x in examples[:50] if isinstance(x, Mapping) for k in x})[:8]
        rows = [
            "<tr>"
            + "".join(f"<td>{_e(_short(x.get(k)) if isinstance(x, Mapping) else '')}</td>" for k in keys)
            + "</tr>"
            for x in examples[:50]
        ]
        parts.append(f"<h3>Counterexamples: {_e(c['name'])} ({len(examples)})</h3>{_table(keys, rows)}")
    return "".join(parts)


def _short(value: Any, limit: int = 160) -> str:
    text = (
        value
        if isinstance(value, str)
        else ("–" if value is None else repr(value) if not isinstance(value, (dict, list)) else _json(value))
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _data(checks: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        f"<tr><td>{_outcome(c['outcome'])}</td><td>{_e(short_test(c.get('test')))}</td><td>{_e(c['name'])}</td>"
        f"<td>{_e(((c.get('message') or '').strip().splitlines() or [''])[0])}</td><td>{_e(worst)}</td></tr>"
        for c, worst in ((c, worst_column(c)) for c in checks)
    ]
    parts = [_table(("outcome", "test", "check", "finding", "worst column"), rows)]
    for c in checks:
        details = c.get("details") or {}
        failures = [f for f in details.get("failures") or [] if isinstance(f, Mapping)][:100]
        findings = [f for f in details.get("findings") or [] if isinstance(f, Mapping)][:100]
        for title, items in (("failures", failures), ("findings", findings)):
            if items:
                body = [
                    f"<tr><td>{_e(f.get('column') or '–')}</td><td>{_e(f.get('rule') or '–')}</td>"
                    f"<td class='num'>{_e(fmt(f.get('count')))}</td><td>{_e(_short(f.get('sample', '')))}</td></tr>"
                    for f in items
                ]
                parts.append(
                    f"<h3>{_e(c['name'])}: {title}</h3>{_table(('column', 'rule', 'rows', 'sample'), body)}"
                )
        figures = _figure_rows([c], sliced=True)
        plots = check_plots(c)
        if plots:
            parts.append(f"<h3>{_e(c['name'])}: the columns that moved most</h3>{_figures(plots)}")
        parts.append(_collapsed(f"{c['name']}: every figure", _sliced_head("column"), figures))
    return "".join(parts)


def _serving(checks: Sequence[Mapping[str, Any]]) -> str:
    parts = [
        _table(_sliced_head("where"), _figure_rows(checks, sliced=True)),
        _table(_FIGURE_HEAD, _figure_rows(checks)),
    ]
    for c in checks:
        plots = check_plots(c)
        if plots:
            parts.append(f"<h3>{_e(short_test(c.get('test')))} :: {_e(c['name'])}</h3>{_figures(plots)}")
    return "".join(parts)


def _comparison(report: Mapping[str, Any]) -> str:
    cmp = report.get("comparison")
    if not cmp:
        return ""
    rows = sorted(cmp["rows"], key=lambda r: ORDER.get(r["outcome"], 9))
    body = [
        f"<tr><td>{_outcome(r['outcome'])}</td><td>{_e(short_test(r['test']))}</td><td>{_e(r['metric'])}</td>"
        f"<td>{_e(r['slice'] or '–')}</td><td class='num'>{_e(fmt(r['baseline']))}</td><td class='num'>{_e(fmt(r['current']))}</td>"
        f"<td class='num'>{_e(fmt(r['difference']))} {_e(bounds(r['low'], r['high']))}</td>"
        f"<td class='num'>{_e(fmt(r['margin']))}</td><td>{_e(r['method'])}</td></tr>"
        for r in rows[:1000]
    ]
    diffs = [
        {
            "label": f"{short_test(r['test'])}: {r['metric']}" + (f" [{r['slice']}]" if r["slice"] else ""),
            "value": r["difference"],
            "low": r["low"],
            "high": r["high"],
            "outcome": {"worse": "failed", "inconclusive": "inconclusive"}.get(r["outcome"], "passed"),
        }
        for r in rows
        if r["difference"] is not None
    ]
    plot = _figures([("difference current - baseline with its paired interval; 0 is no change",
                      svg.forest(diffs, threshold=0.0, title="baseline comparison", xlabel="difference"))]) if diffs else ""  # fmt: skip
    head = f"<p>{len(regressions(cmp))} regression(s) under the {_e(cmp['rule'])} rule.</p>"
    table = _table(
        (
            "outcome",
            "test",
            "metric",
            "slice",
            "baseline",
            "current",
            "difference [interval]",
            "margin",
            "method",
        ),
        body,
        " id='comparison'",
    )
    return f'<h2 id="baseline">Baseline comparison</h2>{head}{plot}{table}'


def _score(report: Mapping[str, Any]) -> str:
    from ..report.score import SECTION_TITLES, SECTIONS, score_report

    s = score_report(report)
    rows = [
        f"<tr><td>{_e(SECTION_TITLES[k])}</td><td class='num'>{fmt(s['sections'][k])}</td></tr>"
        for k in SECTIONS
    ]
    items = [
        f"<tr><td>{_e(i['id'])}</td><td>{_e(i['title'])}</td><td class='num'>{fmt(i['points'])}</td>"
        f"<td>{_e(', '.join(i['checks'][:5]) or i['how'])}</td></tr>"
        for i in s["items"]
        if i["how"] != "missing"
    ]
    return (
        f'<h2 id="score">ML Test Score</h2><p>Final score <b id="final-score">{fmt(s["final"])}</b> '
        f"(the lowest section sum; automated tests only): {_e(s['band'])}.</p>"
        + _table(("section", "score"), rows)
        + (_table(("item", "test", "points", "covered by"), items) if items else "")
    )


def _provenance(report: Mapping[str, Any]) -> str:
    items = "".join(
        f"<li>{_e(line[2:].replace('`', ''))}</li>"
        for line in provenance_lines(report)
        if line.startswith("- ")
    )
    return f'<h2 id="provenance">Provenance</h2><ul>{items}</ul>'


def html_report(report: Mapping[str, Any], *, title: str = "ML test report") -> str:
    """The report as one self-contained HTML page.

    >>> page = html_report({"summary": {"checks": 0}, "checks": [], "provenance": {}})
    >>> page.startswith("<!DOCTYPE html>") and "<script" not in page
    True
    """
    checks = list(report.get("checks") or [])
    sections, toc = [], [("summary", "Summary"), ("checks", "Checks")]
    for key, heading, kinds in SECTIONS:
        mine = [c for c in checks if c.get("kind") in kinds]
        if not mine:
            continue
        body = {
            "performance": lambda m: _performance(m),
            "slices": lambda m: _slices(report, m),
            "behavior": _behavior,
            "data": _data,
            "serving": _serving,
        }[key](mine)
        sections.append(f'<h2 id="{key}">{_e(heading)}</h2>{body}')
        toc.append((key, heading))
    other = [c for c in checks if c.get("kind") not in KINDS]
    if other:
        sections.append(f'<h2 id="other">Other checks</h2>{_table(_FIGURE_HEAD, _figure_rows(other))}')
        toc.append(("other", "Other checks"))
    comparison = _comparison(report)
    if comparison:
        toc.append(("baseline", "Baseline comparison"))
    toc += [("score", "ML Test Score"), ("provenance", "Provenance")]
    nav = '<nav class="toc">' + "".join(f'<a href="#{k}">{_e(t)}</a>' for k, t in toc) + "</nav>"
    body = "".join(
        [
            f"<h1>{_e(title)}</h1>",
            nav,
            _summary(report),
            _checks(report),
            *sections,
            comparison,
            _score(report),
            _provenance(report),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
        f"<style>{_CSS}{_filter_css()}</style></head><body>{body}</body></html>\n"
    )
