"""Hypothesis search for invariance counterexamples: finds a planted violation and shrinks it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from mltestkit import perturb, search_invariance
from mltestkit.errors import InputError

SWAP = perturb.swap("group", {"a": "b", "b": "a"})
ROWS = st.fixed_dictionaries({"x": st.floats(0, 1000), "group": st.sampled_from(["a", "b"])})


def planted(frame: pd.DataFrame) -> np.ndarray:
    """A score that depends on the group only for x >= 500: the planted violation."""
    x = frame["x"].to_numpy(dtype=float)
    return 1 / (1 + np.exp(-(x - 300) / 100)) + 0.3 * ((frame["group"] == "b") & (x >= 500)).to_numpy()


def test_finds_the_planted_violation_and_shrinks_it():
    r = search_invariance(planted, ROWS, SWAP, tolerance=0.05, max_examples=300, seed=1)
    assert r.outcome.value == "failed" and r.fails_test
    example = r.details["counterexample"]
    assert example["input"] == {"x": 500.0, "group": "a"}  # the minimal counterexample
    assert example["perturbed"] == {"group": "b"}
    assert example["severity"] == pytest.approx(0.3)
    assert r.metrics[0].name == "counterexamples" and r.metrics[0].value == 1.0
    json.dumps(r.to_dict(), allow_nan=False)


def test_the_search_is_deterministic_for_a_seed():
    runs = [
        search_invariance(planted, ROWS, SWAP, tolerance=0.05, max_examples=100, seed=5) for _ in range(2)
    ]
    assert runs[0].to_dict() == runs[1].to_dict()


def test_no_violation_passes():
    r = search_invariance(planted, ROWS, SWAP, tolerance=0.5, max_examples=50, seed=0)
    assert r.outcome.value == "passed"
    assert r.details["examples_perturbed"] == r.metrics[0].n > 0


def test_frames_are_shrunk_to_one_row():
    frames = data_frames(
        [column("x", elements=st.floats(0, 1000)), column("group", elements=st.sampled_from(["a", "b"]))]
    )
    r = search_invariance(planted, frames, SWAP, tolerance=0.05, max_examples=300, seed=2)
    assert r.outcome.value == "failed"
    assert r.details["counterexample"]["input"] == {"x": 500.0, "group": "a"}


def test_a_predict_that_raises_gives_the_minimal_input_that_raises():
    def fragile(frame):
        if (frame["x"] > 700).any():
            raise ValueError("x too large")
        return np.zeros(len(frame))

    with pytest.raises(InputError) as info:
        search_invariance(fragile, ROWS, SWAP, max_examples=300, seed=0)
    text = str(info.value)
    assert text.startswith("predict: raised ValueError: x too large on the original inputs")
    x = float(text.split("{'x': ")[1].split(",")[0])
    assert 700 < x <= 701  # shrunk to a simple float just past 700


def test_a_perturbation_that_never_applies_is_vacuous():
    with pytest.raises(
        InputError, match=r"^perturbation: swap\(group\) changed none of the 20 examples drawn"
    ):
        search_invariance(planted, ROWS, perturb.swap("group", {"c": "d"}), max_examples=20)


def test_bad_arguments():
    with pytest.raises(
        InputError,
        match=r"^strategy: must be a Hypothesis strategy or a Schema, got list; pass e.g. st.text\(\) or infer_schema\(frame\)$",
    ):
        search_invariance(planted, [1, 2], SWAP)
    with pytest.raises(InputError, match=r"^max_examples: must be a positive int, got 0"):
        search_invariance(planted, ROWS, SWAP, max_examples=0)
    with pytest.raises(InputError, match=r"^column: 'colour' is not a column of the inputs"):
        search_invariance(planted, ROWS, perturb.swap("colour", {"a": "b"}), max_examples=5)


def test_a_schema_gives_the_rows_to_search():
    from mltestkit import infer_schema

    frame = pd.DataFrame({"x": np.linspace(0, 1000, 50), "group": ["a", "b"] * 25})
    r = search_invariance(planted, infer_schema(frame), SWAP, tolerance=0.05, max_examples=300, seed=1)
    assert r.outcome.value == "failed"
    example = r.details["counterexample"]["input"]
    assert example["x"] == 500.0 and example["group"] in ("a", "b")
