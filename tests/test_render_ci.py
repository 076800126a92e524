"""CI surfaces: GitLab metrics (OpenMetrics text), GitHub step summary and annotations, the render command."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from mltestkit.cli import main
from mltestkit.render.github import MAX_ANNOTATIONS, error_annotations, step_summary, write_step_summary
from mltestkit.render.gitlab import openmetrics
from mltestkit.report import read_report, write_report

GOLDEN = Path(__file__).parent / "golden"
LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-z]+="[^"\s#\\]*",?)+\})? -?[0-9][0-9.e+-]*$')


@pytest.fixture
def report() -> dict:
    return read_report(GOLDEN / "report.json")


def parse_strictly(text: str) -> dict[str, list]:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    return {f.name: list(f.samples) for f in text_string_to_metric_families(text)}


def test_gitlab_metrics_are_strict_openmetrics_and_labels_are_sanitized(report: dict) -> None:
    report["checks"][2]["metrics"][0]["slice"] = {"city": 'New York #1 "centre"'}
    text = openmetrics(report)
    families = parse_strictly(text)
    lines = text.strip().splitlines()
    assert lines[-1] == "# EOF"
    samples = [x for x in lines if not x.startswith("#")]
    assert all(LINE.match(x) for x in samples), [x for x in samples if not LINE.match(x)]
    assert 'mltestkit_checks{outcome="failed"} 3' in samples
    assert (
        'mltestkit_accuracy{test="tests/test_model.py::test_accuracy",check="accuracy"} 0.8791666667'
        in samples
    )
    assert any('slice="city=New_York_1_centre_"' in x for x in samples)
    assert len(families["mltestkit_accuracy"]) == 6  # overall + five slices
    assert len(samples) == len(set(samples))
    heads = [x.split()[2] for x in lines if x.startswith("# TYPE ")]
    assert len(heads) == len(set(heads)) == len(families)  # one block per family


def test_gitlab_names_and_labels_that_collide_after_sanitizing_are_kept_apart(report: dict) -> None:
    check = report["checks"][0]
    twin = copy.deepcopy(check["metrics"][0])
    check["metrics"] += [dict(twin, name="accuracy!"), dict(twin, name="accuracy", value=0.5)]
    check["metrics"].append(dict(twin, name="checks", value=0.25, ci=None))
    report["checks"].append(dict(copy.deepcopy(report["checks"][2]), test=report["checks"][2]["test"]))
    report["checks"][-1]["metrics"][1]["slice"] = {"sex": "M "}
    families = parse_strictly(openmetrics(report))
    assert [s.value for s in families["mltestkit_accuracy_2"]] == [
        0.8791666667
    ]  # "accuracy!" is its own family
    values = [s.value for s in families["mltestkit_accuracy"] if s.labels["test"].endswith("test_accuracy")]
    assert values == [0.8791666667, 0.5]  # the same name and labels twice: both kept, labels told apart
    assert [s.value for s in families["mltestkit_checks_2"]] == [0.25]
    total = sum(len(v) for v in families.values())
    expected = 1 + sum(
        sum(
            1
            for v in (m["value"], (m.get("ci") or {}).get("low"), (m.get("ci") or {}).get("high"))
            if v is not None
        )
        for c in report["checks"]
        for m in c["metrics"]
        if m["value"] is not None
    )
    assert total == expected + len([o for o in ("passed", "failed") if report["summary"].get(o)]) - 1


def test_annotations_point_at_the_test_and_stay_within_ten(report: dict) -> None:
    lines = error_annotations(report)
    assert lines[0].startswith(
        "::error file=tests/test_model.py,line=11,title=mltestkit metric recall failed::"
    )
    assert "%0A" in lines[0] and "\n" not in lines[0]  # multi-line messages are escaped
    many = copy.deepcopy(report)
    failing = [c for c in many["checks"] if c["fails_test"]]
    many["checks"] = failing * 6
    lines = error_annotations(many)
    assert len(lines) == MAX_ANNOTATIONS
    assert lines[-1].startswith("::error title=mltestkit%3A 9 more failing checks::")


def test_step_summary_appends_under_the_cap(report: dict, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    assert write_step_summary(report, {"GITHUB_STEP_SUMMARY": str(target)}) == target
    text = target.read_text()
    assert text.startswith("earlier step\n## mltestkit: 7 ML checks (4 passed, 3 failed)")
    assert "FAILED       test_recall :: metric:recall" in text
    assert write_step_summary(report, {}) is None
    huge = copy.deepcopy(report)
    huge["checks"] = [dict(c, name="x" * 3000) for c in report["checks"]] * 200
    small = step_summary(huge, cap=64 * 1024)
    assert len(small.encode()) < 64 * 1024
    assert len(step_summary(huge).encode()) < 1024 * 1024


def test_render_command(
    report: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    src = write_report(report, tmp_path / "r.json")
    summary = tmp_path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = ["render", str(src), "--gitlab-metrics", str(tmp_path / "metrics.txt"), "--github-summary"]
    assert main([*args, "--github-annotations", "--html", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "metrics.txt").read_text() == openmetrics(report)
    assert summary.read_text().startswith("## mltestkit: 7 ML checks")
    assert capsys.readouterr().out.count("::error ") == 3
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["render", str(src)]) == 2
    assert "render: no output chosen; pass --gitlab-metrics" in capsys.readouterr().err
