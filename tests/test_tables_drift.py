"""Drift and leakage over tables: the same figures from pandas, polars, pyarrow, DuckDB, Spark and paths.

Counts (PSI, chi-squared, Jensen-Shannon, category and bin counts) equal the in-memory ones exactly;
KS and Wasserstein too when one engine that orders values cheaply reads both tables (Wasserstein
to floating-point rounding); otherwise (Spark, or tables in two engines) they come from a
fine-histogram sketch and lie within the bound the result states. A Parquet dataset larger than
DuckDB's memory limit is checked out of core.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_tables import _as as as_table
from test_tables import _spark_frame

from mltestkit import check_drift, check_leakage
from mltestkit.data import drift, leakage
from mltestkit.errors import InputError
from mltestkit.results import CheckResult
from mltestkit.tables import distribution, open_table, pushdown
from mltestkit.tables.distribution import (
    Histogram,
    collect,
    ecdf_distances,
    fine_histogram,
    open_pair,
    order_statistics,
    refined_distances,
    sketch_distances,
)
from mltestkit.tables.source import engine

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    x[rng.random(n) < 0.02] = np.nan
    x[0] = np.inf
    c = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), n, p=[0.4, 0.3, 0.2, 0.1])
    c[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "x": x,
            "u": np.round(rng.uniform(0, 1 + shift, n), 3),  # ties
            "k": rng.integers(0, 5, n),
            "c": c,
            "y": (rng.random(n) < 0.3 + shift / 10).astype(np.int64),
        }
    )


REF, CUR = _frame(12_000, 1), _frame(15_000, 2, shift=0.1)
KINDS = ["polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir", "parquet-glob", "csv"]


def _as(kind: str, frame: pd.DataFrame, folder) -> object:
    folder.mkdir(exist_ok=True)
    return as_table(kind, frame, folder)


def _rows(r: CheckResult) -> dict[str, dict]:
    return {row["column"]: row for row in r.details["table"]}


COUNTED = (
    "psi",
    "js",
    "p_value",
    "p_adjusted",
    "n_reference",
    "n_current",
    "missing_reference",
    "missing_current",
)


def _same(got: CheckResult, ref: CheckResult, *, exact_ranks: bool) -> None:
    """Counted figures equal; KS and Wasserstein equal (exact) or within the stated bound (sketched)."""
    a, b = _rows(got), _rows(ref)
    assert list(a) == list(b)
    for col, row in a.items():
        want = b[col]
        assert row["kind"] == want["kind"]
        for key in COUNTED:
            if key in want and not (key.startswith("p_") and "sketch" in row):
                assert row[key] == pytest.approx(want[key], rel=1e-12, abs=1e-15), (col, key)
        if "ks" in want:
            if exact_ranks or "sketch" not in row:
                assert "sketch" not in row
                assert row["ks"] == want["ks"]
                assert row["wasserstein"] == pytest.approx(want["wasserstein"], rel=1e-11)
            else:
                bound = row["sketch"]["bound"]
                assert abs(row["ks"] - want["ks"]) <= bound["ks"] + 1e-12, col
                assert abs(row["wasserstein"] - want["wasserstein"]) <= bound["wasserstein"] + 1e-12, col
                low, high = row["sketch"]["p_value"]
                assert low - 1e-12 <= want["p_value"] <= high + 1e-12
    assert got.details["bins"] == ref.details["bins"]
    if exact_ranks:
        assert got.outcome == ref.outcome
        for x, y in zip(got.metrics, ref.metrics, strict=True):
            assert (x.name, x.slice, x.outcome) == (y.name, y.slice, y.outcome)
            assert x.value == pytest.approx(y.value, rel=1e-11, abs=1e-15)
            if x.ci is not None and x.ci.low is not None:
                assert (x.ci.low, x.ci.high) == pytest.approx((y.ci.low, y.ci.high), rel=1e-11, abs=1e-15)
            else:
                assert x.ci == y.ci


@pytest.fixture(scope="module")
def memory() -> CheckResult:
    return check_drift(REF, CUR, label="y", min={"p_value": 0.01})


@pytest.mark.parametrize("kind", KINDS)
def test_drift_of_each_engine_equals_memory(kind, memory, tmp_path):
    ref, cur = _as(kind, REF, tmp_path / "ref"), _as(kind, CUR, tmp_path / "cur")
    got = check_drift(ref, cur, label="y", min={"p_value": 0.01})
    _same(got, memory, exact_ranks=True)


def test_a_frame_beside_a_path_is_read_by_one_engine(memory, tmp_path):
    cur = _as("parquet-dir", CUR, tmp_path / "cur")
    _same(check_drift(REF, cur, label="y", min={"p_value": 0.01}), memory, exact_ranks=True)
    _same(check_drift(pl.from_pandas(REF), cur, label="y", min={"p_value": 0.01}), memory, exact_ranks=True)


def test_a_lazy_frame_beside_a_duckdb_relation_is_exact(memory):
    got = check_drift(pl.from_pandas(REF).lazy(), duckdb.from_df(CUR), label="y", min={"p_value": 0.01})
    _same(got, memory, exact_ranks=True)


def test_beyond_the_cell_limit_tables_in_two_engines_are_sketched_within_the_stated_bound(
    memory, monkeypatch
):
    monkeypatch.setattr(distribution, "CELL_LIMIT", 10)  # x and u have more distinct values
    monkeypatch.setattr(distribution, "OPEN_ROWS", 0)
    monkeypatch.setattr(drift, "REFINED_BINS", 64)
    two = duckdb.connect().from_df(REF), duckdb.connect().from_df(CUR)  # two connections
    got = check_drift(*two, label="y", min={"p_value": 0.01})
    _same(got, memory, exact_ranks=False)
    assert _rows(got)["x"]["sketch"]["bins"] == 1 << 16
    assert "sketch" not in _rows(got)["c"] and "sketch" not in _rows(got)["k"]  # few values: exact


@pytest.mark.parametrize(
    "rows", [10**9, 0]
)  # the sketches' open bins are read, or a window runs over the values
@pytest.mark.parametrize("kind", ["polars", "duckdb", "parquet-dir"])
def test_beyond_the_cell_limit_one_engine_computes_the_distances(kind, rows, memory, monkeypatch, tmp_path):
    monkeypatch.setattr(distribution, "CELL_LIMIT", 10)
    monkeypatch.setattr(distribution, "OPEN_ROWS", rows)
    monkeypatch.setattr(drift, "REFINED_BINS", 64)  # bins of many values, some left open
    calls = []
    monkeypatch.setattr(drift, "ecdf_distances", lambda *a: calls.append(a) or ecdf_distances(*a))
    ref, cur = _as(kind, REF, tmp_path / "ref"), _as(kind, CUR, tmp_path / "cur")
    _same(check_drift(ref, cur, label="y", min={"p_value": 0.01}), memory, exact_ranks=True)
    assert len(calls) == (0 if rows else 2)  # x and u


def test_beyond_the_cell_limit_two_engines_are_exact_from_the_open_bins(memory, monkeypatch):
    monkeypatch.setattr(distribution, "CELL_LIMIT", 10)
    monkeypatch.setattr(drift, "REFINED_BINS", 64)
    two = duckdb.connect().from_df(REF), duckdb.connect().from_df(CUR)
    _same(check_drift(*two, label="y", min={"p_value": 0.01}), memory, exact_ranks=True)


def test_each_column_costs_one_grouped_count_a_table(monkeypatch, tmp_path):
    """Per compared column one query on each table (rows per distinct value), and one for the rows."""
    queries = []

    def counted(lf):
        queries.append(lf)
        return collect(lf)

    monkeypatch.setattr(distribution, "collect", counted)
    monkeypatch.setattr(pushdown, "collect", counted)
    ref, cur = _as("parquet-dir", REF, tmp_path / "ref"), _as("parquet-dir", CUR, tmp_path / "cur")
    check_drift(ref, cur, columns=["x", "u", "c", "y"])
    assert len(queries) == 2 * 4 + 2 + 1  # and the probe of open_pair


def test_gated_wasserstein_has_an_interval_from_tables(memory):
    mem = check_drift(REF, CUR, columns=["x"], max={"wasserstein": 0.05})
    for data in (
        (pl.from_pandas(REF), pl.from_pandas(CUR)),
        (pl.from_pandas(REF).lazy(), duckdb.from_df(CUR)),
    ):
        got = check_drift(*data, columns=["x"], max={"wasserstein": 0.05})
        w, want = (next(m for m in r.metrics if m.name == "wasserstein") for r in (got, mem))
        assert w.outcome == want.outcome
        assert w.ci.low < w.value < w.ci.high
        assert w.ci.high - w.ci.low == pytest.approx(want.ci.high - want.ci.low, rel=0.35)


def test_small_tables_read_their_rows_for_the_exact_p_value():
    ref, cur = _frame(300, 3), _frame(400, 4, shift=0.3)
    want = check_drift(ref, cur, max={"wasserstein": 0.5}, seed=3)
    got = check_drift(pl.from_pandas(ref), pa.Table.from_pandas(cur), max={"wasserstein": 0.5}, seed=3)
    assert [(m.name, m.value, m.ci) for m in got.metrics] == [(m.name, m.value, m.ci) for m in want.metrics]


def test_dates_drift_in_seconds(tmp_path):
    rng = np.random.default_rng(5)
    base = pd.Timestamp("2024-01-01")
    ref = pd.DataFrame({"d": base + pd.to_timedelta(rng.integers(0, 10**6, 12_000), unit="s")})
    cur = pd.DataFrame({"d": base + pd.to_timedelta(rng.integers(10**5, 11 * 10**5, 12_000), unit="s")})
    want = _rows(check_drift(ref, cur))["d"]
    for data in ((pl.from_pandas(ref), pl.from_pandas(cur)), (duckdb.from_df(ref), duckdb.from_df(cur))):
        got = _rows(check_drift(*data))["d"]
        assert got["kind"] == "datetime" and got["ks"] == want["ks"] and got["psi"] == want["psi"]
        assert got["wasserstein"] == pytest.approx(want["wasserstein"], rel=1e-9)


# ---------------------------------------------------------------- the sketch and its bound


@pytest.mark.parametrize("seed", range(12))
def test_sketched_distances_lie_within_their_bound(seed):
    """Random samples (continuous, discrete, heavy-tailed, with outliers) and bin counts: the exact
    KS and Wasserstein always lie in the sketch's interval, and the order statistics are exact."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(50, 6000)), int(rng.integers(50, 6000))
    shape = seed % 4
    if shape == 0:
        a, b = rng.normal(0, 1, n), rng.normal(rng.normal(0, 0.3), 1, m)
    elif shape == 1:
        a, b = rng.integers(0, 30, n).astype(float), rng.integers(2, 35, m).astype(float)
    elif shape == 2:
        a, b = rng.standard_t(1.5, n), rng.standard_t(1.5, m) * 1.2
    else:
        a, b = np.r_[rng.uniform(0, 1, n - 1), 1e6], rng.uniform(0.1, 1, m)
    bins = int(rng.choice([4, 64, 1000, 1 << 16]))
    ta, tb = open_table(pd.DataFrame({"x": a})), open_table(pd.DataFrame({"x": b}))
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ha, hb = (
        fine_histogram(ta, "x", "numeric", lo, hi, bins),
        fine_histogram(tb, "x", "numeric", lo, hi, bins),
    )
    iv = sketch_distances(ha, hb)
    ks, w = stats.ks_2samp(a, b).statistic, stats.wasserstein_distance(a, b)
    tol = 1e-9 * max(1.0, w)
    assert iv["ks"][0] - 1e-12 <= ks <= iv["ks"][1] + 1e-12
    assert iv["wasserstein"][0] - tol <= w <= iv["wasserstein"][1] + tol
    exact_ks, exact_w, _ = ecdf_distances(ta, tb, "x", "numeric", n, m, [0])
    assert exact_ks == pytest.approx(ks, abs=1e-12) and exact_w == pytest.approx(w, rel=1e-9, abs=1e-12)
    ranks = rng.integers(0, n, 7)
    assert order_statistics(ta, "x", "numeric", ha, ranks.tolist()).tolist() == np.sort(a)[ranks].tolist()
    refined_ks, refined_w, order = refined_distances(ta, tb, "x", "numeric", (ha, hb), ranks.tolist(), n + m)
    assert refined_ks == stats.ks_2samp(a, b).statistic or refined_ks == exact_ks
    assert refined_w == pytest.approx(w, rel=1e-9, abs=1e-12)
    assert order.tolist() == np.sort(a)[ranks].tolist()


