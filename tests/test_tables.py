"""Tables as inputs: the same figures from pandas, polars, pyarrow, DuckDB, Spark and paths.

Every engine computes the sufficient statistics itself; the counts must equal the in-memory
ones exactly, the AUC to floating-point rounding, and the binned AUC (Spark) within its stated
bound. A Parquet dataset larger than DuckDB's memory limit is checked out of core.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mltestkit import InputError, check_fairness, check_metric, check_slices, find_weak_slices
from mltestkit.metrics.pushdown import table_estimate
from mltestkit.stats.intervals import delong_auc
from mltestkit.tables import (
    column_profile,
    duplicate_rows,
    grouped_counts,
    histogram,
    open_table,
    quantiles,
    rank_sums,
)

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.3 * y + rng.normal(0.35, 0.2, n), 0, 1), 3)
    g = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    g[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "g": g,
            "age": rng.integers(18, 80, n),
            "label": y,
            "score": score,
            "pred": (score > 0.5).astype(np.int64),
            "w": rng.integers(0, 4, n),
        }
    )


ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir", "parquet-glob", "csv"]


def _as(kind: str, frame: pd.DataFrame, tmp_path) -> object:
    if kind == "pandas":
        return frame
    if kind == "polars":
        return pl.from_pandas(frame)
    if kind == "polars-lazy":
        return pl.from_pandas(frame).lazy()
    if kind == "pyarrow":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "duckdb":
        return duckdb.from_df(frame)
    if kind in ("parquet-dir", "parquet-glob"):
        folder = tmp_path / "parts"
        folder.mkdir(exist_ok=True)
        half = len(frame) // 2
        frame.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
        frame.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
        return folder if kind == "parquet-dir" else str(folder / "*.parquet")
    if kind == "csv":
        frame.to_csv(tmp_path / "data.csv", index=False)
        return tmp_path / "data.csv"
    raise AssertionError(kind)


def _spark_frame(spark, frame: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))


def _same(a, b, *, tol: float = 1e-12) -> None:
    assert a.outcome == b.outcome
    assert len(a.metrics) == len(b.metrics)
    for x, y in zip(a.metrics, b.metrics, strict=True):
        assert (x.name, x.slice, x.n, x.outcome) == (y.name, y.slice, y.n, y.outcome)
        assert x.value == pytest.approx(y.value, abs=tol)
        if x.ci is not None:
            assert (x.ci.low, x.ci.high) == pytest.approx((y.ci.low, y.ci.high), abs=tol)


# ---------------------------------------------------------------- parity with memory


@pytest.mark.parametrize("kind", ENGINES)
def test_check_metric_equals_memory(kind, tmp_path):
    frame = _frame()
    data = _as(kind, frame, tmp_path)
    for metric in ("accuracy", "recall", "f1"):
        ref = check_metric(metric, frame["label"], frame["pred"], min=0.6)
        got = check_metric(metric, "label", "pred", data=data, min=0.6)
        _same(ref, got, tol=0.0)
    ref = check_metric("roc_auc", frame["label"], y_score=frame["score"], min=0.7)
    got = check_metric("roc_auc", "label", y_score="score", data=data, min=0.7)
    _same(ref, got)
    assert "sketch" not in got.details


@pytest.mark.parametrize("kind", ENGINES)
def test_slices_and_fairness_equal_memory(kind, tmp_path):
    frame = _frame()
    data = _as(kind, frame, tmp_path)
    ref = check_slices(
        ["accuracy", "precision", "f1"],
        frame["label"],
        frame["pred"],
        by=frame[["g", "age"]],
        bins={"age": [30, 50]},
        depth=2,
        min=0.5,
    )
    got = check_slices(
        ["accuracy", "precision", "f1"],
        "label",
        "pred",
        by=["g", "age"],
        bins={"age": [30, 50]},
        depth=2,
        data=data,
        min=0.5,
    )
    _same(ref, got, tol=0.0)
    assert ref.details["table"] == got.details["table"]
    ref_f = check_fairness(
        frame["label"], frame["pred"], by=frame[["g"]], max={"equalized_odds_difference": 0.5}
    )
    got_f = check_fairness("label", "pred", by=["g"], data=data, max={"equalized_odds_difference": 0.5})
    _same(ref_f, got_f, tol=0.0)
    assert ref_f.details == got_f.details


def test_metrics_of_every_row_and_weak_slices_read_the_named_columns():
    frame = _frame(800, seed=4)
    for metric in ("log_loss", "average_precision"):
        ref = check_metric(metric, frame["label"], y_score=frame["score"])
        got = check_metric(metric, "label", y_score="score", data=pl.from_pandas(frame).lazy())
        _same(ref, got)
    ref = find_weak_slices(frame["label"], frame["pred"], by=frame[["g", "age"]], depth=1)
    got = find_weak_slices("label", "pred", by=["g", "age"], depth=1, data=duckdb.from_df(frame))
    assert ref.details["slices"] == got.details["slices"]
    ref = check_slices("roc_auc", frame["label"], y_score=frame["score"], by=frame[["g"]])
    got = check_slices("roc_auc", "label", y_score="score", by="g", data=frame)
    _same(ref, got)


def test_quantile_bins_are_the_engines_exact_quantiles():
    frame = _frame(999, seed=5)
    ref = check_slices("accuracy", frame["label"], frame["pred"], by=frame[["age"]])
    got = check_slices("accuracy", "label", "pred", by="age", data=duckdb.from_df(frame))
    _same(ref, got, tol=0.0)
    assert got.metrics[0].slice == {"age": f"[{frame['age'].min()}, {np.quantile(frame['age'], 0.25):g})"}
    ref_f = check_fairness(frame["label"], frame["pred"], by=frame[["age"]], bins={"age": 3})
    got_f = check_fairness("label", "pred", by="age", bins={"age": 3}, data=pl.from_pandas(frame))
    assert ref_f.details == got_f.details
    edges = np.quantile(frame["age"], [0.25, 0.5, 0.75])
    assert quantiles(open_table(frame), "age", [0.25, 0.5, 0.75]).tolist() == pytest.approx(edges.tolist())


# ---------------------------------------------------------------- the statistics themselves


@pytest.mark.parametrize("kind", ENGINES[:5])
def test_statistics_of_each_engine(kind, tmp_path):
    frame = _frame(2000, seed=6)
    lf = open_table(_as(kind, frame, tmp_path))
    c = grouped_counts(lf, ["g", "label"], weight="w")
    got = {
        (k if isinstance(k, str) else None, int(y)): int(n)
        for k, y, n in zip(c.keys["g"], c.keys["label"], c.counts, strict=True)
    }
    ref = frame.groupby(["g", "label"], dropna=False)["w"].sum()
    assert got == {(k if isinstance(k, str) else None, int(y)): int(n) for (k, y), n in ref.items()}
    p = column_profile(lf, ["g", "age"], ordered=["age"])
    assert (p.rows, p.nulls["g"], p.distinct["g"], p.distinct["age"]) == (
        2000,
        int(frame["g"].isna().sum()),
        frame["g"].nunique(),
        frame["age"].nunique(),
    )
    assert (p.min["age"], p.max["age"]) == (frame["age"].min(), frame["age"].max())
    assert duplicate_rows(lf, ["g", "label"]) == int(frame.duplicated(["g", "label"]).sum())
    inner = [0.2, 0.4, 0.6]
    assert (
        histogram(lf, "score", inner).tolist()
        == np.bincount(np.searchsorted(inner, frame["score"], side="right"), minlength=4).tolist()
    )
    codes = pd.factorize(frame["g"], sort=True, use_na_sentinel=False)[0]
    auc, var = delong_auc(frame["label"].to_numpy() == 1, frame["score"].to_numpy(), codes, codes.max() + 1)
    sums = rank_sums(lf, ["g"], "label", 1, "score")
    a, v = sums.delong()
    order = {str(k): i for i, k in enumerate(sums.keys["g"])}
    labels = pd.factorize(frame["g"], sort=True, use_na_sentinel=False)[1]
    for i, k in enumerate(labels):
        j = order[str(k) if isinstance(k, str) else "None"]
        assert a[j] == pytest.approx(auc[i], abs=1e-12)
        assert v[j] == pytest.approx(var[i], abs=1e-12)


def test_binned_auc_stays_within_its_stated_bound():
    rng = np.random.default_rng(7)
    for trial in range(20):
        n = int(rng.integers(50, 3000))
        y = rng.integers(0, 2, n)
        s = rng.beta(2, 2, n) + 0.3 * y * rng.random()
        frame = pd.DataFrame({"y": y, "s": s})
        exact = delong_auc(y == 1, s)[0][0]
        bins = int(rng.choice([4, 16, 256, 4096]))
        sums = rank_sums(open_table(frame), [], "y", 1, "s", bins=bins, low=s.min(), high=s.max())
        binned = sums.delong()[0][0]
        assert abs(binned - exact) <= sums.bound[0] + 1e-12, (trial, bins)
        assert sums.bound[0] > 0
    est, sketch = table_estimate("roc_auc", frame, y_true="y", y_score="s", score_bins=64)
    assert sketch is not None and sketch["bins"] == 64 and sketch["bound"] > 0
    plain, _ = table_estimate("roc_auc", frame, y_true="y", y_score="s", score_bins=0)
    assert est.low <= plain.low and est.high >= plain.high  # widened by the bound


# ---------------------------------------------------------------- Spark


def test_spark_equals_memory(spark):
    frame = _frame(3000, seed=8)
    data = _spark_frame(spark, frame)
    for metric in ("accuracy", "f1"):
        _same(
            check_metric(metric, frame["label"], frame["pred"], min=0.6),
            check_metric(metric, "label", "pred", data=data, min=0.6),
            tol=0.0,
        )
    ref = check_slices(
        "accuracy", frame["label"], frame["pred"], by=frame[["g", "age"]], bins={"age": [30, 50]}, min=0.5
    )
    got = check_slices(
        "accuracy", "label", "pred", by=["g", "age"], bins={"age": [30, 50]}, data=data, min=0.5
    )
    _same(ref, got, tol=0.0)
    ref_f = check_fairness(frame["label"], frame["pred"], by=frame[["g"]])
    assert ref_f.details == check_fairness("label", "pred", by="g", data=data).details
    ref = check_metric("roc_auc", frame["label"], y_score=frame["score"])
    got = check_metric("roc_auc", "label", y_score="score", data=data)
    bound = got.details["sketch"]["bound"]
    assert abs(got.metrics[0].value - ref.metrics[0].value) <= bound
    assert got.metrics[0].ci.low <= ref.metrics[0].ci.low + bound
    c = grouped_counts(open_table(data), ["label"], weight="w")
    assert sorted(zip(c.keys["label"].tolist(), c.counts.tolist(), strict=True)) == sorted(
        frame.groupby("label")["w"].sum().items()
    )


# ---------------------------------------------------------------- out of core


def test_parquet_dataset_larger_than_the_memory_limit(tmp_path):
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    folder = tmp_path / "big"
    folder.mkdir()
    con.execute(
        f"""COPY (SELECT (i % 7)::VARCHAR AS g, (hash(i) % 2)::INTEGER AS label,
                  ((hash(i * 31) % 1000) / 1000.0)::DOUBLE AS score,
                  CASE WHEN hash(i * 17) % 10 < 8 THEN (hash(i) % 2)::INTEGER ELSE 1 - (hash(i) % 2)::INTEGER END AS pred
                  FROM range(3000000) t(i))
            TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true)"""
    )
    size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    raw = 3_000_000 * (8 + 4 + 4 + 8)
    limit = "20MB"
    assert raw > 20 * 2**20  # the table in memory would not fit in the limit
    est, _ = table_estimate("accuracy", str(folder / "*.parquet"), y_true="label", y_pred="pred")
    assert est.n == 3_000_000 and est.value == pytest.approx(0.8, abs=0.01)
    from mltestkit.tables import source

    old = source.MEMORY_LIMIT
    source.MEMORY_LIMIT = limit
    try:
        got = check_slices("accuracy", "label", "pred", by="g", data=folder, min=0.75)
        auc = check_metric("roc_auc", "label", y_score="score", data=folder)
    finally:
        source.MEMORY_LIMIT = old
    assert got.outcome.value == "passed" and sum(m.n for m in got.metrics) == 3_000_000
    assert auc.metrics[0].n == 3_000_000
    assert size > 0


# ---------------------------------------------------------------- bad input


def test_bad_table_inputs_name_the_argument(tmp_path):
    frame = _frame(100)
    with pytest.raises(
        InputError, match=r"^y_true: names column 'lable', which is not in data; did you mean 'label'"
    ):
        check_metric("accuracy", "lable", "pred", data=frame)
    with pytest.raises(InputError, match=r"^y_pred: must name a column of data, got a ndarray"):
        check_metric("accuracy", "label", np.zeros(100), data=frame)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"^data: directory '.*empty' holds no Parquet files"):
        check_metric("accuracy", "label", "pred", data=empty)
    with pytest.raises(InputError, match=r"^data: path '.*nope' does not exist"):
        check_metric("accuracy", "label", "pred", data=tmp_path / "nope")
    with pytest.raises(InputError, match=r"^data: no file matches"):
        check_metric("accuracy", "label", "pred", data=str(tmp_path / "*.parquet"))
    with pytest.raises(InputError, match=r"^sample_weight: column 'g' is not numeric"):
        check_slices("accuracy", "label", "pred", by="g", sample_weight="g", data=frame)
    with pytest.raises(InputError, match=r"^data: is a list, not a table"):
        check_metric("accuracy", "label", "pred", data=[1, 2])
    with pytest.raises(InputError, match=r"^y_true: column 'label' has 1 missing values"):
        check_metric("accuracy", "label", "pred", data=frame.assign(label=[None] + [1] * 99))


def test_data_checks_read_any_table(tmp_path):
    from mltestkit import check_drift, check_integrity, check_schema, infer_schema

    frame = _frame(500, seed=9)
    folder = tmp_path / "parts"
    _as("parquet-dir", frame, tmp_path)
    schema = infer_schema(frame)
    for data in (folder, pl.from_pandas(frame).lazy(), duckdb.from_df(frame), pa.Table.from_pandas(frame)):
        assert check_schema(data, schema).outcome == check_schema(frame, schema).outcome
        ref, got = check_integrity(frame), check_integrity(data)
        assert [m.value for m in ref.metrics] == [m.value for m in got.metrics]
        ref = check_drift(frame, frame.sample(frac=1.0, random_state=0))
        got = check_drift(data, frame)
        assert [m.value for m in ref.metrics] == pytest.approx([m.value for m in got.metrics])


def test_a_dask_frame_is_refused_with_a_way_that_works(tmp_path):
    import warnings

    import dask.dataframe as dd

    from mltestkit import check_drift, check_integrity, describe_data

    frame = _frame(200, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # narwhals' notice that Dask moves to a plug-in
        lazy = dd.from_pandas(frame, npartitions=2)
        for call, argument in (
            (lambda: check_metric("accuracy", "label", "pred", data=lazy), "data"),
            (lambda: check_integrity(lazy, label="label"), "data"),
            (lambda: describe_data(lazy), "data"),
            (lambda: check_drift(lazy, frame), "reference"),
        ):
            with pytest.raises(
                InputError, match=rf"^{argument}: is a dask DataFrame, which the checks do not read"
            ):
                call()
    (tmp_path / "eval").mkdir()
    frame.to_parquet(tmp_path / "eval" / "part-0.parquet")
    passed = check_metric("accuracy", "label", "pred", data=tmp_path / "eval")
    assert passed.metrics[0].value == check_metric("accuracy", frame["label"], frame["pred"]).metrics[0].value
