"""Group and label codes without sorting, and ROC AUC from each class's sorted scores: the same
figures as the plain definitions (np.unique, scikit-learn, ranks) on inputs with ties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score, roc_curve

from mltestkit import check_metric, check_slices
from mltestkit._validate import encode_labels, factorize, factorize_strings
from mltestkit.metrics.curves import POINTS, score_curves
from mltestkit.stats.intervals import delong_auc

RNG = np.random.default_rng(7)
N = 2000
INTS = RNG.integers(0, 40, N)
COLUMNS = {
    "int64": INTS,
    "negative int8": (INTS - 20).astype(np.int8),
    "wide span": INTS * 10**12,
    "uint64": INTS.astype(np.uint64),
    "bool": INTS % 2 == 0,
    "whole floats": INTS.astype(float),
    "floats": INTS / 7,
    "short text": INTS.astype(str),
    "long text (several keys)": np.array([f"segment-{i:03d}-of-the-population" for i in INTS]),
    "non-ascii text": np.array([chr(0x1F600 + i % 5) + "é" * (i % 3) for i in INTS]),
    "bytes": INTS.astype(str).astype("S"),
    "object text": INTS.astype(str).astype(object),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_factorize_equals_np_unique(name):
    values = COLUMNS[name]
    uniques, codes = factorize(values)
    expected, inverse = np.unique(values, return_inverse=True)
    assert uniques.tolist() == expected.tolist()
    assert codes.dtype == np.int64
    assert np.array_equal(codes, inverse.reshape(-1))


STRINGS = ["", "a", "b", "a\x00", "ab", "\x00", "é", "日本", "x" * 8, "x" * 9, "y" * 31, "z" * 32]
STRINGS += ["w" * 40, None, "male", "female", "\xff", "g00", "g49"]


@pytest.mark.parametrize("seed", range(60))
def test_factorize_strings_equals_pandas_sorted_factorize(seed):
    """Arrow strings keyed by their bytes (up to 32 bytes, NUL bytes, nulls, offsets of a slice,
    several chunks, both offset widths) give pandas' sorted codes; longer ones go through Arrow."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    pool = list(rng.choice(np.array(STRINGS, dtype=object), rng.integers(1, len(STRINGS) + 1), replace=False))
    values = [pool[i] for i in rng.integers(0, len(pool), rng.integers(0, 60))]
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    for kind in (pa.string(), pa.large_string()):
        whole = pa.array(["pad", "pad", *values], type=kind)
        for array in (whole.slice(2), pa.chunked_array([whole.slice(2, 3), whole.slice(5)], type=kind)):
            got, got_codes = factorize_strings(array)
            assert got.tolist() == list(uniques)
            assert got_codes.dtype == np.int64 and got_codes.tolist() == codes.tolist()


def test_factorize_object_missing_values_get_minus_one():
    uniques, codes = factorize(np.array(["b", None, "a", float("nan"), "b"], dtype=object))
    assert uniques.tolist() == ["a", "b"]
    assert codes.tolist() == [1, -1, 0, -1, 1]


@pytest.mark.parametrize("name", ["int64", "bool", "whole floats", "short text", "long text (several keys)"])
def test_encode_labels_equals_the_sorted_union(name):
    y = COLUMNS[name]
    p = np.roll(y, 3)
    classes, t, q = encode_labels(y, p)
    both = np.concatenate([y, p]) if y.dtype.kind in "biuf" else np.concatenate([y, p]).astype(object)
    expected, inverse = np.unique(both, return_inverse=True)
    assert classes.tolist() == expected.tolist() and classes.dtype == expected.dtype
    assert np.array_equal(t, inverse[:N]) and np.array_equal(q, inverse[N:])


def test_encode_labels_refuses_mixed_types():
    with pytest.raises(Exception, match="mix label types"):
        encode_labels(np.array([1, 0]), np.array(["a", "b"]))


Y = INTS % 2
PRED = np.where(RNG.random(N) < 0.8, Y, 1 - Y)


def _slices(by):
    r = check_slices(["accuracy", "recall"], Y, PRED, by=by, min=0.5)
    return [(m.name, m.slice, m.value, m.ci) for m in r.metrics]


def test_every_group_input_gives_the_same_slices():
    text = np.array([f"g{i:02d}" for i in INTS])
    expected = _slices(pd.Series(text, name="slice"))
    for by in (
        text,
        text.astype(object),
        pd.Categorical(text),
        pd.Series(pd.Categorical(text), name="slice"),
        pd.Series(text, dtype="string[pyarrow]", name="slice"),
        pd.Series(text, dtype="string[python]", name="slice"),
    ):
        assert _slices(by) == expected


