"""check_fairness: group rates and disparities equal fairlearn's, intervals are seeded and
sane, requirements parse as documented, bad input is a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_score

from mltestkit import check_fairness
from mltestkit.errors import InputError
from mltestkit.results import Outcome, Threshold
from mltestkit.slicing.fairness import DISPARITIES, requirements

FAIRLEARN_RATES = {
    "selection_rate": flm.selection_rate,
    "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "precision": precision_score,
    "accuracy": accuracy_score,
}
FAIRLEARN_DISPARITIES = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
    "equal_opportunity_difference": flm.equal_opportunity_difference,
    "equal_opportunity_ratio": flm.equal_opportunity_ratio,
}


def _data(seed: int, groups: int, per_group: int):
    """Random labels where every group has both classes and a predicted positive."""
    rng = np.random.default_rng(seed)
    n = groups * per_group
    code = np.repeat(np.arange(groups), per_group)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < rng.uniform(0.5, 0.95, groups)[code], y, 1 - y)
    y[::per_group], y[1::per_group] = 0, 1
    p[::per_group], p[1::per_group] = 1, 1
    frame = pd.DataFrame({"s0": np.array([f"g{i}" for i in range(groups)])[code]})
    return y, p, frame


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(2, 8), st.integers(3, 60))
def test_rates_and_disparities_equal_fairlearn(seed, groups, per_group):
    y, p, frame = _data(seed, groups, per_group)
    r = check_fairness(y, p, by=frame["s0"], n_boot=100)
    mf = flm.MetricFrame(metrics=FAIRLEARN_RATES, y_true=y, y_pred=p, sensitive_features=frame["s0"])
    ours = {(m.slice["s0"], m.name): m.value for m in r.metrics if m.slice}
    for (group, rate), expected in mf.by_group.stack().items():
        assert ours[(group, rate)] == pytest.approx(expected, abs=1e-9)
    found = r.details["disparities"]
    for name, fn in FAIRLEARN_DISPARITIES.items():
        assert found[name]["value"] == pytest.approx(fn(y, p, sensitive_features=frame["s0"]), abs=1e-9)
    spreads = mf.difference()
    assert found["fpr_gap"]["value"] == pytest.approx(spreads["fpr"], abs=1e-9)
    assert found["fnr_gap"]["value"] == pytest.approx(spreads["fnr"], abs=1e-9)
    assert found["predictive_parity_gap"]["value"] == pytest.approx(spreads["precision"], abs=1e-9)
    assert found["accuracy_gap"]["value"] == pytest.approx(spreads["accuracy"], abs=1e-9)


def test_intersectional_groups_equal_fairlearn_with_several_columns():
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n)})
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    r = check_fairness(y, p, by=frame, n_boot=200)
    assert len(r.details["groups"]) == 6
    assert {"sex": "M", "race": "b", "rows": int(((frame.sex == "M") & (frame.race == "b")).sum())} == {
        k: v for k, v in r.details["groups"][4].items() if k in ("sex", "race", "rows")
    }
    for name, fn in FAIRLEARN_DISPARITIES.items():
        expected = fn(y, p, sensitive_features=frame)
        assert r.details["disparities"][name]["value"] == pytest.approx(expected, abs=1e-9)


def test_disparity_intervals_are_seeded_and_cover_the_truth():
    # two groups whose true selection rates are 0.5 and 0.4: the DP difference is 0.1
    rng = np.random.default_rng(0)
    hits = 0
    trials = 100
    for _ in range(trials):
        g = np.repeat(["a", "b"], 1000)
        p = (rng.random(2000) < np.where(g == "a", 0.5, 0.4)).astype(int)
        y = rng.integers(0, 2, 2000)
        r = check_fairness(y, p, by={"g": g}, n_boot=200, seed=1)
        d = r.details["disparities"]["demographic_parity_difference"]
        hits += d["low"] <= 0.1 <= d["high"]
    assert hits / trials >= 0.88
    again = check_fairness(y, p, by={"g": g}, n_boot=200, seed=1)
    assert again == r


def test_gates_and_four_fifths_rule():
    rng = np.random.default_rng(1)
    g = np.repeat(["a", "b"], 5000)
    y = rng.integers(0, 2, 10000)
    p = (rng.random(10000) < np.where(g == "a", 0.5, 0.3)).astype(int)
    r = check_fairness(y, p, by={"g": g})
    assert r.details["four_fifths"]["holds"] is False
    assert r.outcome is Outcome.FAILED and r.fails_test
    gated = [m for m in r.metrics if m.thresholds]
    assert [(m.name, m.thresholds) for m in gated] == [("demographic_parity_ratio", (Threshold(">=", 0.8),))]
    assert "selection_rate lowest for g=b, highest for g=a" in r.message
    fair = check_fairness(y, y, by={"g": g}, max={"equalized_odds_difference": 0.05, "fpr_gap": 0.05})
    assert fair.outcome is Outcome.PASSED
    # a real but small gap, too few rows to show it is under the bound: inconclusive under acceptance
    small = np.repeat(["a", "b"], 100)
    ps = np.r_[np.ones(52), np.zeros(48), np.ones(48), np.zeros(52)].astype(int)
    unsure = check_fairness(
        np.ones(200, int), ps, by={"g": small}, max={"demographic_parity_difference": 0.1}
    )
    assert unsure.outcome is Outcome.INCONCLUSIVE and unsure.fails_test
    lenient = check_fairness(
        np.ones(200, int),
        ps,
        by={"g": small},
        max={"demographic_parity_difference": 0.1},
        rule="alarm",
    )
    assert lenient.outcome is Outcome.INCONCLUSIVE and not lenient.fails_test


def test_requirement_names():
    assert requirements({"equalized_odds_difference": 0.1, "demographic_parity_ratio_min": 0.8}, None) == [
        ("equalized_odds_difference", Threshold("<=", 0.1)),
        ("demographic_parity_ratio", Threshold(">=", 0.8)),
    ]
    assert requirements(None, {"demographic_parity_ratio": 0.8, "fpr_gap_max": 0.1}) == [
        ("demographic_parity_ratio", Threshold(">=", 0.8)),
        ("fpr_gap", Threshold("<=", 0.1)),
    ]
    with pytest.raises(
        InputError,
        match=r"^max: unknown disparity 'equalised_odds_difference'; did you mean 'equalized_odds_difference'\?",
    ):
        requirements({"equalised_odds_difference": 0.1}, None)
    with pytest.raises(InputError, match=r"^min: must be a dict of disparity name -> bound, got float"):
        requirements(None, 0.8)
    with pytest.raises(InputError, match=r"^max: bound of 'fpr_gap' must be a finite number, got nan"):
        requirements({"fpr_gap": float("nan")}, None)
    assert len(DISPARITIES) == 10


def test_undefined_rates_and_single_group():
    # group b has no positive rows: its TPR is undefined and left out of the TPR spread
    g = np.repeat(["a", "b", "c"], 50)
    y = np.r_[np.tile([0, 1], 25), np.zeros(50, int), np.tile([0, 1], 25)]
    p = np.r_[np.tile([0, 1], 25), np.tile([0, 1], 25), np.tile([1, 1], 25)]
    r = check_fairness(y, p, by={"g": g}, max={"equal_opportunity_difference": 0.2})
    tpr_b = next(m for m in r.metrics if m.slice == {"g": "b"} and m.name == "tpr")
    assert tpr_b.value is None and tpr_b.reason == "no positive rows"
    assert r.details["disparities"]["equal_opportunity_difference"]["value"] == 0.0
    one = check_fairness([0, 1] * 20, [0, 1] * 20, by={"g": ["a"] * 40})
    dp = next(m for m in one.metrics if m.name == "demographic_parity_ratio")
    assert dp.value is None and dp.reason == "disparities need two groups and all rows are in one group"
    assert one.outcome is Outcome.INCONCLUSIVE
    small = check_fairness(y, p, by={"g": g}, min_size=60)
    assert small.metrics[0].reason == "disparities need two groups and fewer than two groups have 60 rows"


def test_min_size_leaves_small_groups_out():
    g = np.r_[np.repeat(["a", "b"], 500), ["tiny"] * 5]
    y = np.r_[np.tile([0, 1], 500), np.ones(5, int)]
    p = np.r_[np.tile([0, 1], 500), np.zeros(5, int)]
    with_tiny = check_fairness(y, p, by={"g": g})
    without = check_fairness(y, p, by={"g": g}, min_size=30)
    assert with_tiny.details["disparities"]["equal_opportunity_difference"]["value"] == 1.0
    assert without.details["disparities"]["equal_opportunity_difference"]["value"] == 0.0


def test_string_labels_need_pos_label():
    g = ["a", "b"] * 50
    y = ["yes", "no", "no", "yes"] * 25
    r = check_fairness(y, y, by={"g": g}, pos_label="yes")
    assert r.details["disparities"]["equalized_odds_difference"]["value"] == 0.0
    with pytest.raises(InputError, match=r"^pos_label: fairness needs to know the positive class"):
        check_fairness(y, y, by={"g": g})
    with pytest.raises(
        InputError, match=r"^pos_label: fairness rates need a favourable label and the labels have 3"
    ):
        check_fairness([0, 1, 2] * 10, [0, 1, 2] * 10, by={"g": ["a"] * 30})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": {"g": [1, 2]}}, r"^by: column 'g' has 2 rows but y_true has 4"),
        ({"by": {}}, r"^by: has no columns"),
        ({"by": None}, r"^by: is None"),
        ({"by": [1, 2, 1, 2], "min_size": -2}, r"^min_size: must be an int in \[0, "),
        ({"by": [1, 2, 1, 2], "max": {"tpr": 0.1}}, r"^max: unknown disparity 'tpr'"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        check_fairness([0, 1, 0, 1], [0, 1, 1, 1], **kwargs)


def test_sensitive_is_a_deprecated_spelling_of_by():
    g = {"g": ["a", "b"] * 50}
    y = [0, 1, 1, 0] * 25
    with pytest.deprecated_call(match="use by="):
        old = check_fairness(y, y, sensitive=g)
    assert old == check_fairness(y, y, by=g)
    with pytest.deprecated_call(), pytest.raises(InputError, match=r"^sensitive: column 'g' has 2 rows"):
        check_fairness([0, 1, 0, 1], [0, 1, 0, 1], sensitive={"g": [1, 2]})
    with pytest.raises(InputError, match=r"^sensitive: was given together with by="):
        check_fairness(y, y, by=g, sensitive=g)


def test_group_rates_are_the_registry_estimates_per_group():
    from mltestkit import check_metric

    rng = np.random.default_rng(2)
    g = rng.choice(["a", "b"], 600)
    y = rng.integers(0, 2, 600)
    p = np.where(rng.random(600) < 0.8, y, 1 - y)
    r = check_fairness(y, p, by={"g": g})
    for m in (m for m in r.metrics if m.slice and m.name == "tpr"):
        mask = g == m.slice["g"]
        ref = check_metric("recall", y[mask], p[mask]).metrics[0]
        assert (m.value, m.n, m.ci) == (ref.value, ref.n, ref.ci)
        assert m.outcome is None


def test_nan_predictions_are_an_error():
    with pytest.raises(InputError, match=r"^y_pred: has 1 NaN or infinite values"):
        check_fairness([0, 1, 0, 1], [0, 1, np.nan, 1], by=[1, 2, 1, 2])


def test_plugin_records_fairness_table(pytester):
    pytester.makepyfile(
        """
        import numpy as np

        def test_fair(ml):
            rng = np.random.default_rng(0)
            g = rng.choice(["F", "M"], 2000)
            y = rng.integers(0, 2, 2000)
            ml.check_fairness(y, y, by={"sex": g}, max={"equalized_odds_difference": 0.1})
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    import json

    check = json.loads((pytester.path / "r.json").read_text())["checks"][0]
    assert check["kind"] == "fairness"
    assert check["details"]["groups"][0]["sex"] == "F"
    assert check["metrics"][2]["name"] == "equalized_odds_difference"
    assert check["metrics"][2]["outcome"] == "passed"


