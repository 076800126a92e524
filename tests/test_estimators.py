"""The grouped estimators: every slice's figures equal check_metric on the slice's rows alone, for
every registered metric and the same seed; confusion counts merged across partitions equal the
counts of the whole; one seed gives one random stream per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestkit import check_metric, check_slices
from mltestkit.errors import InputError
from mltestkit.metrics import CONFUSION, LABELS, METRICS, REGRESSION, SCORES, estimate
from mltestkit.results import Outcome
from mltestkit.slicing import merge, slice_counts


def _data(metric: str, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Rows for ``metric``: labels, scores in [0, 1] or regression values."""
    kind = METRICS[metric].input
    if kind == REGRESSION:
        y = rng.normal(size=n)
        return {"y_true": y, "y_pred": y + rng.normal(scale=0.5, size=n)}
    if METRICS[metric].matrix and metric != "log_loss":  # a score matrix over three classes
        y = rng.integers(0, 3, n)
        s = rng.random((n, 3)) + 0.6 * np.eye(3)[y]
        return {"y_true": y, "y_score": s / s.sum(axis=1, keepdims=True)}
    y = rng.integers(0, 2, n)
    if kind == SCORES:
        return {"y_true": y, "y_score": np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)}
    return {"y_true": y, "y_pred": np.where(rng.random(n) < 0.75, y, 1 - y)}


def _alone(metric: str, rows: dict[str, np.ndarray], mask: np.ndarray, seed: int, n_boot: int):
    """check_metric's figure on the rows of ``mask`` alone, or ``None`` when it is undefined there."""
    try:
        return check_metric(
            metric, **{k: v[mask] for k, v in rows.items()}, seed=seed, n_boot=n_boot
        ).metrics[0]
    except InputError as exc:
        if "columns but y_true has" in str(exc):  # a score matrix on rows missing a class: no columns' order
            return "unreadable"
        assert "undefined" in str(exc)
        return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    metric=st.sampled_from(sorted(METRICS)),
    data_seed=st.integers(0, 2**32 - 1),
    seed=st.integers(0, 2**31),
    n=st.integers(8, 160),
    groups=st.integers(1, 4),
)
def test_every_slice_equals_check_metric_on_its_rows_alone(metric, data_seed, seed, n, groups):
    rng = np.random.default_rng(data_seed)
    rows = _data(metric, rng, n)
    g = rng.integers(0, groups, n).astype(str)
    r = check_slices(metric, **rows, by={"g": g}, min_size=0, seed=seed, n_boot=200)
    assert len(r.metrics) == len(np.unique(g))
    for m in r.metrics:
        ref = _alone(metric, rows, g == m.slice["g"], seed, 200)
        if ref == "unreadable":
            continue
        if ref is None:
            assert m.value is None and m.reason == METRICS[metric].undefined
            continue
        assert (m.value, m.n) == (ref.value, ref.n)
        assert (m.ci.low, m.ci.high, m.ci.method, m.ci.level) == (
            ref.ci.low,
            ref.ci.high,
            ref.ci.method,
            ref.ci.level,
        )


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_fixed_seeds_slices_and_judgments_equal_check_metric(metric):
    rng = np.random.default_rng(sorted(METRICS).index(metric))
    rows = _data(metric, rng, 600)
    g = rng.choice(["a", "b", "c"], 600)
    bound = {"min": 0.5} if METRICS[metric].higher_is_better else {"max": 0.5}
    for seed in (0, 7):
        r = check_slices(metric, **rows, by={"g": g}, seed=seed, **bound)
        for m in r.metrics:
            mask = g == m.slice["g"]
            ref = check_metric(metric, **{k: v[mask] for k, v in rows.items()}, seed=seed, **bound).metrics[0]
            assert (m.value, m.n, m.ci, m.outcome, m.rule, m.thresholds) == (
                ref.value,
                ref.n,
                ref.ci,
                ref.outcome,
                ref.rule,
                ref.thresholds,
            )


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_the_grouped_estimator_with_one_group_is_compute(metric):
    from mltestkit.metrics import compute

    rows = _data(metric, np.random.default_rng(1), 300)
    whole = estimate(metric, **rows, seed=3)
    assert len(whole) == 1 and whole[0] == compute(metric, **rows, seed=3)
    assert whole.range == METRICS[metric].range


