"""The ML Test Score rubric (Breck et al., 2017), filled from a report.

The rubric has 28 tests in four sections of seven: data, model development, ML
infrastructure and monitoring. A test done by hand and documented earns half a point; a test
that runs automatically earns one. A section's score is the sum of its tests; the final score
is the lowest section score, because a system is only as well tested as its weakest part.

A report covers a rubric item automatically when one of its checks maps to the item: by the
check's kind or the names of its figures (:data:`COVERAGE`), by ``@pytest.mark.ml(score="monitoring.7")`` on the test
(the plugin copies it into the check's ``score`` list), or, for ``monitoring.7``, when the run
was compared with a baseline. Items done by hand come from the caller (e.g. the
``ml_test_score.manual`` list of ``model_card.yaml``).

Examples
--------
>>> report = {"checks": [{"kind": "metric", "outcome": "passed", "score": []},
...                      {"kind": "slice", "outcome": "failed", "score": ["model.5"]}]}
>>> s = score_report(report, manual=["data.5"])
>>> [i["id"] for i in s["items"] if i["points"] == 1]
['model.5', 'model.6', 'infrastructure.4']
>>> s["sections"]["model"], s["final"]
(2.0, 0.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InputError

SECTIONS = ("data", "model", "infrastructure", "monitoring")

SECTION_TITLES = {
    "data": "Data and features",
    "model": "Model development",
    "infrastructure": "ML infrastructure",
    "monitoring": "Monitoring",
}

#: The 28 items, in our words: id -> short title.
RUBRIC: dict[str, str] = {
    "data.1": "Expectations about every feature are written down in a schema and checked",
    "data.2": "Each feature earns its place (its contribution is measured)",
    "data.3": "No feature costs more (latency, memory, upkeep) than it is worth",
    "data.4": "Features meet the rules that apply to them (e.g. no protected attributes)",
    "data.5": "The data pipeline protects personal data as required",
    "data.6": "A new feature can be added quickly and safely",
    "data.7": "The code that computes input features has tests",
    "model.1": "Every model change is reviewed and kept under version control",
    "model.2": "Offline metrics are known to track the online outcomes that matter",
    "model.3": "Hyperparameters have been tuned",
    "model.4": "How fast the model goes stale is known",
    "model.5": "A simpler model is not better (a baseline is measured)",
    "model.6": "Quality is good enough on the data slices that matter",
    "model.7": "The model is tested for fairness and inclusion",
    "infrastructure.1": "Training can be reproduced",
    "infrastructure.2": "The model's code and specification have unit tests",
    "infrastructure.3": "The whole ML pipeline has an integration test",
    "infrastructure.4": "Model quality is checked before the model is served",
    "infrastructure.5": "A single example can be traced through the model (debuggable)",
    "infrastructure.6": "A new model serves a small share of traffic (canary) before all of it",
    "infrastructure.7": "A served model can be rolled back quickly",
    "monitoring.1": "Changes in upstream data or dependencies raise a notice",
    "monitoring.2": "Data invariants hold for the inputs seen in serving",
    "monitoring.3": "Training and serving features do not drift apart (skew)",
    "monitoring.4": "Models are retrained before they are too old",
    "monitoring.5": "Training and serving are numerically stable (no NaN, no infinities)",
    "monitoring.6": "Computing performance (latency, throughput, memory) has not regressed",
    "monitoring.7": "Prediction quality has not regressed",
}

#: Rubric items a check covers, in one place: ``(what, pattern, items)`` where ``what`` is
#: ``"kind"`` (the check's kind equals ``pattern``) or ``"figure"`` (one of its figures' names
#: matches the regular expression ``pattern`` in full). A check earns every row that matches.
COVERAGE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("kind", "metric", ("infrastructure.4",)),
    ("kind", "slice", ("model.6",)),
    ("kind", "fairness", ("model.7",)),
    ("kind", "data", ("data.1",)),
    ("kind", "behavior", ("infrastructure.2",)),
    ("kind", "latency", ("monitoring.6",)),
    ("kind", "load", ("monitoring.6", "infrastructure.3")),
    ("kind", "comparison", ("monitoring.7",)),
    ("figure", r"\w+_difference_vs_\w+", ("model.5",)),  # check_beats_simple_model
    ("figure", r"prediction_mismatches_same_seed|accuracy_spread_across_seeds", ("infrastructure.1",)),
)


def covered_items(check: Mapping[str, Any]) -> list[str]:
    """The rubric items :data:`COVERAGE` credits to one check record.

    >>> covered_items({"kind": "metric", "metrics": [{"name": "accuracy_difference_vs_majority_class"}]})
    ['infrastructure.4', 'model.5']
    """
    names = [str(m.get("name")) for m in check.get("metrics") or []]
    out: list[str] = []
    for what, pattern, items in COVERAGE:
        hit = check.get("kind") == pattern if what == "kind" else any(re.fullmatch(pattern, n) for n in names)
        out += [i for i in items if hit and i not in out]
    return out


#: Bands of the final score, from the paper, in our words: (lowest score, meaning).
BANDS: tuple[tuple[float, str], ...] = (
    (0.0, "more a research project than a production system"),
    (0.5, "not untested, but serious holes in reliability are likely"),
    (1.5, "a first pass at production readiness; more investment is needed"),
    (2.5, "reasonably tested; more of the tests could be automated"),
    (3.5, "strong automated testing and monitoring, fit for critical systems"),
    (5.5, "exceptional automated testing and monitoring"),
)
# The paper's bands are 0, (0, 1], (1, 2], (2, 3], (3, 5], > 5 on scores that move in halves.


def band(final: float) -> str:
    """The paper's reading of a final score.

    >>> band(0), band(1), band(2.5), band(7)
    ('more a research project than a production system', 'not untested, but serious holes in reliability are likely', 'reasonably tested; more of the tests could be automated', 'exceptional automated testing and monitoring')
    """
    text = BANDS[0][1]
    for low, meaning in BANDS:
        if final >= low:
            text = meaning
    return text


def validate_item(item: str, argument: str = "score") -> str:
    if item not in RUBRIC:
        raise InputError(
            argument,
            f"unknown ML Test Score item {item!r}",
            "use section.N with section data, model, infrastructure or monitoring and N from 1 to 7, e.g. monitoring.7",
        )
    return item


def score_report(report: Mapping[str, Any], *, manual: Iterable[str] = ()) -> dict[str, Any]:
    """Which rubric items the report covers, section sums and the final score.

    Parameters
    ----------
    report:
        A report dictionary.
    manual:
        Items done by hand and documented (half a point each unless also automated).

    Returns
    -------
    dict
        ``{"items": [{"id", "section", "title", "points", "how", "checks"}], "sections":
        {section: sum}, "final", "band"}``; ``how`` is ``automated``, ``manual`` or ``missing``.
        Unknown ids in ``score`` markers are listed under ``"unknown"``.
    """
    manual_set = {validate_item(str(m), "manual") for m in manual}
    covered: dict[str, list[str]] = {}
    unknown: set[str] = set()
    for check in report.get("checks") or []:
        if check.get("outcome") in ("error", "skipped"):
            continue
        label = (
            f"{(check.get('test') or '').split('::')[-1] or check.get('name', '')}::{check.get('name', '')}"
        )
        ids = covered_items(check)
        for item in check.get("score") or []:
            if item in RUBRIC:
                ids.append(item)
            else:
                unknown.add(item)
        for item in ids:
            covered.setdefault(item, []).append(label)
    if report.get("comparison", {}).get("rows"):
        covered.setdefault("monitoring.7", []).append("baseline comparison")
    items: list[dict[str, Any]] = []
    sections = dict.fromkeys(SECTIONS, 0.0)
    for item, title in RUBRIC.items():
        section = item.split(".")[0]
        if item in covered:
            how, points = "automated", 1.0
        elif item in manual_set:
            how, points = "manual", 0.5
        else:
            how, points = "missing", 0.0
        sections[section] += points
        checks = sorted(set(covered.get(item, [])))
        items.append(
            {"id": item, "section": section, "title": title, "points": points, "how": how, "checks": checks}
        )
    final = min(sections.values())
    return {
        "items": items,
        "sections": sections,
        "final": final,
        "band": band(final),
        "unknown": sorted(unknown),
    }
