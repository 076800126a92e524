"""Time-zone-aware dates on tables: the same instants, ranges and figures as in memory.

pandas ``datetime64[ns, tz]``, polars ``Datetime(time_zone=...)``, Arrow ``timestamp(tz=...)`` and
DuckDB ``TIMESTAMPTZ`` hold instants; drift compares them in seconds since 1970-01-01 UTC, and
the profile checks report the same least and greatest instants as pandas, whatever the time zone
of the process or of the DuckDB connection.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_tables import _as as as_table
from test_tables_profile import _same

from mltestkit import check_drift, check_integrity, check_schema, describe_data, infer_schema
from mltestkit.data.schema import Column, Schema

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

KINDS = ["polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir"]


def _frame(n: int, seed: int, shift_days: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-03-20", tz="Europe/Paris")  # the clocks change on 31 March
    d = pd.Series(start + pd.to_timedelta(rng.integers(0, 30 * 86400, n) + shift_days * 86400, unit="s"))
    d[rng.random(n) < 0.05] = pd.NaT
    return pd.DataFrame(
        {
            "paris": d,
            "utc": d.dt.tz_convert("UTC"),
            "naive": d.dt.tz_localize(None),
            "k": rng.integers(0, 3, n),
        }
    )


REF, CUR = _frame(12_000, 1), _frame(13_000, 2, shift_days=2)


def _rows(r):
    return {row["column"]: row for row in r.details["table"]}


@pytest.fixture(scope="module")
def memory():
    return check_drift(REF, CUR)


def _same_drift(got, want) -> None:
    a, b = _rows(got), _rows(want)
    for c in ("paris", "utc", "naive"):
        assert a[c]["kind"] == b[c]["kind"] == "datetime"
        for key in ("psi", "ks", "p_value", "missing_reference", "missing_current"):
            assert a[c][key] == pytest.approx(b[c][key], rel=1e-12, abs=1e-15), (c, key)
        assert a[c]["wasserstein"] == pytest.approx(b[c]["wasserstein"], rel=1e-9)
    assert got.details["bins"] == want.details["bins"]  # the bin edges: the same instants


def test_in_memory_seconds_count_from_the_utc_epoch(memory):
    edges = {b["column"]: b["edges"] for b in memory.details["bins"]}
    assert edges["paris"] == edges["utc"]  # one instant, one number, whatever the zone
    assert all(abs(p - n) in (3600.0, 7200.0) for p, n in zip(edges["paris"], edges["naive"], strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_drift_of_zoned_dates_equals_memory(kind, memory, tmp_path):
    for name in ("ref", "cur"):
        (tmp_path / name).mkdir()
    got = check_drift(as_table(kind, REF, tmp_path / "ref"), as_table(kind, CUR, tmp_path / "cur"))
    _same_drift(got, memory)


def test_a_duckdb_connection_in_another_time_zone_reads_the_same_instants(memory):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    got = check_drift(con.from_arrow(pa.Table.from_pandas(REF)), con.from_arrow(pa.Table.from_pandas(CUR)))
    _same_drift(got, memory)


def test_spark_drift_of_zoned_dates_equals_memory(spark, memory):
    frames = [spark.createDataFrame(f.drop(columns=["naive"])) for f in (REF, CUR)]
    got = _rows(check_drift(*frames))
    want = _rows(memory)
    for c in ("paris", "utc"):
        assert got[c]["kind"] == "datetime"
        assert got[c]["psi"] == pytest.approx(want[c]["psi"], rel=1e-12)
        assert abs(got[c]["ks"] - want[c]["ks"]) <= got[c]["sketch"]["bound"]["ks"] + 1e-12


SCHEMA = Schema(
    [Column("paris", dtype="datetime", nullable=False), Column("utc", dtype="datetime", unique=True)]
)


@pytest.mark.parametrize("kind", KINDS)
def test_profile_checks_of_zoned_dates_equal_memory(kind, tmp_path):
    frame = REF.iloc[:3000]
    table = as_table(kind, frame, tmp_path)
    _same(check_integrity(table), check_integrity(frame))
    _same(check_schema(table, SCHEMA), check_schema(frame, SCHEMA))
    assert infer_schema(table).to_dict() == infer_schema(frame).to_dict()
    a, b = describe_data(frame), describe_data(table)
    for c in ("paris", "utc", "naive"):
        for key in ("min", "max", "missing", "distinct"):
            assert a["columns"][c][key] == b["columns"][c][key], (c, key)


def test_spark_profile_of_zoned_dates_equals_memory(spark):
    frame = REF.iloc[:1000].drop(columns=["naive"])
    a, b = describe_data(frame), describe_data(spark.createDataFrame(frame))
    for c in ("paris", "utc"):
        for key in ("min", "max", "missing", "distinct"):
            assert a["columns"][c][key] == b["columns"][c][key], (c, key)
