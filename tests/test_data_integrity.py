"""check_integrity: each planted fault is found, a clean frame passes, penguins' missing values are found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mltestkit import check_integrity
from mltestkit.errors import InputError
from mltestkit.results import CheckResult, Outcome


def clean_frame(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.uniform(0, 100, n),
            "city": rng.choice(["Lyon", "Oslo", "Lima"], n),
            "y": (x + rng.normal(scale=0.5, size=n) > 0).astype(int),
        }
    )


def failed(r: CheckResult) -> dict[tuple[str | None, str], dict]:
    return {(f["column"], f["rule"]): f for f in r.details["failures"]}


def test_clean_frame_passes():
    r = check_integrity(clean_frame(), label="y", min={"minority_class": 0.3}, max={"outliers": 0.01})
    assert r.outcome is Outcome.PASSED, r.message
    assert r.details["failures"] == []
    assert {c["value"] for c in r.details["classes"]} == {0, 1}
    assert r.details["statistics"]["rows"] == 1000
    CheckResult.from_dict(r.to_dict())


def test_duplicates_and_conflicting_labels():
    f = clean_frame()
    f.iloc[10] = f.iloc[3]  # exact duplicate of row 3
    f.loc[20, ["x", "z", "city"]] = f.loc[5, ["x", "z", "city"]].to_numpy()
    f.loc[20, "y"] = 1 - f.loc[5, "y"]  # same features, other label
    got = failed(check_integrity(f, label="y"))
    assert got[(None, "duplicate_rows")]["count"] == 1
    assert got[(None, "duplicate_rows")]["sample"] == [{"row": 10, "value": 3}]  # value: the row it repeats
    assert got[(None, "conflicting_labels")]["count"] == 2
    assert [s["row"] for s in got[(None, "conflicting_labels")]["sample"]] == [5, 20]
    # without the label, row 20 repeats row 5 as well
    r = check_integrity(f.drop(columns="y"), max={"duplicate_rows": 0.01})
    assert r.outcome is Outcome.PASSED and r.metrics[0].value == pytest.approx(2 / 1000)


def test_constant_mixed_special_missing_outliers_imbalance():
    f = clean_frame()
    f["const"] = 7
    f["mixed"] = pd.Series(["a"] * 998 + [3, 4.5], dtype=object)
    f.loc[[2, 9], "city"] = ["?", " - "]
    f.loc[[4], "z"] = np.nan
    f.loc[[6], "x"] = 40.0
    f["y"] = (np.arange(len(f)) < 15).astype(int)
    r = check_integrity(f, label="y", max={"outliers": 0.0005}, min={"minority_class": 0.05})
    got = failed(r)
    assert got[("const", "top_fraction")]["fraction"] == 1.0
    assert got[("mixed", "mixed_types")]["sample"] == [{"row": 998, "value": 3}, {"row": 999, "value": 4.5}]
    assert got[("city", "special_characters")]["sample"] == [
        {"row": 2, "value": "?"},
        {"row": 9, "value": " - "},
    ]
    assert got[("z", "missing")]["sample"] == [{"row": 4, "value": None}]
    assert {"row": 6, "value": 40.0} in got[("x", "outliers")]["sample"]
    assert got[(None, "minority_class")]["fraction"] == pytest.approx(0.015)
    assert "column 'const': top_fraction 1000 (100.000%)" in r.message


@pytest.mark.parametrize("method", ["robust_z", "iqr"])
def test_outlier_rate_on_normal_data_is_near_theory(method):
    rng = np.random.default_rng(1)
    f = pd.DataFrame({"x": rng.normal(size=200_000)})
    r = check_integrity(f, outliers=method, describe=False)
    rate = next(m.value for m in r.metrics if m.name == "outliers")
    # robust z > 3.5 flags P(|Z| > 3.5) = 0.000465; 1.5 IQR fences flag 0.00698
    expected = {"robust_z": 0.000465, "iqr": 0.00698}[method]
    assert abs(rate - expected) < 4 * np.sqrt(expected * (1 - expected) / 200_000)  # 4 standard errors


def test_ungated_figures_are_findings_not_failures():
    f = clean_frame()
    f.loc[[1, 2], "x"] = np.nan
    r = check_integrity(f, max={"missing": None})
    assert r.outcome is Outcome.PASSED
    findings = [(x["column"], x["rule"], x["count"]) for x in r.details["findings"]]
    assert ("x", "missing", 2) in findings and all(rule in ("missing", "outliers") for _, rule, _ in findings)
    assert check_integrity(f, max={"missing": 0.01}).outcome is Outcome.PASSED
    assert check_integrity(f, max={"missing": 0.001}).outcome is Outcome.FAILED


def test_penguins_missing_values_are_found():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    p = palmerpenguins.load_penguins()
    r = check_integrity(p, label="species")
    got = failed(r)
    assert {c for c, rule in got if rule == "missing"} == {
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
    }
    assert got[("sex", "missing")]["count"] == 11
    assert [s["row"] for s in got[("bill_length_mm", "missing")]["sample"]] == [3, 271]
    assert check_integrity(p.dropna(), label="species").outcome is Outcome.PASSED


def test_all_nan_column_and_bad_input():
    f = clean_frame(50)
    f["empty"] = np.nan
    got = failed(check_integrity(f, label="y"))
    assert got[("empty", "missing")]["fraction"] == 1.0
    with pytest.raises(InputError, match=r"^label: column 'target' is not in data; the columns are"):
        check_integrity(f, label="target")
    with pytest.raises(InputError, match=r"^label: column 'yy' is not in data; did you mean 'y'\?$"):
        check_integrity(f, label="yy")
    with pytest.raises(InputError, match=r"^max: missing is a share in \[0, 1\], got 5"):
        check_integrity(f, max={"missing": 5})
    with pytest.raises(InputError, match=r"^max: unknown figure 'nulls'; use one of duplicate_rows, "):
        check_integrity(f, max={"nulls": 0})
    with pytest.raises(InputError, match=r"^max: this check measures several figures, got a single number"):
        check_integrity(f, max=0.1)
    with pytest.raises(InputError, match=r"^outliers: unknown method 'zscore'; use one of robust_z, iqr$"):
        check_integrity(f, outliers="zscore")
    f["lists"] = [[i] for i in range(50)]
    with pytest.raises(
        InputError, match=r"^data: column 'lists' holds unhashable values \(list at row 0\); "
    ):
        check_integrity(f)


OLD_SPELLINGS = [
    ("max_duplicate_fraction", "max", "duplicate_rows", 0.01),
    ("max_conflict_fraction", "max", "conflicting_labels", 0.01),
    ("max_missing_fraction", "max", "missing", 0.01),
    ("max_top_fraction", "max", "top_fraction", 0.99),
    ("max_mixed_type_fraction", "max", "mixed_types", 0.01),
    ("max_special_fraction", "max", "special_characters", 0.01),
    ("max_outlier_fraction", "max", "outliers", 0.01),
    ("min_class_fraction", "min", "minority_class", 0.3),
]


@pytest.mark.parametrize(("old", "side", "figure", "value"), OLD_SPELLINGS)
def test_the_old_spellings_still_work_with_a_deprecation(old, side, figure, value):
    f = clean_frame(200)
    with pytest.deprecated_call(
        match=rf"check_integrity: {old}={value} is deprecated .*; use {side}={{'{figure}': {value}}}"
    ):
        before = check_integrity(f, label="y", describe=False, **{old: value})
    after = check_integrity(f, label="y", describe=False, **{side: {figure: value}})
    assert before.to_dict() == after.to_dict()
    judged = [m for m in after.metrics if m.name == figure]
    assert all(m.thresholds[0].value == value for m in judged)
