"""Sample weights on a table mean what they mean in memory.

A table's ``sample_weight=`` column is a survey or importance weight, as an array in memory: the
engine sums ``w`` and ``w**2`` per cell (and the weighted power sums of a mean loss), and the
value, both ends of the interval (Kish's effective size), ``n`` and the outcome equal the
in-memory figures on the same rows and weights, to 1e-9 relative, on every engine. Weights are
random and not whole; some are zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_tables import _as, _spark_frame
from test_tables import _frame as base_frame

from mltestkit import InputError, check_fairness, check_metric, check_slices, find_weak_slices
from mltestkit.tables import grouped_counts, open_table

duckdb = pytest.importorskip("duckdb")

ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir"]
COUNTS = ["accuracy", "recall", "precision", "f1", "balanced_accuracy", "selection_rate"]
CLASSES = ["f1_macro", "recall_macro", "cohen_kappa", "accuracy"]
LOSSES = {"mae": ("target", "guess", "y_pred"), "rmse": ("target", "guess", "y_pred"),
          "log_loss": ("label", "score", "y_score"), "brier": ("label", "score", "y_score")}  # fmt: skip


def _frame(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    """The table tests' frame, with a 3-class label, a regression target and non-integer weights."""
    rng = np.random.default_rng(seed + 1)
    c3 = rng.integers(0, 3, n)
    target = rng.gamma(2.0, 3.0, n) + 1.0
    return base_frame(n, seed).assign(
        c3=c3,
        p3=np.where(rng.random(n) < 0.7, c3, rng.integers(0, 3, n)),
        target=target,
        guess=target + rng.normal(0.0, 1.0, n),
        w=np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(0.0, 0.8, n)),
    )


FRAME = _frame()
W = FRAME["w"].to_numpy()


def _near(a, b, what: str) -> None:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        assert (a is None and b is None) or (math.isnan(a) and math.isnan(b)), what
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), what


def _close(got, ref) -> None:
    """Same outcome and figures; values, interval ends and ``n`` within 1e-9 relative."""
    assert got.outcome == ref.outcome
    assert len(got.metrics) == len(ref.metrics)
    for x, y in zip(got.metrics, ref.metrics, strict=True):
        what = f"{x.name} {x.slice}"
        assert (x.name, x.slice, x.outcome) == (y.name, y.slice, y.outcome), what
        _near(x.value, y.value, what)
        _near(x.n, y.n, what)
        assert (x.ci is None) == (y.ci is None), what
        if x.ci is not None:
            assert x.ci.method == y.ci.method, what
            _near(x.ci.low, y.ci.low, what)
            _near(x.ci.high, y.ci.high, what)


def _same_details(got, ref, path: str = "details") -> None:
    """Nested details equal, numbers within 1e-9 relative."""
    if isinstance(ref, dict):
        assert isinstance(got, dict) and got.keys() == ref.keys(), path
        for k in ref:
            _same_details(got[k], ref[k], f"{path}.{k}")
    elif isinstance(ref, (list, tuple)):
        assert len(got) == len(ref), path
        for i, (a, b) in enumerate(zip(got, ref, strict=True)):
            _same_details(a, b, f"{path}[{i}]")
    elif isinstance(ref, float) and not isinstance(ref, bool):
        _near(got, ref, path)
    else:
        assert got == ref, path


