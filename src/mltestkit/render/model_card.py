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
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .plots import slice_groups
from .text import (
    bounds,
    fmt,
    interval,
    md,
    meta_get,
    meta_items,
    provenance_lines,
    requirement,
    short_test,
    slice_text,
    worst_column,
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


#: Kinds whose figures are model performance (the Quantitative Analyses section).
PERFORMANCE_KINDS = ("metric", "slice", "fairness", "behavior", "custom", "comparison")
#: Kinds of the Latency and Load section.
SERVING_KINDS = ("latency", "load")


def unsliced(report: Mapping[str, Any], kinds: Sequence[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(check, metric)`` pairs of figures without a slice from checks of the given kinds."""
    return [
        (c, m)
        for c in report.get("checks") or []
        if c.get("kind") in kinds
        for m in c.get("metrics") or []
        if not m.get("slice")
    ]


def _value(m: Mapping[str, Any]) -> str:
    return fmt(m.get("value")) if m.get("value") is not None else md(f"undefined ({m.get('reason') or '?'})")


def _gated(m: Mapping[str, Any]) -> str:
    """The figure's outcome when it had a requirement, an en dash otherwise."""
    return str(m.get("outcome") or "–") if m.get("threshold") else "–"


def _figure_table(
    pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], where: bool = False
) -> list[str]:
    extra = " where |" if where else ""
    lines = [
        f"| test | figure |{extra} value | interval | requirement | n | outcome |",
        "|---|---|---|---|---|---|---|" + ("---|" if where else ""),
    ]
    for c, m in pairs:
        figure = m["name"] if m["name"] == c["name"] else f"{c['name']}: {m['name']}"
        at = f" {md(slice_text(m.get('slice')) or '–')} |" if where else ""
        lines.append(
            f"| {md(short_test(c.get('test')))} | {md(figure)} |{at} {_value(m)} | {interval(m)} "
            f"| {requirement(m.get('threshold'))} | {fmt(m.get('n'))} | {_gated(m)} |"
        )
    return [*lines, ""]


def _slice_tables(groups: Sequence[Mapping[str, Any]], intersectional: bool) -> list[str]:
    out: list[str] = []
    for g in groups:
        rows = [r for r in g["rows"] if (r["keys"] > 1) == intersectional]
        if not rows:
            continue
        out += [
            f"*{md(g['title'])}* ({md(short_test(g['test']))}; requirement {requirement(g.get('threshold'))}):",
            "",
            "| slice | value | interval | n | outcome |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            out.append(
                f"| {md(r['slice'])} | {fmt(r['value'])} | {bounds(r['low'], r['high'])} | {fmt(r['n'])} "
                f"| {r['outcome'] or '–'} |"
            )
        out.append("")
    return out


def _group_rates(check: Mapping[str, Any]) -> list[str]:
    """A fairness check's per-group rates, one row a group."""
    groups = [g for g in (check.get("details") or {}).get("groups") or [] if isinstance(g, Mapping)]
    by = [str(b) for b in (check.get("details") or {}).get("by") or []]
    if not groups:
        return []
    rates = [k for k in groups[0] if k not in (*by, "rows")]
    lines = [
        f"*{md(check['name'])}* ({md(short_test(check.get('test')))}), rates by group:",
        "",
        "| group | rows | " + " | ".join(md(r) for r in rates) + " |",
        "|---|---|" + "---|" * len(rates),
    ]
    for g in groups:
        name = ", ".join(f"{b}={g.get(b)}" for b in by)
        lines.append(
            f"| {md(name)} | {fmt(g.get('rows'))} | " + " | ".join(fmt(g.get(r)) for r in rates) + " |"
        )
    return [*lines, ""]


def _data_table(report: Mapping[str, Any]) -> list[str]:
    checks = [c for c in report.get("checks") or [] if c.get("kind") == "data"]
    if not checks:
        return []
    lines = [
        "**Data checks:**",
        "",
        "| check | test | what | outcome | worst column |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        worst = worst_column(c)
        what = ((c.get("message") or "").strip().splitlines() or ["–"])[0]
        what = what if len(what) <= 100 else what[:99] + "…"
        lines.append(
            f"| {md(c['name'])} | {md(short_test(c.get('test')))} | {md(what)} | {c['outcome']} | {md(worst)} |"
        )
    return [*lines, ""]


def markdown_card(
    report: Mapping[str, Any],
    meta: Mapping[str, Any] | None = None,
    *,
    plots: Sequence[tuple[str, str]] = (),
    html: str | None = None,
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
    html:
        The relative link of the HTML report written beside the card, where the long tables are.
    """
    from ..report.score import score_report
    from .compare import markdown_table

    meta = dict(meta or {})
    checks = list(report.get("checks") or [])
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
    if html:
        lines += [f"Every figure, table and plot of the run: [the HTML report]({html}).", ""]

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
    groups = slice_groups(report, ("slice",))
    attrs = sorted(
        {
            str(k)
            for c in checks
            if c.get("kind") in ("slice", "fairness")
            for m in c.get("metrics") or []
            for k in (m.get("slice") or {})
        }
    )
    lines += [
        "**Evaluation factors (from the report):** "
        + (", ".join(md(a) for a in attrs) if attrs else "none: no sliced figure was measured"),
        "",
    ]

    lines += ["## Metrics", ""]
    used = sorted(
        {str(m["name"]) for c in checks if c.get("kind") in PERFORMANCE_KINDS for m in c.get("metrics") or []}
    )
    serving = sorted(
        {str(m["name"]) for c in checks if c.get("kind") in SERVING_KINDS for m in c.get("metrics") or []}
    )
    lines += ["**Measured:** " + (", ".join(md(u) for u in used) if used else "none"), ""]
    if serving:
        lines += ["**Serving:** " + ", ".join(md(u) for u in serving), ""]
    lines += [
        f"Each figure carries a {fmt((report.get('provenance') or {}).get('confidence', 0.95))} confidence "
        f"interval; figures with a requirement are gated under the "
        f"{(report.get('provenance') or {}).get('gate_rule', 'acceptance')} rule.",
        "",
    ]
    lines += _field(meta, "metrics.rationale", "Why these metrics")

    lines += ["## Evaluation Data", ""]
    lines += _field(meta, "evaluation_data", "Description")
    data_table = _data_table(report)
    lines += data_table
    lines += ["## Training Data", ""]
    lines += _field(meta, "training_data", "Description")
    if data_table:
        lines += [
            "The data checks on training and evaluation data are in the table under Evaluation Data.",
            "",
        ]

    lines += ["## Quantitative Analyses", ""]
    overall = unsliced(report, ("metric",))
    if overall:
        lines += ["### Overall", "", *_figure_table(overall)]
    if any(r["keys"] == 1 for g in groups for r in g["rows"]):
        lines += ["### Unitary slices", "", *_slice_tables(groups, intersectional=False)]
    if any(r["keys"] > 1 for g in groups for r in g["rows"]):
        lines += ["### Intersectional slices", "", *_slice_tables(groups, intersectional=True)]
    for title, link in plots:
        lines += [f"![{md(title)}]({link})", ""]
    fairness = [c for c in checks if c.get("kind") == "fairness"]
    if fairness:
        pairs = unsliced(report, ("fairness",))
        gated = [(c, m) for c, m in pairs if m.get("threshold")] or pairs
        lines += ["### Fairness", "", *_figure_table(gated)]
        if len(gated) < len(pairs):
            lines += [
                f"{len(pairs) - len(gated)} more disparity figures without a requirement are in the report.",
                "",
            ]
        for c in fairness:
            lines += _group_rates(c)
    behavior = unsliced(report, ("behavior",))
    if behavior:
        lines += ["### Behavioral tests", "", *_figure_table(behavior)]
    other = unsliced(report, ("custom", "comparison"))
    if other:
        lines += ["### Other checks", "", *_figure_table(other)]
    if not checks:
        lines += ["> **Gap:** the report holds no check, so nothing was measured.", ""]
    if report.get("comparison"):
        lines += ["### Baseline comparison", "", markdown_table(report["comparison"], limit=30), ""]

    perf = [
        (c, m)
        for c in checks
        if c.get("kind") in SERVING_KINDS
        for m in c.get("metrics") or []
        if m.get("threshold") or not m.get("slice")
    ]
    if perf:
        lines += ["## Latency and Load", "", *_figure_table(perf, where=True)]

    lines += ["## Ethical Considerations", ""]
    lines += _field(meta, "ethical_considerations", "Risks and mitigations")
    lines += ["## Caveats and Recommendations", ""]
    lines += _field(meta, "caveats", "Caveats")

    kinds = {c.get("kind") for c in checks}
    missing = [label for kind, label in _TEST_KINDS if kind not in kinds]
    lines += ["## Not Tested", ""]
    lines += [f"- No {label} in this run." for label in missing] or ["- Every kind of check ran in this run."]
    undecided = [c for c in checks if c.get("outcome") in ("inconclusive", "error")]
    lines += [
        f"- {md(c['name'])} ({md(short_test(c.get('test')))}) was {c['outcome']}: the data could not decide it."
        if c["outcome"] == "inconclusive"
        else f"- {md(c['name'])} ({md(short_test(c.get('test')))}) ended in an error."
        for c in undecided
    ]
    lines.append("")

    manual = meta_items(meta_get(meta, "ml_test_score.manual"))
    lines += ["## ML Test Score", "", score_markdown(score_report(report, manual=manual)), ""]
    lines += ["## Provenance", "", *provenance_lines(report)]
    lines.append(f"*Generated by mltestkit {report.get('mltestkit_version', '')} from the test report.*")
    return "\n".join(lines).rstrip() + "\n"


def score_markdown(score: Mapping[str, Any]) -> str:
    """The score as Markdown: a table of section sums, the final score and the items.

    >>> from mltestkit.report.score import score_report
    >>> print(score_markdown(score_report({"checks": []})).splitlines()[0])
    **ML Test Score: 0** (the lowest section sum) -- more a research project than a production system.
    """
    from ..report.score import SECTION_TITLES, SECTIONS

    lines = [
        f"**ML Test Score: {score['final']:g}** (the lowest section sum) -- {score['band']}.",
        "",
        "| section | score | automated | manual |",
        "|---|---|---|---|",
    ]
    for section in SECTIONS:
        its = [i for i in score["items"] if i["section"] == section]
        auto = sum(i["how"] == "automated" for i in its)
        man = sum(i["how"] == "manual" for i in its)
        lines.append(f"| {SECTION_TITLES[section]} | {score['sections'][section]:g} | {auto} of 7 | {man} |")
    done = [i for i in score["items"] if i["how"] != "missing"]
    if done:
        lines += ["", "| item | test | points | covered by |", "|---|---|---|---|"]
    for i in done:
        by = ", ".join(md(c) for c in i["checks"][:3]) + (
            f" and {len(i['checks']) - 3} more" if len(i["checks"]) > 3 else ""
        )
        lines.append(f"| {i['id']} | {i['title']} | {i['points']:g} | {by or 'documented by hand'} |")
    missing = [i["id"] for i in score["items"] if i["how"] == "missing"]
    if missing:
        lines += ["", f"Not covered ({len(missing)}): " + ", ".join(missing) + "."]
    if score.get("unknown"):
        lines += ["", "Unknown items in score markers: " + ", ".join(md(u) for u in score["unknown"])]
    return "\n".join(lines)


def hf_card(
    report: Mapping[str, Any], meta: Mapping[str, Any] | None = None, *, plots: Sequence[tuple[str, str]] = ()
) -> str:
    """A Hugging Face model card: YAML front matter with ``model-index`` results, then the Markdown card.

    Only unsliced model-performance figures with a value go into ``model-index``, each under a
    name no other result has; ``verified`` is never set, since that marks results the Hub
    computed itself.
    """
    import yaml

    meta = dict(meta or {})
    performance = [(c, m) for c, m in unsliced(report, PERFORMANCE_KINDS) if m.get("value") is not None]
    front: dict[str, Any] = {}
    if meta_get(meta, "model.license"):
        front["license"] = str(meta_get(meta, "model.license"))
    front["tags"] = ["mltestkit"]
    metrics = [
        {"type": m["name"], "value": m["value"], "name": label}
        for (c, m), label in zip(performance, unique_names(performance), strict=True)
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


def unique_names(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    """A distinct display name for each ``(check, figure)``: the figure, then its check, test and slice as needed.

    >>> a = ({"name": "accuracy", "test": "t.py::test_a"}, {"name": "accuracy"})
    >>> b = ({"name": "accuracy", "test": "t.py::test_b"}, {"name": "accuracy"})
    >>> unique_names([a, b, a])
    ['accuracy (test_a)', 'accuracy (test_b)', 'accuracy (test_a) #3']
    """
    names = [m["name"] if m["name"] == c["name"] else f"{c['name']}: {m['name']}" for c, m in pairs]
    counts = Counter(names)
    names = [
        n
        if counts[n] == 1
        else f"{n} ({short_test(c.get('test'))})"
        + (f" [{slice_text(m.get('slice'))}]" if m.get("slice") else "")
        for n, (c, m) in zip(names, pairs, strict=True)
    ]
    seen: Counter[str] = Counter()
    out = []
    for i, n in enumerate(names):
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n} #{i + 1}")
    return out


def _graphics(report: Mapping[str, Any]) -> dict[str, Any]:
    """The card's forest plots as Model Card Toolkit graphics (base64 SVG)."""
    import base64

    from .plots import forest_plot

    collection = [
        {"name": g["title"], "image": base64.b64encode(forest_plot(g).encode("utf-8")).decode("ascii")}
        for g in slice_groups(report, ("slice",))
    ]
    return {"description": "forest plots of the sliced figures (SVG, base64)", "collection": collection}


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
        if c.get("kind") not in PERFORMANCE_KINDS:
            continue
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
        "quantitative_analysis": {"performance_metrics": performance, "graphics": _graphics(report)},
        "considerations": considerations,
    }