def test_the_bound_is_zero_where_each_bin_holds_one_value():
    h = Histogram(
        0.0,
        4.0,
        np.array([1, 0, 2, 1]),
        np.array([0.5, 0, 4.0, 3.5]),
        np.array([0.5, np.nan, 2, 3.5]),
        np.array([0.5, np.nan, 2, 3.5]),
    )
    k = Histogram(
        0.0,
        4.0,
        np.array([0, 2, 1, 0]),
        np.array([0, 2.5, 2.0, 0]),
        np.array([np.nan, 1.25, 2, np.nan]),
        np.array([np.nan, 1.25, 2, np.nan]),
    )
    iv = sketch_distances(h, k)
    a, b = np.array([0.5, 2, 2, 3.5]), np.array([1.25, 1.25, 2])
    assert iv["ks"] == pytest.approx((stats.ks_2samp(a, b).statistic,) * 2)
    assert iv["wasserstein"] == pytest.approx((stats.wasserstein_distance(a, b),) * 2)


# ---------------------------------------------------------------- Spark


def test_spark_drift_equals_memory_within_the_sketch_bound(spark, memory):
    got = check_drift(_spark_frame(spark, REF), _spark_frame(spark, CUR), label="y", min={"p_value": 0.01})
    _same(got, memory, exact_ranks=False)
    assert _rows(got)["x"]["sketch"]["bound"]["ks"] < 1e-3


