"""check_slices: per-slice values equal scikit-learn's, partitions merge exactly, Holm keeps
family-wise false alarms at the level, bad input is a clear error."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from mltestkit import check_metric
from mltestkit.errors import InputError
from mltestkit.results import CheckResult, Outcome
from mltestkit.slicing.slices import MISSING, check_slices, merge, slice_counts
from mltestkit.stats.intervals import grouped_ranks

LABEL_REFERENCE = {
    "accuracy": skm.accuracy_score,
    "recall": lambda y, p: skm.recall_score(y, p, zero_division=np.nan),
    "precision": lambda y, p: skm.precision_score(y, p, zero_division=np.nan),
    "f1": lambda y, p: skm.f1_score(y, p, zero_division=np.nan),
    "balanced_accuracy": skm.balanced_accuracy_score,
    "fpr": lambda y, p: 1 - skm.recall_score(y, p, pos_label=0, zero_division=np.nan),
}


def _by_slice(result: CheckResult, metric: str) -> dict[str, float | None]:
    return {m.slice["g"]: m.value for m in result.metrics if m.name == metric}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(20, 300), st.integers(1, 6))
def test_label_metrics_equal_sklearn_per_slice(seed, n, groups):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n).astype(str)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.7, y, 1 - y)
    result = check_slices(list(LABEL_REFERENCE), y, p, by={"g": g}, min_size=0)
    for metric, ref in LABEL_REFERENCE.items():
        ours = _by_slice(result, metric)
        for label in np.unique(g):
            m = g == label
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = float(ref(y[m], p[m]))
            got = ours[label]
            if np.isnan(expected):
                assert got is None
            else:
                assert got == pytest.approx(expected, abs=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(30, 300), st.integers(1, 5), st.booleans())
def test_score_metrics_equal_sklearn_per_slice(seed, n, groups, ties):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n).astype(str)
    y = rng.integers(0, 2, n)
    s = rng.random(n)
    if ties:
        s = np.round(s, 1)
    r = check_slices(["roc_auc", "log_loss", "brier"], y, y_score=s, by={"g": g}, min_size=0)
    target = rng.normal(size=n)
    pred = target + rng.normal(scale=0.5, size=n)
    reg = check_slices(["mae", "rmse"], target, pred, by={"g": g}, min_size=0)
    for label in np.unique(g):
        m = g == label
        if len(np.unique(y[m])) == 2:
            assert _by_slice(r, "roc_auc")[label] == pytest.approx(skm.roc_auc_score(y[m], s[m]), abs=1e-12)
        else:
            assert _by_slice(r, "roc_auc")[label] is None
        ll = skm.log_loss(y[m], s[m], labels=[0, 1])
        assert _by_slice(r, "log_loss")[label] == pytest.approx(ll, rel=1e-6)
        assert _by_slice(r, "brier")[label] == pytest.approx(
            skm.brier_score_loss(y[m], s[m], pos_label=1), abs=1e-12
        )
        assert _by_slice(reg, "mae")[label] == pytest.approx(
            skm.mean_absolute_error(target[m], pred[m]), abs=1e-12
        )
        rmse = skm.root_mean_squared_error(target[m], pred[m])
        assert _by_slice(reg, "rmse")[label] == pytest.approx(rmse, abs=1e-12)


def test_grouped_ranks_equal_scipy_per_group():
    from scipy.stats import rankdata

    rng = np.random.default_rng(1)
    g = rng.integers(0, 4, 500)
    v = rng.integers(0, 20, 500).astype(float)
    ranks = grouped_ranks(g, v)
    for label in range(4):
        np.testing.assert_allclose(ranks[g == label], rankdata(v[g == label]))


def test_roc_auc_interval_matches_check_metric_delong():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    s = y * 0.3 + rng.random(400)
    g = np.repeat(["a", "b"], 200)
    r = check_slices("roc_auc", y, y_score=s, by={"g": g}, min=0.5)
    for m in r.metrics:
        mask = g == m.slice["g"]
        ref = check_metric("roc_auc", y[mask], y_score=s[mask], min=0.5).metrics[0]
        assert (m.value, m.ci.low, m.ci.high) == pytest.approx((ref.value, ref.ci.low, ref.ci.high), abs=1e-9)


def test_intervals_and_gates_equal_check_metric_on_each_slice():
    rng = np.random.default_rng(0)
    n = 3000
    g = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    acc = np.select([g == "a", g == "b"], [0.95, 0.83], 0.7)
    p = np.where(rng.random(n) < acc, y, 1 - y)
    r = check_slices("recall", y, p, by={"g": g}, min=0.8)
    outcomes = {}
    for m in r.metrics:
        mask = g == m.slice["g"]
        ref = check_metric("recall", y[mask], p[mask], min=0.8).metrics[0]
        assert (m.value, m.n, m.ci.low, m.ci.high) == (ref.value, ref.n, ref.ci.low, ref.ci.high)
        assert m.outcome is ref.outcome
        outcomes[m.slice["g"]] = m.outcome
    assert outcomes["a"] is Outcome.PASSED and outcomes["c"] is Outcome.FAILED
    assert r.outcome is Outcome.FAILED and r.fails_test
    assert r.details["worst"]["slice"] == {"g": "c"}
    overall = skm.recall_score(y, p)
    assert r.details["overall"]["recall"] == pytest.approx(overall)
    assert r.details["worst"]["gap"] == pytest.approx(r.details["worst"]["value"] - overall)
    assert "worst slice g=c" in r.message


def test_f1_interval_is_exact_on_the_jaccard_index_and_covers_value():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 2000)
    p = np.where(rng.random(2000) < 0.8, y, 1 - y)
    g = rng.choice(["a", "b"], 2000)
    r1 = check_slices("f1", y, p, by={"g": g}, seed=3)
    r2 = check_slices("f1", y, p, by={"g": g}, seed=3)
    assert r1 == r2
    for m in r1.metrics:
        assert m.ci.method == "clopper-pearson-jaccard"
        assert m.ci.low < m.value < m.ci.high


def test_binning_missing_and_unused_categories():
    frame = pd.DataFrame(
        {
            "age": [15.0, 25.0, 35.0, np.nan] * 50,
            "sex": pd.Categorical(["F", "M"] * 100, categories=["F", "M", "X"]),
            "city": ["x", None, "y", "x"] * 50,
            "score": np.arange(200, dtype=float),
        }
    )
    y = np.ones(200, dtype=int)
    r = check_slices("recall", y, y, by=frame, bins={"age": [20, 30]}, min=0.5, min_size=10)
    keys = [m.slice for m in r.metrics]
    assert keys[:4] == [{"age": "< 20"}, {"age": "[20, 30)"}, {"age": ">= 30"}, {"age": MISSING}]
    assert {"sex": "X"} in keys and {"city": MISSING} in keys
    quartiles = [k["score"] for k in keys if "score" in k]
    assert quartiles == ["[0, 49.75)", "[49.75, 99.5)", "[99.5, 149.25)", "[149.25, 199]"]
    x = next(m for m in r.metrics if m.slice == {"sex": "X"})
    assert x.outcome is Outcome.SKIPPED and x.n == 0 and x.reason == "n < min_size (0 < 10)"
    assert r.outcome is Outcome.PASSED


def test_intersections_by_depth_and_combos():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.choice(["x", "y"], 400), "b": rng.choice([1, 2, 3], 400)})
    y = rng.integers(0, 2, 400)
    r = check_slices("accuracy", y, y, by=frame, depth=2, min_size=0)
    assert len(r.metrics) == 2 + 3 + 6
    assert {"a": "x", "b": 2} in [m.slice for m in r.metrics]
    only = check_slices("accuracy", y, y, by=frame, combos=[("a", "b")], min_size=0)
    assert [len(m.slice) for m in only.metrics] == [2] * 6
    assert sum(m.n for m in only.metrics) == 400


def test_small_and_undefined_slices_are_reported_not_failed():
    y = np.array([1] * 100 + [0] * 100 + [1] * 5)
    p = np.array([1] * 100 + [0] * 100 + [1] * 5)
    g = np.array(["pos"] * 100 + ["neg"] * 100 + ["tiny"] * 5)
    r = check_slices("recall", y, p, by={"g": g}, min=0.9)
    status = {m.slice["g"]: (m.outcome, m.value, m.reason) for m in r.metrics}
    assert status["pos"][0] is Outcome.PASSED
    # recall rests on the positive rows: none in "neg", five in "tiny"
    assert status["neg"] == (Outcome.SKIPPED, None, "n < min_size (0 < 30)")
    assert status["tiny"][0] is Outcome.SKIPPED and status["tiny"][2] == "n < min_size (5 < 30)"
    assert r.outcome is Outcome.PASSED
    d = r.to_dict()
    assert d["metrics"][0]["slice"] == {"g": "neg"}
    assert d["metrics"][0]["value"] is None
    allsmall = check_slices("recall", y[-5:], p[-5:], by={"g": g[-5:]}, min=0.9)
    assert allsmall.outcome is Outcome.INCONCLUSIVE
    # judged although undefined (min_size=0): inconclusive under every rule, never failed
    for rule in ("acceptance", "alarm", "point"):
        judged = check_slices("recall", y, p, by={"g": g}, min=0.9, min_size=0, rule=rule)
        neg = next(m for m in judged.metrics if m.slice == {"g": "neg"})
        assert neg.outcome is Outcome.INCONCLUSIVE and neg.reason == "no positive rows", rule


def test_an_undefined_interval_is_never_failed_by_holm():
    # slice "flat" misses every row by exactly 1: its RMSE is 1, far above max=0.5, but constant
    # losses give no interval, so under the alarm rule (with Holm) it is inconclusive, not failed
    rng = np.random.default_rng(4)
    g = np.r_[["flat"] * 60, ["noisy"] * 400]
    y = rng.normal(size=460)
    p = y + np.r_[np.ones(60), rng.normal(scale=0.3, size=400)]
    for rule in ("alarm", "acceptance"):
        r = check_slices("rmse", y, p, by={"g": g}, max=0.5, rule=rule)
        flat = next(m for m in r.metrics if m.slice == {"g": "flat"})
        assert flat.value == pytest.approx(1.0) and flat.ci.low is None and flat.ci.high is None
        assert flat.outcome is Outcome.INCONCLUSIVE, rule
        if rule == "alarm":
            assert r.details["holm"]
            assert next(row for row in r.details["table"] if row["g"] == "flat")["p_holm"] is None


def test_partitions_merge_exactly():
    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({"sex": rng.choice(["F", "M", None], n), "age": rng.uniform(18, 90, n)})
    y = rng.integers(0, 3, n)
    p = np.where(rng.random(n) < 0.8, y, rng.integers(0, 3, n))
    edges = {"age": [30, 50, 70]}
    parts = np.array_split(np.arange(n), 4)
    counted = [
        slice_counts(y[i], p[i], by=frame.iloc[i].reset_index(drop=True), bins=edges, depth=2) for i in parts
    ]
    merged = merge(*counted)
    whole = slice_counts(y, p, by=frame, bins=edges, depth=2)
    order = [merged.keys.index(k) for k in whole.keys]
    assert sorted(merged.keys, key=str) == sorted(whole.keys, key=str)
    np.testing.assert_array_equal(merged.counts[order], whole.counts)
    kw = {"min": 0.7, "pos_label": 2, "seed": 4}
    direct = check_slices(["accuracy", "f1"], y, p, by=frame, bins=edges, depth=2, **kw)
    from_counts = check_slices(["accuracy", "f1"], counts=whole, **kw)
    assert from_counts.metrics == direct.metrics
    assert from_counts.details == direct.details
    from_parts = check_slices(["accuracy", "f1"], counts=merged, **kw)
    same = {(tuple(m.slice.items()), m.name): m for m in from_parts.metrics}
    for m in direct.metrics:
        other = same[(tuple(m.slice.items()), m.name)]
        assert (other.value, other.n) == (m.value, m.n)
        if m.name == "accuracy":
            assert other == m


def test_merge_aligns_classes_and_keys():
    a = slice_counts(["x", "y"], ["x", "x"], by={"g": [1, 2]})
    b = slice_counts(["z"], ["z"], by={"g": [3]})
    m = merge(a, b)
    assert m.classes == ("x", "y", "z")
    assert [dict(k)["g"] for k in m.keys] == [1, 2, 3]
    assert m.counts[2, 2, 2] == 1 and int(m.counts.sum()) == 3
    with pytest.raises(InputError, match=r"^parts: must be one or more SliceCounts"):
        merge()


def test_holm_keeps_family_wise_false_alarms_on_50_null_slices():
    # 50 slices whose true accuracy sits exactly at the threshold; alarm rule
    rng = np.random.default_rng(2024)
    families, slices, n = 300, 50, 200
    g = np.repeat(np.arange(slices), n).astype(str)
    y = np.ones(slices * n, dtype=int)
    corrected = uncorrected = 0
    for _ in range(families):
        p = (rng.random(slices * n) < 0.8).astype(int)
        r = check_slices("accuracy", y, p, by={"g": g}, min=0.8, rule="alarm")
        assert r.details["holm"] is True
        corrected += r.outcome is Outcome.FAILED
        uncorrected += any(row["high"] < 0.8 for row in r.details["table"])
    assert corrected / families <= 0.05
    assert uncorrected / families > 0.5


def test_alarm_still_finds_a_clearly_bad_slice():
    rng = np.random.default_rng(8)
    g = np.repeat(np.arange(20), 300).astype(str)
    y = np.ones(6000, dtype=int)
    acc = np.where(g == "7", 0.6, 0.9)
    p = (rng.random(6000) < acc).astype(int)
    r = check_slices("accuracy", y, p, by={"g": g}, min=0.8, rule="alarm")
    failed = [m.slice["g"] for m in r.metrics if m.outcome is Outcome.FAILED]
    assert failed == ["7"] and r.outcome is Outcome.FAILED
    assert "Holm" in r.message


def test_report_only_without_threshold():
    r = check_slices("accuracy", [1, 0] * 50, [1, 1] * 50, by={"g": ["a", "b"] * 50})
    assert r.outcome is Outcome.PASSED and all(m.outcome is None for m in r.metrics)
    assert r.rule is None and all(m.rule is None for m in r.metrics)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": {"g": [1, 2]}}, r"^by: column 'g' has 2 rows but y_true has 4; pass slice columns"),
        ({"by": {}}, r"^by: has no columns; pass at least one slice column"),
        ({"by": None}, r"^by: is None"),
        ({"by": {"g": [1, 2, 3, 4]}, "bins": [3, 1]}, r"^bins: for 'g' must be a number of quantile bins"),
        ({"by": {"g": [1, 2, 3, 4]}, "bins": {"h": 3}}, r"^bins: names unknown slice columns \['h'\]"),
        ({"by": {"g": [1, 2, 3, 4]}, "combos": [("g", "h")]}, r"^combos: names unknown slice columns"),
        ({"by": {"g": [1, 2, 3, 4]}, "depth": 0}, r"^depth: must be an int >= 1"),
        ({"by": {"g": [1, 2, 3, 4]}, "min_size": -1}, r"^min_size: must be an int in \[0, "),
    ],
)
def test_bad_slice_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        check_slices("accuracy", [0, 1, 0, 1], [0, 1, 1, 1], **kwargs)


def test_bad_metric_and_prediction_inputs():
    g = {"g": [1, 2, 1, 2]}
    with pytest.raises(InputError, match=r"^metric: unknown metric 'recal'; did you mean 'recall'\?"):
        check_slices("recal", [0, 1, 0, 1], [0, 1, 0, 1], by=g)
    with pytest.raises(InputError, match=r"^y_pred: has 1 NaN or infinite values \(first at row 2\)"):
        check_slices("accuracy", [0, 1, 0, 1], [0, 1, np.nan, 1], by=g)
    with pytest.raises(
        InputError, match=r"^y_pred: accuracy compares class labels and the values are continuous"
    ):
        check_slices("accuracy", [0, 1, 0, 1], [0.2, 1, 0, 1], by=g)
    with pytest.raises(InputError, match=r"^y_score: roc_auc needs scores"):
        check_slices("roc_auc", [0, 1, 0, 1], by=g)
    with pytest.raises(InputError, match=r"^counts: was given together with y_true/y_pred/by"):
        check_slices("accuracy", [0, 1], counts=slice_counts([0, 1], [0, 1], by={"g": [1, 1]}))


def test_object_column_with_mixed_types_keeps_its_values():
    g = np.array([1, "a", 1, "a", None, 2.5], dtype=object)
    r = check_slices("accuracy", [1, 0, 1, 0, 1, 1], [1, 0, 0, 0, 1, 1], by={"g": g}, min_size=0)
    assert [m.slice["g"] for m in r.metrics] == [1, 2.5, "a", MISSING]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_plugin_records_slice_table(pytester, workers):
    pytester.makepyfile(
        """
        import numpy as np

        def test_slices(ml):
            rng = np.random.default_rng(0)
            g = rng.choice(["F", "M"], 1000)
            y = rng.integers(0, 2, 1000)
            ml.check_slices("accuracy", y, y, by={"sex": g}, min=0.9)
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json", *workers)
    result.assert_outcomes(passed=1)
    import json

    report = json.loads((pytester.path / "r.json").read_text())
    check = report["checks"][0]
    assert check["kind"] == "slice"
    assert [m["slice"] for m in check["metrics"]] == [{"sex": "F"}, {"sex": "M"}]
    assert check["details"]["table"][0]["sex"] == "F"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
    st.sampled_from([np.int8, np.int32, np.int64, np.uint16]),
)
def test_integer_label_codes_equal_the_sorting_path(a, b, dtype):
    from mltestkit._validate import encode_labels

    if np.dtype(dtype).kind == "u":
        a, b = [abs(x) for x in a], [abs(x) for x in b]
    y, p = np.array(a, dtype=dtype), np.array(b, dtype=dtype)
    classes, t, q = encode_labels(y, p)
    ref_classes, codes = np.unique(np.concatenate([y, p]), return_inverse=True)
    assert classes.tolist() == ref_classes.tolist() and classes.dtype == ref_classes.dtype
    assert t.tolist() == codes[: len(y)].tolist() and q.tolist() == codes[len(y) :].tolist()
    only, t1, none = encode_labels(y, None)
    assert only.tolist() == np.unique(y).tolist() and none is None
    assert t1.tolist() == np.unique(y, return_inverse=True)[1].tolist()


