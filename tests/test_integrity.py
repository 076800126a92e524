"""A report is never lost and never lies: plain records, incomplete runs, atomic files, one writer."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mltestkit.cli.main import main
from mltestkit.files import claim, release, sweep, write_atomic
from mltestkit.report import build_report, check_record, provenance, read_report, validate, write_report
from mltestkit.results import CheckResult, MetricValue, Outcome

BUILTINS = (str, int, float, bool, type(None))


def _builtins_only(obj: object) -> bool:
    if isinstance(obj, dict):
        return all(type(k) is str and _builtins_only(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_builtins_only(v) for v in obj)
    return type(obj) in BUILTINS


# ---------------------------------------------------------------- plain records


def test_a_record_is_made_of_python_builtins_whatever_the_check_put_in_it():
    result = CheckResult(
        name=np.str_("accuracy"),
        kind="metric",
        outcome=Outcome.PASSED,
        metrics=[
            MetricValue(np.str_("accuracy"), np.float64(0.9), n=np.int64(90), slice={"g": np.str_("a")})
        ],
        details={"count": np.int32(3), "flag": np.bool_(True), np.str_("rows"): np.arange(2), 7: (1, 2)},
    )
    record = check_record(result)
    assert _builtins_only(record)
    assert record["name"] == "accuracy" and record["metrics"][0]["n"] == 90
    assert record["details"] == {"count": 3, "flag": True, "rows": [0, 1], "7": [1, 2]}
    assert check_record(CheckResult(name=5, kind="custom", outcome=Outcome.PASSED))["name"] == "5"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (
            CheckResult("m", "metric", Outcome.PASSED, details={"model": {"fitted": object()}}),
            "details/model/fitted",
        ),
        (CheckResult("m", "metric", Outcome.PASSED, [MetricValue("m", 0.5, n=-1)]), "metrics/0/n"),
        (CheckResult("m", "metric", Outcome.PASSED, [MetricValue("m", "high")]), "metrics/0"),  # type: ignore[arg-type]
        (CheckResult("m", "spectral", Outcome.PASSED), "kind"),
        (
            CheckResult("m", "custom", Outcome.PASSED, details={"rows": [1, {"b": object()}]}),
            "details/rows/1/b",
        ),
        (CheckResult("m", "custom", "passed"), "(top level)"),  # type: ignore[arg-type]
    ],
)
def test_a_result_that_cannot_be_stored_is_an_error_record_naming_the_field(result, field):
    record = check_record(result)
    assert record["outcome"] == "error" and record["fails_test"] is True
    assert record["details"]["field"] == field
    assert f": {field}: " in record["message"]
    validate(_report([{"test": "t.py::test_x", "index": 0, **record}]))


def _report(checks: list[dict], **kwargs: object) -> dict:
    return build_report(checks, provenance=provenance(seed=0), **kwargs)  # type: ignore[arg-type]


PLAIN_TESTS = """
import numpy as np
from mltestkit.results import CheckResult, MetricValue, Outcome

def test_numpy_values(ml):
    ml.record(CheckResult(
        name=np.str_("custom accuracy"), kind="custom", outcome=Outcome.PASSED,
        metrics=[MetricValue(np.str_("accuracy"), np.float64(0.93), n=np.int64(400))],
        details={"rows": np.int64(400), "ok": np.bool_(True)},
    ))

def test_a_name_that_is_not_text(ml):
    ml.record(CheckResult(name=17, kind="custom", outcome=Outcome.PASSED))

def test_an_object_in_the_details(ml):
    ml.record(CheckResult(name="kept", kind="custom", outcome=Outcome.PASSED, details={"model": object()}))

