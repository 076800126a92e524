"""mltestkit.data.strategies: generated rows and frames satisfy the schema they come from."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, given, settings

from mltestkit import check_schema
from mltestkit.data.schema import Column, Schema
from mltestkit.data.strategies import frames, rows
from mltestkit.errors import InputError
from mltestkit.results import Outcome

SCHEMA = Schema(
    columns=[
        Column("id", dtype="int", nullable=False, unique=True, min=0, max=10**6),
        Column("age", dtype="int", min=18, max=99),
        Column("score", dtype="float", nullable=False, min=-1.5, max=1.5),
        Column("plan", dtype="str", allowed=["basic", "pro"]),
        Column("code", dtype="str", nullable=False, regex=r"[A-Z]{2}-\d{3}"),
        Column("active", dtype="bool", nullable=False),
        Column("seen", dtype="datetime"),
        Column("note", dtype="str"),
    ],
    min_rows=2,
    max_rows=30,
    extra_columns=False,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(SCHEMA))
def test_generated_frames_pass_their_schema(frame):
    assert 2 <= len(frame) <= 30
    r = check_schema(frame, SCHEMA, describe=False)
    assert r.outcome is Outcome.PASSED, r.message


@settings(max_examples=60, deadline=None)
@given(rows(SCHEMA.to_dict()))
def test_generated_rows_follow_the_rules(row):
    assert set(row) == {c.name for c in SCHEMA.columns}
    assert row["age"] is None or 18 <= row["age"] <= 99
    assert -1.5 <= row["score"] <= 1.5 and row["plan"] in ("basic", "pro", None)
    assert isinstance(row["active"], bool)


def test_a_feature_function_tested_with_the_strategy_finds_a_bug():
    def age_bucket(age):  # forgets ages of 90 and above
        return {0: "young", 1: "middle", 2: "old"}[min(age // 30, 2)] if age < 90 else None

    counterexample = find(
        rows(Schema([Column("age", dtype="int", min=18, max=99), Column("plan", allowed=["basic", "pro"])])),
        lambda row: row["age"] is not None and age_bucket(row["age"]) is None,
        settings=settings(max_examples=500, database=None),
    )
    assert counterexample["age"] == 90  # shrunk to the boundary


def test_impossible_schemas_are_clear_errors():
    with pytest.raises(
        InputError, match=r"^schema column 'a': allows no value within its min/max; widen the range$"
    ):
        rows(Schema([Column("a", allowed=[1, 2], min=5)]))
    with pytest.raises(
        InputError, match=r"^min_size/max_size: min_size 100 is above max_size 30; lower min_size$"
    ):
        frames(SCHEMA, min_size=100)
