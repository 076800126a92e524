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
    ml.check_invariance(fair, FRAME, SWAP, max=0.01)

@pytest.mark.ml_behavior
def test_inv_fails(ml):
    ml.check_invariance(biased, FRAME, SWAP, max=0.01)

@pytest.mark.ml_behavior
def test_dir_edge(ml):
    ml.check_directional(lambda f: f["x"].to_numpy(), FRAME, perturb.shift("x", 1), expect="increase", max=0)

@pytest.mark.ml_behavior
def test_mft(ml):
    ml.check_mft(lambda t: [int("love" in s) for s in t], ["I love it", "I hate it"] * 200,
                 expected=[1, 0] * 200, min=0.95)

@pytest.mark.ml_behavior
def test_search(ml):
    rows = st.fixed_dictionaries({"x": st.floats(0, 600), "g": st.sampled_from(["a", "b"])})
    ml.search_invariance(biased, rows, SWAP, max_examples=50)
"""


def _check(report: dict, test: str) -> dict:
    return next(c for c in report["checks"] if c["test"].endswith(test))


def test_behavior_checks_run_through_the_ml_fixture_serially_and_with_xdist(pytester):
    pytester.makepyfile(TESTS)
    args = ("-p", "no:cacheprovider", "--ml", "--ml-seed", "3", "-W", "error::DeprecationWarning")
    result = pytester.runpytest(*args, "--ml-report", "r.json")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*CheckFailure: behavior check 'invariance: swap(g)': failed*"])
    report = read_report(pytester.path / "r.json")
    assert {c["kind"] for c in report["checks"]} == {"behavior"}
    inv = _check(report, "test_inv_fails")
    assert inv["metrics"][0]["name"] == "failure_rate" and inv["metrics"][0]["n"] == 600
    assert inv["details"]["failures"] == 251 and len(inv["details"]["counterexamples"]) == 20
    assert inv["details"]["counterexamples"][0]["input"]["g"] == "a"
    assert _check(report, "test_inv_passes")["rule"] == "acceptance"
    edge = _check(report, "test_dir_edge")
    figure = edge["metrics"][0]
    assert (edge["outcome"], figure["rule"], figure["value"]) == ("passed", "point", 0.0)
    search = _check(report, "test_search")
    assert search["outcome"] == "failed" and search["details"]["perturbation"]["name"] == "swap(g)"
    assert search["details"]["counterexample"]["input"] == {"x": 0.0, "g": "a"}

    # the same figures, seeds included, under pytest-xdist
    selected = ("-k", "test_search or test_mft or test_inv_fails")
    parallel = pytester.runpytest_subprocess(*args, *selected, "--ml-report", "p.json", "-n", "2")
    parallel.assert_outcomes(passed=1, failed=2)
    other = read_report(pytester.path / "p.json")
    for test in ("test_search", "test_mft", "test_inv_fails"):
        a, b = _check(report, test), _check(other, test)
        assert (a["details"], a["metrics"], a["outcome"]) == (b["details"], b["metrics"], b["outcome"])