def test_point_rule_and_two_sided_requirement():
    rng = np.random.default_rng(9)
    g = np.repeat(["a", "b"], 100)
    y = np.ones(200, dtype=int)
    p = np.r_[(rng.random(100) < 0.82), np.ones(100)].astype(int)
    r = check_slices("selection_rate", y, p, by={"g": g}, min=0.8, max=0.99, rule="point")
    status = {m.slice["g"]: m.outcome for m in r.metrics}
    assert status["b"] is Outcome.FAILED  # 1.0 > max
    assert status["a"] is (Outcome.PASSED if 0.8 <= np.mean(p[:100]) <= 0.99 else Outcome.FAILED)
    assert all(m.thresholds and m.rule == "point" for m in r.metrics)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(2, 200), st.integers(1, 5))
def test_any_partition_merges_to_the_counts_of_the_whole(seed, n, parts):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"a": rng.choice(["x", "y", None], n), "b": rng.integers(0, 3, n), "c": rng.uniform(0, 10, n)}
    )
    y = rng.choice(["no", "yes", "maybe"], n)
    p = rng.choice(["no", "yes"], n)
    cuts = np.sort(rng.integers(0, n + 1, parts - 1))
    pieces = [
        slice_counts(y[i], p[i], by=frame.iloc[i].reset_index(drop=True), bins={"c": [2.5, 5]}, depth=2)
        for i in np.split(np.arange(n), cuts)
        if i.size
    ]
    merged = merge(*pieces)
    whole = slice_counts(y, p, by=frame, bins={"c": [2.5, 5]}, depth=2)
    assert set(merged.keys) == set(whole.keys)
    assert merged.classes == whole.classes
    for key, counts in zip(merged.keys, merged.counts, strict=True):
        np.testing.assert_array_equal(counts, whole.counts[whole.keys.index(key)])


