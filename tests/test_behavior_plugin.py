"""Behavioral checks through the pytest plugin: ``ml.check_invariance`` and friends, serially and with xdist."""

from __future__ import annotations

from mltestkit.report import read_report

TESTS = """
import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from mltestkit import perturb

FRAME = pd.DataFrame({"x": np.arange(600.0), "g": ["a", "b"] * 300})
SWAP = perturb.swap("g", {"a": "b", "b": "a"})

def fair(f):
    return (f["x"] > 250).astype(int).to_numpy()

def biased(f):
    return ((f["x"] > 250) | (f["g"] == "b")).astype(int).to_numpy()

@pytest.mark.ml_behavior
def test_inv_passes(ml):
    ml.check_invariance(fair, FRAME, SWAP, max_failure_rate=0.01)

@pytest.mark.ml_behavior
def test_inv_fails(ml):
    ml.check_invariance(biased, FRAME, SWAP, max_failure_rate=0.01)

@pytest.mark.ml_behavior
def test_dir_point(ml):
    ml.check_directional(lambda f: f["x"].to_numpy(), FRAME, perturb.shift("x", 1), expect="increase",
                         max_failure_rate=0.0, rule="point")

@pytest.mark.ml_behavior
def test_mft(ml):
    ml.check_mft(lambda t: [int("love" in s) for s in t], ["I love it", "I hate it"] * 200,
                 expected=[1, 0] * 200, min_pass_rate=0.95)

@pytest.mark.ml_behavior
def test_search(ml):
    rows = st.fixed_dictionaries({"x": st.floats(0, 600), "g": st.sampled_from(["a", "b"])})
    ml.search_invariance(biased, rows, SWAP, max_examples=50)
"""


def _check(report: dict, test: str) -> dict:
    return next(c for c in report["checks"] if c["test"].endswith(test))


def test_behavior_checks_run_through_the_ml_fixture(pytester):
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--ml", "--ml-report", "r.json", "--ml-seed", "3")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*CheckFailure: behavior check 'invariance: swap(g)': failed*"])
    report = read_report(pytester.path / "r.json")
    assert {c["kind"] for c in report["checks"]} == {"behavior"}
    inv = _check(report, "test_inv_fails")
    assert inv["metrics"][0]["name"] == "failure_rate" and inv["metrics"][0]["n"] == 600
    assert inv["details"]["failures"] == 251 and len(inv["details"]["counterexamples"]) == 20
    assert inv["details"]["counterexamples"][0]["input"]["g"] == "a"
    assert _check(report, "test_inv_passes")["rule"] == "acceptance"
    search = _check(report, "test_search")
    assert search["outcome"] == "failed"
    assert search["details"]["counterexample"]["input"] == {"x": 0.0, "g": "a"}


def test_results_are_deterministic_under_the_session_seed_serially_and_with_xdist(pytester):
    pytester.makepyfile(TESTS)
    args = ("-p", "no:cacheprovider", "--ml", "--ml-seed", "11", "-k", "test_search or test_mft")
    pytester.runpytest(*args, "--ml-report", "a.json").assert_outcomes(passed=1, failed=1)
    pytester.runpytest_subprocess(*args, "--ml-report", "b.json", "-n", "2").assert_outcomes(
        passed=1, failed=1
    )
    runs = []
    for name in ("a.json", "b.json"):
        checks = sorted(read_report(pytester.path / name)["checks"], key=lambda c: c["test"])
        runs.append([(c["test"], c["details"], c["metrics"]) for c in checks])
    assert runs[0] == runs[1]
    assert runs[0][1][1]["perturbation"]["name"] == "swap(g)"
