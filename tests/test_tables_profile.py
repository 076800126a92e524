"""check_integrity, check_schema, infer_schema and describe_data on every table input.

A pandas DataFrame is read in memory (sorts and encodings); every other input by its own engine
(polars, DuckDB, Spark; Parquet and CSV paths by DuckDB within a memory limit). The figures must
be equal: counts exactly, means, standard deviations and quantiles to floating-point rounding
(the engines add in another order). A Parquet dataset larger than DuckDB's memory limit is
checked out of core.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mltestkit import check_integrity, check_schema, describe_data, infer_schema
from mltestkit.data.schema import Column, Schema
from mltestkit.tables import open_table
from mltestkit.tables.profile import Rule, pushable_regex, row_counts, table_facts

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 1)
    x[rng.random(n) < 0.05] = np.nan
    x[:3] = 50.0
    text = rng.choice(np.array(["ab", "b7", "?", "é", "", "CD-12"], dtype=object), n)
    text[rng.random(n) < 0.05] = None
    frame = pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 5, n),
            "w": np.round(rng.uniform(0, 100, n), 2),
            "t": pd.Series(text, dtype="str"),
            "id": np.arange(n) % (n - 7),
            "y": rng.integers(0, 2, n),
        }
    )
    flipped = frame.iloc[40:60].assign(y=lambda f: 1 - f["y"])  # conflicting labels
    return pd.concat([frame, frame.iloc[:40], flipped], ignore_index=True)  # and duplicate rows


SCHEMA = Schema(
    [
        Column("x", dtype="float", nullable=False, min=-3, max=3, mean_min=0.5),
        Column("k", dtype="int", allowed=[0, 1, 2, 3]),
        Column("w", dtype="int", min=1, mean_max=60),
        Column("t", dtype="str", nullable=False, allowed=["ab", "b7", "?"], regex="[a-z]+[0-9]?"),
        Column("id", dtype="int", unique=True),
        Column("y", dtype="str"),
        Column("gone"),
    ],
    min_rows=5000,
    extra_columns=False,
    unique=[["k", "y"], ["id", "x"]],
)


ENGINES = [
    "polars",
    "polars-lazy",
    "pyarrow",
    "arrow-dataset",
    "duckdb",
    "parquet-dir",
    "parquet-glob",
    "csv",
]


def _as(kind: str, frame: pd.DataFrame, tmp_path, spark=None) -> object:
    if kind == "polars":
        return pl.from_pandas(frame)
    if kind == "polars-lazy":
        return pl.from_pandas(frame).lazy()
    if kind == "pyarrow":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "arrow-dataset":
        import pyarrow.dataset as ds

        return ds.dataset(pa.Table.from_pandas(frame, preserve_index=False))
    if kind == "duckdb":
        return duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))
    if kind in ("parquet-dir", "parquet-glob"):
        d = tmp_path / "parts"
        d.mkdir()
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
            pq.write_table(pa.Table.from_pandas(frame.iloc[part], preserve_index=False), d / f"p{i}.parquet")
        return d if kind == "parquet-dir" else str(d / "*.parquet")
    if kind == "csv":
        frame.to_csv(tmp_path / "d.csv", index=False)
        return tmp_path / "d.csv"
    if kind == "spark":
        return spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False).to_pandas())
    raise AssertionError(kind)


def _reference(kind: str, frame: pd.DataFrame, table) -> pd.DataFrame:
    """The in-memory frame the table must agree with: a CSV file as pandas reads it (both read an
    empty field as missing)."""
    return pd.read_csv(table) if kind == "csv" else frame


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b


def _figures(result) -> list:
    return [(m.name, m.slice, m.outcome, m.value) for m in result.metrics]


def _same(ours, ref) -> None:
    """Equal figures and outcomes, equal failure counts, equal statistics (dtype names aside)."""
    assert [f[:3] for f in _figures(ours)] == [f[:3] for f in _figures(ref)]
    for a, b in zip(_figures(ref), _figures(ours), strict=True):
        assert _close(a[3], b[3]), (a, b)
    key = [(f["column"], f["rule"], f["count"]) for f in ref.details["failures"]]
    assert [(f["column"], f["rule"], f["count"]) for f in ours.details["failures"]] == key
    if "statistics" in ref.details:
        sa, sb = ref.details["statistics"]["columns"], ours.details["statistics"]["columns"]
        assert sa.keys() == sb.keys()
        for c in sa:
            for k in sa[c]:
                if k != "dtype":
                    assert _close(sa[c][k], sb[c].get(k)), (c, k, sa[c][k], sb[c].get(k))


@pytest.mark.parametrize("kind", ENGINES)
def test_integrity_equals_in_memory(kind, tmp_path):
    table = _as(kind, _frame(), tmp_path)
    frame = _reference(kind, _frame(), table)
    ref = check_integrity(frame, label="y")
    assert {f["rule"] for f in ref.details["failures"]} >= {
        "duplicate_rows",
        "conflicting_labels",
        "missing",
        "special_characters",
    }
    assert any(m.name == "outliers" and m.value > 0 for m in ref.metrics)
    _same(check_integrity(table, label="y"), ref)
    iqr = dict(columns=["x", "t"], outliers="iqr", describe=False)
    _same(check_integrity(table, **iqr), check_integrity(frame, **iqr))


@pytest.mark.parametrize("kind", ENGINES)
def test_schema_equals_in_memory(kind, tmp_path):
    table = _as(kind, _frame(), tmp_path)
    frame = _reference(kind, _frame(), table)
    ref = check_schema(frame, SCHEMA)
    rules = {(f["column"], f["rule"]) for f in ref.details["failures"]}
    assert rules >= {
        ("x", "nullable"),
        ("x", "max"),
        ("x", "mean"),
        ("k", "allowed"),
        ("w", "dtype"),
        ("w", "min"),
        ("t", "allowed"),
        ("t", "regex"),
        ("id", "unique"),
        ("y", "dtype"),
        ("gone", "missing_column"),
        ("k, y", "unique"),
        (None, "rows"),
    }
    ours = check_schema(table, SCHEMA)
    _same(ours, ref)
    samples = {(f["column"], f["rule"]): f["sample"] for f in ours.details["failures"]}
    assert {"value": 50.0} in samples[("x", "max")]  # a table's samples hold values, no row positions
    assert all(set(s) == {"value"} for s in samples[("t", "regex")])


@pytest.mark.parametrize("kind", ENGINES)
def test_infer_schema_and_describe_equal_in_memory(kind, tmp_path):
    frame = _frame().drop(columns=["t"])  # CSV cannot keep '' apart from a missing value
    frame["c"] = pd.Series(np.where(frame["k"] > 2, "hi", "lo"), dtype="str")
    ref, ours = infer_schema(frame), infer_schema(_as(kind, frame, tmp_path))
    assert ours.to_dict() == ref.to_dict()
    assert ref.column("c").allowed == ["hi", "lo"] and ref.column("y").allowed == [0, 1]
    (tmp_path / "again").mkdir()
    a, b = describe_data(frame), describe_data(_as(kind, frame, tmp_path / "again"))
    assert a["rows"] == b["rows"]
    for c in a["columns"]:
        assert {k: v for k, v in a["columns"][c].items() if k != "dtype"}.keys() <= b["columns"][c].keys()
        for k, v in a["columns"][c].items():
            if k != "dtype":
                assert _close(v, b["columns"][c][k]), (c, k)


def test_spark_equals_in_memory(spark):
    frame = _frame(1200)
    sdf = _as("spark", frame, None, spark)
    _same(check_integrity(sdf, label="y"), check_integrity(frame, label="y"))
    _same(check_schema(sdf, SCHEMA), check_schema(frame, SCHEMA))
    assert infer_schema(sdf).to_dict() == infer_schema(frame).to_dict()


def test_missing_means_null_or_nan_everywhere():
    lazy = pl.DataFrame({"x": [1.0, None, float("nan"), 1.0]}).lazy()
    facts = table_facts(open_table(lazy), ["x"], [Rule("x", "repeated"), Rule("x", "above", 0.5)])
    f = facts["x"]
    assert (f.missing, f.distinct, f.counts[Rule("x", "repeated")], f.counts[Rule("x", "above", 0.5)]) == (
        2,
        1,
        1,
        2,
    )
    assert row_counts(open_table(lazy), ["x"]) == (2, 0)  # null and NaN are one missing value


def test_regex_runs_in_the_engine_only_when_every_engine_reads_it_alike():
    assert pushable_regex("[A-Z]{2}-[0-9]+") and pushable_regex(r"a\.b|c")
    for pattern in (r"\w+", r"\d", "a.b", "(?i)ab", r"(a)\1", "é", "a$"):
        assert not pushable_regex(pattern)
    frame = pd.DataFrame({"t": ["ab", "a_b", "é", "12", "x y", None]})
    relation = duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))
    for pattern, offending in ((r"\w+", 1), ("[a-z]+", 4), ("[a-z_]+|[0-9]{2}", 2)):
        schema = Schema([Column("t", regex=pattern)])
        ref = check_schema(frame, schema, describe=False).details["failures"]
        ours = check_schema(relation, schema, describe=False).details["failures"]
        assert [f["count"] for f in ours] == [f["count"] for f in ref] == [offending]


def test_parquet_dataset_larger_than_the_memory_limit(tmp_path, monkeypatch):
    n = 3_000_000
    folder = tmp_path / "big"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""COPY (SELECT i AS id, i // 2 AS pair, ((i // 2) % 7)::VARCHAR AS g, (i % 2)::INTEGER AS y,
                  (hash(i) % 1000) / 10.0 AS x FROM range({n}) t(i))
            TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true)"""
    )
    assert n * (8 + 8 + 8 + 4 + 8) > 64 * 2**20  # the table would not fit in the limit
    from mltestkit.tables import source

    monkeypatch.setattr(source, "MEMORY_LIMIT", "64MB")
    got = check_integrity(folder, columns=["pair", "g"], label="y", describe=False)
    figures = {(m.name, (m.slice or {}).get("column")): m.value for m in got.metrics}
    assert figures[("duplicate_rows", None)] == 0 and figures[("conflicting_labels", None)] == 1.0
    assert figures[("top_fraction", "pair")] == 2 / n
    schema = Schema(
        [Column("id", unique=True, nullable=False), Column("g", allowed=[str(k) for k in range(6)])]
    )
    checked = check_schema(str(folder / "*.parquet"), schema)
    counts = {(f["column"], f["rule"]): f["count"] for f in checked.details["failures"]}
    assert counts == {("g", "allowed"): int(np.count_nonzero((np.arange(n) // 2) % 7 == 6))}
    stats = checked.details["statistics"]["columns"]
    assert stats["id"]["distinct"] == n and stats["id"]["quantiles"]["p50"] == (n - 1) / 2


# ---------------------------------------------------------------- zero-code suite on Parquet data


def _parquet_project(root, engine: str | None) -> pd.DataFrame:
    train = _frame(600, seed=1)
    test = _frame(400, seed=2)
    for name, frame in (("train", train), ("test", test)):
        folder = root / "data" / name
        folder.mkdir(parents=True)
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 2)):
            frame.iloc[part].to_parquet(folder / f"part{i}.parquet", index=False)
    Schema([Column("k", dtype="int", allowed=[0, 1, 2, 3, 4]), Column("t", allowed=["ab"])]).save(
        root / "schema.yaml"
    )
    engine_line = f'engine = "{engine}"\n' if engine else ""
    (root / "pyproject.toml").write_text(
        '[tool.mltestkit]\ntrain = "data/train"\ntest = "data/test/*.parquet"\nlabel = "y"\n'
        f'schema = "schema.yaml"\n{engine_line}'
    )
    return train


@pytest.mark.parametrize("engine", ["duckdb", "polars", "pandas", None])
def test_zero_code_suite_reads_parquet_datasets(pytester, engine):
    train = _parquet_project(pytester.path, engine)
    result = pytester.runpytest("--ml", "-m", "ml_data", "--ml-report", "r.json")
    from mltestkit.report import read_report

    checks = {c["test"].split("::")[-1]: c for c in read_report(pytester.path / "r.json")["checks"]}
    assert {"data[schema]", "data[integrity]"} <= set(checks)
    failures = {(f["column"], f["rule"]): f["count"] for f in checks["data[schema]"]["details"]["failures"]}
    assert failures == {("t", "allowed"): _not_ab(pytester.path)}
    expected = check_integrity(train, label="y", max={"missing": None})
    got = checks["data[integrity]"]
    assert [(m["name"], m["value"]) for m in got["metrics"]] == [(m.name, m.value) for m in expected.metrics]
    assert got["outcome"] == expected.outcome.value == "failed"  # planted duplicates and conflicts
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 2 and "errors" not in outcomes  # schema and integrity fail, as planted


def _not_ab(root) -> int:
    test = pd.concat([pd.read_parquet(p) for p in sorted((root / "data" / "test").glob("*.parquet"))])
    return int((test["t"].notna() & (test["t"] != "ab")).sum())


def test_engine_key_is_checked():
    from mltestkit.config import parse_config
    from mltestkit.errors import ConfigError

    assert parse_config({"engine": "polars"}, root=".").engine == "polars"
    with pytest.raises(
        ConfigError, match=r"^tool\.mltestkit\.engine: unknown engine 'spark'; use one of duckdb"
    ):
        parse_config({"engine": "spark"}, root=".")


def test_columns_read_by_threads_give_the_same_result(monkeypatch):
    from mltestkit.data import stats

    frame = _frame()
    one = check_integrity(frame, label="y")
    monkeypatch.setattr(stats, "PARALLEL_CELLS", 1)
    many = check_integrity(frame, label="y")
    assert _figures(many) == _figures(one) and many.details == one.details


def test_a_column_without_spread_has_no_outliers_in_any_engine():
    frame = pd.DataFrame({"x": [1.0, 1.0, 1.0, 1.0, 5.0], "y": [0, 1, 0, 1, 0]})
    ref = check_integrity(frame, label="y")
    got = check_integrity(pl.from_pandas(frame).lazy(), label="y")
    assert [m.value for m in got.metrics] == [m.value for m in ref.metrics]