def test_bool_and_datetime_columns_are_categories():
    days = pd.to_datetime(["2024-01-01", "2024-01-02"] * 50)
    flag = np.array([True, False, False, True] * 25)
    r = check_slices("accuracy", [1, 0] * 50, [1, 0] * 50, by={"flag": flag, "day": days}, min_size=0)
    keys = [m.slice for m in r.metrics]
    assert keys[:2] == [{"flag": False}, {"flag": True}]
    assert r.to_dict()["metrics"][2]["slice"] == {"day": "2024-01-01T00:00:00"}


def test_weighted_slice_counts_keep_each_slices_rows_across_merges():
    rng = np.random.default_rng(4)
    n = 900
    y, g, w = rng.integers(0, 2, n), rng.choice(["a", "b"], n), rng.lognormal(size=n)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    whole = check_slices("accuracy", y, p, by={"g": g}, sample_weight=w)
    parts = [
        slice_counts(y[s], p[s], by={"g": g[s]}, sample_weight=w[s]) for s in (slice(0, 400), slice(400, n))
    ]
    merged = check_slices("accuracy", counts=merge(*parts))
    assert [t["rows"] for t in merged.details["table"]] == [int((g == v).sum()) for v in ("a", "b")]
    for a, b in zip(merged.details["table"], whole.details["table"], strict=True):
        assert {k: a[k] for k in ("g", "rows", "n")} == {k: b[k] for k in ("g", "rows", "n")}
        assert [a[k] for k in ("value", "low", "high")] == pytest.approx(
            [b[k] for k in ("value", "low", "high")]
        )
