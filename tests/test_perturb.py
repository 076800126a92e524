"""Perturbations: what they change, which rows they report, seeds, composition and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestkit import perturb
from mltestkit.behavior import words
from mltestkit.errors import InputError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": pd.Series(["male", "female", "male", None], dtype="str", index=[10, 11, 12, 13]),
            "colour": pd.Categorical(["red", "blue", "red", "blue"]),
            "income": [10.0, 20.0, np.nan, 40.0],
            "age": [30, 40, 50, 60],
        },
        index=[10, 11, 12, 13],
    )


def test_perturb_is_a_module_attribute():
    import mltestkit

    assert mltestkit.behavior.perturb is perturb
    assert "swap" in dir(mltestkit.behavior.perturb)


def test_swap_maps_values_keeps_dtype_and_reports_rows(frame):
    out, applied = perturb.swap("sex", {"male": "female", "female": "male"}).apply(frame)
    assert out["sex"].tolist()[:3] == ["female", "male", "female"]
    assert pd.isna(out["sex"].iloc[3])
    assert applied.tolist() == [True, True, True, False]
    assert out["sex"].dtype == frame["sex"].dtype
    assert list(out.index) == list(frame.index)
    assert frame["sex"].iloc[0] == "male"  # the input is not modified


def test_swap_on_a_categorical_adds_new_categories(frame):
    out, applied = perturb.swap("colour", {"red": "green"}).apply(frame)
    assert isinstance(out["colour"].dtype, pd.CategoricalDtype)
    assert out["colour"].tolist() == ["green", "blue", "green", "blue"]
    assert applied.tolist() == [True, False, True, False]


def test_scale_shift_unit_apply_to_present_values(frame):
    out, applied = perturb.scale("income", 2).apply(frame)
    np.testing.assert_array_equal(out["income"], [20.0, 40.0, np.nan, 80.0])
    assert applied.tolist() == [True, True, False, True]
    out = perturb.shift("age", 5)(frame)
    assert out["age"].tolist() == [35, 45, 55, 65]
    p = perturb.unit("income", 1000, units="k -> units")
    assert p(frame)["income"].iloc[0] == 10_000.0
    assert "k -> units" in p.description


def test_noise_is_seeded_absolute_and_relative(frame):
    a = perturb.noise("income", 1.0, seed=3)(frame)
    b = perturb.noise("income", 1.0, seed=3)(frame)
    c = perturb.noise("income", 1.0, seed=4)(frame)
    pd.testing.assert_frame_equal(a, b)
    assert not a["income"].equals(c["income"])
    big = pd.DataFrame({"x": np.full(20_000, 100.0)})
    rel = perturb.noise("x", 0.1, relative=True, seed=0)(big)["x"] - 100.0
    absolute = perturb.noise("x", 0.1, seed=0)(big)["x"] - 100.0
    assert rel.std() == pytest.approx(10.0, rel=0.05)
    assert absolute.std() == pytest.approx(0.1, rel=0.05)


def test_set_missing_permute_clip(frame):
    out, applied = perturb.set_missing("income", fraction=1.0).apply(frame)
    assert out["income"].isna().all()
    assert applied.tolist() == [True, True, False, True]  # row 2 was already missing
    out, applied = perturb.set_missing(["sex", "age"], fraction=0.5, seed=1).apply(frame)
    assert applied.sum() >= 1 and out["age"].isna().sum() >= 1
    out, applied = perturb.permute("age", seed=2).apply(frame)
    assert sorted(out["age"]) == [30, 40, 50, 60]
    assert applied.tolist() == (out["age"].to_numpy() != frame["age"].to_numpy()).tolist()
    out, applied = perturb.clip("age", 35, 55).apply(frame)
    assert out["age"].tolist() == [35, 40, 50, 55]
    assert applied.tolist() == [True, False, False, True]


def test_tabular_perturbations_work_on_2d_arrays():
    x = np.array([[1, 10.0], [2, 20.0], [3, 30.0]])
    out, applied = perturb.scale(1, 0.5).apply(x)
    np.testing.assert_array_equal(out[:, 1], [5.0, 10.0, 15.0])
    np.testing.assert_array_equal(out[:, 0], x[:, 0])
    assert applied.all()
    ints = np.array([[1, 2], [3, 4]])
    out = perturb.set_missing(0)(ints)
    assert np.isnan(out[:, 0]).all() and out[:, 1].tolist() == [2.0, 4.0]


def test_chain_and_pipe_compose_and_union_the_masks(frame):
    p = perturb.swap("sex", {"male": "female"}) | perturb.clip("age", high=55)
    out, applied = p.apply(frame)
    assert out["sex"].tolist()[:3] == ["female", "female", "female"]
    assert out["age"].tolist() == [30, 40, 50, 55]
    assert applied.tolist() == [True, False, True, True]
    assert p.name == "swap(sex) | clip(age)"

    def double_age(f):
        """Double the age."""
        g = f.copy()
        g["age"] = g["age"] * 2
        return g

    q = perturb.chain(double_age, perturb.shift("age", 1))
    assert q(frame)["age"].tolist() == [61, 81, 101, 121]
    assert q.description == "Double the age.; then add 1 to age"
    r = double_age | perturb.shift("age", 1)  # a plain function on the left
    assert r(frame)["age"].tolist() == [61, 81, 101, 121]


def test_text_perturbations():
    texts = ["The food is good.", "I can't say it was bad", "Mary lives in Paris, France"]
    assert perturb.case("upper")(texts)[0] == "THE FOOD IS GOOD."
    out, applied = perturb.case("lower").apply(texts)
    assert applied.tolist() == [True, True, True]
    assert perturb.punctuation("strip")(texts)[2] == "Mary lives in Paris France"
    out, applied = perturb.punctuation("add").apply(texts)
    assert out[:2] == ["The food is good.", "I can't say it was bad."] and applied.tolist() == [
        False,
        True,
        True,
    ]
    assert perturb.expand()(texts)[1] == "I cannot say it was bad"
    assert perturb.contract()(["It was not me, we are here"]) == ["It wasn't me, we're here"]
    out, applied = perturb.negate().apply(texts)
    assert out[0] == "The food is not good." and applied.tolist() == [True, True, False]
    swapped = perturb.swap_cities(seed=1)(texts)[2]
    assert "Paris" not in swapped and swapped.split()[3].rstrip(",") in words.CITIES
    assert "France" not in perturb.swap_countries()(texts)[2]
    gender = perturb.swap_names(source=words.FEMALE_NAMES, target=words.MALE_NAMES)(texts)[2]
    assert gender.split()[0] in words.MALE_NAMES
    phrased = perturb.add_phrase(seed=2)(texts)
    assert all(p.endswith(t) and p != t for p, t in zip(phrased, texts, strict=True))


def test_typos_and_deletions_change_one_letter_and_are_seeded():
    texts = ["a rather long sentence about nothing"] * 50 + ["!!!"]
    out, applied = perturb.typos(seed=0).apply(texts)
    assert applied.tolist() == [True] * 50 + [False]
    for before, after in zip(texts[:50], out[:50], strict=True):
        diffs = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(diffs) == 1 and diffs[0][1] in words.KEYBOARD[diffs[0][0]]
    assert len(set(out[:50])) > 10
    assert perturb.typos(seed=0)(texts) == out
    deleted = perturb.delete_chars(n=2, seed=0)(texts)
    assert all(len(d) == len(t) - 2 for d, t in zip(deleted[:50], texts[:50], strict=True))


def test_text_keeps_the_container_type():
    s = pd.Series(["Is it good", "yes"], name="text", index=[5, 6])
    out = perturb.negate()(s)
    assert isinstance(out, pd.Series) and list(out.index) == [5, 6] and out.iloc[0] == "Is not it good"
    arr = np.array(["Is it good", "yes"])
    assert isinstance(perturb.case("upper")(arr), np.ndarray)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False), st.text(max_size=3)),
        min_size=1,
        max_size=20,
    ),
    st.data(),
)
def test_changed_rows_equals_a_row_by_row_comparison(values, data):
    other = [data.draw(st.sampled_from([v, None, "x", 1.5])) for v in values]
    before = pd.DataFrame({"a": pd.Series(values, dtype=object)})
    after = pd.DataFrame({"a": pd.Series(other, dtype=object)})

    def missing(v):
        return v is None or (isinstance(v, float) and np.isnan(v))

    expected = [
        not ((missing(a) and missing(b)) or (not missing(a) and not missing(b) and a == b))
        for a, b in zip(values, other, strict=True)
    ]
    assert perturb.changed_rows(before, after).tolist() == expected


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: perturb.scale("wage", 2),
            "column: 'wage' is not a column of the inputs (columns: 'sex', 'colour', 'income', 'age'); pass one of those",
        ),
        (
            lambda: perturb.scale("sex", 2),
            "column: 'sex' is not numeric (dtype str); use a numeric column for this perturbation",
        ),
        (
            lambda: perturb.case("lower"),
            "inputs: a text perturbation needs a list of strings, got DataFrame; pass a list, Series or 1-D array of str",
        ),
    ],
)
def test_bad_columns_and_inputs_name_the_argument(frame, make, message):
    with pytest.raises(InputError) as info:
        make()(frame)
    assert str(info.value) == message


def test_bad_arguments_are_refused():
    with pytest.raises(InputError, match=r"^sd: must be a positive number, got -1; pass e.g. sd=0.1$"):
        perturb.noise("x", -1)
    with pytest.raises(InputError, match=r"^mapping: must be a non-empty dict"):
        perturb.swap("x", {})
    with pytest.raises(InputError, match=r"^fraction: must be in \(0, 1\], got 2"):
        perturb.set_missing("x", fraction=2)
    with pytest.raises(InputError, match=r"^mode: unknown case 'camel'"):
        perturb.case("camel")
    with pytest.raises(InputError, match=r"^seed: must be a non-negative int"):
        perturb.typos(seed=-1)
    with pytest.raises(InputError, match=r"^perturbation: is not callable \(got int\)"):
        perturb.as_perturbation(3)
    with pytest.raises(
        InputError, match=r"^inputs: a tabular perturbation needs a DataFrame or a 2-D array, got list"
    ):
        perturb.scale(0, 2)(["a"])


def test_a_plain_function_with_a_wrong_output_is_refused(frame):
    def drop_one(f):
        return f.iloc[1:]

    with pytest.raises(
        InputError, match=r"^perturbation: drop_one returned 3 rows for 4 input rows; return one"
    ):
        perturb.as_perturbation(drop_one).apply(frame)
    with pytest.raises(
        InputError, match=r"^perturbation: .* did not return a DataFrame with the same columns"
    ):
        perturb.as_perturbation(lambda f: f.drop(columns="age")).apply(frame)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=30),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["a", "b", "x"]), min_size=1),
)
def test_swap_equals_pandas_replace(values, mapping):
    frame = pd.DataFrame({"c": pd.Series(values, dtype="str")})
    out, applied = perturb.swap("c", mapping).apply(frame)
    assert out["c"].tolist() == frame["c"].replace(mapping).tolist()
    assert applied.tolist() == [v in mapping for v in values]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    st.floats(-10, 10),
    st.floats(0, 10),
    st.floats(-1e3, 1e3, allow_subnormal=False),
)
def test_numeric_perturbations_equal_numpy(values, low, width, factor):
    frame = pd.DataFrame({"x": values})
    x = np.array(values)
    np.testing.assert_array_equal(
        perturb.clip("x", low, low + width)(frame)["x"], np.clip(x, low, low + width)
    )
    np.testing.assert_array_equal(perturb.scale("x", factor)(frame)["x"], x * factor)
    np.testing.assert_array_equal(perturb.shift("x", factor)(frame)["x"], x + factor)


def test_typos_and_deletions_handle_unicode_and_empty_texts():
    texts = ["Héllo Wörld", "", "ÄÖÜ", "日本語 text", "A"]
    out, applied = perturb.typos(seed=1).apply(texts)
    assert applied.tolist() == [True, False, False, True, True]
    assert out[4] in {c.upper() for c in words.KEYBOARD["a"]}  # keeps the case
    deleted = perturb.delete_chars(seed=1)(texts)
    assert [len(d) for d in deleted] == [10, 0, 2, 7, 0]  # non-ASCII letters count as letters