def _metric_memory(metric: str, y: str, p: str, argument: str = "y_pred", **kw):
    return check_metric(
        metric, FRAME[y].to_numpy(), **{argument: FRAME[p].to_numpy()}, sample_weight=W, keep_rows=False, **kw
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_check_metric_with_weights_equals_memory(kind, tmp_path):
    data = _as(kind, FRAME, tmp_path)
    for metric in COUNTS:
        got = check_metric(metric, "label", "pred", data=data, sample_weight="w", min=0.45)
        _close(got, _metric_memory(metric, "label", "pred", min=0.45))
    for metric in CLASSES:
        got = check_metric(metric, "c3", "p3", data=data, sample_weight="w", min=0.5)
        _close(got, _metric_memory(metric, "c3", "p3", min=0.5))
    for metric, (y, p, argument) in LOSSES.items():
        got = check_metric(metric, data=data, y_true=y, **{argument: p}, sample_weight="w", max=2.0)
        _close(got, _metric_memory(metric, y, p, argument, max=2.0))


def test_the_interval_rests_on_kish_effective_size():
    got = check_metric("accuracy", "label", "pred", data=duckdb.from_df(FRAME), sample_weight="w")
    assert abs(got.metrics[0].n - W.sum() ** 2 / (W**2).sum()) < 1  # Kish's size, whole rows
    twice = check_metric("accuracy", "label", "pred", data=FRAME.assign(w=2 * W), sample_weight="w")
    _close(twice, got)  # survey weights: a constant factor changes nothing
    repeated = FRAME.loc[FRAME.index.repeat(3)]
    unweighted = check_metric("accuracy", "label", "pred", data=repeated)
    ones = check_metric("accuracy", "label", "pred", data=repeated.assign(w=1.0), sample_weight="w")
    _close(ones, unweighted)


@pytest.mark.parametrize("kind", ENGINES)
def test_slices_fairness_and_weak_slices_with_weights_equal_memory(kind, tmp_path):
    data = _as(kind, FRAME, tmp_path)
    common = {"bins": {"age": [30, 50]}, "depth": 2, "min": 0.45}
    ref = check_slices(
        ["accuracy", "recall", "f1"], FRAME["label"], FRAME["pred"], by=FRAME[["g", "age"]],
        sample_weight=W, **common,
    )  # fmt: skip
    got = check_slices(
        ["accuracy", "recall", "f1"], "label", "pred", by=["g", "age"], data=data, sample_weight="w", **common
    )
    _close(got, ref)
    for a, b in zip(got.details["table"], ref.details["table"], strict=True):
        _same_details(a, b)  # "rows" included: each slice's rows, not its summed weights
    losses = check_slices("mae", FRAME["target"], FRAME["guess"], by=FRAME[["g"]], sample_weight=W, max=5.0)
    _close(check_slices("mae", "target", "guess", by="g", data=data, sample_weight="w", max=5.0), losses)
    required = {"equalized_odds_difference": 0.5, "demographic_parity_ratio": 0.7}
    ref_f = check_fairness(FRAME["label"], FRAME["pred"], by=FRAME[["g"]], sample_weight=W, max=required)
    got_f = check_fairness("label", "pred", by=["g"], data=data, sample_weight="w", max=required)
    _close(got_f, ref_f)
    _same_details(got_f.details, ref_f.details)
    ref_w = find_weak_slices(FRAME["label"], FRAME["pred"], by=FRAME[["g", "age"]], sample_weight=W, max=0.5)
    got_w = find_weak_slices("label", "pred", by=["g", "age"], data=data, sample_weight="w", max=0.5)
    _close(got_w, ref_w)
    _same_details(got_w.details, ref_w.details)


def test_fairness_min_size_counts_rows_not_weights():
    small = FRAME.assign(w=FRAME["w"] * 0.01)  # every group keeps its rows, its weights shrink
    ref = check_fairness(
        small["label"], small["pred"], by=small[["g"]], sample_weight=small["w"], min_size=30
    )
    got = check_fairness("label", "pred", by="g", data=small, sample_weight="w", min_size=30)
    _close(got, ref)
    assert got.outcome.value != "inconclusive" or ref.outcome.value == "inconclusive"


def test_engine_sums_weights_and_squared_weights():
    c = grouped_counts(open_table(duckdb.from_df(FRAME)), ["g", "label"], weight="w")
    ref = (
        FRAME.assign(ww=W * W)
        .groupby(["g", "label"], dropna=False)
        .agg(n=("w", "size"), w=("w", "sum"), ww=("ww", "sum"))
    )
    got = {
        (k if isinstance(k, str) else None, int(y)): (int(r), float(s), float(q))
        for k, y, r, s, q in zip(c.keys["g"], c.keys["label"], c.rows, c.counts, c.squares, strict=True)
    }
    want = {(k if isinstance(k, str) else None, int(y)): tuple(v) for (k, y), v in ref.iterrows()}
    assert got.keys() == want.keys()
    for key, (r, s, q) in want.items():
        assert got[key][0] == r and got[key][1:] == pytest.approx((s, q), rel=1e-12)


def test_metrics_without_weights_in_memory_refuse_them_on_tables():
    for metric in ("roc_auc", "average_precision"):
        with pytest.raises(InputError) as memory:
            check_metric(metric, FRAME["label"], y_score=FRAME["score"], sample_weight=W)
        with pytest.raises(InputError) as table:
            check_metric(metric, "label", y_score="score", data=FRAME, sample_weight="w")
        assert str(table.value) == str(memory.value)
        assert str(table.value).startswith(f"sample_weight: is not supported for {metric}")
    with pytest.raises(InputError, match="^sample_weight: is not supported for roc_auc"):
        check_slices(
            "roc_auc", "label", y_score="score", by="g", data=duckdb.from_df(FRAME), sample_weight="w"
        )


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (-0.5, r"1 negative, smallest -0.5"),
        (None, r"1 missing or infinite"),
        (np.nan, r"1 missing or infinite"),
        (np.inf, r"1 missing or infinite"),
    ],
)
@pytest.mark.parametrize("kind", ["pandas", "polars", "duckdb"])
def test_bad_weights_are_refused_naming_sample_weight(kind, bad, problem, tmp_path):
    frame = FRAME.head(200).copy()
    frame.loc[5, "w"] = bad
    data = _as(kind, frame, tmp_path)
    match = rf"^sample_weight: column 'w' must hold finite weights >= 0 \({problem}\)"
    with pytest.raises(InputError, match=match):
        check_metric("accuracy", "label", "pred", data=data, sample_weight="w")
    with pytest.raises(InputError, match=match):
        check_fairness("label", "pred", by="g", data=data, sample_weight="w")
    with pytest.raises(InputError, match=r"^sample_weight: names column 'weight', which is not in data"):
        check_slices("accuracy", "label", "pred", by="g", data=data, sample_weight="weight")


