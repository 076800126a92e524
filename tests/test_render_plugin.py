"""The plugin's outputs: --ml-baseline (a regression fails the run), --ml-model-card, --ml-html,
JUnit properties, ML Test Score markers; serially and under pytest-xdist."""

from __future__ import annotations

import pytest

from mltestkit.report import read_report
from mltestkit.report.score import score_report

MODEL_TESTS = """
import os

import numpy as np
import pytest

N = 6000
Y = np.random.default_rng(0).integers(0, 2, N)
HARD = np.random.default_rng(1).random(N)  # how hard each row is; every model version errs on the hardest
SEED = int(os.environ.get("MLTK_SEED", "0"))
ERROR = float(os.environ.get("MLTK_ERROR", "0.12"))


@pytest.fixture(scope="module")
def pred():
    wrong = HARD + 0.01 * np.random.default_rng(SEED).standard_normal(N) < ERROR
    return np.where(wrong, 1 - Y, Y)


@pytest.mark.ml(score="monitoring.5")
def test_quality(ml, pred):
    ml.check_metric("accuracy", Y, pred, min=0.5, keep_rows=True)
    ml.check_metric("recall", Y, pred, min=0.5, keep_rows=True)


def test_ranking(ml, pred):
    ml.check_metric("balanced_accuracy", Y, pred, min=0.5)
"""

MARGINS = ("--ml-margin", "0.01", "--ml-margin", "balanced_accuracy=0.02")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--ml", *args)


def test_baseline_gate_model_card_and_html(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_model=MODEL_TESTS)
    assert run(pytester, "--ml-report", "base.json").ret == 0

    # the same model with a little noise: no regression, and the outputs are written
    monkeypatch.setenv("MLTK_SEED", "1")
    outputs = ("--ml-model-card", "card/MODEL_CARD.md", "--ml-html", "cur.html")
    result = run(pytester, "--ml-report", "cur.json", "--ml-baseline", "base.json", *MARGINS, *outputs)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*baseline comparison: 3 figures matched (*), no regression*",
            "*ML outputs: card/MODEL_CARD.md, cur.html",
        ]
    )
    report = read_report(pytester.path / "cur.json")
    assert {r["method"] for r in report["comparison"]["rows"]} == {"mcnemar", "paired-bootstrap"}
    card = (pytester.path / "card" / "MODEL_CARD.md").read_text()
    assert "### Baseline comparison" in card and "> **This card has gaps:**" in card
    html = (pytester.path / "cur.html").read_text()
    assert 'id="baseline"' in html and "mcnemar" in html
    covered = {i["id"] for i in score_report(report)["items"] if i["how"] == "automated"}
    assert covered == {"infrastructure.4", "monitoring.5", "monitoring.7"}
    assert report["ml_test_score"] == score_report(report)

    # three more points of error: the tests pass their thresholds, the comparison fails the run
    monkeypatch.setenv("MLTK_ERROR", "0.15")
    result = run(pytester, "--ml-baseline", "base.json", *MARGINS)
    result.assert_outcomes(passed=2)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*regression(s)*", "*WORSE test_quality :: accuracy: -0.03* (margin 0.01, mcnemar)*"]
    )

    # the same under pytest-xdist: only the controller compares and writes
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--ml",
        "-n",
        "2",
        "--ml-baseline",
        "base.json",
        *MARGINS,
        "--ml-html",
        "x.html",
    )
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*WORSE test_quality :: accuracy*"])
    assert (pytester.path / "x.html").exists()

    # an unusable baseline is a message and a failed run, not an INTERNALERROR
    (pytester.path / "bad.json").write_text('{"schema_version": "9.0"}')
    result = run(pytester, "--ml-baseline", "bad.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*baseline comparison failed: *bad.json: report schema_version 9.0 is not supported*"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_subset_run_against_the_baseline_fails_on_missing_figures_unless_allowed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_model=MODEL_TESTS)
    assert run(pytester, "--ml-report", "base.json").ret == 0
    subset = ("-k", "test_ranking", "--ml-baseline", "base.json", *MARGINS)
    result = run(pytester, *subset)
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*regression(s)*", "*WORSE test_quality :: accuracy*missing*"])
    result = run(pytester, *subset, "--ml-allow-missing")
    assert result.ret == 0, result.stdout.str()
    pytester.makeini("[pytest]\nml_allow_missing = true\n")
    assert run(pytester, *subset).ret == 0


