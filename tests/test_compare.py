"""Baseline comparison: real models (a regression is caught, noise is not), the paired gate's
error rate by simulation, agreement with scikit-learn, bad baselines."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score

from mltestkit import check_metric
from mltestkit.cli import main
from mltestkit.errors import InputError, ReportError
from mltestkit.render.compare import markdown_table
from mltestkit.report import build_report, provenance, write_report
from mltestkit.report.compare import classify, compare_reports, parse_margins
from mltestkit.stats.paired import paired_difference, tango_interval

MARGINS = {"*": 0.01, "precision": 0.015, "roc_auc": 0.02}
PROVENANCE = provenance(seed=0)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    X, y = make_classification(n_samples=12000, n_features=20, n_informative=6, random_state=0)
    return X[:6000], y[:6000], X[6000:], y[6000:]


def model_report(data: tuple[np.ndarray, ...], seed: int, n_features: int = 20, keep: bool = True) -> dict:
    """A report of a logistic regression fit on a bootstrap sample of the training rows."""
    Xtr, ytr, Xte, yte = data
    idx = np.random.default_rng(seed).choice(len(ytr), len(ytr))
    model = LogisticRegression(max_iter=1000).fit(Xtr[idx][:, :n_features], ytr[idx])
    pred = model.predict(Xte[:, :n_features])
    score = model.predict_proba(Xte[:, :n_features])[:, 1]
    results = [
        check_metric(m, yte, pred, min=0.5, keep_rows=keep) for m in ("accuracy", "recall", "precision")
    ]
    results.append(check_metric("roc_auc", yte, y_score=score, min=0.5))
    checks = [
        {"test": "tests/test_q.py::test_quality", "index": i, **r.to_dict()} for i, r in enumerate(results)
    ]
    return build_report(checks, provenance=PROVENANCE)


@pytest.fixture(scope="module")
def reports(data: tuple[np.ndarray, ...]) -> dict[str, dict]:
    return {
        "base": model_report(data, 0),
        "noise": model_report(data, 1),  # the same model refit on another bootstrap sample
        "regression": model_report(data, 0, n_features=12),  # eight features lost
    }


def by_metric(comparison: dict) -> dict[str, dict]:
    return {r["metric"]: r for r in comparison["rows"]}


def test_noise_is_not_a_regression(reports: dict[str, dict]) -> None:
    cmp = compare_reports(reports["base"], reports["noise"], margins=MARGINS)
    rows = by_metric(cmp)
    assert cmp["regressions"] == 0, markdown_table(cmp)
    assert {r["method"] for r in rows.values()} == {"mcnemar", "paired-bootstrap", "paired-delong"}
    assert all(r["paired"] for r in rows.values())
    assert rows["accuracy"]["method"] == "mcnemar" and rows["precision"]["method"] == "paired-bootstrap"
    assert all(r["outcome"] in ("same", "non-inferior", "better") for r in rows.values())


def test_a_real_regression_is_caught(reports: dict[str, dict]) -> None:
    cmp = compare_reports(reports["base"], reports["regression"], margins=MARGINS)
    rows = by_metric(cmp)
    assert rows["accuracy"]["outcome"] == "worse"
    assert rows["accuracy"]["high"] < 0 and rows["accuracy"]["p_value"] < 0.01
    assert cmp["regressions"] >= 1
    table = markdown_table(cmp)
    assert table.splitlines()[4].startswith("| worse | test_quality | accuracy |")


def test_pairing_matters(data: tuple[np.ndarray, ...], reports: dict[str, dict]) -> None:
    """Without per-row outcomes the same noise is undecidable at this margin under acceptance."""
    base, noise = model_report(data, 0, keep=False), model_report(data, 1, keep=False)
    cmp = compare_reports(base, noise, margins={"*": 0.01})
    assert by_metric(cmp)["accuracy"]["method"] == "intervals"
    assert by_metric(cmp)["accuracy"]["unpaired"] == "no per-row record in the baseline"
    assert by_metric(cmp)["accuracy"]["outcome"] == "inconclusive"
    assert compare_reports(base, noise, margins={"*": 0.01}, rule="alarm")["regressions"] == 0


def test_paired_gate_error_rate_at_the_margin() -> None:
    """Pass (non-inferior or better) probability when the true difference is exactly -margin: <= 2.5%."""
    rng = np.random.default_rng(20261129)
    n, margin, reps = 1000, 0.02, 600
    everything = np.ones(n, dtype=bool)
    passes = 0
    for _ in range(reps):
        u = rng.random(n)
        base = u >= 0.1  # the baseline is wrong on 10% of the rows ...
        cur = base.copy()
        cur[u >= 0.94] = False  # ... the current run loses 6% of rows ...
        cur[u < 0.04] = True  # ... and wins 4%: a true difference of -0.02
        d = paired_difference((base, everything), (cur, everything), level=0.95)
        passes += classify(d, margin, "acceptance") in ("same", "non-inferior", "better")
    rate = passes / reps
    assert rate <= 0.025 + 2 * (0.025 * 0.975 / reps) ** 0.5, rate
    # and the gate has power: at a true difference of 0 with more rows it passes nearly always
    n = 4000
    everything = np.ones(n, dtype=bool)
    wins = 0
    for _ in range(100):
        u = rng.random(n)
        base = u >= 0.1
        cur = base.copy()
        cur[u >= 0.95] = False
        cur[u < 0.05] = True
        wins += classify(
            paired_difference((base, everything), (cur, everything), level=0.95), margin, "acceptance"
        ) in (
            "same",
            "non-inferior",
            "better",
        )
    assert wins >= 90


@settings(max_examples=60, deadline=None)
@given(
    b=st.integers(0, 300),
    c=st.integers(0, 300),
    rest=st.integers(1, 2000),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_tango_interval_contains_the_estimate(b: int, c: int, rest: int, level: float) -> None:
    n = b + c + rest
    low, high = tango_interval(b, c, n, level)
    assert -1 <= low <= (c - b) / n + 1e-9 <= high + 2e-9 <= 1 + 1e-9
    wider = tango_interval(b, c, n, min(level + 0.005, 0.995))
    assert wider[0] <= low + 1e-9 and wider[1] >= high - 1e-9


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 400))
def test_kept_rows_reproduce_every_proportion_and_pair_with_sklearn(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    p1, p2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    p1[:2] = p2[:2] = [1, 1]
    for name in ("accuracy", "recall", "precision", "specificity", "fpr", "fnr", "selection_rate"):
        r1 = check_metric(name, y, p1, min=0.0, keep_rows=True)
        r2 = check_metric(name, y, p2, min=0.0, keep_rows=True)
        b = build_report([{"test": "t", "index": 0, **r1.to_dict()}], provenance=PROVENANCE)
        c = build_report([{"test": "t", "index": 0, **r2.to_dict()}], provenance=PROVENANCE)
        row = compare_reports(b, c, n_boot=200)["rows"][0]
        assert row["method"] in ("paired-bootstrap" if name == "precision" else "mcnemar", "identical")
        assert row["difference"] == pytest.approx(r2.metrics[0].value - r1.metrics[0].value, abs=1e-12)
        if name == "precision":
            expected = precision_score(y, p2) - precision_score(y, p1)
            assert row["difference"] == pytest.approx(expected, abs=1e-12)


def test_paired_bootstrap_interval_covers_its_estimate() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    p1 = np.where(rng.random(3000) < 0.85, y, 1 - y)
    p2 = np.where(rng.random(3000) < 0.80, y, 1 - y)
    s1, t1 = (p1 == 1) & (y == 1), p1 == 1
    s2, t2 = (p2 == 1) & (y == 1), p2 == 1
    d = paired_difference((s1, t1), (s2, t2), level=0.95, seed=1)
    assert d["method"] == "paired-bootstrap"
    assert d["low"] < d["difference"] < d["high"] < 0


def test_slices_and_unmatched_figures(reports: dict[str, dict]) -> None:
    cur = copy.deepcopy(reports["noise"])
    cur["checks"][0]["test"] = "tests/test_q.py::test_renamed"
    cmp = compare_reports(reports["base"], cur, margins=MARGINS)
    assert len(cmp["rows"]) == 4 and cmp["regressions"] == 1
    assert [r["metric"] for r in cmp["rows"] if r["method"] == "missing"] == ["accuracy"]
    assert len(compare_reports(reports["base"], cur, margins=MARGINS, allow_missing=True)["rows"]) == 3
    assert cmp["only_baseline"] == ["tests/test_q.py::test_quality :: accuracy :: accuracy"]
    assert cmp["only_current"] == ["tests/test_q.py::test_renamed :: accuracy :: accuracy"]
    assert "Only in the baseline: tests/test_q.py::test_quality :: accuracy :: accuracy" in markdown_table(
        cmp
    )


def test_lower_is_better_metrics_are_oriented() -> None:
    def rep(value: float) -> dict:
        check = check_metric(
            "rmse", [0.0] * 400, np.full(400, value) + np.linspace(-0.01, 0.01, 400), max=1.0
        )
        return build_report([{"test": "t", "index": 0, **check.to_dict()}], provenance=PROVENANCE)

    rows = compare_reports(rep(0.2), rep(0.5))["rows"]
    assert rows[0]["difference"] > 0 and rows[0]["outcome"] == "worse" and not rows[0]["higher_is_better"]
    assert compare_reports(rep(0.5), rep(0.2))["rows"][0]["outcome"] == "better"


def test_bad_baselines_are_clear_errors(reports: dict[str, dict]) -> None:
    newer = copy.deepcopy(reports["base"])
    newer["schema_version"] = "2.0"
    with pytest.raises(ReportError, match=r"^baseline report: report schema_version 2.0 is not supported"):
        compare_reports(newer, reports["noise"])
    broken = copy.deepcopy(reports["base"])
    broken["checks"][0]["details"]["rows"]["success"] = "not base64!"
    with pytest.raises(ReportError, match=r"per-row outcomes in the report are corrupt"):
        compare_reports(broken, reports["noise"])
    with pytest.raises(
        InputError, match=r"^margins: margin for 'accuracy' must be a non-negative number, got '-1'"
    ):
        parse_margins(["accuracy=-1"])
    with pytest.raises(
        InputError,
        match=r"^keep_rows: per-row records are kept for registered metrics only, not the callable mine",
    ):
        check_metric(lambda y, p: 0.5, [0, 1] * 10, [0, 1] * 10, name="mine", keep_rows=True)


def test_cli_compare_exit_codes(
    reports: dict[str, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {k: write_report(v, tmp_path / f"{k}.json") for k, v in reports.items()}
    margins = ["--margin", "0.01", "--margin", "precision=0.015", "--margin", "roc_auc=0.02"]
    assert main(["compare", str(paths["base"]), str(paths["noise"]), *margins]) == 0
    assert (
        main(
            [
                "compare",
                str(paths["base"]),
                str(paths["regression"]),
                *margins,
                "--json",
                str(tmp_path / "c.json"),
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "| worse | test_quality | accuracy |" in out
    assert json.loads((tmp_path / "c.json").read_text())["regressions"] >= 1
    (tmp_path / "bad.json").write_text("{")
    assert main(["compare", str(tmp_path / "bad.json"), str(paths["noise"])]) == 2
    assert "bad.json is not valid JSON" in capsys.readouterr().err
