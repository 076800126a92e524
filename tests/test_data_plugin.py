"""Data checks through the ml fixture: recorded in a report that validates, serially and under xdist."""

from __future__ import annotations

import pytest

from mltestkit.report import read_report

DATA_TESTS = """
import numpy as np
import pandas as pd
import pytest

rng = np.random.default_rng(0)
TRAIN = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
TRAIN["y"] = (TRAIN["x"] > 0).astype(int)
TEST = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
TEST["y"] = (TEST["x"] > 0).astype(int)

@pytest.mark.ml_data
def test_clean(ml, tmp_path):
    from mltestkit import infer_schema
    infer_schema(TRAIN).save(tmp_path / "schema.yaml")
    ml.check_schema(TEST, tmp_path / "schema.yaml")
    ml.check_integrity(TRAIN, label="y")
    ml.check_drift(TRAIN, TEST, max={"psi": 0.2}, min={"p_value": 0.01})
    ml.check_leakage(TRAIN, TEST, label="y", max={"feature_score": None})

@pytest.mark.ml_data
def test_shifted(ml):
    ml.check_drift(TRAIN, TEST.assign(x=TEST["x"] + 1))
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_data_checks_in_the_report(pytester, workers):
    pytester.makepyfile(DATA_TESTS)
    args = ("-p", "no:cacheprovider", "--ml", "--ml-report", "r.json", "-W", "error::DeprecationWarning")
    result = pytester.runpytest(*args, *workers)
    result.assert_outcomes(passed=1, failed=1)
    report = read_report(pytester.path / "r.json")  # validates against the JSON Schema
    checks = {(c["test"].split("::")[-1], c["name"]): c for c in report["checks"]}
    assert set(checks) == {
        ("test_clean", "schema"),
        ("test_clean", "integrity"),
        ("test_clean", "drift"),
        ("test_clean", "leakage"),
        ("test_shifted", "drift"),
    }
    assert all(c["kind"] == "data" for c in report["checks"])
    assert checks[("test_clean", "schema")]["details"]["statistics"]["rows"] == 500
    shifted = checks[("test_shifted", "drift")]
    assert shifted["outcome"] == "failed" and shifted["message"] == "1 of 3 columns drifted: x"
    result.stdout.fnmatch_lines(["*1 of 3 columns drifted: x*"])