@pytest.mark.parametrize(("family", "workers"), [("xunit2", ()), ("xunit2", ("-n", "2")), ("xunit1", ())])
def test_junit_figures_are_testsuite_properties(
    pytester: pytest.Pytester, family: str, workers: tuple[str, ...]
) -> None:
    from junitparser import JUnitXml

    pytester.makepyfile(test_model=MODEL_TESTS)
    pytester.makeini(f"[pytest]\njunit_family = {family}\n")
    result = run(pytester, "--junitxml", "junit.xml", *workers)
    assert result.ret == 0, result.stdout.str()
    suite = next(iter(JUnitXml.fromfile(str(pytester.path / "junit.xml"))))
    props = {p.name: p.value for p in suite.properties()}
    assert props["ml.test_quality.accuracy"] == "passed"
    value, rest = props["ml.test_quality.accuracy.accuracy"].split(" ", 1)
    assert 0.8 < float(value) < 1 and rest.startswith("[") and rest.endswith(">= 0.5: passed")
    assert props["ml.test_ranking.balanced_accuracy.balanced_accuracy"].endswith(": passed")
    assert "PytestWarning" not in result.stdout.str()  # record_property would warn under xunit2


def test_a_bad_margin_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_model="def test_plain():\n    pass\n")
    result = run(pytester, "--ml-margin", "accuracy=-0.1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--ml-margin: 'accuracy=-0.1' is not valid; expected NAME=VALUE with a non-negative number*"]
    )


TERMINAL_TESTS = """
import numpy as np
import pandas as pd
import pytest

from mltestkit import infer_schema

FRAME = pd.DataFrame({f"c{i}": np.arange(50.0) for i in range(12)})


def test_schema(ml):
    bad = FRAME.copy()
    bad.loc[3, "c7"] = None
    ml.check_schema(bad, infer_schema(FRAME))


def test_bad_input(ml):
    ml.check_metric("accuracy", [1, 0, 1], [1, 0])
"""


def test_a_failure_shows_what_failed_and_not_our_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_terminal=TERMINAL_TESTS)
    result = run(pytester)
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    schema = out[out.index("_ test_schema _") : out.index("_ test_bad_input _")]
    assert "c7" in schema and "failed" in schema
    assert "c3" not in schema  # a passing column's rules are not listed
    assert "passing figures not shown" in schema
    bad = out[out.index("_ test_bad_input _") : out.index("short test summary")]
    assert "InputError" in bad and "y_pred" in bad
    assert "src/mltestkit" not in bad and "site-packages/mltestkit" not in bad  # no frames of ours
    assert len(bad.splitlines()) < 15


def test_load_test_progress_reaches_the_terminal(pytester: pytest.Pytester) -> None:
    from pathlib import Path

    app = Path(__file__).parent / "apps" / "faulty.py"
    pytester.makepyfile(
        test_progress_to_terminal=f"""
import pytest

@pytest.mark.ml_load
def test_under_load(ml, ml_server):
    url = ml_server("{app}:app", health="/health")
    ml.load_test(url + "/fast", payloads=[{{"x": 1.0}}], users=1, duration="2s", max={{"fail_ratio": 0.0}})
"""
    )
    result = run(pytester, "-q", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["load test http*/fast: * s, * requests, 0 failures"])
    assert "Captured stderr" not in result.stdout.str()
    history = read_report(pytester.path / "r.json")["checks"][0]["details"]["history"]
    assert history["t_s"] and len(history["t_s"]) == len(history["requests_per_s"]) == len(history["p95_ms"])
    assert max(history["requests_per_s"]) > 0  # locust's stats history, read before its folder is removed