def test_a_generator_seed_gives_one_seed_for_every_group():
    rows = _data("f1", np.random.default_rng(2), 400)
    codes = np.arange(400) % 2
    a = estimate("f1", **rows, groups=codes, seed=np.random.default_rng(9))
    b = estimate("f1", **rows, groups=codes, seed=np.random.default_rng(9))
    assert [a[g] for g in range(2)] == [b[g] for g in range(2)]
    first = int(np.random.default_rng(9).integers(2**63))
    alone = estimate("f1", **{k: v[codes == 1] for k, v in rows.items()}, seed=first)[0]
    assert a[1] == alone


def test_groups_without_rows_are_undefined_and_bad_codes_are_errors():
    est = estimate("accuracy", [1, 0, 1], [1, 1, 1], groups=[0, 0, 2], size=4)
    assert est.value[0] == 0.5 and [est[g].value for g in (1, 3)] == [None, None]
    assert est[1].reason == "no rows" and est.n.tolist() == [2, 0, 1, 0]
    with pytest.raises(InputError, match=r"^groups: must hold integer codes >= 0"):
        estimate("accuracy", [1, 0], [1, 1], groups=[0, -1])
    with pytest.raises(InputError, match=r"^size: must be an int above every code \(2\)"):
        estimate("accuracy", [1, 0], [1, 1], groups=[0, 2], size=2)
    with pytest.raises(InputError, match=r"^groups: has 1 rows but y_true has 2"):
        estimate("accuracy", [1, 0], [1, 1], groups=[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(2, 300), st.integers(1, 5), st.integers(0, 2**31))
def test_counts_merged_across_partitions_equal_the_whole(data_seed, n, parts, seed):
    rng = np.random.default_rng(data_seed)
    frame = pd.DataFrame({"a": rng.choice(["x", "y", None], n), "b": rng.integers(0, 3, n)})
    y = rng.choice(["no", "yes"], n)
    p = rng.choice(["no", "yes"], n)
    cuts = np.sort(rng.integers(0, n + 1, parts - 1))
    pieces = [
        slice_counts(y[i], p[i], by=frame.iloc[i].reset_index(drop=True), depth=2)
        for i in np.split(np.arange(n), cuts)
        if i.size
    ]
    merged, whole = merge(*pieces), slice_counts(y, p, by=frame, depth=2)
    order = [merged.keys.index(k) for k in whole.keys]
    np.testing.assert_array_equal(merged.counts[order], whole.counts)
    additive = [name for name, m in METRICS.items() if m.additive]
    assert additive == [
        name for name, m in METRICS.items() if m.statistics == CONFUSION and m.input == LABELS
    ]
    kw = {"pos_label": "yes", "min_size": 0, "seed": seed, "n_boot": 200}
    from_parts = check_slices(additive, counts=merged, **kw)
    direct = check_slices(additive, y, p, by=frame, depth=2, **kw)
    same = {(tuple(m.slice.items()), m.name): m for m in from_parts.metrics}
    for m in direct.metrics:
        assert same[(tuple(m.slice.items()), m.name)] == m


def test_every_metric_is_available_per_slice_and_label_metrics_from_counts_only():
    assert {m.input for m in METRICS.values()} == {LABELS, SCORES, REGRESSION}
    counts = slice_counts([0, 1, 1, 0], [0, 1, 0, 0], by={"g": [1, 1, 2, 2]})
    with pytest.raises(InputError, match=r"^metric: roc_auc needs row-level scores, not counts"):
        check_slices("roc_auc", counts=counts)
    r = check_slices(
        "r2", [1.0, 2.0, 3.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 1.0, 2.5, 3.0], by={"g": [1] * 3 + [2] * 3}
    )
    assert [m.value for m in r.metrics] == [1.0, pytest.approx(0.875)]
    assert r.outcome is Outcome.PASSED


@settings(max_examples=30, deadline=None)
@given(data_seed=st.integers(0, 2**32 - 1), n=st.integers(3, 80), ties=st.booleans())
def test_vectorized_replicates_equal_the_metric_on_each_resample(data_seed, n, ties):
    from mltestkit.metrics import estimators as es

    rng = np.random.default_rng(data_seed)
    y = rng.integers(0, 2, n).astype(float)
    s = rng.random(n).round(1 if ties else 6)
    idx = rng.integers(0, n, (20, n))
    ap = es.average_precision_replicates(y, s, idx)
    ece = es.ece_replicates(y, s, idx)
    for b in range(20):
        yy, ss = y[idx[b]], s[idx[b]]
        ref = skm.average_precision_score(yy, ss) if yy.sum() > 0 else np.nan
        np.testing.assert_allclose(ap[b], ref, atol=1e-12)
        assert ece[b] == pytest.approx(es.ece(yy, ss), abs=1e-12)
