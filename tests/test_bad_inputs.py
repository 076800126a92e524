"""The bad-input corpus: every public check ends in a result or an MLTestKitError naming the argument.

Each case runs one check on one kind of bad input and states what must come out: a result with a
given outcome, or an error whose message starts with the argument's name and says what was wrong.
A Hypothesis fuzz test throws random arrays and frames at the checks and accepts only those two
endings, and a pytester run of a suite full of bad tests must end without INTERNALERROR and with a
valid report.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mltestkit as m
from mltestkit import perturb
from mltestkit.errors import MLTestKitError, MLTestKitWarning, ReportError
from mltestkit.report import read_report

Y = np.array([0, 1] * 50)
FRAME = pd.DataFrame({"a": np.arange(100.0), "g": ["x", "y"] * 50, "target": Y})


def zeros(x):
    return np.zeros(len(x))


CASES = {
    # metric
    "metric: NaN label": (
        lambda: m.check_metric("accuracy", np.r_[Y[:-1], np.nan], Y, min=0.5),
        "y_true: has 1 NaN or infinite values (first at row 99)",
    ),
    "metric: inf score": (
        lambda: m.check_metric("roc_auc", Y, y_score=np.r_[np.inf, np.zeros(99)], min=0.5),
        "y_score: has 1 NaN or infinite values",
    ),
    "metric: None": (lambda: m.check_metric("accuracy", None, Y, min=0.5), "y_true: is None"),
    "metric: empty": (lambda: m.check_metric("accuracy", [], [], min=0.5), "y_true: is empty"),
    "metric: lengths": (
        lambda: m.check_metric("accuracy", Y, Y[:-1], min=0.5),
        "y_pred: has 99 rows but y_true has 100",
    ),
    "metric: frame for array": (
        lambda: m.check_metric("accuracy", FRAME[["a", "g"]], Y, min=0.5),
        "y_true: is a DataFrame with 2 columns",
    ),
    "metric: wrong shape": (
        lambda: m.check_metric("accuracy", Y, np.zeros((100, 2)), min=0.5),
        "y_pred: has shape (100, 2)",
    ),
    "metric: single class": (
        lambda: m.check_metric("roc_auc", np.ones(100), y_score=np.linspace(0, 1, 100), min=0.5),
        "y_true: roc_auc is undefined: y_true has a single class",
    ),
    "metric: string labels": (
        lambda: m.check_metric("accuracy", np.array(["a", "b"] * 50), np.array(["a", "b"] * 50), min=0.5),
        "passed",
    ),
    "metric: mixed labels": (
        lambda: m.check_metric("accuracy", np.array([0, "1"] * 50, dtype=object), Y, min=0.5),
        "y_true/y_pred: mix label types",
    ),
    "metric: object labels with None": (
        lambda: m.check_metric("accuracy", np.array([0, None] * 50, dtype=object), Y, min=0.5),
        "y_true: has 50 missing values",
    ),
    # slices and fairness
    "slices: no columns": (
        lambda: m.check_slices("accuracy", Y, Y, by=pd.DataFrame(index=range(100)), min=0.5),
        "by: has no columns",
    ),
    "slices: lengths": (
        lambda: m.check_slices("accuracy", Y, Y, by=np.zeros(99), min=0.5),
        "by: column 'slice' has 99 rows but y_true has 100",
    ),
    "slices: NaN prediction": (
        lambda: m.check_slices("accuracy", Y, np.r_[Y[:-1], np.nan], by=FRAME["g"], min=0.5),
        "y_pred: has 1 NaN",
    ),
    "slices: all one group": (lambda: m.check_slices("accuracy", Y, Y, by=np.zeros(100), min=0.5), "passed"),
    "slices: huge category count": (
        lambda: m.check_slices("accuracy", np.tile(Y, 100), np.tile(Y, 100), by=np.arange(10_000), min=0.5),
        "passed",
    ),
    "slices: unicode column": (
        lambda: m.check_slices(
            "accuracy", Y, Y, by=pd.DataFrame({"género": FRAME["g"]}), min=0.5, min_size=10
        ),
        "passed",
    ),
    "fairness: None": (
        lambda: m.check_fairness(Y, Y, by=None, max={"demographic_parity_difference": 0.1}),
        "by: is None",
    ),
    "fairness: unknown disparity": (
        lambda: m.check_fairness(Y, Y, by=FRAME["g"], max={"demographic_parity": 0.1}),
        "max: unknown disparity 'demographic_parity'",
    ),
    "fairness: all one group": (
        lambda: m.check_fairness(Y, Y, by=np.zeros(100), max={"demographic_parity_difference": 0.1}),
        "inconclusive",
    ),
    "weak slices: no columns": (
        lambda: m.find_weak_slices(Y, Y, by=pd.DataFrame(index=range(100))),
        "by: has no columns",
    ),
    "metric: no requirement": (lambda: m.check_metric("accuracy", Y, Y), "passed"),
    "metric: undefined recall": (
        lambda: m.check_metric("recall", np.zeros(100, int), np.zeros(100, int), min=0.5),
        "y_true: recall is undefined: no positive rows",
    ),
    "slices: undefined interval under alarm": (
        lambda: m.check_slices(
            "roc_auc",
            np.r_[1, np.zeros(59, int)],
            y_score=np.r_[0.1, np.full(59, 0.9)],
            by=np.zeros(60),
            min=0.5,
            rule="alarm",
        ),
        "inconclusive",
    ),
    "weak slices: bad max": (
        lambda: m.find_weak_slices(Y, Y, by=FRAME[["g"]], max=1.5),
        "max: must be a share of the rows in [0, 1]",
    ),
    "simple model: bad margin": (
        lambda: m.check_beats_simple_model(None, FRAME[["a"]], Y, FRAME[["a"]], Y, margin="x"),
        "margin: must be a number in [0, 1)",
    ),
    "reproducible: unknown figure": (
        lambda: m.check_reproducible(lambda d, s: None, FRAME, FRAME, max={"spread": 0.1}),
        "max: unknown figure 'spread'",
    ),
    # data
    "schema: missing column": (
        lambda: m.check_schema(FRAME, {"columns": [{"name": "zzz", "dtype": "int"}]}),
        "failed",
    ),
    "schema: missing file": (
        lambda: m.check_schema(FRAME, "/nonexistent/schema.yaml"),
        "schema: schema file '/nonexistent/schema.yaml' does not exist",
    ),
    "schema: empty frame": (
        lambda: m.check_schema(FRAME.iloc[:0], {"columns": [{"name": "a", "dtype": "float"}]}),
        "data: has no rows",
    ),
    "integrity: all-NaN column": (
        lambda: m.check_integrity(FRAME.assign(a=np.nan), label="target"),
        "failed",
    ),
    "integrity: unhashable values": (
        lambda: m.check_integrity(FRAME.assign(a=[[1]] * 100), label="target"),
        "data: column 'a' holds unhashable values",
    ),
    "integrity: missing label": (
        lambda: m.check_integrity(FRAME, label="nope"),
        "label: column 'nope' is not in data",
    ),
    "drift: empty reference": (lambda: m.check_drift(FRAME.iloc[:0], FRAME), "reference: has no rows"),
    "drift: array for frame": (lambda: m.check_drift(np.zeros((10, 2)), FRAME), "reference: is a ndarray"),
    "leakage: None": (lambda: m.check_leakage(None, FRAME), "train: is a NoneType"),
    "expectations: bad suite": (
        lambda: m.check_expectations(FRAME, {"expectations": "nope"}),
        "suite: has no 'expectations' list",
    ),
    # behavior
    "mft: lengths": (
        lambda: m.check_mft(zeros, ["a", "b"], expected=[1], min=0.5),
        "expected: has 1 values for 2 cases",
    ),
    "invariance: missing column": (
        lambda: m.check_invariance(zeros, FRAME, perturb.swap("zzz", {"x": "y"}), max=0.1),
        "column: 'zzz' is not a column of the inputs",
    ),
    "invariance: vacuous perturbation": (
        lambda: m.check_invariance(zeros, FRAME, perturb.swap("g", {"q": "r"}), max=0.1),
        "perturbation: swap(g) changed none of the 100 rows, so the check would be vacuous",
    ),
    "invariance: predict raises": (
        lambda: m.check_invariance(lambda x: 1 / 0, FRAME, perturb.swap("g", {"x": "y"}), max=0.1),
        "predict: raised ZeroDivisionError: division by zero on the original inputs",
    ),
    "invariance: wrong output shape": (
        lambda: m.check_invariance(lambda x: np.zeros(3), FRAME, perturb.swap("g", {"x": "y"}), max=0.1),
        "predict: returned 3 outputs",
    ),
    "directional: unknown expectation": (
        lambda: m.check_directional(zeros, FRAME, perturb.scale("a", 2), expect="up", max=0.1),
        "expect: unknown expectation 'up'",
    ),
    # latency and load
    "latency: None": (
        lambda: m.check_latency(zeros, None, max={"p95_ms": 10}),
        "inputs: must hold at least one row",
    ),
    "latency: predict raises": (
        lambda: m.check_latency(lambda x: 1 / 0, [1, 2], max={"p95_ms": 10}),
        "predict: raised ZeroDivisionError",
    ),
    "load: remote target": (
        lambda: m.load_test("http://10.0.0.1/predict", payloads=[{}], duration="1s"),
        "url: 10.0.0.1 is not a loopback address",
    ),
    "load: not a URL": (
        lambda: m.load_test("not a url", payloads=[{}], duration="1s"),
        "url: is not an http(s) URL",
    ),
    "contract: remote target": (
        lambda: m.check_contract("http://example.com"),
        "url: example.com is not a loopback address",
    ),
    # model checks
    "simple model: no model": (
        lambda: m.check_beats_simple_model(None, FRAME[["a"]], Y, FRAME[["a"]], Y),
        "model: predict raised AttributeError",
    ),
    "reproducible: not callable": (
        lambda: m.check_reproducible(3, FRAME, FRAME),
        "train: must be a callable",
    ),
    # silently meaningless or raw before
    "drift: unused Categorical level": (
        lambda: m.check_drift(
            FRAME.assign(g=pd.Categorical(FRAME["g"], categories=["x", "y", "never"]))[["g"]], FRAME[["g"]]
        ),
        "passed",
    ),
    "drift: missing values on one side only": (
        lambda: m.check_drift(FRAME[["g"]], FRAME[["g"]].assign(g=pd.NA)),
        "failed",
    ),
    "drift: bins=True": (
        lambda: m.check_drift(FRAME, FRAME, bins=True),
        "bins: must be an int in [2, 1000000]",
    ),
    "drift: bins=0": (lambda: m.check_drift(FRAME, FRAME, bins=0), "bins: must be an int in [2, 1000000]"),
    "drift: alpha=0": (lambda: m.check_drift(FRAME, FRAME, alpha=0), "alpha: p_value must be in (0, 1)"),
    "drift: polars Series": (lambda: m.check_drift(pl.Series("a", Y), FRAME), "reference: is a Series"),
    "slices: bins=True": (
        lambda: m.check_slices("accuracy", Y, Y, by=FRAME[["a"]], bins=True, min=0.5),
        "bins: must be an int in [1, 1000000]",
    ),
    "slices: min_size=2**70": (
        lambda: m.check_slices("accuracy", Y, Y, by=FRAME["g"], min_size=2**70, min=0.5),
        "min_size: must be an int in [0, 9007199254740992]",
    ),
    "fairness: duplicated columns in by": (
        lambda: m.check_fairness(Y, Y, by=FRAME[["g", "g"]], max={"demographic_parity_difference": 0.1}),
        "by: has duplicated column names ['g']",
    ),
    "weak slices: min_size=2**70": (
        lambda: m.find_weak_slices(Y, Y, by=FRAME[["g"]], min_size=2**70),
        "min_size: must be an int in [1, 9007199254740992]",
    ),
    "metric: datetime64 labels": (
        lambda: m.check_metric("accuracy", np.array(["2026-01-01"] * 100, dtype="datetime64[D]"), Y, min=0.5),
        "y_true: holds dates or durations",
    ),
    "metric: continuous y_true for accuracy": (
        lambda: m.check_metric("accuracy", np.linspace(0, 1, 100), Y, min=0.5),
        "y_true: accuracy compares class labels and the values are continuous",
    ),
    "metric: pandas NA in object labels": (
        lambda: m.check_metric("accuracy", pd.Series([0, pd.NA] * 50, dtype=object), Y, min=0.5),
        "y_true: has 50 missing values",
    ),
    "metric: generator": (
        lambda: m.check_metric("accuracy", (v for v in Y), Y, min=0.5),
        "y_true: is a generator, which can be read only once",
    ),
    "metric: dict": (lambda: m.check_metric("accuracy", {"y": Y}, Y, min=0.5), "y_true: is a dict"),
    "metric: polars frame": (
        lambda: m.check_metric("accuracy", pl.DataFrame({"y": Y}), Y, min=0.5),
        "passed",
    ),
    "metric: keep_rows=NA": (
        lambda: m.check_metric("accuracy", Y, Y, keep_rows=pd.NA),
        "keep_rows: must be True or False",
    ),
    "metric: rule=NA": (lambda: m.check_metric("accuracy", Y, Y, rule=pd.NA), "rule: unknown gate rule"),
    "metric: name a number (recorded as its text)": (
        lambda: m.check_metric("accuracy", Y, Y, name=3.5),
        "passed",
    ),
    "metric: name neither text nor a number": (
        lambda: m.check_metric("accuracy", Y, Y, name=[3.5]),
        "name: must be a string",
    ),
    "mft: tolerance=nan": (
        lambda: m.check_mft(zeros, ["a", "b"], expected=[0, 0], tolerance=float("nan")),
        "tolerance: must be a finite number >= 0, got nan",
    ),
    "mft: legacy bound not a number": (
        lambda: m.check_mft(zeros, ["a", "b"], expected=[0, 0], min_pass_rate="high"),
        "min_pass_rate: must be a number",
    ),
    "invariance: tolerance=None": (
        lambda: m.check_invariance(zeros, FRAME, perturb.swap("g", {"x": "y"}), tolerance=None, max=0.1),
        "tolerance: must be a finite number >= 0, got None",
    ),
    "directional: expect not a string": (
        lambda: m.check_directional(zeros, FRAME, perturb.scale("a", 2), expect=np.array([]), max=0.1),
        "expect: unknown expectation",
    ),
    "latency: huge n_calls": (
        lambda: m.check_latency(zeros, [0], n_calls=2**70),
        "n_calls: must be an int in [1, 100000000]",
    ),
    "latency: dict inputs": (lambda: m.check_latency(zeros, {"a": [1]}), "inputs: is a dict"),
    "latency: memory=NA": (
        lambda: m.check_latency(zeros, [0], memory=pd.NA),
        "memory: must be True or False",
    ),
    "load: p95_ms=nan names p95_ms": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=[{}], p95_ms=float("nan")),
        "p95_ms: must be a number, got nan",
    ),
    "load: p95_ms=-1 names p95_ms": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=[{}], p95_ms=-1),
        "p95_ms: must be a positive number, got -1",
    ),
    "load: max_fail_ratio=2 names it": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=[{}], max_fail_ratio=2),
        "max_fail_ratio: is a share in [0, 1], got 2",
    ),
    "load: max_users=None": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=[{}], max_users=None),
        "max_users: must be an int",
    ),
    "load: allow_remote=NA": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=[{}], allow_remote=pd.NA),
        "allow_remote: must be True or False",
    ),
    "load: payloads a generator": (
        lambda: m.load_test("http://127.0.0.1:9/p", payloads=({} for _ in range(2))),
        "payloads: is a generator",
    ),
    "agreement: responses None": (lambda: m.check_agreement(None, [1]), "responses: must be a list"),
    "agreement: key a number": (lambda: m.check_agreement([1], [1], key=3), "key: must be a dotted path"),
    "agreement: atol=nan": (lambda: m.check_agreement([1], [1], atol=float("nan")), "atol: must be a finite"),
    "leakage: label a dict": (
        lambda: m.check_leakage(FRAME, FRAME, label={}),
        "label: must be a column name",
    ),
    "leakage: bins=2**70": (lambda: m.check_leakage(FRAME, FRAME, bins=2**70), "bins: must be an int in [2"),
    "simple model: continuous y_train": (
        lambda: m.check_beats_simple_model(None, FRAME[["a"]], np.linspace(0, 1, 100), FRAME[["a"]], Y),
        "y_train: check_beats_simple_model compares class labels",
    ),
    "simple model: ragged X_test": (
        lambda: m.check_beats_simple_model(None, FRAME[["a"]], Y, [[1], [1, 2]], Y[:2]),
        "X_test: has shape (2,)",
    ),
    "simple model: seed=-1": (
        lambda: m.check_beats_simple_model(None, FRAME[["a"]], Y, FRAME[["a"]], Y, seed=-1),
        "seed: must be an int in [0, 4294967295]",
    ),
    "reproducible: max_spread=nan": (
        lambda: m.check_reproducible(lambda d, s: None, FRAME, FRAME, max_spread=float("nan")),
        "max_spread: must be a finite number",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_ends_in_a_result_or_a_clear_error(case):
    run, expected = CASES[case]
    if expected in ("passed", "failed", "inconclusive", "error"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = run()
        assert result.outcome.value == expected, result.describe()
        json.dumps(result.to_dict(), allow_nan=False)
        return
    with pytest.raises(MLTestKitError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run()
    assert str(info.value).startswith(expected), str(info.value)


def test_hard_labels_as_scores_warn():
    with pytest.warns(MLTestKitWarning, match="y_score: holds only 0 and 1, so roc_auc ranks hard labels"):
        m.check_metric("roc_auc", Y, y_score=Y[::-1], min=0.5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not valid JSON"),
        ('{"schema_version": "9.0"}', "schema_version 9.0 is not supported"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_corrupt_baseline_and_report_files(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(ReportError, match=message):
        read_report(path)
    from mltestkit.cli import main

    assert main(["compare", str(path), str(path)]) == 2


def test_schema_file_with_a_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "schema.yaml"
    bad.write_text("columns:\n  - name: a\n    dtype: [int\n")
    with pytest.raises(MLTestKitError, match="line"):
        m.check_schema(FRAME, bad)


shapes = st.integers(0, 30)
labels = st.one_of(
    hnp.arrays(np.float64, shapes, elements=st.floats(allow_nan=True, allow_infinity=True)),
    hnp.arrays(np.int64, shapes, elements=st.integers(-1, 2)),
    hnp.arrays(np.bool_, shapes),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(y=labels, p=labels, metric=st.sampled_from(sorted(m.METRICS)), bound=st.floats(0, 1))
def test_fuzz_metrics_end_in_a_result_or_a_clear_error(y, p, metric, bound):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MLTestKitWarning)
            result = m.check_metric(metric, y, p, y_score=p, min=bound, n_boot=100)
    except MLTestKitError:
        return
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    y=st.lists(st.integers(0, 1), min_size=0, max_size=40),
    groups=st.lists(st.sampled_from(["a", "b", None, "ü"]), min_size=0, max_size=40),
)
def test_fuzz_slices_and_fairness(y, groups):
    n = min(len(y), len(groups))
    y_arr, g = np.array(y[:n]), pd.Series(groups[:n], dtype=object)
    for run in (
        lambda: m.check_slices("accuracy", y_arr, y_arr[::-1], by=g, min=0.5, min_size=1),
        lambda: m.check_fairness(y_arr, y_arr[::-1], by=g, max={"demographic_parity_difference": 0.2}),
    ):
        try:
            result = run()
        except MLTestKitError:
            continue
        json.dumps(result.to_dict(), allow_nan=False)


def test_a_suite_full_of_bad_tests_ends_without_internal_error(pytester):
    pytester.makepyfile(
        """
        import numpy as np
        import pandas as pd
        from mltestkit import perturb

        def test_metric_none(ml):
            ml.check_metric("accuracy", None, [1], min=0.5)

        def test_slices_lengths(ml):
            ml.check_slices("accuracy", [0, 1], [0, 1], by=[0], min=0.5)

        def test_fairness_key(ml):
            ml.check_fairness([0, 1], [0, 1], by=["a", "b"], max={"nope": 0.1})

        def test_schema_file(ml):
            ml.check_schema(pd.DataFrame({"a": [1]}), "missing.yaml")

        def test_invariance_raises(ml):
            ml.check_invariance(lambda x: 1 / 0, pd.DataFrame({"g": ["x", "y"]}), perturb.swap("g", {"x": "y"}), max=0.1)

        def test_latency_raises(ml):
            ml.check_latency(lambda x: 1 / 0, [1], max={"p95_ms": 1})

        def test_load_remote(ml):
            ml.load_test("http://192.0.2.1/", payloads=[{}])

        def test_not_a_check(ml):
            ml.record("not a result")

        def test_fine(ml):
            ml.check_metric("accuracy", [0, 1] * 50, [0, 1] * 50, min=0.5)
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=8)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    report = read_report(pytester.path / "r.json")
    assert report["summary"]["error"] == 7 and report["summary"]["passed"] == 1
