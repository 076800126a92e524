"""Model and dataset cards: golden Markdown, Hugging Face and Model Card Toolkit formats, gaps, bad input."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from mltestkit.cli import main
from mltestkit.errors import ConfigError
from mltestkit.render.dataset_card import dataset_card
from mltestkit.render.model_card import (
    PERFORMANCE_KINDS,
    SKELETON,
    hf_card,
    load_meta,
    markdown_card,
    mct_json,
)
from mltestkit.report import build_report, provenance, read_report

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MLTESTKIT_UPDATE_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; MLTESTKIT_UPDATE_GOLDEN=1 rewrites it"


@pytest.fixture
def report() -> dict:
    return read_report(GOLDEN / "report.json")


@pytest.fixture
def meta() -> dict:
    return load_meta(GOLDEN / "model_card.yaml", missing_ok=False)


def test_markdown_card_matches_golden_file(report: dict, meta: dict) -> None:
    golden("MODEL_CARD.md", markdown_card(report, meta))


def test_card_without_yaml_matches_golden_file_and_marks_gaps(report: dict) -> None:
    card = markdown_card(report, load_meta(GOLDEN / "no-such-file.yaml"))
    golden("MODEL_CARD-no-meta.md", card)
    assert "**This card has gaps:**" in card
    assert card.count("> **Gap:** not documented.") == 17


def test_card_has_mitchell_sections_in_order(report: dict, meta: dict) -> None:
    card = markdown_card(report, meta)
    heads = [line[3:] for line in card.splitlines() if line.startswith("## ")]
    assert heads == [
        "Model Details",
        "Intended Use",
        "Factors",
        "Metrics",
        "Evaluation Data",
        "Training Data",
        "Quantitative Analyses",
        "Latency and Load",
        "Ethical Considerations",
        "Caveats and Recommendations",
        "Not Tested",
        "ML Test Score",
        "Provenance",
    ]
    assert "> **Gap:**" not in card


def test_only_provenance_depends_on_time_and_host(report: dict, meta: dict) -> None:
    other = copy.deepcopy(report)
    other["created"] = "2027-03-04T05:06:07+00:00"
    other["provenance"]["hostname"] = "elsewhere"
    other["provenance"]["command"] = ["-k", "slow"]
    a, b = markdown_card(report, meta), markdown_card(other, meta)
    diff = [(x, y) for x, y in zip(a.splitlines(), b.splitlines(), strict=True) if x != y]
    assert diff == [
        ("- Report created: 2026-11-01T12:00:00+00:00", "- Report created: 2027-03-04T05:06:07+00:00")
    ]


def test_card_lists_what_was_not_tested(report: dict, meta: dict) -> None:
    card = markdown_card(report, meta)
    assert "- No load test of the served model in this run." in card
    assert "- accuracy_by_slice (test_slices) was" not in card  # failed, not undecided
    report["checks"] = [c for c in report["checks"] if c["kind"] == "metric"]
    card = markdown_card(report, meta)
    for label in (
        "slice-based evaluation",
        "fairness assessment",
        "data validation",
        "behavioral tests",
        "latency",
    ):
        assert f"- No {label} in this run." in card
    assert "### Unitary slices" not in card
    assert "**Evaluation factors (from the report):** none" in card


def test_hf_card_parses_with_huggingface_hub(report: dict, meta: dict) -> None:
    from huggingface_hub import ModelCard

    text = hf_card(report, meta)
    front = yaml.safe_load(text.split("---\n")[1])
    assert "verified" not in json.dumps(front) and "verifyToken" not in json.dumps(front)
    card = ModelCard(text)
    results = card.data.eval_results
    expected = [
        (c["name"], m["name"], m["value"])
        for c in report["checks"]
        if c["kind"] in PERFORMANCE_KINDS
        for m in c["metrics"]
        if not m["slice"]
    ]
    assert [(r.metric_type, r.metric_value) for r in results] == [(m, v) for _, m, v in expected]
    assert "p95_ms" not in {r.metric_type for r in results}  # serving figures are not model performance
    names = [r.metric_name for r in results]
    assert len(names) == len(set(names))
    assert {r.task_type for r in results} == {"tabular-classification"}
    assert {(r.dataset_type, r.dataset_name, r.dataset_split) for r in results} == {
        ("csv", "applications-2025", "test")
    }
    assert all(r.verified is None for r in results)
    assert card.data.license == "apache-2.0"
    assert card.text.lstrip().startswith("# Model card: credit-risk-classifier")


def mct_schema() -> dict:
    spec = importlib.util.find_spec("model_card_toolkit")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("model-card-toolkit is not installed (make venv installs it with --no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / "schema" / "v0.0.2" / "model_card.schema.json"
    # the shipped schema refers to "#definitions/graphic" (no slash), which strict resolvers reject
    return json.loads(path.read_text(encoding="utf-8").replace('"#definitions/', '"#/definitions/'))


def test_mct_json_validates_against_the_toolkit_schema(report: dict, meta: dict) -> None:
    schema = mct_schema()
    for m in (meta, {}):
        doc = mct_json(report, m)
        jsonschema.Draft7Validator(schema).validate(doc)
    doc = mct_json(report, meta)
    perf = doc["quantitative_analysis"]["performance_metrics"]
    assert len(perf) == sum(len(c["metrics"]) for c in report["checks"] if c["kind"] in PERFORMANCE_KINDS)
    assert {p["type"] for p in perf}.isdisjoint({"p95_ms", "psi", "ks"})
    graphics = doc["quantitative_analysis"]["graphics"]["collection"]
    assert graphics and base64.b64decode(graphics[0]["image"]).startswith(b"<svg")
    first = perf[0]
    assert first["type"] == "accuracy" and isinstance(first["value"], str)
    assert (
        float(first["confidence_interval"]["lower_bound"]) == report["checks"][0]["metrics"][0]["ci"]["low"]
    )
    assert {p.get("slice") for p in perf} >= {"sex=F", "sex=M, age=>=40"}
    bad = dict(doc, extra=1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(bad)


def test_dataset_card_matches_golden_file(report: dict) -> None:
    card = dataset_card(report, {"name": "applications-2025", "motivation": "Evaluate the credit model."})
    golden("DATASET_CARD.md", card)
    assert "| sex | not_null | 10 |" in card
    assert "> **Gap:** not documented. Add `collection` to dataset_card.yaml." in card


def test_empty_report_gives_cards_with_gaps() -> None:
    empty = build_report([], provenance=provenance(seed=0))
    card = markdown_card(empty, {})
    assert "> **Gap:** the report holds no check, so nothing was measured." in card
    assert "**ML Test Score: 0**" in card
    assert "no data check" in dataset_card(empty, {})
    assert mct_json(empty, {})["quantitative_analysis"]["performance_metrics"] == []
    assert "model-index" not in hf_card(empty, {})


def test_bad_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model_card.yaml"
    path.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="model_card.yaml is not valid YAML"):
        load_meta(path)
    path.write_text("- a list\n")
    with pytest.raises(
        ConfigError, match=r"must hold a mapping of keys \(model:, intended_use:, ...\), got list"
    ):
        load_meta(path)
    with pytest.raises(ConfigError, match="does not exist; write one with `mltestkit card --init"):
        load_meta(tmp_path / "missing.yaml", missing_ok=False)


def test_cli_card_init_then_all_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta_path = tmp_path / "model_card.yaml"
    assert main(["card", "--init", str(meta_path)]) == 0
    assert yaml.safe_load(meta_path.read_text()) == yaml.safe_load(SKELETON)
    assert main(["card", "--init", str(meta_path)]) == 2
    assert "exists; remove it or choose another path" in capsys.readouterr().err
    src = str(GOLDEN / "report.json")
    out = tmp_path / "MODEL_CARD.md"
    assert main(["card", src, "--meta", str(GOLDEN / "model_card.yaml"), "-o", str(out)]) == 0
    text = out.read_text()
    assert "](MODEL_CARD_plots/01-accuracy-by-slice-accuracy.svg)" in text
    plot = (tmp_path / "MODEL_CARD_plots" / "01-accuracy-by-slice-accuracy.svg").read_text()
    assert plot.startswith("<svg") and "sex=F" in plot
    assert main(["card", src, "--format", "mct-json", "-o", str(tmp_path / "card.json")]) == 0
    jsonschema.Draft7Validator(mct_schema()).validate(json.loads((tmp_path / "card.json").read_text()))
    assert main(["card", src, "--format", "hf"]) == 0
    assert capsys.readouterr().out.startswith("---\n")
    assert main(["dataset-card", src, "-o", str(tmp_path / "DATASET_CARD.md")]) == 0


def test_cli_rejects_newer_and_corrupt_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((GOLDEN / "report.json").read_text())
    data["schema_version"] = "2.0"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    assert main(["card", str(newer)]) == 2
    assert (
        "report schema_version 2.0 is not supported by this mltestkit (reads 1.x)" in capsys.readouterr().err
    )
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"schema_version": "1.0", ')
    assert main(["card", str(corrupt)]) == 2
    assert "is not valid JSON (line 1" in capsys.readouterr().err


def test_cards_from_real_slice_fairness_and_data_checks(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from mltestkit import check_drift, check_fairness, check_schema, check_slices, infer_schema
    from mltestkit.render.html import html_report

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.choice(["<40", ">=40"], n)})
    income = pd.DataFrame({"income": rng.normal(50.0, 10.0, n)})
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.85, y, 1 - y)
    results = [
        check_slices("accuracy", y, pred, by=frame, min=0.8, depth=2),
        check_fairness(y, pred, by=frame["sex"], max={"demographic_parity_difference": 0.1}),
        check_schema(frame, infer_schema(frame)),
        check_drift(income, income + 8.0),
    ]
    checks = [{"test": f"tests/t.py::test_{i}", "index": 0, **r.to_dict()} for i, r in enumerate(results)]
    report = build_report(checks, provenance=provenance(seed=0))
    card = markdown_card(report, {})
    assert "### Unitary slices" in card and "### Intersectional slices" in card and "### Fairness" in card
    assert "| sex=F |" in card and "demographic_parity_difference" in card
    assert "- No overall metrics in this run." in card
    data_card = dataset_card(report, {})
    assert "| sex | categorical | str | 0 | 2 | – | – | – | " in data_card
    assert "| column | kind | drifted | psi | ks | wasserstein | p_value | p_adjusted |" in data_card
    assert "| income | numeric | True |" in data_card
    jsonschema.Draft7Validator(mct_schema()).validate(mct_json(report, {}))
    from mltestkit.render.plots import slice_groups

    groups = slice_groups(report)
    assert {g["title"] for g in groups} >= {"accuracy", "fairness: selection_rate"}
    assert html_report(report).count('class="chart"') >= sum(g["kind"] == "slice" for g in groups) + 1


def test_undefined_figures_are_shown_with_their_reason(report: dict, meta: dict) -> None:
    from mltestkit.render.gitlab import openmetrics
    from mltestkit.render.html import html_report
    from mltestkit.report.compare import compare_reports

    current = copy.deepcopy(report)
    current["checks"][1]["metrics"][0].update(value=None, ci=None, reason="no positive rows")
    assert "| test_recall | recall | undefined (no positive rows) | – |" in markdown_card(current, meta)
    assert "undefined (no positive rows)" in html_report(current)
    assert "mltestkit_recall{" not in openmetrics(current)
    assert all(
        p["type"] != "recall" for p in mct_json(current, meta)["quantitative_analysis"]["performance_metrics"]
    )
    rows = {r["metric"]: r for r in compare_reports(report, current)["rows"]}
    assert rows["recall"]["difference"] is None and rows["recall"]["outcome"] == "inconclusive"


def test_credit_card_is_short_and_keeps_data_out_of_quantitative_analyses() -> None:
    report = read_report(GOLDEN / "credit-report.json")
    meta = load_meta(
        Path(__file__).parent.parent / "examples" / "credit" / "model_card.yaml", missing_ok=False
    )
    card = markdown_card(report, meta, html="ml-report.html")
    golden("CREDIT_MODEL_CARD.md", card)
    assert len(card.splitlines()) <= 270
    sections = dict(re.findall(r"(?ms)^## (.+?)\n(.*?)(?=^## |\Z)", card))
    quantitative = sections["Quantitative Analyses"]
    for data_figure in ("psi", "dtype", "nullable", "allowed", "missing", "p95_ms", "column="):
        assert data_figure not in quantitative, data_figure
    assert "| check | test | what | outcome | worst column |" in sections["Evaluation Data"]
    assert sections["Evaluation Data"].count("| passed |") == sum(
        c["kind"] == "data" for c in report["checks"]
    )
    assert "p95\\_ms" in sections["Latency and Load"] or "p95_ms" in sections["Latency and Load"]
    assert "[the HTML report](ml-report.html)" in card
    covered = sections["ML Test Score"]
    assert "| model.5 |" in covered and "| infrastructure.1 |" in covered  # baseline and reproducibility


def test_an_outcome_only_where_a_requirement_was() -> None:
    report = read_report(GOLDEN / "credit-report.json")
    card = markdown_card(report, {})
    rows = [line for line in card.splitlines() if line.startswith("| ") and "\\|" not in line]
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) >= 7 and cells[-3] == "–":  # requirement column empty
            assert cells[-1] == "–", line