def test_plain(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_numpy_values_and_an_unstorable_record_never_cost_the_report(pytester, workers):
    if workers:
        pytest.importorskip("xdist")
    pytester.makepyfile(PLAIN_TESTS)
    result = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "r.json", "-p", "no:cacheprovider", *workers
    )
    result.assert_outcomes(passed=3, failed=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    report = read_report(pytester.path / "r.json")
    by_test = {c["test"].split("::")[-1]: c for c in report["checks"]}
    assert sorted(by_test) == [
        "test_a_name_that_is_not_text",
        "test_an_object_in_the_details",
        "test_numpy_values",
        "test_plain",
    ]
    assert by_test["test_numpy_values"]["metrics"][0]["n"] == 400
    assert by_test["test_numpy_values"]["name"] == "custom accuracy"
    assert by_test["test_a_name_that_is_not_text"]["name"] == "17"
    bad = by_test["test_an_object_in_the_details"]
    assert (bad["name"], bad["outcome"], bad["details"]["field"]) == ("kept", "error", "details/model")
    assert "could not be stored in the report: details/model" in result.stdout.str()
    assert report["summary"]["complete"] is True and report["summary"]["incomplete_reasons"] == []


# ---------------------------------------------------------------- incomplete runs

ACCURACY = """
import numpy as np

def check(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
"""


def test_sigint_leaves_a_report_that_says_it_is_incomplete(pytester):
    pytester.makepyfile(
        ACCURACY
        + """
import os, signal

def test_a(ml):
    check(ml)

def test_b(ml):
    check(ml)
    os.kill(os.getpid(), signal.SIGINT)

def test_c(ml):
    check(ml)
"""
    )
    result = pytester.runpytest_subprocess("--ml", "--ml-report", "r.json", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = read_report(pytester.path / "r.json")
    summary = report["summary"]
    assert summary["complete"] is False
    assert "interrupted: KeyboardInterrupt" in summary["incomplete_reasons"]
    assert "1 collected test never ran" in summary["incomplete_reasons"]
    assert [c["test"].split("::")[-1] for c in report["checks"]] == ["test_a", "test_b"]
    assert {t["test"].split("::")[-1]: t["outcome"] for t in report["tests"]} == {
        "test_a": "passed",
        "test_b": "interrupted",
    }
    result.stdout.fnmatch_lines(["*ML report incomplete: interrupted: KeyboardInterrupt*"])
    assert main(["summary", str(pytester.path / "r.json")]) == 1


def test_a_crashed_xdist_worker_makes_the_report_incomplete(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(
        ACCURACY
        + """
import os

def test_fine(ml):
    check(ml)

def test_dies(ml):
    os._exit(3)
"""
    )
    result = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "r.json", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)
    summary = read_report(pytester.path / "r.json")["summary"]
    assert summary["complete"] is False
    assert summary["incomplete_reasons"] == [
        "1 lost with a crashed worker: test_a_crashed_xdist_worker_makes_the_report_incomplete.py::test_dies"
    ]


def test_tests_that_never_ran_after_xdist_stopped_on_a_crash_are_named(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(
        ACCURACY
        + """
import os

def test_dies(ml):
    os._exit(3)

def test_after_1(ml):
    check(ml)

def test_after_2(ml):
    check(ml)
"""
    )
    result = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "r.json", "-n", "1", "--max-worker-restart", "0", "-p", "no:cacheprovider"
    )
    assert result.ret != 0
    reasons = read_report(pytester.path / "r.json")["summary"]["incomplete_reasons"]
    assert reasons == [
        "1 lost with a crashed worker: test_tests_that_never_ran_after_xdist_stopped_on_a_crash_are_named.py::test_dies",
        "2 collected tests never ran",
    ]


def test_a_collection_error_makes_the_report_incomplete(pytester):
    pytester.makepyfile(
        test_ok=ACCURACY + "\ndef test_a(ml):\n    check(ml)\n", test_broken="import no_such_module\n"
    )
    result = pytester.runpytest(
        "--ml", "--ml-report", "r.json", "-p", "no:cacheprovider", "--continue-on-collection-errors"
    )
    result.assert_outcomes(passed=1, errors=1)
    summary = read_report(pytester.path / "r.json")["summary"]
    assert summary["complete"] is False
    assert summary["incomplete_reasons"] == ["1 collection error: test_broken.py"]


SENTINEL = {"schema_version": "1.0", "sentinel": True}


@pytest.mark.parametrize(
    "args", [["--co"], ["--collect-only", "-q"], []], ids=["co", "collect-only", "collection-error"]
)
def test_a_run_that_runs_no_test_never_overwrites_the_report(pytester, args):
    files = {"test_ok": ACCURACY + "\ndef test_a(ml):\n    check(ml)\n"}
    if not args:
        files["test_broken"] = "import no_such_module\n"
    pytester.makepyfile(**files)
    for name in ("r.json", "card.md", "r.html"):
        (pytester.path / name).write_text(json.dumps(SENTINEL))
    result = pytester.runpytest(
        "--ml", "--ml-report", "r.json", "--ml-model-card", "card.md", "--ml-html", "r.html", *args
    )
    for name in ("r.json", "card.md", "r.html"):
        assert json.loads((pytester.path / name).read_text()) == SENTINEL, name
    if not args:
        result.stdout.fnmatch_lines(
            ["*ML report not written: no test ran (*collection error*; *r.json*left as they were"]
        )
    assert not list(pytester.path.glob(".*.tmp")) and not list(pytester.path.glob(".*.lock"))


def test_summary_and_compare_exit_non_zero_on_an_incomplete_report(tmp_path, capsys):
    check = {"test": "t.py::test_x", "index": 0, **check_record(CheckResult("x", "custom", Outcome.PASSED))}
    whole, part = tmp_path / "whole.json", tmp_path / "part.json"
    write_report(_report([check]), whole)
    write_report(_report([check], incomplete=["interrupted: KeyboardInterrupt"]), part)
    assert main(["summary", str(whole)]) == 0
    assert main(["compare", str(whole), str(whole)]) == 0
    capsys.readouterr()
    assert main(["summary", str(part)]) == 1
    assert "incomplete report: interrupted: KeyboardInterrupt" in capsys.readouterr().err
    assert main(["compare", str(whole), str(part)]) == 1
    assert "the current report is incomplete: interrupted: KeyboardInterrupt" in capsys.readouterr().err
    assert main(["compare", str(part), str(whole)]) == 1
    assert "the baseline report is incomplete" in capsys.readouterr().err


def test_the_schema_refuses_an_incomplete_report_without_its_reason():
    report = _report([])
    report["summary"]["complete"] = False
    report["summary"]["incomplete_reasons"] = []
    with pytest.raises(Exception, match="incomplete_reasons"):
        validate(report)


# ---------------------------------------------------------------- files


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_temporary_file_left_by_a_killed_writer_is_swept_by_the_next_write(tmp_path):
    target = tmp_path / "r.json"
    stale = tmp_path / f".r.json.{_dead_pid()}.k3j2.tmp"
    mine = tmp_path / f".r.json.{os.getpid()}.a1b2.tmp"
    other = tmp_path / f".other.json.{_dead_pid()}.zz.tmp"
    for p in (stale, mine, other):
        p.write_text("{half")
    write_atomic(target, "{}")
    assert target.read_text() == "{}"
    assert not stale.exists() and mine.exists() and other.exists()
    assert sweep(tmp_path / "other.json") == [other]


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


SLICED = """
import numpy as np
import pytest

@pytest.mark.ml_slice
def test_slices(ml):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    pred = np.where(rng.random(400) < 0.9, y, 1 - y)
    ml.check_slices("accuracy", y, pred, by={"group": np.array(["a", "b"] * 200)}, min=0.5)
"""


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["022", "077"])
def test_every_file_a_run_writes_has_the_permissions_the_umask_gives(pytester, umask):
    pytester.makepyfile(SLICED)
    previous = os.umask(umask)
    try:
        result = pytester.runpytest(
            "--ml", "--ml-report", "out/r.json", "--ml-model-card", "out/card.md", "--ml-html", "out/r.html"
        )
    finally:
        os.umask(previous)
    result.assert_outcomes(passed=1)
    written = sorted(p for p in (pytester.path / "out").rglob("*") if p.is_file())
    assert {p.suffix for p in written} == {".json", ".md", ".html", ".svg"}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {
        p.name: oct(0o666 & ~umask) for p in written
    }
    assert not [p for p in written if p.name.startswith(".")]


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"new"


def test_two_sessions_writing_one_report_are_told(pytester):
    pytester.makepyfile(ACCURACY + "\ndef test_a(ml):\n    check(ml)\n")
    lock = pytester.path / ".r.json.lock"
    lock.write_text(str(os.getppid()))  # a live process that is not this one holds the path
    result = pytester.runpytest("--ml", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    text = f"another pytest session (process {os.getppid()}) is writing {pytester.path / 'r.json'} too"
    assert result.stdout.str().count(text) == 2  # at the start and in the summary
    assert lock.read_text() == str(os.getppid())
    read_report(pytester.path / "r.json")


def test_a_claim_is_released_and_a_dead_session_s_claim_is_taken_over(tmp_path):
    target = tmp_path / "r.json"
    lock = tmp_path / ".r.json.lock"
    lock.write_text(str(_dead_pid()))
    assert claim(target) is None
    assert lock.read_text() == str(os.getpid())
    release(target)
    assert not lock.exists()


# ---------------------------------------------------------------- the docs target

ROOT = Path(__file__).resolve().parents[1]


def _docs_command() -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    recipe = lines[lines.index(next(line for line in lines if line.startswith("docs:"))) + 1]
    command = recipe.strip().split()
    assert command[0] == "NO_MKDOCS_2_WARNING=1" and command[1].endswith("/mkdocs"), recipe
    return command[2:]


def test_make_docs_fails_on_a_broken_link(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.exists():
        pytest.skip("mkdocs is not installed")
    args = _docs_command()
    assert "--strict" in args and not {"--quiet", "-q"} & set(args)
    for name in os.listdir(ROOT):
        if name not in {"docs", "site", ".git", ".venv"} and not name.startswith("."):
            (tmp_path / name).symlink_to(ROOT / name)
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "index.md").write_text((docs / "index.md").read_text() + "\n[gone](../examples/ci/no-such.yml)\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [str(mkdocs), *args[:-1], str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode != 0
    assert "../examples/ci/no-such.yml" in run.stderr + run.stdout
