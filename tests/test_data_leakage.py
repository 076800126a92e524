"""check_leakage: leaked rows, leaked features, id and date overlap are found; a clean split passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mltestkit import check_leakage
from mltestkit.data.leakage import feature_scores
from mltestkit.errors import InputError
from mltestkit.results import CheckResult, Outcome


def data(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "customer": np.arange(n),
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) // 20, unit="D"),
            "x": x,
            "noise": rng.normal(size=n),
            "segment": rng.choice(["s1", "s2", "s3"], n),
            "y": (x + rng.normal(size=n) > 0).astype(int),
        }
    )


def failed(r: CheckResult) -> dict[tuple[str | None, str], dict]:
    return {(f["column"], f["rule"]): f for f in r.details["failures"]}


def test_clean_time_split_passes():
    d = data()
    train, test = d.iloc[:1500], d.iloc[1500:].reset_index(drop=True)
    r = check_leakage(train, test, label="y", id="customer", date="day")
    assert r.outcome is Outcome.PASSED, r.message
    scores = {m.slice["column"]: m.value for m in r.metrics if m.name == "feature_score"}
    assert set(scores) == {"x", "noise", "segment"}
    assert 0.2 < scores["x"] < 0.8 and abs(scores["noise"]) < 0.1
    CheckResult.from_dict(r.to_dict())


def test_leaked_rows_and_features_are_found():
    d = data()
    train, test = d.iloc[:1500], d.iloc[1500:].reset_index(drop=True)
    test = pd.concat([test, train.iloc[[7, 8, 9]]], ignore_index=True)  # rows 500-502 leak
    flipped = train.iloc[[20]].assign(y=lambda f: 1 - f["y"])  # same features, other label
    test = pd.concat([test, flipped], ignore_index=True)
    got = failed(check_leakage(train, test, label="y", features=["x", "noise", "segment"]))
    assert got[(None, "duplicate_rows")]["count"] == 3
    assert [s["row"] for s in got[(None, "duplicate_rows")]["sample"]] == [500, 501, 502]
    assert got[(None, "feature_overlap")]["count"] == 4


def test_a_feature_that_gives_the_label_away_is_found():
    d = data()
    d["leak"] = np.where(d["y"] == 1, "approved", "declined")
    d["proxy"] = d["y"] * 10 + np.random.default_rng(1).normal(scale=0.1, size=len(d))
    train, test = train_test_split(d, test_size=0.3, random_state=0)
    got = failed(check_leakage(train, test, label="y", features=["x", "leak", "proxy"]))
    assert set(got) == {("leak", "feature_score"), ("proxy", "feature_score")}
    assert got[("leak", "feature_score")]["value"] == 1.0


def test_regression_label_scores():
    rng = np.random.default_rng(2)
    n = 3000
    x = rng.uniform(0, 1, n)
    d = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "y": 5 * x + rng.normal(scale=0.1, size=n)})
    scores = feature_scores(d.iloc[:2000], d.iloc[2000:], ["x", "noise"], "y")
    assert scores["x"] > 0.95 and abs(scores["noise"]) < 0.05


def test_id_and_date_overlap():
    d = data()
    train, held = train_test_split(d, test_size=0.25, random_state=0)
    test = pd.concat([held, train.iloc[:5]], ignore_index=True)
    r = check_leakage(train, test, label="y", id="customer", date="day")
    got = failed(r)
    assert got[("customer", "id_overlap")]["count"] == 5
    assert got[("day", "date_overlap")]["value"] > 0.9  # a random split overlaps in time
    assert f"id_overlap of 'customer' = {5 / len(test):.4g} (5 of {len(test)} test rows; max 0)" in r.message
    labelled = pd.concat([held, train.iloc[:5]])  # keeps the original row labels
    by_index = failed(check_leakage(train, labelled, index=True))
    assert by_index[(None, "index_overlap")]["count"] == 5
    assert [s["row"] for s in by_index[(None, "index_overlap")]["sample"]] == list(
        range(len(held), len(held) + 5)
    )
    assert check_leakage(train, held, index=True).outcome is Outcome.PASSED


def test_bad_input():
    d = data(100)
    with pytest.raises(InputError, match=r"^label: column 'target' is not in train; "):
        check_leakage(d, d, label="target")
    with pytest.raises(InputError, match=r"^features: column 'xx' is not in train; did you mean 'x'\?$"):
        check_leakage(d, d, features=["xx"])
    with pytest.raises(InputError, match=r"^max: feature_score is a share in \[0, 1\], got 2"):
        check_leakage(d, d, label="y", max={"feature_score": 2})

    with pytest.raises(InputError, match=r"^test: has no rows; "):
        check_leakage(d, d.iloc[:0])
    with pytest.raises(InputError, match=r"^date: column 'x' of train has no dates; pass a column of dates$"):
        check_leakage(d.assign(x="n/a"), d, date="x")


@pytest.mark.parametrize(
    ("old", "figure"),
    [
        ("max_duplicate_fraction", "duplicate_rows"),
        ("max_feature_overlap", "feature_overlap"),
        ("max_feature_score", "feature_score"),
        ("max_id_overlap", "id_overlap"),
        ("max_date_overlap", "date_overlap"),
    ],
)
def test_the_old_spellings_still_work_with_a_deprecation(old, figure):
    train = pd.DataFrame({"id": [1, 2, 3, 4], "x": [0.1, 0.2, 0.3, 0.4], "y": [0, 1, 0, 1]})
    test = pd.DataFrame({"id": [4, 5], "x": [0.4, 0.8], "y": [1, 0]})
    with pytest.deprecated_call(
        match=rf"check_leakage: {old}=0.5 is deprecated .*; use max={{'{figure}': 0.5}}"
    ):
        before = check_leakage(train, test, label="y", id="id", **{old: 0.5})
    expected = {figure: 0.5, **({"index_overlap": 0.5} if figure == "id_overlap" else {})}
    assert before.to_dict() == check_leakage(train, test, label="y", id="id", max=expected).to_dict()
