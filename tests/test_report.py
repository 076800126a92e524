"""The report: JSON-safe results, schema validation, atomic writes, clear errors on bad files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestkit import check_metric
from mltestkit.cli import main
from mltestkit.errors import ReportError
from mltestkit.report import (
    build_report,
    fingerprint,
    provenance,
    read_report,
    validate,
    write_atomic,
    write_report,
)
from mltestkit.results import CheckResult, Interval, MetricValue, Outcome, Threshold, to_jsonable

finite = st.floats(-1e6, 1e6, allow_nan=False)
metric_values = st.builds(
    MetricValue,
    name=st.text(min_size=1, max_size=10),
    value=finite,
    n=st.integers(0, 10**6),
    ci=st.builds(
        Interval,
        low=finite,
        high=finite,
        level=st.just(0.95),
        method=st.sampled_from(["wilson", "bootstrap"]),
    ),
    thresholds=st.lists(st.builds(Threshold, op=st.sampled_from([">=", "<="]), value=finite), max_size=2).map(
        tuple
    ),
    rule=st.sampled_from(["acceptance", "alarm", "point"]),
    outcome=st.sampled_from(list(Outcome)),
    slice=st.none() | st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=2),
)
results = st.builds(
    CheckResult,
    name=st.text(min_size=1, max_size=20),
    kind=st.sampled_from(["metric", "slice", "data"]),
    outcome=st.sampled_from(list(Outcome)),
    metrics=st.lists(metric_values, max_size=3),
    rule=st.sampled_from(["acceptance", "alarm", "point"]),
    message=st.text(max_size=30),
    details=st.dictionaries(st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)


PROVENANCE = provenance(seed=0, command=[])


def _report(checks):
    return build_report(
        [{"test": "t.py::test", "index": i, **c.to_dict()} for i, c in enumerate(checks)],
        provenance=PROVENANCE,
    )


@settings(deadline=None)
@given(st.lists(results, max_size=4))
def test_results_round_trip_through_a_valid_report(checks):
    report = _report(checks)
    validate(report)
    again = json.loads(json.dumps(report, allow_nan=False))
    assert [CheckResult.from_dict(c) for c in again["checks"]] == checks


def test_non_finite_values_become_null_with_a_reason():
    r = CheckResult(
        name="x",
        kind="custom",
        outcome=Outcome.PASSED,
        metrics=[
            MetricValue(name="m", value=float("inf"), ci=Interval(float("nan"), 1.0, 0.95, "bootstrap"))
        ],
        details={"array": np.array([1.0, np.nan]), "scalar": np.float32(0.5), "int": np.int64(3)},
    )
    d = r.to_dict()
    assert d["metrics"][0]["value"] is None and d["metrics"][0]["reason"] == "value is not finite (inf)"
    assert d["metrics"][0]["ci"]["low"] is None
    assert d["details"] == {"array": [1.0, None], "scalar": 0.5, "int": 3}
    json.dumps(d, allow_nan=False)


def test_unknown_objects_are_refused_not_stringified():
    with pytest.raises(TypeError, match="cannot store an object of type object in a report"):
        to_jsonable({"x": object()})


def test_write_is_atomic_and_a_failed_replace_keeps_the_old_report(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    good = _report([check_metric("accuracy", [0, 1] * 50, [0, 1] * 50, min=0.5)])
    write_report(good, target)
    before = target.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "{}")
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_invalid_reports_are_refused_before_writing(tmp_path):
    bad = _report([])
    del bad["summary"]
    with pytest.raises(
        ReportError,
        match="report does not follow the schema at \\(top level\\): 'summary' is a required property",
    ):
        write_report(bad, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON (line 1, column 2"),
        (
            '{"schema_version": "2.0"}',
            "report schema_version 2.0 is not supported by this mltestkit (reads 1.x)",
        ),
        ("[]", "a report must be a JSON object, got list"),
        ('{"schema_version": "1.0"}', "'mltestkit_version' is a required property"),
    ],
)
def test_corrupt_report_files(tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ReportError) as info:
        read_report(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_report_file(tmp_path):
    with pytest.raises(ReportError, match="cannot read report .*nope.json: No such file or directory"):
        read_report(tmp_path / "nope.json")


def test_fingerprints_are_content_addressed(tmp_path):
    pd = pytest.importorskip("pandas")
    a = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    assert fingerprint(a)["sha256"] == fingerprint(a.copy())["sha256"]
    assert fingerprint(a)["sha256"] != fingerprint(a.assign(x=[1, 2, 4]))["sha256"]
    assert fingerprint(a)["sha256"] != fingerprint(a.astype({"x": float}))["sha256"]
    assert fingerprint(np.arange(4))["sha256"] != fingerprint(np.arange(4).reshape(2, 2))["sha256"]
    f = tmp_path / "model.bin"
    f.write_bytes(b"weights")
    fp = fingerprint(f)
    assert fp["kind"] == "file" and fp["sha256"] == fingerprint(b"weights")["sha256"]
    with pytest.raises(ValueError, match="obj: 'missing.bin' is not a file"):
        fingerprint("missing.bin")


def test_provenance_records_git_when_in_a_repository(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=a",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    prov = provenance(seed=3, cwd=tmp_path, command=["pytest"])
    assert len(prov["git"]["commit"]) == 40 and prov["git"]["dirty"] is False
    assert provenance(seed=3, cwd="/", command=[])["git"] is None


def test_cli_validate_summary_schema(tmp_path, capsys):
    path = tmp_path / "r.json"
    write_report(_report([check_metric("accuracy", [0, 1] * 50, [0, 1] * 49 + [1, 0], min=0.995)]), path)
    assert main(["validate", str(path)]) == 0
    assert "valid report (schema 1.1), 1 checks" in capsys.readouterr().out
    assert main(["summary", str(path)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["report-schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "mltestkit report"
    assert main(["schema"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["title"] == "mltestkit report"
    assert "mltestkit schema is now: mltestkit report-schema" in out.err
    path.write_text("{")
    assert main(["validate", str(path)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("rule", ["acceptance", "alarm", "point"])
def test_the_cli_the_renderers_and_the_comparison_answer_fails_with_fails_test(tmp_path, capsys, rule):
    from mltestkit.render.compare import regressions
    from mltestkit.render.github import error_annotations
    from mltestkit.report import is_regression
    from mltestkit.report.build import COMPARISON_AS_RECORD
    from mltestkit.results import fails_test

    undecided = CheckResult(name="acc", kind="metric", outcome=Outcome.INCONCLUSIVE, rule=rule)
    report = build_report(
        [{"test": "t.py::test_a", "index": 0, **undecided.to_dict()}], provenance=provenance(seed=0)
    )
    path = tmp_path / "r.json"
    write_report(report, path)
    fails = fails_test("inconclusive", rule)
    assert main(["summary", str(path)]) == int(fails)
    assert bool(error_annotations(report)) is fails
    capsys.readouterr()
    for outcome, as_record in COMPARISON_AS_RECORD.items():
        row = {"outcome": outcome}
        assert is_regression(row, rule) is fails_test(as_record, rule)
        assert regressions({"rule": rule, "rows": [row]}) == ([row] if fails_test(as_record, rule) else [])


def test_infer_schema_has_its_own_name_and_the_old_spelling_says_the_new_one(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,x\n2,y\n")
    assert main(["infer-schema", str(data)]) == 0
    assert capsys.readouterr().out.startswith("columns:\n- name: a\n")
    assert main(["infer-schema"]) == 2
    assert "run: mltestkit infer-schema data.csv -o schema.yaml" in capsys.readouterr().err
    assert main(["schema", "infer", str(data)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("columns:\n- name: a\n")
    assert "mltestkit schema infer is now: mltestkit infer-schema" in out.err


def test_python_dash_m_mltestkit_is_the_command(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mltestkit", "report-schema"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and json.loads(done.stdout)["title"] == "mltestkit report"
    bad = subprocess.run(
        [sys.executable, "-m", "mltestkit", "validate", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "missing.json" in bad.stderr