def test_spark_leakage_equals_memory(spark):
    train, test = _leaky()
    want = check_leakage(train, test, label="y", id="id", date="day")
    got = check_leakage(_spark_frame(spark, train), _spark_frame(spark, test), label="y", id="id", date="day")
    _same_leakage(got, want)


# ---------------------------------------------------------------- leakage


def _leaky(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def part(k: int, start: int) -> pd.DataFrame:
        x = rng.normal(size=k)
        return pd.DataFrame(
            {
                "id": np.arange(start, start + k),
                "x": np.round(x, 2),
                "seg": rng.choice(np.array(["a", "b", "c"], dtype=object), k),
                "leak": (x > 0).astype(np.int64) + rng.integers(0, 3, k) * 10,
                "day": pd.Timestamp("2024-01-01")
                + pd.to_timedelta(rng.integers(0, 100, k) + start // 100, unit="D"),
                "y": (x + rng.normal(0, 0.5, k) > 0).astype(np.int64),
            }
        )

    train = part(n, 0)
    test = pd.concat([part(n // 3, n - n // 10), train.iloc[: n // 20]], ignore_index=True)
    return train, test


def _same_leakage(got: CheckResult, want: CheckResult) -> None:
    assert got.outcome == want.outcome
    assert [(m.name, m.slice, m.n) for m in got.metrics] == [(m.name, m.slice, m.n) for m in want.metrics]
    assert [m.value for m in got.metrics] == pytest.approx([m.value for m in want.metrics], rel=1e-12)
    assert [(f["rule"], f["column"], f.get("count")) for f in got.details["failures"]] == [
        (f["rule"], f["column"], f.get("count")) for f in want.details["failures"]
    ]


@pytest.mark.parametrize("kind", ["polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir", "csv"])
def test_leakage_of_each_engine_equals_memory(kind, tmp_path):
    train, test = _leaky()
    want = check_leakage(train, test, label="y", id="id", date="day")
    got = check_leakage(
        _as(kind, train, tmp_path / "tr"), _as(kind, test, tmp_path / "te"), label="y", id="id", date="day"
    )
    _same_leakage(got, want)
    assert got.details["train_rows"] == len(train) and got.details["test_rows"] == len(test)


def test_leakage_with_a_numeric_target_equals_memory():
    train, test = _leaky(seed=9)
    train, test = (t.assign(y=t["x"] * 3 + t["leak"] / 10) for t in (train, test))
    want = check_leakage(train, test, label="y", max={"feature_score": 0.5})
    got = check_leakage(pl.from_pandas(train), pl.from_pandas(test), label="y", max={"feature_score": 0.5})
    assert got.outcome == want.outcome
    assert [m.value for m in got.metrics] == pytest.approx([m.value for m in want.metrics], rel=1e-9)


def test_a_table_has_no_index_to_compare():
    train, test = _leaky()
    with pytest.raises(InputError, match=r"^index: a table has no row labels to compare"):
        check_leakage(pl.from_pandas(train), pl.from_pandas(test), index=True)


def test_leakage_between_two_engines_equals_memory(tmp_path):
    train, test = _leaky(seed=8)
    want = check_leakage(train, test, label="y", id="id")
    two = duckdb.connect().from_df(train), duckdb.connect().from_df(test)  # two connections
    _same_leakage(check_leakage(*two, label="y", id="id"), want)


@pytest.mark.parametrize("beside", ["duckdb", "parquet-dir"])
def test_a_lazy_frame_beside_a_duckdb_relation_or_a_path_is_read_by_duckdb(beside, monkeypatch, tmp_path):
    train, test = _leaky(seed=8)
    want = check_leakage(train, test, label="y", id="id", date="day")
    pair = pl.from_pandas(train).lazy(), _as(beside, test, tmp_path / "te")
    tables = open_pair(*pair, ("train", "test"))
    assert tables[2] and {engine(t) for t in tables[:2]} == {"duckdb"}
    monkeypatch.setattr(leakage, "load_frame", None)  # nothing is read into memory
    _same_leakage(check_leakage(*pair, label="y", id="id", date="day"), want)


# ---------------------------------------------------------------- out of core


def test_drift_of_parquet_datasets_larger_than_the_memory_limit(tmp_path):
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for name, shift in (("ref", 0), ("cur", 3)):
        folder = tmp_path / name
        folder.mkdir()
        con.execute(
            f"""COPY (SELECT (hash(i + {shift}) % 7)::VARCHAR AS g,
                      ((hash(i * 31 + {shift}) % 100000) / 1000.0 + {shift} / 10.0)::DOUBLE AS x
                      FROM range(5000000) t(i))
                TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true)"""
        )
    limit = "60MB"
    assert 2 * 5_000_000 * 8 > 60 * 2**20  # the compared column alone would not fit in the limit
    from mltestkit.tables import source

    old = source.MEMORY_LIMIT
    source.MEMORY_LIMIT = limit
    try:
        got = check_drift(tmp_path / "ref", str(tmp_path / "cur" / "*.parquet"), max={"ks": 0.01})
    finally:
        source.MEMORY_LIMIT = old
    rows = _rows(got)
    assert rows["x"]["n_reference"] == rows["x"]["n_current"] == 5_000_000 and "sketch" not in rows["x"]
    assert rows["x"]["ks"] == pytest.approx(0.003, abs=0.002)  # a 0.3 shift on a 0-100 uniform
    assert rows["x"]["wasserstein"] == pytest.approx(0.3, abs=0.05)
    assert rows["g"]["psi"] < 0.001 and got.outcome.value == "passed"
