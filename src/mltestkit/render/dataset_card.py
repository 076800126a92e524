"""A dataset card (Datasheets for Datasets sections) from the data checks of a report.

What the data checks measured fills the Composition section and the validation findings:
per-column statistics (``details["statistics"]``), schema and integrity failures
(``details["failures"]``) and drift tables (``details["table"]``). What only the team knows
comes from ``dataset_card.yaml``; a missing answer is a marked gap.

>>> report = {"created": "2026-01-01T00:00:00+00:00", "provenance": {}, "checks": [
...     {"test": "t.py::test_schema", "name": "schema", "kind": "data", "outcome": "failed", "message": "",
...      "metrics": [], "details": {"statistics": {"rows": 3, "columns": {"age": {"kind": "numeric",
...      "dtype": "float64", "count": 2, "missing": 1, "distinct": 2, "min": 30.0, "max": 40.0, "mean": 35.0}}},
...      "failures": [{"column": "age", "rule": "not_null", "count": 1}]}}]}
>>> card = dataset_card(report, {})
>>> "| age | numeric | float64 | 1 | 2 | 30 | 40 | 35 |" in card, "| age | not_null | 1 |" in card
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .text import fmt, md, meta_get, meta_items, provenance_lines, short_test

SECTIONS = (
    ("motivation", "Motivation", "Why was the dataset created, by whom, with what funding?"),
    (
        "composition",
        "Composition",
        "What do the rows represent? Is anything missing, sensitive, or confidential?",
    ),
    (
        "collection",
        "Collection Process",
        "How, when and by whom was the data collected? Was consent obtained?",
    ),
    (
        "preprocessing",
        "Preprocessing",
        "What cleaning, labelling or filtering was done? Is the raw data kept?",
    ),
    ("uses", "Uses", "What is the dataset used for, and what should it not be used for?"),
    ("distribution", "Distribution", "Who can get it, under which license?"),
    ("maintenance", "Maintenance", "Who maintains it, how are errors reported, how is it versioned?"),
)

SKELETON = (
    "# dataset_card.yaml: facts about the data that a test run cannot know. Every key is optional.\n"
    'name: ""\n' + "".join(f'{key}: ""   # {question}\n' for key, _, question in SECTIONS)
)


def _text(meta: Mapping[str, Any], key: str) -> list[str]:
    value = meta_get(meta, key)
    if value is None:
        return [f"> **Gap:** not documented. Add `{key}` to dataset_card.yaml.", ""]
    if isinstance(value, (list, tuple)):
        return [*[f"- {i}" for i in meta_items(value)], ""]
    if isinstance(value, Mapping):
        return [*[f"- **{md(k)}:** {md(v)}" for k, v in value.items()], ""]
    return [str(value).strip(), ""]


def _statistics_table(stats: Mapping[str, Any]) -> list[str]:
    lines = [
        f"{stats.get('rows', '?')} rows, {len(stats.get('columns') or {})} columns.",
        "",
        "| column | kind | dtype | missing | distinct | min | max | mean | most frequent |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in (stats.get("columns") or {}).items():
        top = ", ".join(f"{t['value']} ({t['count']})" for t in (c.get("top") or [])[:3])
        cells = [name, c.get("kind", "–"), c.get("dtype", "–")]
        cells += [fmt(c.get(k)) for k in ("missing", "distinct", "min", "max", "mean")]
        lines.append("| " + " | ".join(md(x) for x in cells) + f" | {md(top) or '–'} |")
    return [*lines, ""]


def _failures_table(failures: list[Mapping[str, Any]]) -> list[str]:
    lines = ["| column | rule | rows |", "|---|---|---|"]
    for f in failures[:100]:
        lines.append(f"| {md(f.get('column', '–'))} | {md(f.get('rule', '–'))} | {fmt(f.get('count'))} |")
    return [*lines, ""]


def _drift_table(rows: list[Mapping[str, Any]]) -> list[str]:
    known = ("psi", "ks", "js", "wasserstein", "statistic", "p_value", "p_adjusted")
    keys = [k for k in known if any(k in r for r in rows)]
    lines = [
        "| column | kind | drifted | " + " | ".join(keys) + " |",
        "|---|---|---|" + "---|" * len(keys),
    ]
    for r in rows[:200]:
        lines.append(
            f"| {md(r.get('column', '–'))} | {md(r.get('kind', '–'))} | {r.get('drifted', '–')} | "
            + " | ".join(md(fmt(r.get(k))) for k in keys)
            + " |"
        )
    return [*lines, ""]


def dataset_card(report: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """The dataset card as Markdown, from the report's data checks and ``dataset_card.yaml``."""
    meta = dict(meta or {})
    data_checks = [c for c in report.get("checks") or [] if c.get("kind") == "data"]
    lines = [f"# Dataset card: {meta_get(meta, 'name') or 'Dataset'}", ""]
    if not meta:
        lines += [
            "> **This card has gaps:** no dataset_card.yaml was given. "
            "Write one with `mltestkit dataset-card --init dataset_card.yaml`.",
            "",
        ]
    stats = [
        (c, c["details"]["statistics"])
        for c in data_checks
        if isinstance(c.get("details", {}).get("statistics"), Mapping)
    ]
    for key, title, _ in SECTIONS:
        lines += [f"## {title}", "", *_text(meta, key)]
        if key == "composition":
            if stats:
                for c, st in stats:
                    lines += [
                        f"**Statistics** (from {md(c['name'])}, {md(short_test(c.get('test')))}):",
                        "",
                    ]
                    lines += _statistics_table(st)
            else:
                lines += ["> **Gap:** no data check in the report recorded column statistics.", ""]
    lines += ["## Validation Findings", ""]
    if not data_checks:
        lines += [
            "> **Gap:** the report holds no data check: schema, integrity and drift were not tested.",
            "",
        ]
    for c in data_checks:
        test = (c.get("test") or "").split("::")[-1]
        lines += [f"### {md(c['name'])} ({md(test)}): {c['outcome']}", ""]
        first = (c.get("message") or "").strip().splitlines()
        if first:
            lines += [md(first[0]), ""]
        details = c.get("details") or {}
        if details.get("failures"):
            lines += _failures_table(list(details["failures"]))
        if isinstance(details.get("table"), list) and details["table"]:
            lines += _drift_table(list(details["table"]))
    lines += ["## Provenance", "", *provenance_lines(report)]
    return "\n".join(lines).rstrip() + "\n"
