"""The pytest plugin, driven through pytester: options, markers, the ml fixture, the report, xdist."""

from __future__ import annotations

import json

import pytest

from mltestkit.report import read_report, validate

MODEL_TESTS = """
import numpy as np
import pytest

Y = np.array([0, 1] * 200)
GOOD = Y.copy()
GOOD[:20] = 1 - GOOD[:20]          # accuracy 0.95

@pytest.mark.ml_metric
def test_accuracy(ml):
    ml.check_metric("accuracy", Y, GOOD, min=0.9)

@pytest.mark.ml_metric
def test_several(ml):
    ml.check_metric("recall", Y, GOOD, min=0.9)
    ml.check_metric("f1", Y, GOOD, min=0.9)
    ml.check_metric("roc_auc", Y, y_score=np.where(GOOD == 1, 0.8, 0.2), min=0.9)

def test_plain():
    assert True
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", *args)


def test_without_ml_tests_are_skipped_with_the_reason(pytester):
    pytester.makepyfile(
        MODEL_TESTS
        + """
def test_fixture_only(ml):
    raise AssertionError("must not run")
"""
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*ML checks run with --ml*"])
    assert "= mltestkit =" not in result.stdout.str()


def test_with_ml_checks_run_and_the_report_validates(pytester):
    pytester.makepyfile(MODEL_TESTS)
    result = run(pytester, "--ml", "--ml-report", "out/report.json")
    result.assert_outcomes(passed=3)
    report = read_report(pytester.path / "out" / "report.json")
    assert report["summary"]["checks"] == 4
    assert report["summary"]["passed"] == 4
    names = [(c["test"].split("::")[-1], c["name"], c["index"]) for c in report["checks"]]
    assert names == [
        ("test_accuracy", "accuracy", 0),
        ("test_several", "recall", 0),
        ("test_several", "f1", 1),
        ("test_several", "roc_auc", 2),
    ]
    acc = report["checks"][0]["metrics"][0]
    assert acc["value"] == pytest.approx(0.95)
    assert acc["ci"]["method"] == "wilson" and acc["ci"]["level"] == 0.95
    assert acc["threshold"] == [{"op": ">=", "value": 0.9}]
    assert report["provenance"]["seed"] == 0
    assert report["provenance"]["packages"]["numpy"]
    result.stdout.fnmatch_lines(
        ["*= mltestkit =*", "PASSED*test_accuracy :: metric:accuracy  accuracy=0.95 ?0.924, 0.9674? >= 0.9"]
    )


def test_a_wrong_threshold_fails_the_test_and_the_run(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

@pytest.mark.ml_metric
def test_too_strict(ml):
    y = np.array([0, 1] * 200)
    ml.check_metric("accuracy", y, y, min=1.01 - 0.02)
    pred = y.copy(); pred[:80] = 1 - pred[:80]
    ml.check_metric("accuracy", y, pred, min=0.9)
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*CheckFailure: metric check 'accuracy': failed*",
            "*accuracy = 0.8 ?0.758, 0.8363? (>= 0.9, acceptance, n=400): failed*",
            "*the estimate misses the threshold.*",
        ]
    )
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == ["passed", "failed"]
    assert report["tests"][0]["outcome"] == "failed"


def test_inconclusive_fails_under_acceptance_and_warns_under_alarm(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

@pytest.mark.ml_metric
def test_close_call(ml):
    y = np.array([1] * 83 + [0] * 17)
    ml.check_metric("accuracy", y, np.ones(100, dtype=int), min=0.8)
"""
    )
    result = run(pytester, "--ml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*inconclusive*", "*About * rows (now 100) would decide it*"])
    result = run(pytester, "--ml", "--ml-gate", "alarm", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*MLTestKitWarning: inconclusive, passed under the alarm rule*"])


def test_soft_checks_report_every_failure(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

Y = np.array([0, 1] * 100)
BAD = 1 - Y

@pytest.mark.ml_metric
def test_block(ml):
    with ml.soft():
        ml.check_metric("accuracy", Y, BAD, min=0.9)
        ml.check_metric("recall", Y, BAD, min=0.9)
        ml.check_metric("selection_rate", Y, Y, max=0.6)

@pytest.mark.ml_metric
def test_keyword(ml):
    ml.check_metric("accuracy", Y, BAD, min=0.9, soft=True)
    ml.check_metric("precision", Y, Y, min=0.9, soft=True)
    ml.check_metric("recall", Y, BAD, min=0.9, soft=True)
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*CheckFailure: 2 soft check(s) failed:*"])
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == [
        "failed",
        "failed",
        "passed",
        "failed",
        "passed",
        "failed",
    ]


def test_bad_input_is_the_test_failure_and_the_report_is_still_written(pytester):
    pytester.makepyfile(
        """
import pytest

@pytest.mark.ml_metric
def test_lengths(ml):
    ml.check_metric("accuracy", [0, 1, 1], [0, 1], min=0.5)

@pytest.mark.ml_metric
def test_name(ml):
    ml.check_metric("acuracy", [0, 1], [0, 1], min=0.5)

@pytest.mark.ml_metric
def test_no_threshold(ml):
    ml.check_metric("accuracy", [0, 1], [0, 1])

def test_no_such_check(ml):
    ml.check_everything()
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    assert "INTERNALERROR" not in out
    for text in (
        "InputError: y_pred: has 2 rows but y_true has 3; pass arrays of the same length",
        "InputError: metric: unknown metric 'acuracy'; did you mean 'accuracy'?",
        "InputError: min/max: no requirement given for accuracy; pass min= and/or max=",
        "AttributeError: 'ml' has no check 'check_everything'; the checks are:",
    ):
        assert text in out
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == ["error", "error", "error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--ml-gate", "strict"],
            "--ml-gate: 'strict' is not valid; expected one of acceptance, alarm, point",
        ),
        (
            ["--ml-confidence", "95"],
            "--ml-confidence: '95' is not valid; expected a number in [0.5, 1), e.g. 0.95",
        ),
        (["--ml-seed", "-1"], "--ml-seed: '-1' is not valid; expected a non-negative integer, e.g. 0"),
    ],
)
def test_bad_option_values_are_usage_errors(pytester, args, message):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "--ml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_ini_keys(pytester):
    pytester.makeini("[pytest]\nml = true\nml_gate = point\nml_seed = 7\nml_report = from-ini.json\n")
    pytester.makepyfile(MODEL_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    report = read_report(pytester.path / "from-ini.json")
    assert report["provenance"]["gate_rule"] == "point" and report["provenance"]["seed"] == 7
    assert {m["rule"] for c in report["checks"] for m in c["metrics"]} == {"point"}
    pytester.makeini("[pytest]\nml_confidence = high\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key ml_confidence: 'high' is not valid" in result.stderr.str()


def test_plugin_can_be_disabled(pytester):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "-p", "no:mltestkit", "--ml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --ml" in result.stderr.str()


def test_hook_edits_the_report_and_fingerprints_are_recorded(pytester):
    pytester.makeconftest(
        """
def pytest_mltestkit_report(report, config):
    report["provenance"]["registry_id"] = "credit-7"
"""
    )
    pytester.makepyfile(
        """
import numpy as np

def test_fp(ml):
    ml.fingerprint("train", np.arange(10))
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    report = read_report(pytester.path / "r.json")
    assert report["provenance"]["registry_id"] == "credit-7"
    fp = report["provenance"]["fingerprints"]["train"]
    assert fp["kind"] == "ndarray" and fp["shape"] == [10] and fp["test"].endswith("::test_fp")


def test_unwritable_report_path_is_a_clear_failure(pytester):
    pytester.makepyfile(MODEL_TESTS)
    (pytester.path / "blocker").write_text("a file, not a directory")
    result = run(pytester, "--ml", "--ml-report", "blocker/report.json")
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*could not write the ML report to *blocker/report.json*"])


def _comparable(report):
    return [
        (c["test"], c["index"], c["name"], c["outcome"], json.dumps(c["metrics"], sort_keys=True))
        for c in report["checks"]
    ]


BOOTSTRAP_TESTS = """
import numpy as np
import pytest

@pytest.mark.parametrize("k", range(6))
def test_f1(ml, k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, 2, 300)
    pred = np.where(rng.random(300) < 0.85, y, 1 - y)
    ml.check_metric("f1", y, pred, min=0.7, soft=True)
    ml.check_metric("mae", y.astype(float), pred.astype(float), max=0.3)
"""


def test_xdist_gives_the_same_report_as_a_serial_run(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(BOOTSTRAP_TESTS)
    serial = pytester.runpytest_subprocess("--ml", "--ml-report", "serial.json", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=6)
    parallel = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "parallel.json", "-n", "2", "-p", "no:cacheprovider"
    )
    parallel.assert_outcomes(passed=6)
    a, b = read_report(pytester.path / "serial.json"), read_report(pytester.path / "parallel.json")
    assert len(a["checks"]) == 12
    assert _comparable(a) == _comparable(b)
    assert b["provenance"]["workers"] == 2
    assert "= mltestkit =" in parallel.stdout.str()


def test_a_crashed_worker_loses_only_its_own_test(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
import os
import numpy as np

def test_fine(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)

def test_dies(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
    os._exit(3)

def test_also_fine(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
"""
    )
    result = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "r.json", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2, failed=1)
    report = read_report(pytester.path / "r.json")
    assert report["summary"]["lost_tests"] == ["test_a_crashed_worker_loses_only_its_own_test.py::test_dies"]
    assert sorted(c["test"].split("::")[-1] for c in report["checks"]) == ["test_also_fine", "test_fine"]
    outcomes = {t["test"].split("::")[-1]: t["outcome"] for t in report["tests"]}
    assert outcomes["test_dies"] == "crashed"


HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "great_expectations",
    "fairlearn",
    "locust",
    "mltestkit.metrics",
)


def test_loading_the_plugin_without_ml_imports_nothing_heavy(pytester):
    pytester.makeconftest(
        f"""
import sys

def pytest_sessionfinish(session):
    heavy = [m for m in {HEAVY!r} if m in sys.modules]
    print("HEAVY-MODULES:", ",".join(heavy) or "none")
"""
    )
    pytester.makepyfile(
        """
import pytest

@pytest.mark.ml_data
def test_data(ml):
    pass

def test_plain():
    pass
"""
    )
    # locust's own pytest plugin imports gevent and more; it is not ours, so it is turned off here
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:locust", "-s")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*HEAVY-MODULES: none"])


def test_report_validates_against_the_schema_with_nan_free_values(pytester):
    pytester.makepyfile(
        """
import numpy as np
from mltestkit.results import CheckResult, MetricValue, Outcome

def test_custom(ml):
    ml.record(CheckResult(name="nan", kind="custom", outcome=Outcome.PASSED,
                          metrics=[MetricValue(name="x", value=float("nan"))]))
"""
    )
    run(pytester, "--ml", "--ml-report", "r.json").assert_outcomes(passed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    validate(data)
    assert data["checks"][0]["metrics"][0]["value"] is None
    assert data["checks"][0]["metrics"][0]["reason"] == "value is not finite (nan)"