def test_spark_weights_equal_memory(spark):
    data = _spark_frame(spark, FRAME)
    for metric in ("accuracy", "f1", "balanced_accuracy"):
        got = check_metric(metric, "label", "pred", data=data, sample_weight="w", min=0.45)
        _close(got, _metric_memory(metric, "label", "pred", min=0.45))
    _close(
        check_metric("f1_macro", "c3", "p3", data=data, sample_weight="w", min=0.5),
        _metric_memory("f1_macro", "c3", "p3", min=0.5),
    )
    for metric, (y, p, argument) in LOSSES.items():
        got = check_metric(metric, data=data, y_true=y, **{argument: p}, sample_weight="w", max=2.0)
        _close(got, _metric_memory(metric, y, p, argument, max=2.0))
    ref = check_slices(
        ["accuracy", "recall"], FRAME["label"], FRAME["pred"], by=FRAME[["g"]], sample_weight=W, min=0.45
    )
    got = check_slices(
        ["accuracy", "recall"], "label", "pred", by="g", data=data, sample_weight="w", min=0.45
    )
    _close(got, ref)
    ref_f = check_fairness(FRAME["label"], FRAME["pred"], by=FRAME[["g"]], sample_weight=W)
    got_f = check_fairness("label", "pred", by="g", data=data, sample_weight="w")
    _close(got_f, ref_f)
    _same_details(got_f.details, ref_f.details)
    with pytest.raises(
        InputError, match=r"^sample_weight: column 'w' must hold finite weights >= 0 \(\d+ negative"
    ):
        check_metric("accuracy", "label", "pred", data=data.withColumn("w", data["w"] - 1), sample_weight="w")
