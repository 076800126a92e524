"""check_metric: values equal scikit-learn's, intervals are sane, bad input is a clear error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import metrics as skm

from mltestkit import check_metric
from mltestkit.errors import InputError
from mltestkit.metrics import METRICS, compute
from mltestkit.metrics.estimators import ece
from mltestkit.results import Outcome

LABEL_REFERENCE = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "precision": lambda y, p: skm.precision_score(y, p, zero_division=np.nan),
    "recall": lambda y, p: skm.recall_score(y, p, zero_division=np.nan),
    "f1": lambda y, p: skm.f1_score(y, p, zero_division=np.nan),
    "specificity": lambda y, p: skm.recall_score(y, p, pos_label=0, zero_division=np.nan),
    "fpr": lambda y, p: 1 - skm.recall_score(y, p, pos_label=0, zero_division=np.nan),
    "fnr": lambda y, p: 1 - skm.recall_score(y, p, zero_division=np.nan),
    "selection_rate": lambda y, p: float(np.mean(p == 1)),
}
SCORE_REFERENCE = {
    "roc_auc": skm.roc_auc_score,
    "average_precision": skm.average_precision_score,
    "log_loss": lambda y, s: skm.log_loss(y, s, labels=[0, 1]),
    "brier": skm.brier_score_loss,
}
REGRESSION_REFERENCE = {
    "mae": skm.mean_absolute_error,
    "rmse": skm.root_mean_squared_error,
    "mape": skm.mean_absolute_percentage_error,
    "r2": skm.r2_score,
}

binary = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=60)
fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(pairs=binary, name=st.sampled_from(sorted(LABEL_REFERENCE)))
def test_label_metrics_equal_scikit_learn(pairs, name):
    y, p = np.array(pairs).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn warns on single or absent classes
        ref = LABEL_REFERENCE[name](y, p)
    try:
        est = compute(name, y, p, n_boot=100)
    except InputError as exc:
        assert np.isnan(ref), exc
        assert "undefined" in str(exc)
        return
    assert est.value == pytest.approx(ref, abs=1e-12)
    assert est.low <= est.value + 1e-12 and est.value <= est.high + 1e-12


@fast
@given(
    labels=st.lists(st.integers(0, 3), min_size=4, max_size=60),
    noise=st.lists(st.integers(0, 3), min_size=4, max_size=60),
)
def test_multiclass_accuracy_and_balanced_accuracy(labels, noise):
    n = min(len(labels), len(noise))
    y, p = np.array(labels[:n]), np.array(noise[:n])
    assert compute("accuracy", y, p).value == pytest.approx(skm.accuracy_score(y, p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn warns on classes absent from y_true
        ref = skm.balanced_accuracy_score(y, p)
    assert compute("balanced_accuracy", y, p, n_boot=100).value == pytest.approx(ref)


@fast
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.floats(0.0, 1.0, allow_nan=False)),
        min_size=4,
        max_size=80,
    ),
    name=st.sampled_from(sorted(SCORE_REFERENCE)),
)
def test_score_metrics_equal_scikit_learn(data, name):
    y, s = np.array([d[0] for d in data]), np.array([d[1] for d in data])
    if len(set(y)) < 2:
        return
    est = compute(name, y, y_score=s, n_boot=100)
    assert est.value == pytest.approx(SCORE_REFERENCE[name](y, s), rel=1e-9, abs=1e-12)


@fast
@given(
    data=st.lists(
        st.tuples(st.floats(-100, 100, allow_nan=False), st.floats(-100, 100, allow_nan=False)),
        min_size=3,
        max_size=80,
    ),
    name=st.sampled_from(sorted(REGRESSION_REFERENCE)),
)
def test_regression_metrics_equal_scikit_learn(data, name):
    y, p = np.array(data).T
    if name == "r2" and np.all(y == y[0]):
        with pytest.raises(InputError, match="y_true is constant"):
            compute(name, y, p)
        return
    est = compute(name, y, p, n_boot=100)
    assert est.value == pytest.approx(REGRESSION_REFERENCE[name](y, p), rel=1e-9, abs=1e-9)


def test_ece_by_hand():
    y = np.array([0, 1, 1, 0])
    p = np.array([0.05, 0.95, 0.55, 0.45])
    # bins: [0.0,0.1) -> |0-0.05|, [0.9,1.0] -> |1-0.95|, [0.5,0.6) -> |1-0.55|, [0.4,0.5) -> |0-0.45|
    assert ece(y, p) == pytest.approx((0.05 + 0.05 + 0.45 + 0.45) / 4)


def test_registry_declares_direction_and_interval():
    assert METRICS["accuracy"].higher_is_better and METRICS["accuracy"].interval == "binomial"
    assert not METRICS["log_loss"].higher_is_better
    assert len(METRICS) >= 29
    for m in METRICS.values():
        assert m.statistics in ("confusion counts", "sorted scores", "per-row losses", "rows"), m.name
        assert m.additive == (m.statistics == "confusion counts" and m.input == "labels"), m.name
        assert m.range is not None and m.range[0] < m.range[1], m.name
    assert METRICS["r2"].range == (-np.inf, 1.0) and METRICS["rmse"].range == (0.0, np.inf)


def test_a_threshold_at_the_edge_of_the_range_is_judged_on_the_value():
    perfect = check_metric("recall", [1] * 50, [1] * 50, min=1.0)
    assert perfect.outcome is Outcome.PASSED and perfect.metrics[0].rule == "point"


def test_proportions_get_the_clopper_pearson_interval_of_scipy():
    est = compute("accuracy", [1] * 90 + [0] * 10, [1] * 100)
    ci = stats.binomtest(90, 100).proportion_ci(confidence_level=0.95, method="exact")
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert est.method == "clopper-pearson"


def test_perfect_f1_has_an_exact_interval_on_the_jaccard_index_not_a_zero_width_one():
    y = np.array([0, 1] * 100)
    est = compute("f1", y, y)
    assert est.value == 1.0
    assert est.method == "clopper-pearson-jaccard"
    jl = 0.025 ** (1 / 100)  # Clopper-Pearson's lower end at 100 of 100
    assert est.low == pytest.approx(2 * jl / (1 + jl)) and est.low < 0.99 and est.high == 1.0


def test_same_seed_same_interval_other_seed_other_interval():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1500)
    s = y * 0.2 + rng.random(1500)
    a, b, c = (compute("average_precision", y, y_score=s, seed=k, n_boot=200) for k in (3, 3, 4))
    assert a.method == "bootstrap" and (a.low, a.high) == (b.low, b.high)
    assert (a.low, a.high) != (c.low, c.high)


def test_row_bootstrap_below_its_minimum_rows_is_inconclusive_with_the_rows_needed():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    r = check_metric("average_precision", y, y_score=y * 0.5 + 0.5 * rng.random(300), min=0.5)
    mv = r.metrics[0]
    assert mv.value is not None and mv.ci.low is None and r.outcome is Outcome.INCONCLUSIVE
    assert r.details["rows_to_decide"] == 1000 and "about 1000 would give one" in mv.reason


def test_string_labels_with_pos_label():
    y = np.array(["spam", "ham", "spam", "ham"] * 30)
    p = np.array(["spam", "ham", "ham", "ham"] * 30)
    assert compute("recall", y, p, pos_label="spam").value == pytest.approx(0.5)
    with pytest.raises(InputError, match="pos_label: recall needs to know the positive class"):
        compute("recall", y, p)


def test_custom_callable_metric():
    def hit_rate(y, p):
        return float(np.mean(y == p))

    r = check_metric(hit_rate, [1, 0] * 100, [1, 0] * 90 + [0, 1] * 10, min=0.8)
    assert r.name == "hit_rate" and r.metrics[0].name == "hit_rate"
    named = check_metric(
        lambda y, p: float(np.mean(y == p)), [1, 0] * 100, [1, 0] * 100, min=0.8, name="hits"
    )
    assert named.name == "hits" and named.metrics[0].name == "hits"
    assert r.metrics[0].value == pytest.approx(0.9)
    assert r.metrics[0].ci.method == "bootstrap"


def test_mean_losses_get_the_skew_corrected_interval_from_power_sums():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200_000)
    r = check_metric("mae", y, y + rng.normal(scale=0.1, size=y.size), max=0.1)
    assert r.metrics[0].ci.method == "skew-t" and r.outcome.value == "passed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_true": [0, 1], "y_pred": [0]}, "y_pred: has 1 rows but y_true has 2"),
        ({"y_true": [], "y_pred": []}, "y_true: is empty"),
        ({"y_true": None, "y_pred": [1]}, "y_true: is None"),
        (
            {"y_true": [0.0, np.nan], "y_pred": [0, 1]},
            "y_true: has 1 NaN or infinite values (first at row 1)",
        ),
        ({"y_true": [0, 1], "y_pred": [0, None]}, "y_pred: has 1 missing values (first at row 1)"),
        ({"y_true": [[0, 1], [1, 0]], "y_pred": [0, 1]}, "y_true: has shape (2, 2)"),
        ({"y_true": [0, 1], "y_pred": [0.2, 0.7]}, "y_pred: accuracy compares class labels"),
        ({"y_true": [0, "1"], "y_pred": [0, 1]}, "y_true/y_pred: mix label types"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    with pytest.raises(InputError) as info:
        check_metric("accuracy", kwargs["y_true"], kwargs["y_pred"], min=0.5)
    assert message in str(info.value)


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(InputError, match=r"metric: unknown metric 'acuracy'; did you mean 'accuracy'\?"):
        check_metric("acuracy", [0, 1], [0, 1], min=0.5)


def test_without_a_requirement_the_figure_is_recorded_without_an_outcome():
    r = check_metric("accuracy", [0, 1, 1, 0] * 25, [0, 1, 0, 0] * 25)
    (mv,) = r.metrics
    assert (mv.value, mv.outcome, mv.rule, mv.thresholds) == (0.75, None, None, ())
    assert mv.ci is not None and mv.ci.method == "clopper-pearson"
    assert r.outcome is Outcome.PASSED and r.rule is None and not r.fails_test
    assert r.to_dict()["metrics"][0]["outcome"] is None


def test_probabilities_outside_unit_interval():
    with pytest.raises(InputError, match=r"y_score: holds values outside \[0, 1\]"):
        check_metric("log_loss", [0, 1, 1], y_score=[0.1, 1.2, 0.5], max=1)


def test_single_class_for_auc():
    with pytest.raises(InputError, match="y_true: roc_auc is undefined: y_true has a single class"):
        check_metric("roc_auc", [1, 1, 1], y_score=[0.1, 0.2, 0.3], min=0.5)


def test_labels_metric_without_predictions():
    with pytest.raises(
        InputError, match=r"y_pred: accuracy needs predictions and none were given \(y_score was given\)"
    ):
        check_metric("accuracy", [0, 1], y_score=[0.2, 0.8], min=0.5)


def test_bad_rule_and_confidence():
    with pytest.raises(InputError, match="rule: unknown gate rule 'strict'"):
        check_metric("accuracy", [0, 1], [0, 1], min=0.5, rule="strict")
    with pytest.raises(InputError, match=r"confidence: must be a number in \[0.5, 1\)"):
        check_metric("accuracy", [0, 1], [0, 1], min=0.5, confidence=95)


def test_inconclusive_says_how_many_rows_would_decide():
    y = np.array([1] * 83 + [0] * 17)
    r = check_metric("accuracy", y, np.ones(100, dtype=int), min=0.8)
    assert r.outcome is Outcome.INCONCLUSIVE
    assert r.fails_test
    assert "rows (now 100) would decide it" in r.message
    assert r.details["rows_to_decide"] > 100
    alarm = check_metric("accuracy", y, np.ones(100, dtype=int), min=0.8, rule="alarm")
    assert alarm.outcome is Outcome.INCONCLUSIVE and not alarm.fails_test


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    y = pd.Series([0, 1] * 50, name="target")
    p = pd.DataFrame({"pred": [0, 1] * 50})
    assert check_metric("accuracy", y, p, min=0.9).outcome is Outcome.PASSED
