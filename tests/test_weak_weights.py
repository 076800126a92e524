"""find_weak_slices with sample weights: weighted values, a test on Kish's effective counts, and
exactly the unweighted figures with weights of 1."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mltestkit import find_weak_slices


def _data(seed: int, n: int = 6000, weak: float = 0.6):
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue"], n)
    size = rng.choice(["S", "M", "L"], n)
    y = rng.integers(0, 2, n)
    right = rng.random(n) < np.where((color == "red") & (size == "L"), weak, 0.9)
    return {"color": color, "size": size}, y, np.where(right, y, 1 - y), rng


def test_unit_weights_give_exactly_the_unweighted_result():
    by, y, p, _ = _data(0)
    for metric in ("accuracy", "recall", "fpr"):
        plain = find_weak_slices(y, p, by=by, metric=metric, max=0.05)
        ones = find_weak_slices(y, p, by=by, metric=metric, max=0.05, sample_weight=np.ones(y.size))
        assert ones.to_dict() == plain.to_dict()


def test_weighted_values_equal_scikit_learn_and_the_weak_slice_is_found():
    by, y, p, rng = _data(1)
    w = rng.lognormal(0.0, 0.5, y.size)
    r = find_weak_slices(y, p, by=by, sample_weight=w)
    top = r.details["slices"][0]
    assert top["slice"] == {"color": "red", "size": "L"}
    mask = (by["color"] == "red") & (by["size"] == "L")
    assert top["value"] == pytest.approx(
        skm.accuracy_score(y[mask], p[mask], sample_weight=w[mask]), abs=1e-12
    )
    assert top["rest"] == pytest.approx(
        skm.accuracy_score(y[~mask], p[~mask], sample_weight=w[~mask]), abs=1e-12
    )
    assert top["rows"] == int(mask.sum())
    assert top["n"] < mask.sum()  # Kish's effective size
    assert top["fraction"] == pytest.approx(w[mask].sum() / w.sum())


def test_frequency_weights_test_on_fewer_effective_rows_than_repeated_rows():
    by, y, p, rng = _data(2, n=3000, weak=0.75)
    w = rng.choice([1, 2, 5], y.size)
    weighted = find_weak_slices(y, p, by=by, sample_weight=w.astype(float))
    repeated = find_weak_slices(
        np.repeat(y, w), np.repeat(p, w), by={k: np.repeat(v, w) for k, v in by.items()}
    )
    a = {tuple(sorted(s["slice"].items())): s for s in weighted.details["slices"]}
    for s in repeated.details["slices"]:
        key = tuple(sorted(s["slice"].items()))
        if key in a:
            assert a[key]["value"] == pytest.approx(s["value"], abs=1e-12)
            assert a[key]["p"] >= s["p"]  # the effective counts are fewer than the repeated rows


def test_weighted_search_keeps_its_family_wise_level_on_equal_slices():
    # every slice has accuracy 0.85: any slice reported is a false discovery
    rng = np.random.default_rng(4)
    runs, found = 200, 0
    for _ in range(runs):
        n = 2000
        by = {"g": rng.choice(list("abcdef"), n), "h": rng.choice(list("xyz"), n)}
        y = rng.integers(0, 2, n)
        p = np.where(rng.random(n) < 0.85, y, 1 - y)
        found += (
            find_weak_slices(y, p, by=by, sample_weight=rng.lognormal(0.0, 1.0, n)).details["significant"] > 0
        )
    assert found / runs <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / runs)
