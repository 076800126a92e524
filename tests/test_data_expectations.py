"""check_expectations runs real Great Expectations suites; our schema verdicts equal GX's."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from mltestkit import check_expectations, check_schema
from mltestkit.data.schema import Column, Schema
from mltestkit.errors import InputError, MissingDependencyError
from mltestkit.results import CheckResult, Outcome

gx = pytest.importorskip("great_expectations")


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.5, n),
            "plan": rng.choice(["basic", "pro"], n),
            "id": [f"u{i:05d}" for i in range(n)],
        }
    )


SCHEMA = Schema(
    columns=[
        Column("age", nullable=False, min=18, max=90, mean_min=40, mean_max=70),
        Column("income", min=0),
        Column("plan", nullable=False, allowed=["basic", "pro"]),
        Column("id", unique=True, regex=r"u\d{5}"),
    ],
    min_rows=100,
)


def test_schema_verdicts_equal_great_expectations():
    clean = frame()
    faulty = frame()
    faulty.loc[[5, 9], "age"] = [7, 200]
    faulty.loc[3, "plan"] = "gold"
    faulty.loc[4, "id"] = "x"
    faulty.loc[6, "income"] = None
    for data, expected in ((clean, Outcome.PASSED), (faulty, Outcome.FAILED)):
        ours = check_schema(data, SCHEMA, describe=False)
        theirs = check_expectations(data, SCHEMA.to_expectations())
        assert ours.outcome is theirs.outcome is expected
        assert theirs.details["gx_success"] is (expected is Outcome.PASSED)
        failed_ours = {(f["column"], f["rule"]): f["count"] for f in ours.details["failures"]}
        failed_theirs = {
            e["column"]: e["unexpected_count"] for e in theirs.details["expectations"] if not e["success"]
        }
        # the same columns fail, with the same counts of offending values
        assert {c for c, _ in failed_ours} == set(failed_theirs)
        if expected is Outcome.FAILED:
            assert failed_theirs["age"] == 2 == failed_ours[("age", "min")] + failed_ours[("age", "max")]
    by_type = {(e["type"], e["column"]): e for e in theirs.details["expectations"]}
    between = by_type[("expect_column_values_to_be_between", "age")]
    assert between["sample"] == [{"row": 5, "value": 7}, {"row": 9, "value": 200}]
    assert by_type[("expect_column_values_to_be_in_set", "plan")]["sample"] == [{"row": 3, "value": "gold"}]
    CheckResult.from_dict(json.loads(json.dumps(theirs.to_dict())))


def test_suite_from_a_json_file_object_and_errors(tmp_path):
    data = frame(50).set_index(np.arange(100, 150))  # row positions, not index labels
    data.loc[110, "income"] = -5.0
    suite = gx.ExpectationSuite(
        name="credit",
        expectations=[
            gx.expectations.ExpectColumnValuesToBeBetween(column="income", min_value=0),
            gx.expectations.ExpectColumnMeanToBeBetween(column="age", min_value=0, max_value=10),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="missing_column"),
        ],
    )
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(suite.to_json_dict()))
    for given in (suite, path):
        r = check_expectations(data, given)
        assert r.name == "credit" and r.outcome is Outcome.ERROR
        entries = {e["type"]: e for e in r.details["expectations"]}
        assert entries["expect_column_values_to_be_between"]["sample"] == [{"row": 10, "value": -5.0}]
        mean = next(m for m in r.metrics if m.name == "expect_column_mean_to_be_between")
        assert mean.value == pytest.approx(data["age"].mean()) and mean.outcome is Outcome.FAILED
        assert "missing_column" in entries["expect_column_values_to_not_be_null"]["exception"]
    with pytest.raises(
        InputError, match=r"^suite\.expectations\[0\]: expect_nothing is not a valid expectation"
    ):
        check_expectations(data, [{"type": "expect_nothing", "kwargs": {}}])
    with pytest.raises(InputError, match=r"^suite: has no 'expectations' list; "):
        check_expectations(data, {"name": "x"})


def test_missing_great_expectations_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "great_expectations", None)  # as if it were not installed
    with pytest.raises(MissingDependencyError) as exc:
        check_expectations(frame(10), [])
    assert str(exc.value) == (
        "Running Great Expectations suites needs the package 'great_expectations', which is not installed; "
        'install it with: pip install "mltestkit[gx]"'
    )
