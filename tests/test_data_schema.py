"""check_schema / infer_schema: planted faults are found with counts and rows, clean data passes,
files round-trip, bad input is a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from mltestkit import Schema, check_schema, describe_data, infer_schema
from mltestkit.data.schema import Column
from mltestkit.errors import InputError
from mltestkit.results import CheckResult, Outcome


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return palmerpenguins.load_penguins()


def clean_frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.5, n),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "code": [f"C-{i:04d}" for i in range(n)],
        }
    )


SCHEMA = Schema(
    columns=[
        Column("id", dtype="int", nullable=False, unique=True),
        Column("age", dtype="int", nullable=False, min=18, max=90, mean_min=40, mean_max=70),
        Column("income", dtype="float", min=0),
        Column("plan", dtype="str", allowed=["basic", "pro", "team"]),
        Column("code", dtype="str", regex=r"C-\d{4}"),
    ],
    min_rows=100,
    max_rows=10_000,
    extra_columns=False,
)


def failures(result: CheckResult) -> dict[tuple[str | None, str], dict]:
    return {(f["column"], f["rule"]): f for f in result.details["failures"]}


def test_clean_frame_passes_and_records_statistics():
    r = check_schema(clean_frame(), SCHEMA)
    assert r.outcome is Outcome.PASSED, r.message
    assert r.kind == "data" and r.rule == "acceptance"
    assert {m.rule for m in r.metrics} == {"point"}  # exact counts are judged by their value
    assert r.details["failures"] == []
    assert r.details["statistics"]["columns"]["plan"]["distinct"] == 3
    names = {(m.name, (m.slice or {}).get("column")) for m in r.metrics}
    assert {("rows", None), ("min", "age"), ("allowed", "plan"), ("regex", "code"), ("mean", "age")} <= names
    CheckResult.from_dict(r.to_dict())  # JSON-safe


def test_each_planted_fault_is_found_with_count_and_rows():
    f = clean_frame()
    f.loc[[3, 7], "age"] = [5, 120]
    f.loc[10, "plan"] = "gold"
    f.loc[11, "id"] = 12  # duplicates row 12's id
    f.loc[20, "code"] = "X-1"
    f["income"] = f["income"].astype(float)
    f.loc[30, "income"] = -1.0
    f["extra"] = 1
    r = check_schema(f, SCHEMA)
    assert r.outcome is Outcome.FAILED
    got = failures(r)
    assert got[("age", "min")]["count"] == 1 and got[("age", "min")]["sample"] == [{"row": 3, "value": 5}]
    assert got[("age", "max")]["sample"] == [{"row": 7, "value": 120}]
    assert got[("plan", "allowed")]["sample"] == [{"row": 10, "value": "gold"}]
    assert got[("id", "unique")]["sample"] == [{"row": 12, "value": 12}]
    assert got[("code", "regex")]["sample"] == [{"row": 20, "value": "X-1"}]
    assert got[("income", "min")]["count"] == 1
    assert got[(None, "extra_columns")]["columns"] == ["extra"]
    assert len(got) == 7
    assert "column 'age', rule min (1 rows): row 3: 5" in r.message


def test_nulls_dtype_missing_column_rows_and_mean():
    f = clean_frame(50)
    f["age"] = f["age"].astype(object)
    f.loc[[1, 2], "age"] = [None, "forty"]
    f["plan"] = f["plan"].astype(object)
    f.loc[4, "plan"] = 7
    f = f.drop(columns=["code"])
    r = check_schema(f, SCHEMA, describe=False)
    got = failures(r)
    assert got[("age", "nullable")]["sample"] == [{"row": 1, "value": None}]
    assert got[("age", "dtype")]["sample"] == [{"row": 2, "value": "forty"}]
    assert got[("plan", "dtype")]["sample"] == [{"row": 4, "value": 7}]
    assert ("code", "missing_column") in got
    assert (None, "rows") in got  # 50 < min_rows
    assert "statistics" not in r.details
    low_mean = clean_frame()
    low_mean["age"] = 20
    assert failures(check_schema(low_mean, SCHEMA))[("age", "mean")]["value"] == 20


def test_float_values_in_an_int_column_are_a_dtype_violation():
    f = pd.DataFrame({"n": [1.0, 2.5, np.nan, 4.0]})
    r = check_schema(f, Schema([Column("n", dtype="int")]))
    assert failures(r)[("n", "dtype")]["sample"] == [{"row": 1, "value": 2.5}]


def test_failures_are_capped():
    f = pd.DataFrame({f"c{i}": [-1] * 3 for i in range(150)})
    s = Schema([Column(f"c{i}", min=0) for i in range(150)])
    r = check_schema(f, s)
    assert len(r.details["failures"]) == 100 and r.details["failures_left_out"] == 50


def test_penguins_schema_from_data(penguins):
    s = infer_schema(penguins)
    assert s.column("sex").nullable and not s.column("species").nullable
    assert s.column("species").allowed == ["Adelie", "Chinstrap", "Gentoo"]
    assert s.column("year").dtype == "int" and s.column("bill_length_mm").dtype == "float"
    assert check_schema(penguins, s).outcome is Outcome.PASSED
    strict = Schema([Column("sex", nullable=False)])
    got = failures(check_schema(penguins, strict))
    assert got[("sex", "nullable")]["count"] == 11
    assert got[("sex", "nullable")]["sample"][0] == {"row": 3, "value": None}
    stats = describe_data(penguins)["columns"]
    assert stats["bill_length_mm"]["missing"] == 2 and stats["species"]["top"][0]["value"] == "Adelie"


def test_inference_slack_keeps_non_negative_ranges_and_rounds_ints():
    f = pd.DataFrame({"a": [0, 10], "b": [-1.0, 1.0], "t": ["x", "y"]})
    s = infer_schema(f, slack=0.25)
    assert (s.column("a").min, s.column("a").max) == (0, 13)
    assert (s.column("b").min, s.column("b").max) == (-2.0, 2.0)  # to the data's precision
    assert infer_schema(f, max_categories=1).column("t").allowed is None
    with pytest.raises(InputError, match=r"^slack: must be a number in \[0, 10\], got -1; e.g. slack=0.1$"):
        infer_schema(f, slack=-1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_frames(
        [
            column("i", dtype=int, elements=st.integers(-1000, 1000)),
            column("f", dtype=float, elements=st.floats(-1e6, 1e6) | st.just(float("nan"))),
            column("s", elements=st.sampled_from(["a", "b", "c", "d"])),
            column("b", dtype=bool),
        ],
        index=range_indexes(min_size=1, max_size=40),
    )
)
def test_data_always_passes_the_schema_inferred_from_it(frame):
    schema = infer_schema(frame)
    assert check_schema(frame, schema, describe=False).outcome is Outcome.PASSED
    assert Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_file_round_trip(tmp_path, suffix):
    path = tmp_path / f"s{suffix}"
    SCHEMA.save(path)
    assert Schema.load(path) == SCHEMA
    assert check_schema(clean_frame(), str(path)).outcome is Outcome.PASSED


def test_csv_and_parquet_paths(tmp_path, penguins):
    penguins.to_csv(tmp_path / "p.csv", index=False)
    s = infer_schema(tmp_path / "p.csv")
    assert check_schema(str(tmp_path / "p.csv"), s).outcome is Outcome.PASSED
    pytest.importorskip("pyarrow")
    penguins.to_parquet(tmp_path / "p.parquet")
    assert check_schema(tmp_path / "p.parquet", s).outcome is Outcome.PASSED


def test_polars_frame_is_checked_by_polars():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"id": [1, 2, 3], "plan": ["basic", None, "gold"], "x": [0.5, None, 2.0]})
    schema = Schema(
        [
            Column("id", dtype="int", unique=True),
            Column("plan", dtype="str", allowed=["basic"]),
            Column("x", max=1),
        ]
    )
    got = failures(check_schema(frame, schema))
    assert got == {
        ("plan", "allowed"): {
            "column": "plan",
            "rule": "allowed",
            "count": 1,
            "sample": [{"value": "gold"}],  # a table's samples hold values, not row positions
        },
        ("x", "max"): {"column": "x", "rule": "max", "count": 1, "sample": [{"value": 2.0}]},
    }
    assert infer_schema(frame).column("plan").dtype == "str"


def test_unreadable_yaml_names_the_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("columns:\n  - name: a\n    min: [1\n  - name: b\n")
    with pytest.raises(InputError, match=r"^schema: .*s\.yaml is not valid YAML \(line 4: .*; fix the file$"):
        check_schema(clean_frame(), path)


def test_bad_schemas_are_clear_errors(tmp_path):
    f = clean_frame()
    with pytest.raises(
        InputError, match=r"^schema\.columns\[0\]: unknown key 'nullabel'; did you mean 'nullable'\?$"
    ):
        check_schema(f, {"columns": [{"name": "a", "nullabel": False}]})
    with pytest.raises(
        InputError, match=r"^schema\.columns\[0\]\.dtype: unknown dtype 'integer'; use one of int, "
    ):
        check_schema(f, {"columns": [{"name": "a", "dtype": "integer"}]})
    with pytest.raises(
        InputError, match=r"^schema\.columns\[0\]\.min: must be a number, got 'low'; e.g. min: 0$"
    ):
        check_schema(f, {"columns": [{"name": "a", "min": "low"}]})
    with pytest.raises(InputError, match=r"^schema\.columns\[0\]\.regex: is not a valid regular expression"):
        check_schema(f, {"columns": [{"name": "a", "regex": "("}]})
    with pytest.raises(
        InputError, match=r"^schema: schema file '.*nope\.yaml' does not exist; pass the path"
    ):
        check_schema(f, tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"^schema: is a int; pass a Schema, a dict or a YAML/JSON path$"):
        check_schema(f, 3)


def test_bad_data_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match=r"^data: has no rows; pass a frame with at least one row$"):
        check_schema(pd.DataFrame({"a": []}), SCHEMA)
    with pytest.raises(InputError, match=r"^data: is a list; pass a pandas or polars DataFrame, or the path"):
        check_schema([1, 2], SCHEMA)
    with pytest.raises(InputError, match=r"^data: path '.*missing\.csv' does not exist; "):
        check_schema(tmp_path / "missing.csv", SCHEMA)
    with pytest.raises(
        InputError, match=r"^data: cannot read files ending in '\.xlsx'; pass a \.parquet, \.csv"
    ):
        (tmp_path / "d.xlsx").write_text("x")
        check_schema(tmp_path / "d.xlsx", SCHEMA)


def test_all_nan_and_unhashable_columns_do_not_crash():
    f = pd.DataFrame({"a": [np.nan, np.nan], "l": [[1], [2]]})
    s = infer_schema(f)
    assert s.column("a").nullable and s.column("a").min is None
    r = check_schema(f, Schema([Column("a", nullable=False, mean_min=0), Column("l", dtype="str")]))
    got = failures(r)
    assert got[("a", "nullable")]["count"] == 2 and got[("a", "mean")]["count"] == 2
    assert got[("l", "dtype")]["sample"][0] == {"row": 0, "value": "[1]"}
    stats = r.details["statistics"]["columns"]["l"]
    assert stats["distinct"] in (2, None)  # None where pandas cannot count unhashable values


def test_cli_schema_infer(tmp_path, capsys, penguins):
    from mltestkit.cli import main

    penguins.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "schema.yaml"
    assert main(["schema", "infer", str(tmp_path / "p.csv"), "-o", str(out), "--slack", "0"]) == 0
    assert capsys.readouterr().out == f"{out}: schema of 8 columns inferred from {tmp_path / 'p.csv'}\n"
    s = Schema.load(out)
    assert s.column("bill_length_mm").min == penguins["bill_length_mm"].min()
    assert check_schema(penguins, out).outcome is Outcome.PASSED
    assert main(["schema", "infer", str(tmp_path / "p.csv")]) == 0
    assert capsys.readouterr().out.startswith("columns:\n- name: species\n  dtype: str\n")
    assert main(["schema", "infer"]) == 2
    assert "mltestkit schema: DATA: is missing; run: mltestkit schema infer data.csv -o schema.yaml" in (
        capsys.readouterr().err
    )
    assert main(["schema"]) == 0 and '"$schema"' in capsys.readouterr().out


def test_column_order_and_compound_uniqueness():
    schema = Schema.from_dict(
        {
            "ordered": True,
            "unique": [["customer", "day"]],
            "columns": [{"name": "customer"}, {"name": "day"}, {"name": "amount"}],
        }
    )
    good = pd.DataFrame({"customer": [1, 1, 2], "day": [1, 2, 1], "amount": [5.0, 6.0, 7.0]})
    assert check_schema(good, schema).outcome is Outcome.PASSED
    assert (
        check_schema(good.assign(note="x"), schema).outcome is Outcome.PASSED
    )  # extra columns may sit anywhere
    swapped = good[["day", "customer", "amount"]]
    got = failures(check_schema(swapped, schema))
    assert got[(None, "ordered")]["count"] == 2
    assert got[(None, "ordered")]["found"] == ["day", "customer", "amount"]
    twice = pd.concat([good, good.iloc[[1]]], ignore_index=True)
    got = failures(check_schema(twice, schema))
    assert got[("customer, day", "unique")]["count"] == 1
    assert got[("customer, day", "unique")]["sample"] == [{"row": 3, "value": [1, 2]}]
    assert Schema.from_dict(schema.to_dict()) == schema
    kinds = [e["type"] for e in schema.to_expectations()["expectations"]]
    assert "expect_compound_columns_to_be_unique" in kinds
    with pytest.raises(InputError, match=r"^schema.unique: must be a list of lists of column names"):
        Schema.from_dict({"unique": ["customer"]})
    with pytest.raises(InputError, match=r"^schema.ordered: must be true or false, got 'yes'"):
        Schema.from_dict({"ordered": "yes"})


def test_inferred_bounds_keep_the_data_precision_and_binary_labels_are_allowed_values():
    f = pd.DataFrame({"bmi": [18.2, 30.1519, 24.5, 22.0], "label": [0, 1, 1, 0], "n": [1, 2, 5, 9]})
    s = infer_schema(f)
    bmi = s.column("bmi")
    assert (bmi.min, bmi.max) == (17.0048, 31.3471)  # widened by 10% of the span, to 4 decimals
    assert repr(bmi.max) == "31.3471"
    assert s.column("label").allowed == [0, 1] and s.column("label").max is None
    assert (s.column("n").min, s.column("n").max) == (0, 10)
    assert check_schema(f, s).outcome is Outcome.PASSED
    assert failures(check_schema(f.assign(label=[0, 1, 2, 0]), s))[("label", "allowed")]["count"] == 1


@pytest.mark.parametrize("values", [[1.5573655679887514e-43], [1.83e19, 4.1e-18, 0.39], [-0.1 + 0.2, 0.3]])
def test_rounded_bounds_always_contain_the_data(values):
    f = pd.DataFrame({"f": values})
    for slack in (0.0, 0.1):
        assert check_schema(f, infer_schema(f, slack=slack), describe=False).outcome is Outcome.PASSED