def test_arrow_text_with_missing_values_slices_as_object_text():
    import pyarrow as pa

    text = np.array([f"g{i:02d}" if i % 7 else None for i in INTS], dtype=object)
    expected = _slices(pd.Series(text, dtype=object, name="slice"))
    assert expected[-1][1] == {"slice": "(missing)"}
    for dtype in ("str", "string[pyarrow]", pd.ArrowDtype(pa.large_string()), pd.ArrowDtype(pa.string())):
        assert _slices(pd.Series(text, dtype=dtype, name="slice")) == expected


def test_integer_column_bins_as_its_float_values():
    assert _slices(INTS) == _slices(INTS.astype(float))
    assert _slices({"slice": INTS, "b": INTS % 3}) == _slices({"slice": INTS.astype(float), "b": INTS % 3})


def _reference_delong(y, s):
    """DeLong's variance from average ranks, the textbook way."""
    m, k = y.sum(), (~y).sum()
    ranks = rankdata(s)
    v10 = (ranks[y] - rankdata(s[y])) / k
    v01 = 1 - (ranks[~y] - rankdata(s[~y])) / m
    return v10.mean(), v10.var(ddof=1) / m + v01.var(ddof=1) / k


def test_roc_auc_on_200k_rows_with_ties_equals_scikit_learn():
    rng = np.random.default_rng(3)
    n = 200_000
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 2)  # 101 distinct scores
    r = check_metric("roc_auc", y, y_score=score, min=0.5)
    assert r.metrics[0].value == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    auc, var = delong_auc(y == 1, score)
    ref_auc, ref_var = _reference_delong(y == 1, score)
    assert auc[0] == pytest.approx(ref_auc, abs=1e-12)
    assert var[0] == pytest.approx(ref_var, rel=1e-9)


@pytest.mark.parametrize("distinct", [3, 50, None])
def test_grouped_delong_equals_each_group_alone(distinct):
    rng = np.random.default_rng(distinct or 0)
    n = 3000
    y = rng.random(n) < 0.3
    s = rng.integers(0, distinct, n).astype(float) if distinct else rng.random(n)
    codes = rng.integers(0, 4, n)
    codes[codes == 3] = 2  # group 3 has no rows
    auc, var = delong_auc(y, s, codes, 4)
    for g in range(3):
        ref_auc, ref_var = _reference_delong(y[codes == g], s[codes == g])
        assert auc[g] == pytest.approx(ref_auc, abs=1e-12) and var[g] == pytest.approx(ref_var, rel=1e-9)
    assert np.isnan(auc[3]) and np.isnan(var[3])


def test_roc_points_are_scikit_learns_at_every_distinct_score():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 5000)
    s = np.round(rng.random(5000) * 0.6 + 0.4 * y, 3)
    curves = score_curves(y, s)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), POINTS)).round().astype(int))
    assert curves["roc"]["fpr"] == [round(float(v), 4) for v in fpr[keep]]
    assert curves["roc"]["tpr"] == [round(float(v), 4) for v in tpr[keep]]


def test_confusion_labels_sorted_as_text_and_mixed_types_compared_as_text():
    from mltestkit.metrics.curves import confusion

    c = confusion([0, 10, 2, 2], [2, 10, 0, 2])
    assert c == {"labels": ["0", "10", "2"], "matrix": [[0, 0, 1], [0, 1, 0], [1, 0, 1]]}
    assert confusion(np.array([1, "a"], dtype=object), np.array(["a", "a"], dtype=object))["labels"] == [
        "1",
        "a",
    ]


@pytest.mark.parametrize("seed", range(40))
def test_quantiles_of_counts_equal_numpy_on_the_repeated_values(seed):
    from mltestkit.stats.quantiles import quantiles_of_counts

    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 40))
    values = np.unique(rng.normal(size=k) * 10.0 ** rng.integers(0, 8))
    if seed % 2:
        values = np.unique(rng.integers(-50, 50, k)).astype(float)
    counts = rng.integers(0, 6, values.size)
    counts[rng.integers(0, values.size)] += 1
    qs = np.r_[np.linspace(0, 1, int(rng.integers(2, 12))), rng.random(5)]
    expected = np.quantile(np.repeat(values, counts), qs)
    assert np.array_equal(quantiles_of_counts(values, counts, qs), expected)
