"""find_weak_slices: finds planted weak slices, counts equal a brute-force groupby, keeps
family-wise false discoveries at the level on null data, gates by size, rejects bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mltestkit import find_weak_slices
from mltestkit.errors import InputError
from mltestkit.results import Outcome
from mltestkit.stats.multiplicity import holm


def _planted(seed: int = 0, n: int = 20000):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "color": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["S", "M", "L"], n),
            "shop": rng.choice(["a", "b", "c", "d"], n),
            "price": rng.uniform(0, 100, n),
        }
    )
    y = rng.integers(0, 2, n)
    weak = (frame.color == "red") & (frame["size"] == "L")
    pred = np.where(rng.random(n) < np.where(weak, 0.7, 0.9), y, 1 - y)
    return frame, y, pred, weak


def test_finds_the_planted_slice_first_and_gates_on_its_size():
    frame, y, pred, weak = _planted()
    r = find_weak_slices(y, pred, by=frame)
    assert r.metrics[0].slice == {"color": "red", "size": "L"}
    assert r.outcome is Outcome.PASSED and r.metrics[0].outcome is None
    top = r.details["slices"][0]
    assert top["rows"] == int(weak.sum())
    assert top["value"] == pytest.approx(np.mean(y[weak] == pred[weak]))
    assert top["rest"] == pytest.approx(np.mean(y[~weak] == pred[~weak]))
    assert top["p_holm"] <= r.details["alpha"]
    # the parent slices that contain it are worse than the rest too, but by less
    assert {"color": "red"} in [m.slice for m in r.metrics]
    gated = find_weak_slices(y, pred, by=frame, max=0.05)
    assert gated.outcome is Outcome.FAILED and gated.fails_test
    share = gated.metrics[-1]
    assert share.name == "weak_slice_fraction" and share.outcome is Outcome.FAILED and share.rule == "point"
    assert share.value == max(t["fraction"] for t in gated.details["slices"])
    assert all(m.outcome is None for m in gated.metrics[:-1])
    big_only = find_weak_slices(y, pred, by=frame, max=0.5)
    assert big_only.outcome is Outcome.PASSED
    shallow = find_weak_slices(y, pred, by=frame, depth=1)
    assert all(len(m.slice) == 1 for m in shallow.metrics)


def test_values_and_pvalues_equal_a_brute_force_groupby():
    frame, y, pred, _ = _planted(seed=1, n=5000)
    frame = frame.drop(columns="price")
    r = find_weak_slices(y, pred, by=frame, top=1000, min_size=20)
    correct = y == pred
    rows = []
    for a in frame.columns:
        for b in [None, *frame.columns]:
            if b is not None and b <= a:
                continue
            cols = [a] if b is None else [a, b]
            for key, idx in frame.groupby(cols if b is not None else a).groups.items():
                if len(idx) < 20:
                    continue
                inside = np.zeros(len(frame), bool)
                inside[idx] = True
                k1, n1 = correct[inside].sum(), inside.sum()
                k2, n2 = correct[~inside].sum(), (~inside).sum()
                p_fisher = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="less").pvalue
                keyt = key if isinstance(key, tuple) else (key,)
                rows.append((dict(zip(cols, keyt, strict=True)), k1 / n1, p_fisher))
    adjusted = holm([p for _, _, p in rows])
    expected = {
        tuple(sorted(s.items())): (v, pa)
        for (s, v, _), pa in zip(rows, adjusted, strict=True)
        if pa <= 0.025 and v < 1
    }
    found = {tuple(sorted(t["slice"].items())): (t["value"], t["p_holm"]) for t in r.details["slices"]}
    assert r.details["tested"] == len(rows)
    assert set(found) == {k for k, (v, pa) in expected.items() if v < np.mean(correct)}
    for key, (v, pa) in found.items():
        assert v == pytest.approx(expected[key][0]) and pa == pytest.approx(expected[key][1])


def test_family_wise_false_discoveries_on_null_data():
    # 5 features of 4 values: 180 slices tested per family, all with accuracy 0.8
    rng = np.random.default_rng(5)
    families, n = 100, 4000
    frame = pd.DataFrame({f"f{i}": rng.choice(list("abcd"), n) for i in range(5)})
    y = np.ones(n, dtype=int)
    any_found = 0
    for i in range(families):
        pred = (np.random.default_rng([5, i]).random(n) < 0.8).astype(int)
        r = find_weak_slices(y, pred, by=frame, top=1000)
        any_found += r.details["significant"] > 0
    assert any_found / families <= 0.05


def test_other_metrics_and_direction():
    rng = np.random.default_rng(2)
    n = 10000
    g = rng.choice(["x", "y", "z"], n)
    y = rng.integers(0, 2, n)
    # more false positives in group z: fpr is worse when it is higher
    pred = np.where((y == 0) & (g == "z") & (rng.random(n) < 0.3), 1, y)
    r = find_weak_slices(y, pred, by={"g": g}, metric="fpr", depth=1)
    assert [m.slice for m in r.metrics] == [{"g": "z"}]
    assert r.details["slices"][0]["gap"] > 0
    small_gap = find_weak_slices(y, pred, by={"g": g}, metric="fpr", depth=1, min_gap=0.5)
    assert small_gap.metrics == []


def test_numeric_features_are_binned():
    rng = np.random.default_rng(3)
    n = 8000
    age = rng.uniform(0, 100, n)
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < np.where(age >= 75, 0.6, 0.95), y, 1 - y)
    r = find_weak_slices(y, pred, by={"age": age}, depth=1)
    assert r.metrics[0].slice["age"].startswith("[") and r.metrics[0].slice["age"].endswith("]")
    edges = find_weak_slices(y, pred, by={"age": age}, depth=1, bins={"age": [25, 50, 75]})
    assert edges.metrics[0].slice == {"age": ">= 75"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "f1"}, r"^metric: f1 is not a proportion; use one of accuracy"),
        ({"depth": 4}, r"^depth: must be 1, 2 or 3, got 4"),
        ({"min_size": 0}, r"^min_size: must be an int in \[1, "),
        ({"max": 2}, r"^max: must be a share of the rows in \[0, 1\]"),
        ({"min_gap": -1}, r"^min_gap: must be in \[0, 1\)"),
        ({"top": 0}, r"^top: must be an int >= 1"),
        ({"by": {"a": [1, 2]}}, r"^by: column 'a' has 2 rows but y_true has 4"),
        ({"by": {}}, r"^by: has no columns"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"by": {"a": ["x", "y", "x", "y"]}, **kwargs}
    with pytest.raises(InputError, match=message):
        find_weak_slices([0, 1, 0, 1], [0, 1, 1, 1], **args)


def test_depth_three_finds_a_three_way_interaction():
    rng = np.random.default_rng(4)
    n = 40000
    frame = pd.DataFrame({c: rng.choice(["u", "v"], n) for c in "abc"})
    y = np.ones(n, dtype=int)
    weak = ((frame.a == "u") & (frame.b == "v") & (frame.c == "u")).to_numpy()
    pred = (rng.random(n) < np.where(weak, 0.7, 0.9)).astype(int)
    r = find_weak_slices(y, pred, by=frame, depth=3)
    assert r.metrics[0].slice == {"a": "u", "b": "v", "c": "u"}
    assert r.details["tested"] == 6 + 12 + 8


def test_high_cardinality_features_number_only_present_combinations():
    rng = np.random.default_rng(6)
    n = 3000
    frame = pd.DataFrame(
        {"a": rng.integers(0, 2000, n).astype(str), "b": rng.integers(0, 2000, n).astype(str)}
    )
    frame.loc[:99, ["a", "b"]] = ["hot", "spot"]
    y = np.ones(n, dtype=int)
    pred = np.r_[np.zeros(100), (rng.random(n - 100) < 0.95)].astype(int)
    r = find_weak_slices(y, pred, by=frame, min_size=50)
    assert r.details["tested"] == 3  # a=hot, b=spot, and both
    assert r.details["searched"] == frame.a.nunique() + frame.b.nunique() + len(frame.drop_duplicates())
    assert {"a": "hot", "b": "spot"} in [m.slice for m in r.metrics]


def test_features_and_max_fraction_are_deprecated_spellings():
    frame, y, pred, _ = _planted(n=4000)
    with pytest.deprecated_call(match="use by="), pytest.deprecated_call(match="use max="):
        old = find_weak_slices(y, pred, features=frame, max_fraction=0.05)
    assert old == find_weak_slices(y, pred, by=frame, max=0.05)
    with pytest.deprecated_call(), pytest.raises(InputError, match=r"^features: has no columns"):
        find_weak_slices(y, pred, features={})


def test_reported_slices_carry_the_registry_estimate():
    from mltestkit import check_metric

    frame, y, pred, _ = _planted(seed=3, n=8000)
    r = find_weak_slices(y, pred, by=frame, depth=2, name="weak", rule="alarm", confidence=0.9, seed=5)
    top = r.metrics[0]
    mask = np.ones(len(y), bool)
    for column, value in top.slice.items():
        mask &= (frame[column] == value).to_numpy()
    ref = check_metric("accuracy", y[mask], pred[mask], confidence=0.9).metrics[0]
    assert (top.value, top.n, top.ci) == (ref.value, ref.n, ref.ci)
    assert r.name == "weak" and r.rule is None
