"""Model cards from a report: Markdown (Mitchell et al.), Hugging Face, Model Card Toolkit JSON.

What a machine measures comes from the report; what only the team knows (owners, intended
use, license, ...) comes from a small ``model_card.yaml`` (``mltestkit card --init`` writes a
skeleton). A fact missing from the yaml leaves a clearly marked gap in the card, never a
made-up sentence.

Examples
--------
>>> report = {"created": "2026-01-01T00:00:00+00:00", "provenance": {}, "checks": [
...     {"test": "t.py::test_acc", "name": "accuracy", "kind": "metric", "outcome": "passed", "message": "",
...      "details": {}, "metrics": [{"name": "accuracy", "value": 0.91, "n": 1000,
...      "ci": {"low": 0.89, "high": 0.93, "level": 0.95, "method": "wilson"},
...      "threshold": [{"op": ">=", "value": 0.8}], "outcome": "passed", "slice": None}]}]}
>>> card = markdown_card(report, {})
>>> "| accuracy | 0.91 | [0.89, 0.93] | >= 0.8 | 1000 | passed |" in card
True
>>> "**Gap:**" in card
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .plots import slice_groups
from .text import (
    cell,
    fmt,
    interval,
    meta_get,
    meta_items,
    provenance_lines,
    requirement,
    short_test,
    slice_text,
)

#: Sections of the card (Mitchell et al., 2019), in order.
SECTIONS = (
    "Model Details",
    "Intended Use",
    "Factors",
    "Metrics",
    "Evaluation Data",
    "Training Data",
    "Quantitative Analyses",
    "Ethical Considerations",
    "Caveats and Recommendations",
)

SKELETON = """\
# model_card.yaml: facts about the model that a test run cannot know.
# Every key is optional; a missing one leaves a marked gap in the card.
model:
  name: ""                 # e.g. credit-risk-classifier
  version: ""              # e.g. 2.3.0
  date: ""                 # release date, YYYY-MM-DD
  type: ""                 # e.g. gradient-boosted trees (scikit-learn HistGradientBoostingClassifier)
  overview: ""             # one or two sentences
  owners:                  # who answers questions about the model
    - name: ""
      contact: ""
  license: ""              # an SPDX identifier, e.g. apache-2.0
  citation: ""
  references: []           # links
intended_use:
  primary_uses: []
  primary_users: []
  out_of_scope: []         # uses the model is not fit for
factors:
  relevant: []             # groups, instruments, environments that change performance
  evaluation: []           # the ones this evaluation covers
metrics:
  rationale: ""            # why these metrics and thresholds
evaluation_data: ""        # what data, how chosen, preprocessing
training_data: ""
ethical_considerations: []  # risks and how they are mitigated
caveats: []
ml_test_score:
  manual: []               # rubric items done by hand and documented, e.g. [model.1, infrastructure.7]
huggingface:               # used by --format hf
  task_type: ""            # e.g. tabular-classification
  dataset_type: ""
  dataset_name: ""
  dataset_split: ""
"""

_TEST_KINDS = (
    ("metric", "overall metrics"),
    ("slice", "slice-based evaluation"),
    ("fairness", "fairness assessment"),
    ("data", "data validation"),
    ("behavior", "behavioral tests"),
    ("latency", "latency"),
    ("load", "load test of the served model"),
)


def load_meta(path: str | os.PathLike[str] | None, *, missing_ok: bool = True) -> dict[str, Any]:
    """Read ``model_card.yaml`` (or ``dataset_card.yaml``); ``{}`` when it does not exist and ``missing_ok``."""
    import yaml

    if path is None:
        return {}
    p = Path(path)
    if not p.exists():
        if missing_ok:
            return {}
        raise ConfigError(f"{p} does not exist; write one with `mltestkit card --init {p}`")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{p} must hold a mapping of keys (model:, intended_use:, ...), got {type(data).__name__}"
        )
    return data


def _gap(key: str) -> str:
    return f"> **Gap:** not documented. Add `{key}` to model_card.yaml."


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _field(meta: Mapping[str, Any], key: str, label: str) -> list[str]:
    value = meta_get(meta, key)
    if value is None:
        return [f"**{label}:**", "", _gap(key), ""]
    items = meta_items(value)
    if isinstance(value, (list, tuple)):
        return [f"**{label}:**", "", *[f"- {i}" for i in items], ""]
    return [f"**{label}:** {items[0]}", ""]


def unsliced(report: Mapping[str, Any], kinds: Sequence[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(check, metric)`` pairs of figures without a slice from checks of the given kinds."""
    return [
        (c, m)
        for c in report.get("checks") or []
        if c.get("kind") in kinds
        for m in c.get("metrics") or []
        if not m.get("slice")
    ]