def test_equalized_odds_is_judged_on_the_spread_that_is_defined():
    # no group but "a" has negative rows, so the FPR spread is undefined; the TPR spread alone
    # (0.9 against 0.2 on 300 positives a group) already exceeds max=0.1
    g = np.repeat(["a", "b"], 400)
    y = np.r_[np.repeat([1, 0], [300, 100]), np.ones(400, int)]
    rng = np.random.default_rng(0)
    tpr = np.where(g == "a", 0.9, 0.2)
    p = np.where(y == 1, rng.random(800) < tpr, rng.random(800) < 0.5).astype(int)
    for rule in ("alarm", "acceptance"):
        r = check_fairness(y, p, by={"g": g}, max={"equalized_odds_difference": 0.1}, rule=rule)
        eo = next(m for m in r.metrics if m.name == "equalized_odds_difference")
        assert eo.value == pytest.approx(r.details["disparities"]["equal_opportunity_difference"]["value"])
        assert eo.outcome is Outcome.FAILED, rule
        assert eo.ci.high == 1.0 and eo.ci.low > 0.1
        assert "fpr defined in fewer than two groups" in eo.reason
    ratio = check_fairness(y, p, by={"g": g}, min={"equalized_odds_ratio": 0.8}, rule="alarm")
    eor = next(m for m in ratio.metrics if m.name == "equalized_odds_ratio")
    assert eor.outcome is Outcome.FAILED and eor.ci.low == 0.0


def test_an_undefined_disparity_is_inconclusive_under_every_rule():
    for rule in ("acceptance", "alarm"):
        r = check_fairness([0, 1] * 20, [0, 1] * 20, by={"g": ["a"] * 40}, rule=rule)
        assert r.outcome is Outcome.INCONCLUSIVE, rule
