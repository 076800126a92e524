"""Metrics over a score matrix y_score (n, K): top_k_accuracy, multi-class log_loss, one-vs-rest
roc_auc; parity with scikit-learn, validation, slices and the paired comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mltestkit import check_metric, check_paired, check_slices, find_weak_slices
from mltestkit.errors import InputError
from mltestkit.metrics import compute, estimate
from mltestkit.metrics.paired import paired_difference, row_record
from mltestkit.metrics.registry import get_metric, top_k_metric


def _process(n: int, k: int, seed: int, *, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[y]
    if ties:
        logits = np.round(logits)  # many tied scores in a row and across rows
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


CASES = [(300, 3, 0, False), (500, 5, 1, False), (400, 4, 2, True), (60, 3, 3, True)]


@pytest.mark.parametrize(("n", "k", "seed", "ties"), CASES)
def test_values_equal_scikit_learn(n, k, seed, ties):
    y, p = _process(n, k, seed, ties=ties)
    for top in range(1, k):
        got = compute(f"top_{top}_accuracy", y, y_score=p).value
        assert got == pytest.approx(skm.top_k_accuracy_score(y, p, k=top), abs=1e-12)
    assert compute("top_k_accuracy", y, y_score=p).value == pytest.approx(
        skm.top_k_accuracy_score(y, p), abs=1e-12
    )
    assert compute("log_loss", y, y_score=p).value == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    for name, average in (("roc_auc_ovr", "macro"), ("roc_auc_ovr_weighted", "weighted")):
        want = skm.roc_auc_score(y, p, multi_class="ovr", average=average)
        assert compute(name, y, y_score=p).value == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(("n", "k", "seed", "ties"), CASES)
def test_weighted_values_equal_scikit_learn(n, k, seed, ties):
    y, p = _process(n, k, seed, ties=ties)
    w = np.random.default_rng(seed + 10).uniform(0.2, 3.0, n)
    got = compute("top_k_accuracy", y, y_score=p, sample_weight=w)
    assert got.value == pytest.approx(skm.top_k_accuracy_score(y, p, k=2, sample_weight=w), abs=1e-12)
    assert got.n < n  # Kish's effective size
    got = compute("log_loss", y, y_score=p, sample_weight=w)
    assert got.value == pytest.approx(skm.log_loss(y, p, sample_weight=w), abs=1e-12)
    with pytest.raises(InputError, match="sample_weight"):
        compute("roc_auc_ovr", y, y_score=p, sample_weight=w)


def test_string_labels_and_every_matrix_input():
    y, p = _process(200, 3, 4)
    names = np.array(["bird", "cat", "dog"])[y]
    want = skm.roc_auc_score(names, p, multi_class="ovr")
    for scores in (p, p.tolist(), pd.DataFrame(p, columns=["bird", "cat", "dog"])):
        assert compute("roc_auc_ovr", names, y_score=scores).value == pytest.approx(want, abs=1e-12)
    assert compute("log_loss", list(names), y_score=p.tolist()).value == pytest.approx(
        skm.log_loss(names, p), abs=1e-12
    )


def test_binary_scores_are_read_as_before():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    s = np.clip(0.5 * y + rng.uniform(0, 0.5, 300), 0.01, 0.99)
    one = compute("log_loss", y, y_score=s)
    two = compute("log_loss", y, y_score=np.c_[1 - s, s])
    assert one.value == pytest.approx(skm.log_loss(y, s), abs=1e-12)
    assert two.value == pytest.approx(one.value, abs=1e-12)
    assert compute("roc_auc", y, y_score=s).method == "score-auc"
    # one score a row: top-1 thresholds at 0.5, as scikit-learn does
    got = compute("top_1_accuracy", y, y_score=s).value
    assert got == pytest.approx(skm.top_k_accuracy_score(y, s, k=1), abs=1e-12)


@pytest.mark.parametrize(
    ("scores", "metric", "words"),
    [
        (np.full((4, 2), 0.5), "log_loss", "has 2 columns but y_true has 3 classes"),
        (np.full((3, 3), 1 / 3), "log_loss", "has 3 rows but y_true has 4"),
        ([[0.5, 0.5, 0.1]] * 4, "log_loss", "row 0 sums to 1.1, not 1"),
        ([[0.5, 0.5, 0.0]] * 3 + [[np.nan, 0.5, 0.5]], "log_loss", "NaN or infinite values (first in row 3)"),
        ([[1.5, -0.5, 0.0]] * 4, "roc_auc_ovr", "outside [0, 1]"),
        ([[0.2, 0.3, 0.5]] * 3 + [["a", 0.5, 0.5]], "top_k_accuracy", "cannot be read as a matrix"),
        (np.full((4, 3), 1 / 3), "roc_auc", "roc_auc reads one score a row"),
        (np.full(4, 0.3), "roc_auc_ovr", "one column of scores per class"),
    ],
)
def test_bad_matrices_are_refused_naming_y_score(scores, metric, words):
    with pytest.raises(InputError) as err:
        compute(metric, [0, 1, 2, 0], y_score=scores)
    assert err.value.argument == "y_score"
    assert words in str(err.value)


def test_top_k_needs_fewer_than_k_classes_and_a_valid_k():
    y, p = _process(50, 3, 6)
    with pytest.raises(InputError, match="every row would count"):
        compute("top_3_accuracy", y, y_score=p)
    with pytest.raises(InputError) as err:
        top_k_metric(0)
    assert err.value.argument == "k"
    assert get_metric("top_k_accuracy") is not top_k_metric(2)  # a fresh entry, the same figures
    assert top_k_metric(2).name == "top_k_accuracy"


def test_average_resolves_roc_auc_to_one_vs_rest():
    assert get_metric("roc_auc", average="macro").name == "roc_auc_ovr"
    assert get_metric("roc_auc", average="weighted").name == "roc_auc_ovr_weighted"
    assert get_metric("roc_auc_ovr", average="binary").name == "roc_auc"


def test_intervals_are_never_zero_width_and_contain_the_value():
    # perfectly separated classes: every per-class DeLong variance is 0
    y = np.repeat([0, 1, 2], 4)
    p = np.eye(3)[y] * 0.8 + 0.2 / 3
    for name in ("roc_auc_ovr", "roc_auc_ovr_weighted", "top_1_accuracy", "log_loss"):
        est = compute(name, y, y_score=p)
        if est.low is None:  # log_loss: constant losses give no honest interval
            assert name == "log_loss" and est.reason is not None
            continue
        assert est.low < est.high and est.low <= est.value <= est.high, name
    r = check_metric("roc_auc_ovr", y, y_score=p, min=0.95)
    assert r.outcome.value == "inconclusive"  # 12 rows cannot show an AUC of 0.95
    assert r.metrics[0].ci.method == "mover-score-auc"


def test_a_group_missing_a_class_is_undefined():
    y, p = _process(90, 3, 7)
    groups = (y == 2).astype(int)  # group 1 holds class 2 only
    est = estimate("roc_auc_ovr", y, y_score=p, groups=groups)
    assert est[0].value is None and "no rows" in est[0].reason
    assert est[1].value is None


def test_groups_equal_their_rows_alone():
    y, p = _process(600, 4, 8)
    groups = np.random.default_rng(9).integers(0, 3, 600)
    for name in ("roc_auc_ovr", "roc_auc_ovr_weighted", "top_k_accuracy", "log_loss"):
        est = estimate(name, y, y_score=p, groups=groups)
        for g in range(3):
            alone = compute(name, y[groups == g], y_score=p[groups == g])
            assert (est[g].value, est[g].low, est[g].high) == pytest.approx(
                (alone.value, alone.low, alone.high), rel=1e-12
            ), name


def test_check_slices_with_matrix_scores():
    y, p = _process(900, 3, 10)
    region = np.array(["north", "south", "east"])[np.arange(900) % 3]
    r = check_slices(["top_1_accuracy", "roc_auc_ovr", "log_loss"], y, by={"region": region}, y_score=p)
    assert len(r.metrics) == 9
    first = r.metrics[0]
    rows = region == first.slice["region"]
    assert first.value == pytest.approx(skm.top_k_accuracy_score(y[rows], p[rows], k=1), abs=1e-12)
    auc = next(m for m in r.metrics if m.name == "roc_auc_ovr")
    rows = region == auc.slice["region"]
    assert auc.value == pytest.approx(skm.roc_auc_score(y[rows], p[rows], multi_class="ovr"), abs=1e-12)
    assert r.details["overall"]["log_loss"] == pytest.approx(skm.log_loss(y, p), abs=1e-12)


def test_find_weak_slices_with_top_k():
    y, p = _process(2000, 4, 11)
    group = np.where(np.arange(2000) < 300, "bad", "good")
    p[:300] = p[:300][:, ::-1]  # the model ranks the bad slice's classes backwards
    r = find_weak_slices(y, by={"g": group}, y_score=p, metric="top_1_accuracy")
    assert r.metrics[0].slice == {"g": "bad"}
    rows = group == "bad"
    assert r.metrics[0].value == pytest.approx(skm.top_k_accuracy_score(y[rows], p[rows], k=1), abs=1e-12)


def test_paired_comparison_of_matrix_metrics():
    y, weak = _process(1500, 4, 12)
    rng = np.random.default_rng(13)
    strong = np.exp(np.log(weak) + 1.5 * np.eye(4)[y] + rng.normal(0, 0.3, weak.shape))
    strong /= strong.sum(axis=1, keepdims=True)
    methods = {}
    for name in ("top_k_accuracy", "log_loss", "roc_auc_ovr", "roc_auc_ovr_weighted"):
        r = check_paired(name, y, y_score=strong, baseline_score=weak)
        assert r.outcome.value == "passed", name
        methods[name] = r.details["method"]
        same = check_paired(name, y, y_score=weak, baseline_score=weak)
        assert same.metrics[0].value == 0.0
    assert methods == {
        "top_k_accuracy": "mcnemar",
        "log_loss": "paired-moment",
        "roc_auc_ovr": "paired-delong-ovr",
        "roc_auc_ovr_weighted": "paired-delong-ovr",
    }
    # the record round-trips: from two records alone, the same difference
    recs = [row_record("roc_auc_ovr", y, y_score=s) for s in (weak, strong)]
    diff, why = paired_difference("roc_auc_ovr", recs[0], recs[1], level=0.95)
    assert why is None
    want = skm.roc_auc_score(y, strong, multi_class="ovr") - skm.roc_auc_score(y, weak, multi_class="ovr")
    assert diff["difference"] == pytest.approx(want, abs=1e-6)  # float32 scores in the record
    assert diff["low"] < diff["difference"] < diff["high"]


def test_check_metric_keeps_a_record_for_compare():
    y, p = _process(300, 3, 14)
    r = check_metric("top_k_accuracy", y, y_score=p, min=0.5)
    assert r.details["rows"]["encoding"] == "packbits-base64"
    r = check_metric("roc_auc_ovr", y, y_score=p)
    assert r.details["rows"]["encoding"] == "arrays-base64" and r.details["rows"]["columns"] == 3
