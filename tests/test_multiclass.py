"""Multi-class label metrics: averages over classes, Cohen's kappa, Matthews correlation.

Values equal scikit-learn's (with and without sample_weight) on every class count; ``average=``
resolves to one registry entry everywhere; intervals come from the K x K confusion counts, merge
across parts, and are inconclusive where the cell bootstrap is not honest.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

from mltestkit import check_metric, check_slices, find_weak_slices
from mltestkit.config import parse_config
from mltestkit.errors import InputError
from mltestkit.metrics import METRICS, compute, estimate, get_metric
from mltestkit.metrics.paired import check_paired, paired_difference, row_record
from mltestkit.slicing import merge, slice_counts
from mltestkit.stats import intervals as iv

AVERAGED = [(of, av) for of in ("precision", "recall", "f1") for av in ("macro", "micro", "weighted")]
OVER_CLASSES = {
    "cohen_kappa": skm.cohen_kappa_score,
    "matthews_corrcoef": skm.matthews_corrcoef,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "accuracy": skm.accuracy_score,
}
NAMES = np.array(["ant", "bee", "cat", "dog", "eel"])


def _rows(k: int, n: int, seed: int, shares=None):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, n, p=shares)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    return NAMES[y], NAMES[pred], rng.exponential(size=n)


def _reference(of: str, average: str):
    fn = getattr(skm, f"{of}_score")
    return lambda y, p, sample_weight=None: fn(
        y, p, average=average, sample_weight=sample_weight, zero_division=0
    )


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_values_equal_scikit_learn(k, seed, weighted):
    y, pred, w = _rows(k, 400, seed, shares=np.arange(1, k + 1) / np.arange(1, k + 1).sum())
    sw = w if weighted else None
    for of, av in AVERAGED:
        got = compute(of, y, pred, average=av, sample_weight=sw, n_boot=100).value
        assert got == pytest.approx(_reference(of, av)(y, pred, sample_weight=sw), abs=1e-12), (of, av)
    for name, fn in OVER_CLASSES.items():
        got = compute(name, y, pred, sample_weight=sw, n_boot=100).value
        assert got == pytest.approx(fn(y, pred, sample_weight=sw), abs=1e-12), name


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true:UserWarning")
def test_values_with_classes_only_in_predictions_or_only_in_labels():
    # "eel" is never true, "dog" never predicted: zero division counts 0, as in scikit-learn
    y = np.array(["ant", "bee", "cat", "dog"] * 30)
    pred = np.array(["ant", "bee", "eel", "cat"] * 30)
    pred[:8] = "ant"
    for of, av in AVERAGED:
        assert compute(of, y, pred, average=av).value == pytest.approx(_reference(of, av)(y, pred), abs=1e-12)
    for name, fn in OVER_CLASSES.items():
        assert compute(name, y, pred).value == pytest.approx(fn(y, pred), abs=1e-12)


def test_constant_predictions_give_scikit_learn_values_and_no_interval():
    y = np.array([0, 1, 2] * 200)
    pred = np.zeros(600, dtype=int)
    mcc = compute("matthews_corrcoef", y, pred)
    assert mcc.value == skm.matthews_corrcoef(y, pred) == 0.0
    assert mcc.low is None and mcc.high is None  # every resample is constant: no honest interval
    assert compute("cohen_kappa", y, pred).value == pytest.approx(skm.cohen_kappa_score(y, pred))
    with pytest.raises(InputError, match="cohen_kappa is undefined"):
        compute("cohen_kappa", np.zeros(50, int), np.zeros(50, int))


# ---------------------------------------------------------------- average= resolution


def test_average_resolves_to_entries_named_as_scikit_learn_scorers():
    for of, av in AVERAGED:
        m = get_metric(of, average=av)
        assert m.name == f"{of}_{av}" and m.base == of and m.average == av
        assert get_metric(m.name, average="binary").name == of
        assert get_metric(m.name) is m is get_metric(m.name, average=av)
    assert get_metric("accuracy", average="binary").name == "accuracy"
    assert get_metric("f1").average is None


@pytest.mark.parametrize(
    ("metric", "average", "words"),
    [
        ("accuracy", "macro", "accuracy has no average='macro'; drop average="),
        ("cohen_kappa", "weighted", "cohen_kappa has no average='weighted'"),
        ("f1", "samples", "must be one of binary, macro, micro, weighted, got 'samples'"),
        ("f1", "per-class", "average='binary' with pos_label=<the class>"),
        ("f1", 3, "got 3"),
        (lambda y, p: 0.0, "macro", "has no average='macro'"),
    ],
)
def test_an_average_a_metric_does_not_have_is_an_input_error(metric, average, words):
    with pytest.raises(InputError, match="average") as info:
        check_metric(metric, [0, 1, 2] * 20, [0, 1, 1] * 20, average=average)
    assert info.value.argument == "average"
    assert words in str(info.value)


def test_check_metric_records_the_averaged_figure():
    y, pred, _ = _rows(3, 600, 4)
    r = check_metric("f1", y, pred, average="macro", min=0.5)
    assert r.name == "f1_macro" and r.metrics[0].name == "f1_macro"
    assert r.metrics[0].value == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert r.outcome.value == "passed"
    # one class at a time: the binary entry with pos_label
    cat = check_metric("f1", y, pred, pos_label="cat").metrics[0].value
    assert cat == pytest.approx(skm.f1_score(y, pred, labels=["cat"], average=None)[0], abs=1e-12)


def test_zero_code_thresholds_accept_the_new_names():
    cfg = parse_config(
        {"label": "y", "thresholds": {"f1_macro": {"min": 0.8}, "slice.cohen_kappa": {"min": 0.5}}}, root="."
    )
    assert cfg.thresholds["f1_macro"] == {"min": 0.8}


# ---------------------------------------------------------------- intervals


def test_micro_averages_and_weighted_recall_are_accuracy_with_its_exact_interval():
    y, pred, _ = _rows(5, 300, 5)
    acc = compute("accuracy", y, pred)
    for name in ("precision_micro", "recall_micro", "f1_micro", "recall_weighted"):
        est = compute(name, y, pred)
        assert (est.value, est.low, est.high, est.n, est.method) == (
            acc.value,
            acc.low,
            acc.high,
            300,
            "clopper-pearson",
        )


def test_macro_precision_and_recall_combine_per_class_clopper_pearson_by_mover():
    y, pred, _ = _rows(3, 300, 6)
    cm = skm.confusion_matrix(y, pred)
    for name, k, n in (("recall_macro", np.diag(cm), cm.sum(1)), ("precision_macro", np.diag(cm), cm.sum(0))):
        est = compute(name, y, pred)
        low, high = iv.clopper_pearson(k, n, 0.95)
        _, lo, hi = iv.mover_mean((k / n)[None], low[None], high[None], np.ones((1, 3), bool))
        assert est.method == "clopper-pearson-mover"
        assert (est.low, est.high) == pytest.approx((lo[0], hi[0]), abs=1e-12)


@pytest.mark.parametrize(
    "name", ["f1_macro", "f1_weighted", "precision_weighted", "cohen_kappa", "matthews_corrcoef"]
)
def test_cell_bootstrap_metrics_need_enough_rows_for_an_interval(name):
    y, pred, w = _rows(3, 2000, 7)
    small = compute(name, y[:120], pred[:120])
    assert small.value is not None and small.low is None and small.needed == iv.CELLS_MIN_ROWS
    big = compute(name, y, pred, seed=3)
    assert big.method == "bca-cells" and big.low < big.value < big.high and big.high - big.low < 0.1
    assert compute(name, y, pred, seed=3) == big  # seeded
    weighted = compute(name, y, pred, sample_weight=w, seed=3)
    assert weighted.n < 2000 and weighted.high - weighted.low > big.high - big.low  # Kish's size
    r = check_metric(name, y[:120], pred[:120], min=0.1)
    assert r.outcome.value == "inconclusive" and r.details["rows_to_decide"] == iv.CELLS_MIN_ROWS


def test_bca_cells_is_never_zero_width_and_undefined_when_degenerate():
    cm = np.array([[200, 0], [0, 200]])
    stat = lambda d: METRICS["cohen_kappa"].value(d, 0)  # noqa: E731
    reps = iv.cell_bootstrap(cm, stat, n_boot=1000, rng=np.random.default_rng(0))
    assert np.isnan(iv.bca_cells(cm, stat, reps, 0.95)).all()  # every resample is perfect
    cm = np.array([[190, 10], [4, 196]])
    reps = iv.cell_bootstrap(cm, stat, n_boot=1000, rng=np.random.default_rng(0))
    low, high = iv.bca_cells(cm, stat, reps, 0.95)
    assert low < float(stat(cm[None])[0]) < high


# ---------------------------------------------------------------- slices, parts, weak slices


def test_slices_of_k_class_counts_merge_and_equal_scikit_learn_per_slice():
    y, pred, w = _rows(4, 1200, 8)
    group = np.where(np.arange(1200) % 3 == 0, "a", "b")
    names = ["f1_macro", "precision_weighted", "cohen_kappa", "matthews_corrcoef", "recall_micro"]
    direct = check_slices(names, y, pred, by={"g": group}, min=0.0)
    parts = [slice_counts(y[i::2], pred[i::2], by={"g": group[i::2]}) for i in (0, 1)]
    merged = check_slices(names, counts=merge(*parts), min=0.0)
    for a, b in zip(direct.metrics, merged.metrics, strict=True):
        assert (a.name, a.slice, a.value) == (b.name, b.slice, pytest.approx(b.value, abs=1e-12))
        assert (a.ci.low, a.ci.high) == pytest.approx((b.ci.low, b.ci.high), abs=1e-12)
    refs = {
        "f1_macro": _reference("f1", "macro"),
        "precision_weighted": _reference("precision", "weighted"),
        "cohen_kappa": skm.cohen_kappa_score,
        "matthews_corrcoef": skm.matthews_corrcoef,
        "recall_micro": _reference("recall", "micro"),
    }
    for mv in direct.metrics:
        rows = group == mv.slice["g"]
        assert mv.value == pytest.approx(refs[mv.name](y[rows], pred[rows]), abs=1e-12)
    by_average = check_slices(["f1", "precision"], y, pred, by={"g": group}, average="macro")
    assert [m.name for m in by_average.metrics] == ["f1_macro"] * 2 + ["precision_macro"] * 2
    weighted = check_slices("f1_macro", y, pred, by={"g": group}, sample_weight=w)
    for mv in weighted.metrics:
        rows = group == mv.slice["g"]
        ref = skm.f1_score(y[rows], pred[rows], average="macro", sample_weight=w[rows])
        assert mv.value == pytest.approx(ref, abs=1e-12)


def test_find_weak_slices_takes_averages_that_are_proportions():
    y, pred, _ = _rows(3, 900, 9)
    group = np.repeat(["a", "b", "c"], 300)
    pred[:300] = np.roll(pred[:300], 1)  # slice "a" is much worse
    r = find_weak_slices(y, pred, by={"g": group}, metric="recall", average="micro", depth=1)
    assert r.metrics[0].name == "recall_micro" and r.metrics[0].slice == {"g": "a"}
    with pytest.raises(InputError, match="f1_macro is not a proportion"):
        find_weak_slices(y, pred, by={"g": group}, metric="f1", average="macro")


# ---------------------------------------------------------------- paired comparison


def test_paired_comparison_of_multi_class_metrics_over_joint_cells():
    rng = np.random.default_rng(10)
    y, base, _ = _rows(3, 3000, 10)
    better = np.where(rng.random(3000) < 0.5, y, base)
    for name in ("cohen_kappa", "f1_macro", "matthews_corrcoef", "precision_weighted"):
        r = check_paired(name, y, y_pred=better, baseline_pred=base, margin=0.0)
        est = r.metrics[0]
        ref = OVER_CLASSES.get(name) or _reference(*name.split("_"))
        assert est.value == pytest.approx(ref(y, better) - ref(y, base), abs=1e-12)
        assert est.ci.method == "paired-bootstrap" and est.ci.low > 0
        assert r.outcome.value == "passed"
        rec = row_record(name, y, base)
        assert rec["encoding"] == "arrays-base64" and rec["classes"] == ["ant", "bee", "cat"]
        assert paired_difference(name, rec, rec, level=0.95)[0]["method"] == "identical"
    micro = check_paired("f1_micro", y, y_pred=better, baseline_pred=base, margin=0.0)
    assert micro.metrics[0].ci.method == "mcnemar"
    assert row_record("f1_micro", y, base)["encoding"] == "packbits-base64"


def test_grouped_estimate_equals_each_group_alone():
    y, pred, _ = _rows(3, 1400, 11)
    groups = np.repeat([0, 1], 700)
    for name in ("f1_macro", "recall_macro", "cohen_kappa"):
        est = estimate(name, y, pred, groups=groups, seed=5)
        for g in (0, 1):
            alone = compute(name, y[groups == g], pred[groups == g], seed=5)
            assert est[g] == alone