def _figure_table(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    lines = [
        "| test | figure | value | interval | requirement | n | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    for c, m in pairs:
        figure = m["name"] if m["name"] == c["name"] else f"{c['name']}: {m['name']}"
        value = fmt(m.get("value")) if m.get("value") is not None else f"undefined ({m.get('reason') or '?'})"
        lines.append(
            f"| {cell(short_test(c.get('test')))} | {cell(figure)} | {cell(value)} | {interval(m)} "
            f"| {requirement(m.get('threshold'))} | {fmt(m.get('n'))} | {m.get('outcome') or c['outcome']} |"
        )
    return [*lines, ""]


def _slice_tables(groups: Sequence[Mapping[str, Any]], intersectional: bool) -> list[str]:
    out: list[str] = []
    for g in groups:
        rows = [r for r in g["rows"] if (r["keys"] > 1) == intersectional]
        if not rows:
            continue
        out += [
            f"*{cell(g['title'])}* ({cell(short_test(g['test']))}; requirement {requirement(g.get('threshold'))}):",
            "",
            "| slice | value | interval | n | outcome |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            ci = "–" if r["low"] is None or r["high"] is None else f"[{fmt(r['low'])}, {fmt(r['high'])}]"
            out.append(
                f"| {cell(r['slice'])} | {fmt(r['value'])} | {ci} | {fmt(r['n'])} | {r['outcome'] or '–'} |"
            )
        out.append("")
    return out


def _checks_list(report: Mapping[str, Any], kind: str) -> list[str]:
    out = []
    for c in report.get("checks") or []:
        if c.get("kind") == kind:
            first = (c.get("message") or "").strip().splitlines()
            out.append(
                f"- **{cell(c['name'])}** ({cell(short_test(c.get('test')))}): {c['outcome']}"
                + (f" -- {cell(first[0])}" if first else "")
            )
    return [*out, ""] if out else []


def markdown_card(
    report: Mapping[str, Any],
    meta: Mapping[str, Any] | None = None,
    *,
    plots: Sequence[tuple[str, str]] = (),
) -> str:
    """The model card as Markdown.

    Parameters
    ----------
    report:
        A report dictionary.
    meta:
        The parsed ``model_card.yaml`` (``{}`` or ``None`` for none: the card marks the gaps).
    plots:
        ``(title, relative path)`` of slice plots written beside the card.
    """
    from ..report.score import markdown as score_markdown
    from ..report.score import score_report
    from .compare import markdown_table

    meta = dict(meta or {})
    name = meta_get(meta, "model.name") or "Model"
    lines = [f"# Model card: {name}", ""]
    if not meta:
        lines += [
            "> **This card has gaps:** no model_card.yaml was given, so only the measured sections are filled. "
            "Write one with `mltestkit card --init model_card.yaml`.",
            "",
        ]
    overview = meta_get(meta, "model.overview")
    lines += [str(overview).strip() if overview else _gap("model.overview"), ""]

    lines += ["## Model Details", ""]
    for key, label in (
        ("model.version", "Version"),
        ("model.date", "Date"),
        ("model.type", "Model type"),
        ("model.owners", "Owners"),
        ("model.license", "License"),
        ("model.citation", "Citation"),
        ("model.references", "References"),
    ):
        lines += _field(meta, key, label)

    lines += ["## Intended Use", ""]
    for key, label in (
        ("intended_use.primary_uses", "Primary uses"),
        ("intended_use.primary_users", "Primary users"),
        ("intended_use.out_of_scope", "Out of scope"),
    ):
        lines += _field(meta, key, label)

    lines += ["## Factors", ""]
    lines += _field(meta, "factors.relevant", "Relevant factors")
    groups = slice_groups(report)
    attrs = sorted(
        {
            k
            for c in report.get("checks") or []
            for m in c.get("metrics") or []
            for k in (m.get("slice") or {})
        }
    )
    lines += [
        "**Evaluation factors (from the report):** "
        + (", ".join(f"`{a}`" for a in attrs) if attrs else "none: no sliced figure was measured"),
        "",
    ]

    lines += ["## Metrics", ""]
    used = sorted({m["name"] for c in report.get("checks") or [] for m in c.get("metrics") or []})
    lines += [
        "**Measured:** " + (", ".join(used) if used else "none"),
        "",
        f"Each figure carries a {fmt((report.get('provenance') or {}).get('confidence', 0.95))} confidence "
        f"interval and is gated under the {(report.get('provenance') or {}).get('gate_rule', 'acceptance')} rule.",
        "",
    ]
    lines += _field(meta, "metrics.rationale", "Why these metrics")

    lines += ["## Evaluation Data", ""]
    lines += _field(meta, "evaluation_data", "Description")
    data_checks = _checks_list(report, "data")
    if data_checks:
        lines += ["**Data checks:**", "", *data_checks]
    lines += ["## Training Data", ""]
    lines += _field(meta, "training_data", "Description")

    lines += ["## Quantitative Analyses", ""]
    overall = unsliced(report, ("metric",))
    if overall:
        lines += ["### Overall", "", *_figure_table(overall)]
    if any(r["keys"] == 1 for g in groups for r in g["rows"]):
        lines += ["### Unitary slices", "", *_slice_tables(groups, intersectional=False)]
    if any(r["keys"] > 1 for g in groups for r in g["rows"]):
        lines += ["### Intersectional slices", "", *_slice_tables(groups, intersectional=True)]
    for title, link in plots:
        lines += [f"![{cell(title)}]({link})", ""]
    fairness = unsliced(report, ("fairness",))
    if fairness:
        lines += ["### Fairness", "", *_figure_table(fairness)]
    behavior = unsliced(report, ("behavior",))
    if behavior:
        lines += ["### Behavioral tests", "", *_figure_table(behavior)]
    perf = unsliced(report, ("latency", "load"))
    if perf:
        lines += ["### Latency and load", "", *_figure_table(perf)]
    other = unsliced(report, ("custom", "comparison"))
    if other:
        lines += ["### Other checks", "", *_figure_table(other)]
    if not (report.get("checks") or []):
        lines += ["> **Gap:** the report holds no check, so nothing was measured.", ""]
    if report.get("comparison"):
        lines += ["### Baseline comparison", "", markdown_table(report["comparison"]), ""]

    lines += ["## Ethical Considerations", ""]
    lines += _field(meta, "ethical_considerations", "Risks and mitigations")
    lines += ["## Caveats and Recommendations", ""]
    lines += _field(meta, "caveats", "Caveats")

    kinds = {c.get("kind") for c in report.get("checks") or []}
    missing = [label for kind, label in _TEST_KINDS if kind not in kinds]
    lines += ["## Not Tested", ""]
    lines += [f"- No {label} in this run." for label in missing] or ["- Every kind of check ran in this run."]
    undecided = [c for c in report.get("checks") or [] if c.get("outcome") in ("inconclusive", "error")]
    lines += [
        f"- {cell(c['name'])} ({cell(short_test(c.get('test')))}) was {c['outcome']}: the data could not decide it."
        if c["outcome"] == "inconclusive"
        else f"- {cell(c['name'])} ({cell(short_test(c.get('test')))}) ended in an error."
        for c in undecided
    ]
    lines.append("")

    manual = meta_items(meta_get(meta, "ml_test_score.manual"))
    lines += ["## ML Test Score", "", score_markdown(score_report(report, manual=manual)), ""]
    lines += ["## Provenance", "", *provenance_lines(report)]
    lines.append(f"*Generated by mltestkit {report.get('mltestkit_version', '')} from the test report.*")
    return "\n".join(lines).rstrip() + "\n"


def hf_card(
    report: Mapping[str, Any], meta: Mapping[str, Any] | None = None, *, plots: Sequence[tuple[str, str]] = ()
) -> str:
    """A Hugging Face model card: YAML front matter with ``model-index`` results, then the Markdown card.

    Only unsliced figures with a value go into ``model-index``; ``verified`` is never set,
    since that marks results the Hub computed itself.
    """
    import yaml

    meta = dict(meta or {})
    front: dict[str, Any] = {}
    if meta_get(meta, "model.license"):
        front["license"] = str(meta_get(meta, "model.license"))
    front["tags"] = ["mltestkit"]
    metrics = [
        {
            "type": m["name"],
            "value": m["value"],
            "name": m["name"] if m["name"] == c["name"] else f"{c['name']}: {m['name']}",
        }
        for c, m in unsliced(report, ("metric", "fairness", "behavior", "latency", "load", "custom"))
        if m.get("value") is not None
    ]
    if metrics:
        dataset = {
            "type": str(meta_get(meta, "huggingface.dataset_type") or "custom"),
            "name": str(
                meta_get(meta, "huggingface.dataset_name")
                or meta_get(meta, "evaluation_data")
                or "evaluation data"
            )[:100],
        }
        for key in ("config", "split", "revision"):
            if meta_get(meta, f"huggingface.dataset_{key}"):
                dataset[key] = str(meta_get(meta, f"huggingface.dataset_{key}"))
        task_type = str(meta_get(meta, "huggingface.task_type") or "tabular-classification")
        front["model-index"] = [
            {
                "name": str(meta_get(meta, "model.name") or "model"),
                "results": [
                    {
                        "task": {"type": task_type, "name": task_type.replace("-", " ")},
                        "dataset": dataset,
                        "metrics": metrics,
                    }
                ],
            }
        ]
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    return f"---\n{head}---\n\n{markdown_card(report, meta, plots=plots)}"


def mct_json(report: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card as Model Card Toolkit JSON, schema v0.0.2 (string values, ``confidence_interval``)."""
    meta = dict(meta or {})
    details: dict[str, Any] = {"name": str(meta_get(meta, "model.name") or "model")}
    if meta_get(meta, "model.overview"):
        details["overview"] = str(meta_get(meta, "model.overview"))
    owners = meta_get(meta, "model.owners") or []
    details["owners"] = [
        {k: str(o[k]) for k in ("name", "contact") if isinstance(o, Mapping) and o.get(k)}
        if isinstance(o, Mapping)
        else {"name": str(o)}
        for o in owners
    ]
    if meta_get(meta, "model.version"):
        details["version"] = {"name": str(meta_get(meta, "model.version"))}
    if meta_get(meta, "model.license"):
        details["licenses"] = [{"identifier": str(meta_get(meta, "model.license"))}]
    details["references"] = [{"reference": str(r)} for r in meta_items(meta_get(meta, "model.references"))]
    if meta_get(meta, "model.citation"):
        details["citations"] = [{"citation": str(meta_get(meta, "model.citation"))}]
    prov = report.get("provenance") or {}
    data = [
        {"name": name, "description": f"{fp.get('kind')}, sha256 {fp.get('sha256')}"}
        for name, fp in sorted((prov.get("fingerprints") or {}).items())
    ]
    performance = []
    for c in report.get("checks") or []:
        for m in c.get("metrics") or []:
            if m.get("value") is None:
                continue
            entry: dict[str, Any] = {"type": m["name"], "value": repr(float(m["value"]))}
            if m.get("slice"):
                entry["slice"] = slice_text(m["slice"])
            ci = m.get("ci") or {}
            if ci.get("low") is not None and ci.get("high") is not None:
                entry["confidence_interval"] = {
                    "lower_bound": repr(float(ci["low"])),
                    "upper_bound": repr(float(ci["high"])),
                }
            performance.append(entry)
    considerations = {
        "users": [{"description": u} for u in meta_items(meta_get(meta, "intended_use.primary_users"))],
        "use_cases": [{"description": u} for u in meta_items(meta_get(meta, "intended_use.primary_uses"))],
        "limitations": [
            {"description": u}
            for u in meta_items(meta_get(meta, "caveats"))
            + [f"out of scope: {x}" for x in meta_items(meta_get(meta, "intended_use.out_of_scope"))]
        ],
        "tradeoffs": [],
        "ethical_considerations": [
            {
                "name": str(r.get("name", "")),
                "mitigation_strategy": str(r.get("mitigation", r.get("mitigation_strategy", ""))),
            }
            if isinstance(r, Mapping)
            else {"name": str(r)}
            for r in _as_list(meta_get(meta, "ethical_considerations"))
        ],
    }
    return {
        "schema_version": "0.0.2",
        "model_details": details,
        "model_parameters": {"model_architecture": str(meta_get(meta, "model.type") or ""), "data": data},
        "quantitative_analysis": {"performance_metrics": performance},
        "considerations": considerations,
    }
