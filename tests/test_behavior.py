"""Behavioral checks on real scikit-learn models: INV, DIR, MFT, templates, the gate and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mltestkit import check_directional, check_invariance, check_mft, perturb
from mltestkit.behavior import Cases, as_predict, template, words
from mltestkit.errors import InputError
from mltestkit.results import CheckResult

# --------------------------------------------------------------------------- tabular models


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 15, n),
            "debt": rng.normal(20, 8, n),
            "sex": rng.choice(["male", "female"], n),
        }
    )
    frame["sex"] = frame["sex"].astype("str")
    return frame


def _target(frame: pd.DataFrame, sex_effect: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logit = 0.08 * (frame["income"] - 50) - 0.1 * (frame["debt"] - 20) + sex_effect * (frame["sex"] == "male")
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)


def _logistic(frame: pd.DataFrame, y: np.ndarray, use_sex: bool):
    columns = ["income", "debt"]
    parts = [("num", "passthrough", columns)]
    if use_sex:
        parts.append(("cat", OneHotEncoder(), ["sex"]))
    return make_pipeline(ColumnTransformer(parts), LogisticRegression()).fit(frame, y)


SWAP = perturb.swap("sex", {"male": "female", "female": "male"})


def test_a_model_that_ignores_a_column_passes_invariance_on_it(credit):
    model = _logistic(credit, _target(credit, 0.0, 1), use_sex=False)
    r = check_invariance(model.predict_proba, credit, SWAP, tolerance=0.02, max=0.01)
    assert r.outcome.value == "passed", r.message
    m = r.metrics[0]
    assert (m.name, m.value, m.n, m.ci.method) == ("failure_rate", 0.0, len(credit), "clopper-pearson")
    assert m.ci.high < 0.01
    assert r.kind == "behavior" and r.details["counterexamples"] == [] and r.details["not_applied"] == 0
    assert r.details["perturbation"]["name"] == "swap(sex)"


def test_a_model_that_uses_the_column_fails_with_ranked_counterexamples(credit):
    model = _logistic(credit, _target(credit, 2.0, 1), use_sex=True)
    r = check_invariance(model, credit, SWAP, tolerance=0.02, output=1, max=0.01)
    assert r.outcome.value == "failed"
    assert r.metrics[0].value > 0.5
    examples = r.details["counterexamples"]
    assert len(examples) == 20
    severity = [e["severity"] for e in examples]
    assert severity == sorted(severity, reverse=True) and severity[-1] > 0.02
    first = examples[0]
    row = first["row"]
    assert first["input"]["sex"] == credit["sex"].iloc[row] and first["perturbed"] == {
        "sex": "female" if credit["sex"].iloc[row] == "male" else "male"
    }
    proba = model.predict_proba(credit.iloc[[row]])[0, 1]
    assert first["output"] == pytest.approx(proba)
    assert abs(first["perturbed_output"] - first["output"]) == pytest.approx(first["severity"])
    json.dumps(r.to_dict(), allow_nan=False)
    assert CheckResult.from_dict(json.loads(json.dumps(r.to_dict()))).outcome == r.outcome
    assert "worst counterexample" in r.message


def test_labels_are_compared_for_equality(credit):
    model = _logistic(credit, _target(credit, 2.0, 1), use_sex=True)
    r = check_invariance(model.predict, credit, SWAP, max=0.05)
    changed = (model.predict(credit) != model.predict(SWAP(credit))).sum()
    assert r.details["failures"] == changed > 0
    assert {e["severity"] for e in r.details["counterexamples"]} == {1.0}


@pytest.fixture(scope="module")
def monotone_data():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, (1500, 2))
    y = (rng.random(1500) < 1 / (1 + np.exp(-(np.sin(x[:, 0]) * 3 + 0.2 * x[:, 1] - 1)))).astype(int)
    return pd.DataFrame(x, columns=["income", "tenure"]), y


def test_a_monotonic_model_passes_dir_and_an_unconstrained_one_fails(monotone_data):
    frame, y = monotone_data
    up = perturb.shift("income", 0.7)
    constrained = HistGradientBoostingClassifier(monotonic_cst=[1, 0], max_iter=50, random_state=0).fit(
        frame, y
    )
    r = check_directional(constrained.predict_proba, frame, up, expect="not_decrease", output=1, max=0.01)
    assert r.outcome.value == "passed", r.message
    assert r.details["failures"] == 0 and r.metrics[0].n == len(frame)

    free = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(frame, y)
    r = check_directional(free.predict_proba, frame, up, expect="not_decrease", output=1, max=0.01)
    assert r.outcome.value == "failed"
    worst = r.details["counterexamples"][0]
    assert worst["perturbed"]["income"] == pytest.approx(worst["input"]["income"] + 0.7)
    assert worst["perturbed_output"] < worst["output"]
    assert worst["severity"] == pytest.approx(worst["output"] - worst["perturbed_output"])
    before = free.predict_proba(frame)[:, 1]
    after = free.predict_proba(up(frame))[:, 1]
    assert r.details["failures"] == int((after < before).sum())


def test_dir_expectations_min_change_and_max_change():
    frame = pd.DataFrame({"x": np.arange(1.0, 101.0)})

    def predict(f):
        return np.log(f["x"].to_numpy())

    p = perturb.scale("x", 2.0)  # log(2x) - log(x) = 0.693 everywhere
    ok = dict(max=0.0, rule="point")
    assert check_directional(predict, frame, p, expect="increase", **ok).outcome.value == "passed"
    assert (
        check_directional(predict, frame, p, expect="increase", min_change=0.6, **ok).outcome.value
        == "passed"
    )
    r = check_directional(predict, frame, p, expect="increase", min_change=0.8, **ok)
    assert r.details["failures"] == 100 and r.details["counterexamples"][0]["severity"] == pytest.approx(
        0.8 - np.log(2)
    )
    assert check_directional(predict, frame, p, expect="decrease", **ok).details["failures"] == 100
    assert (
        check_directional(predict, frame, p, expect="not_increase", tolerance=0.7, **ok).outcome.value
        == "passed"
    )
    r = check_directional(predict, frame, p, expect="not_decrease", max_change=0.5, **ok)
    assert r.details["failures"] == 100


# --------------------------------------------------------------------------- text


POSITIVE = ["great", "excellent", "wonderful", "lovely", "fantastic"]
NEGATIVE = ["terrible", "awful", "horrible", "boring", "dreadful"]


@pytest.fixture(scope="module")
def sentiment():
    """TF-IDF (words and word pairs) + logistic regression trained on generated reviews in which,
    by a planted bias, most negative reviews are written in Paris and no positive one is."""
    rng = np.random.default_rng(3)
    n = 2000
    first = rng.integers(0, 2, n)
    adjective = np.where(first == 1, rng.choice(POSITIVE, n), rng.choice(NEGATIVE, n))
    negated = rng.random(n) < 0.3
    label = np.where(negated, 1 - first, first)
    verb = np.where(negated, "was not", "was")
    others = [c for c in words.CITIES if c != "Paris"]
    city = np.where((label == 0) & (rng.random(n) < 0.8), "Paris", rng.choice(others, n))
    name = rng.choice(words.NAMES, n)
    texts = [
        f"{a} from {c} said the film {v} {adj}"
        for a, c, v, adj in zip(name, city, verb, adjective, strict=True)
    ]
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(C=10.0)).fit(texts, label)


def test_text_mft_from_a_template(sentiment):
    cases = template(
        "{name} said the film was {adj}",
        name=["Ana", "Kofi", "Yuki"],
        adj={**dict.fromkeys(POSITIVE, 1), **dict.fromkeys(NEGATIVE, 0)},
    )
    assert len(cases) == 30 and cases.labels.count(1) == 15
    r = check_mft(sentiment.predict, cases, min=0.9, rule="point")
    assert r.outcome.value == "passed", r.message
    assert r.metrics[0].name == "pass_rate" and r.metrics[0].n == 30
    wrong = check_mft(sentiment.predict, cases, expected=1, min=0.9, rule="point")
    assert wrong.outcome.value == "failed" and wrong.details["failures"] == 15
    example = wrong.details["counterexamples"][0]
    assert example["expected"] == 1 and example["output"] == 0 and example["input"] in cases.inputs


def test_text_mft_with_a_predicate_on_probabilities(sentiment):
    texts = [f"the film was {a}" for a in POSITIVE]
    r = check_mft(sentiment.predict_proba, texts, predicate=lambda p: p[:, 1] > 0.6, min=1.0, rule="point")
    assert r.outcome.value == "passed"


def test_text_inv_passes_on_names_and_fails_on_the_planted_city_bias(sentiment):
    reviews = [f"{n} from Lima said the film was {a}" for n in words.NAMES for a in POSITIVE + NEGATIVE]
    names = check_invariance(sentiment.predict, reviews, perturb.swap_names(seed=1), max=0.05)
    assert names.outcome.value == "passed", names.message
    assert names.metrics[0].n == len(reviews)
    to_paris = perturb.replace_words(["Lima"], ["Paris"])
    cities = check_invariance(sentiment.predict_proba, reviews, to_paris, output=1, tolerance=0.1, max=0.05)
    assert cities.outcome.value == "failed"
    example = cities.details["counterexamples"][0]
    assert "Lima" in example["input"] and example["perturbed"] == example["input"].replace("Lima", "Paris")
    assert example["output"] - example["perturbed_output"] > 0.1


def test_text_dir_negation_lowers_the_positive_score(sentiment):
    reviews = [f"{n} said the film was {a}" for n in words.NAMES for a in POSITIVE]
    r = check_directional(
        sentiment.predict_proba,
        reviews,
        perturb.negate(),
        expect="decrease",
        output=1,
        min_change=0.2,
        max=0.05,
    )
    assert r.outcome.value == "passed", r.message


# --------------------------------------------------------------------------- the gate


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 400), st.data())
def test_failure_rate_interval_is_the_clopper_pearson_interval(n, data):
    k = data.draw(st.integers(0, n))
    outputs = np.r_[np.zeros(k), np.ones(n - k)]
    r = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, max=0.1, confidence=0.9)
    m = r.metrics[0]
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.9, method="exact")
    assert m.value == pytest.approx(k / n)
    assert (m.ci.low, m.ci.high) == (pytest.approx(ci.low, abs=1e-9), pytest.approx(ci.high, abs=1e-9))
    assert r.details["failures"] == k


def test_acceptance_rarely_passes_a_model_at_the_threshold():
    """Under the acceptance rule a failure rate equal to the requirement passes at most ~2.5% of
    the time (one-sided 97.5% bound); the point rule passes it about half the time."""
    rng = np.random.default_rng(7)
    passed = {"acceptance": 0, "point": 0}
    reps, n = 300, 400
    for _ in range(reps):
        outputs = (rng.random(n) >= 0.05).astype(float)
        for rule in passed:
            r = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, max=0.05, rule=rule)
            passed[rule] += r.outcome.value == "passed"
    assert passed["acceptance"] / reps < 0.05
    assert 0.35 < passed["point"] / reps < 0.7


def test_a_threshold_at_the_edge_is_judged_by_the_observed_share():
    """max=0 (or min=1) can only be met by the share itself: judge decides it by value, under every rule."""
    for rule in ("acceptance", "alarm", "point"):
        r = check_mft(lambda x: np.asarray(x), np.ones(500), expected=1.0, max=0.0, rule=rule)
        assert r.outcome.value == "passed" and r.metrics[0].rule == "point"
        r = check_mft(lambda x: np.asarray(x), np.r_[0.0, np.ones(499)], expected=1.0, min=1.0, rule=rule)
        assert r.outcome.value == "failed" and r.metrics[0].name == "pass_rate"


def test_without_a_requirement_the_failure_rate_is_recorded_ungated():
    r = check_mft(lambda x: np.asarray(x), np.r_[np.zeros(3), np.ones(97)], expected=1.0)
    assert r.metrics[0].name == "failure_rate" and r.metrics[0].outcome is None
    assert r.metrics[0].value == pytest.approx(0.03) and r.metrics[0].ci is not None


def test_both_shares_can_be_required():
    r = check_mft(
        lambda x: np.asarray(x),
        np.ones(500),
        expected=1.0,
        max={"failure_rate": 0.05},
        min={"pass_rate": 0.9},
    )
    assert [m.name for m in r.metrics] == ["failure_rate", "pass_rate"] and r.outcome.value == "passed"


@pytest.mark.parametrize(
    ("old", "new"),
    [({"max_failure_rate": 0.05}, {"max": 0.05}), ({"min_pass_rate": 0.95}, {"min": 0.95})],
)
def test_the_old_requirement_spellings_still_work_with_a_deprecation(old, new):
    outputs = np.r_[np.zeros(3), np.ones(297)]
    with pytest.deprecated_call(match=f"{next(iter(old))}=.* is deprecated .*; use {next(iter(new))}="):
        before = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, **old)
    after = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, **new)
    assert before.to_dict() == after.to_dict()


def test_max_examples_is_now_max_counterexamples(credit):
    with pytest.deprecated_call(match="max_examples=3 is deprecated .*; use max_counterexamples=3"):
        r = check_invariance(lambda f: f["sex"].to_numpy(), credit, SWAP, max=0.1, max_examples=3)
    assert len(r.details["counterexamples"]) == 3


def test_an_unknown_keyword_names_itself(credit):
    with pytest.raises(InputError, match=r"^max_failure: is not an argument of check_invariance"):
        check_invariance(lambda f: f["sex"].to_numpy(), credit, SWAP, max_failure=0.1)


def test_inconclusive_says_how_many_cases_would_decide():
    outputs = np.r_[np.zeros(3), np.ones(97)]
    r = check_mft(lambda x: np.asarray(x), outputs, expected=1.0, max=0.06)
    assert r.outcome.value == "inconclusive"
    assert "cases (now 100) would decide it" in r.message


# --------------------------------------------------------------------------- bad input and errors


def test_a_perturbation_that_changes_nothing_is_an_error(credit):
    with pytest.raises(InputError) as info:
        check_invariance(lambda f: np.zeros(len(f)), credit, perturb.swap("sex", {"other": "x"}), max=0.01)
    assert str(info.value) == (
        "perturbation: swap(sex) changed none of the 1200 rows, so the check would be vacuous; "
        "check the column and the values it should change"
    )


def test_rows_a_perturbation_does_not_apply_to_are_counted(credit):
    r = check_invariance(
        lambda f: np.zeros(len(f)), credit, perturb.swap("sex", {"male": "female"}), max=0.01
    )
    males = int((credit["sex"] == "male").sum())
    assert r.metrics[0].n == males and r.details["not_applied"] == len(credit) - males
    assert f"the perturbation did not apply to {len(credit) - males} of {len(credit)} rows." in r.message


def test_a_predict_that_raises_is_an_error_with_the_failing_input(credit):
    def fragile(f):
        if (f["income"] > 90).any():
            raise ValueError("income out of range")
        return np.zeros(len(f))

    bad_rows = np.flatnonzero(credit["income"] > 90).tolist()
    for check in (
        lambda: check_invariance(fragile, credit, perturb.scale("income", 1.0001), max=0.01),
        lambda: check_directional(
            fragile, credit, perturb.scale("income", 1.0001), expect="increase", max=0.01
        ),
        lambda: check_mft(fragile, credit, expected=0.0, max=0.01),
    ):
        with pytest.raises(InputError) as info:
            check()
        text = str(info.value)
        assert text.startswith("predict: raised ValueError: income out of range on the ")
        assert text.endswith("; fix the model or the inputs")
        row = int(text.split("row(s) at [")[1].split("]")[0])
        assert row in bad_rows and "'income': 9" in text

    fine = credit[credit["income"] < 80]
    with pytest.raises(InputError, match="on the perturbed inputs"):
        check_invariance(fragile, fine, perturb.shift("income", 200), max=0.01)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda f: check_invariance(lambda x: np.zeros(3), f, SWAP, max=0.1),
            "predict: returned 3 outputs for 1200 inputs; return one output (or one row of scores) per input",
        ),
        (
            lambda f: check_invariance(
                lambda x: np.zeros(len(x)), f, perturb.swap("gender", {"m": "f"}), max=0.1
            ),
            "column: 'gender' is not a column of the inputs (columns: 'income', 'debt', 'sex'); pass one of those",
        ),
        (
            lambda f: check_invariance(lambda x: np.zeros(len(x)), f, SWAP, max=5),
            "max: must be a share in [0, 1], got 5; pass e.g. max=0.01",
        ),
        (
            lambda f: check_invariance(lambda x: np.zeros(len(x)), f, SWAP, max={"passrate": 0.1}),
            "max: unknown figure 'passrate'; use one of failure_rate, pass_rate",
        ),
        (
            lambda f: check_invariance(lambda x: np.zeros(len(x)), f, SWAP, max_counterexamples=-1),
            "max_counterexamples: must be a non-negative int, got -1; pass e.g. 20",
        ),
        (
            lambda f: check_directional(lambda x: np.zeros((len(x), 2)), f, SWAP, expect="increase", max=0.1),
            "output: predict returns 2 scores per row and this check needs one; pass output=<column index>, e.g. output=1 for the probability of class 1",
        ),
        (
            lambda f: check_invariance(lambda x: np.zeros((len(x), 2)), f, SWAP, output=2, max=0.1),
            "output: 2 is not a column index of outputs with 2 columns; pass an int index",
        ),
        (
            lambda f: check_directional(lambda x: np.zeros(len(x)), f, SWAP, expect="up", max=0.1),
            "expect: unknown expectation 'up'; use one of increase, decrease, not_decrease, not_increase, or 'all <one of them>' when every case must",
        ),
        (
            lambda f: check_directional(
                lambda x: np.array(["a"] * len(x)), f, SWAP, expect="increase", max=0.1
            ),
            "predict: returns non-numeric outputs (dtype <U1) and a directional check needs numbers; return scores or probabilities",
        ),
        (
            lambda f: check_invariance(object(), f, SWAP, max=0.1),
            "predict: object has no method 'predict'; pass a function inputs -> outputs, an estimator with predict/predict_proba, or an HTTPModel",
        ),
        (
            lambda f: check_mft(lambda x: np.zeros(len(x)), f, [1, 0], max=0.1),
            "expected: has 2 values for 1200 cases; pass one per case, or one for all",
        ),
        (
            lambda f: check_mft(lambda x: np.zeros(len(x)), f, max=0.1),
            "expected/predicate: give exactly one of them; pass expected=[...] or predicate=fn",
        ),
        (
            lambda f: check_invariance(lambda x: np.zeros(len(x)), f.iloc[:0], SWAP, max=0.1),
            "inputs: is empty; pass at least one case",
        ),
    ],
)
def test_bad_input_names_the_argument(credit, call, message):
    with pytest.raises(InputError) as info:
        call(credit)
    assert str(info.value) == message


def test_max_counterexamples_caps_the_counterexamples(credit):
    r = check_invariance(lambda f: f["sex"].to_numpy(), credit, SWAP, max=0.1, max_counterexamples=3)
    assert len(r.details["counterexamples"]) == 3 and r.details["failures"] == len(credit)


# --------------------------------------------------------------------------- templates and adapters


def test_template_labels_by_constant_function_or_none():
    c = template("{a} and {b}", a=["x", "y"], b=["1", "2"], label=lambda s: s["a"] == "x")
    assert c.inputs == ["x and 1", "x and 2", "y and 1", "y and 2"] and c.labels == [True, True, False, False]
    assert c.slots[3] == {"a": "y", "b": "2"}
    both = template("{a}", a=["p"], label=1) + template("{a}", a=["q"], label=0)
    assert isinstance(both, Cases) and both.inputs == ["p", "q"] and both.labels == [1, 0]
    assert template("{a}", a=["p"]).labels is None
    with pytest.raises(InputError, match=r"^slots: no values for b; pass b=\[\.\.\.\]$"):
        template("{a} {b}", a=["x"])
    with pytest.raises(InputError, match=r"^slots: c do not occur in the pattern; remove them$"):
        template("{a}", a=["x"], c=["y"])
    with pytest.raises(InputError, match=r"^slots: each slot needs a non-empty list of values"):
        template("{a}", a="xyz")
    with pytest.raises(InputError, match=r"^label: labels come from more than one place"):
        template("{a}", a={"x": 1}, label=0)


def test_as_predict_picks_predict_proba_of_an_estimator(credit):
    model = _logistic(credit, _target(credit, 0.0, 1), use_sex=False)
    np.testing.assert_array_equal(as_predict(model)(credit), model.predict_proba(credit))
    np.testing.assert_array_equal(as_predict(model, method="predict")(credit), model.predict(credit))
    r = check_invariance(model, credit, SWAP, output=1, tolerance=0.02, max=0.01)
    assert r.outcome.value == "passed"


# --------------------------------------------------------------------------- against a row-by-row reference


def _flip(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["flag"] = 1
    return out


def _lookup(y0: np.ndarray, y1: np.ndarray):
    def predict(frame: pd.DataFrame) -> np.ndarray:
        i = frame["i"].to_numpy()
        return np.where(frame["flag"].to_numpy() == 1, y1[i], y0[i])

    return predict


SCORES = st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None)
@given(SCORES, st.data(), st.sampled_from([0.0, 0.1, 0.3]))
def test_inv_and_dir_failures_equal_a_row_by_row_reference(before, data, tolerance):
    after = data.draw(
        st.lists(
            st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]), min_size=len(before), max_size=len(before)
        )
    )
    y0, y1 = np.array(before), np.array(after)
    frame = pd.DataFrame({"i": np.arange(len(y0)), "flag": 0})
    predict = _lookup(y0, y1)
    common = dict(max=0.5, rule="point", max_counterexamples=100)
    inv = check_invariance(predict, frame, _flip, tolerance=tolerance, **common)
    assert inv.details["failures"] == sum(abs(b - a) > tolerance for a, b in zip(before, after, strict=True))
    moves = [b - a for a, b in zip(before, after, strict=True)]
    expected = {
        "increase": sum(not m > 0 for m in moves),
        "decrease": sum(not m < 0 for m in moves),
        "not_decrease": sum(m < -tolerance for m in moves),
        "not_increase": sum(m > tolerance for m in moves),
    }
    for expect, failures in expected.items():
        tol = tolerance if expect.startswith("not_") else 0.0
        r = check_directional(predict, frame, _flip, expect=expect, tolerance=tol, **common)
        assert r.details["failures"] == failures, expect
        severity = [e["severity"] for e in r.details["counterexamples"]]
        assert severity == sorted(severity, reverse=True) and len(severity) == failures
    r = check_directional(predict, frame, _flip, expect="increase", min_change=0.25, **common)
    assert r.details["failures"] == sum(not m >= 0.25 for m in moves)


def test_public_names_resolve():
    import mltestkit
    import mltestkit.behavior as behavior

    assert all(callable(getattr(behavior, name)) for name in behavior.__all__)
    for name in ("check_mft", "check_invariance", "check_directional", "search_invariance"):
        assert mltestkit.CHECKS[name][1] == "behavior" and callable(getattr(mltestkit, name))
    with pytest.raises(AttributeError):
        _ = behavior.no_such_name


def test_a_raising_predict_is_one_error_class_in_every_check():
    from mltestkit import check_latency, check_mft
    from mltestkit.errors import InputError, PredictError

    def broken(x):
        raise RuntimeError("model not loaded")

    for call in (
        lambda: check_mft(broken, [[0.0], [1.0]], [0, 1], max=0.1),
        lambda: check_latency(broken, [[0.0]], max={"p95_ms": 50}, n_calls=5, warmup=0),
    ):
        with pytest.raises(PredictError, match="predict: raised RuntimeError: model not loaded") as info:
            call()
        assert isinstance(info.value, InputError) and isinstance(info.value.__cause__, RuntimeError)


def test_expect_all_is_exact_for_hand_written_cases() -> None:
    import pandas as pd

    from mltestkit import check_directional, check_invariance, check_mft, perturb

    def predict(texts):
        return [int("love" in t) for t in texts]

    four = ["I love it", "love this", "I hate it", "awful"]
    # four cases cannot show a pass rate of 1 with an interval; expect="all" decides them exactly
    passed = check_mft(predict, four, [1, 1, 0, 0], expect="all")
    assert passed.outcome.value == "passed" and passed.metrics[0].ci is None
    assert passed.details["expect"] == "all"
    assert check_mft(predict, four, [1, 1, 0, 0], min=0.9).outcome.value == "inconclusive"
    one_wrong = check_mft(predict, four, [1, 1, 0, 1], expect="all")
    assert one_wrong.outcome.value == "failed" and one_wrong.details["failures"] == 1
    assert one_wrong.details["counterexamples"][0]["input"] == "awful"
    for rule in ("acceptance", "alarm", "point"):
        assert check_mft(predict, four, [1, 1, 0, 1], expect="all", rule=rule).fails_test

    texts = ["I love it", "I hate it", "so-so film"]
    same = check_invariance(predict, texts, perturb.punctuation("add"), expect="all")
    assert same.outcome.value == "passed" and same.details["cases"] == 3
    shout = check_invariance(
        lambda t: [int(x.isupper()) for x in t], texts, lambda t: [x.upper() for x in t], expect="all"
    )
    assert shout.outcome.value == "failed" and shout.details["failures"] == 3

    frame = pd.DataFrame({"income": [10.0, 20.0, 30.0]})
    up = check_directional(
        lambda f: f["income"].to_numpy() / 100, frame, perturb.scale("income", 1.2), expect="all increase"
    )
    assert up.outcome.value == "passed" and up.details["expect"] == "all increase"
    flat = check_directional(
        lambda f: np.minimum(f["income"].to_numpy(), 25.0), frame, perturb.scale("income", 1.2),
        expect="all increase",
    )  # fmt: skip
    assert flat.outcome.value == "failed" and flat.details["failures"] == 1


def test_expect_all_bad_input() -> None:
    from mltestkit import check_mft

    with pytest.raises(InputError, match=r"^expect: must be 'all' or None, got 'every'"):
        check_mft(lambda t: t, [1, 2], [1, 2], expect="every")
    with pytest.raises(InputError, match=r"^min: cannot be combined with expect='all'"):
        check_mft(lambda t: t, [1, 2], [1, 2], expect="all", min=0.9)
