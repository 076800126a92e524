"""The pytest plugin, driven through pytester: options, markers, the ml fixture, the report, xdist."""

from __future__ import annotations

import json

import pytest

from mltestkit.report import read_report, validate

MODEL_TESTS = """
import numpy as np
import pytest

Y = np.array([0, 1] * 200)
GOOD = Y.copy()
GOOD[:20] = 1 - GOOD[:20]          # accuracy 0.95

@pytest.mark.ml_metric
def test_accuracy(ml):
    ml.check_metric("accuracy", Y, GOOD, min=0.9)

@pytest.mark.ml_metric
def test_several(ml):
    ml.check_metric("recall", Y, GOOD, min=0.9)
    ml.check_metric("f1", Y, GOOD, min=0.9)
    ml.check_metric("roc_auc", Y, y_score=np.where(GOOD == 1, 0.8, 0.2), min=0.9)

def test_plain():
    assert True
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", *args)


def test_without_ml_tests_are_skipped_with_the_reason(pytester):
    pytester.makepyfile(
        MODEL_TESTS
        + """
def test_fixture_only(ml):
    raise AssertionError("must not run")
"""
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*ML checks run with --ml*"])
    assert "= mltestkit =" not in result.stdout.str()


def test_with_ml_checks_run_and_the_report_validates(pytester):
    pytester.makepyfile(MODEL_TESTS)
    result = run(pytester, "--ml", "--ml-report", "out/report.json")
    result.assert_outcomes(passed=3)
    report = read_report(pytester.path / "out" / "report.json")
    assert report["summary"]["checks"] == 4
    assert report["summary"]["passed"] == 4
    names = [(c["test"].split("::")[-1], c["name"], c["index"]) for c in report["checks"]]
    assert names == [
        ("test_accuracy", "accuracy", 0),
        ("test_several", "recall", 0),
        ("test_several", "f1", 1),
        ("test_several", "roc_auc", 2),
    ]
    acc = report["checks"][0]["metrics"][0]
    assert acc["value"] == pytest.approx(0.95)
    assert acc["ci"]["method"] == "clopper-pearson" and acc["ci"]["level"] == 0.95
    assert acc["threshold"] == [{"op": ">=", "value": 0.9}]
    assert report["provenance"]["seed"] == 0
    assert report["provenance"]["packages"]["numpy"]
    result.stdout.fnmatch_lines(
        ["*= mltestkit =*", "PASSED*test_accuracy :: metric:accuracy  accuracy=0.95 ?0.9238, 0.9692? >= 0.9"]
    )


def test_a_wrong_threshold_fails_the_test_and_the_run(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

@pytest.mark.ml_metric
def test_too_strict(ml):
    y = np.array([0, 1] * 200)
    ml.check_metric("accuracy", y, y, min=1.01 - 0.02)
    pred = y.copy(); pred[:80] = 1 - pred[:80]
    ml.check_metric("accuracy", y, pred, min=0.9)
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*CheckFailure: metric check 'accuracy': failed*",
            "*accuracy = 0.8 ?0.7574, 0.8381? (>= 0.9, acceptance, n=400): failed*",
            "*the estimate misses the threshold.*",
        ]
    )
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == ["passed", "failed"]
    assert report["tests"][0]["outcome"] == "failed"


def test_inconclusive_fails_under_acceptance_and_warns_under_alarm(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

@pytest.mark.ml_metric
def test_close_call(ml):
    y = np.array([1] * 83 + [0] * 17)
    ml.check_metric("accuracy", y, np.ones(100, dtype=int), min=0.8)
"""
    )
    result = run(pytester, "--ml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*inconclusive*", "*About * rows (now 100) would decide it*"])
    result = run(pytester, "--ml", "--ml-gate", "alarm", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*MLTestKitWarning: inconclusive, passed under the alarm rule*"])


def test_soft_checks_report_every_failure(pytester):
    pytester.makepyfile(
        """
import numpy as np
import pytest

Y = np.array([0, 1] * 100)
BAD = 1 - Y

@pytest.mark.ml_metric
def test_block(ml):
    with ml.soft():
        ml.check_metric("accuracy", Y, BAD, min=0.9)
        ml.check_metric("recall", Y, BAD, min=0.9)
        ml.check_metric("selection_rate", Y, Y, max=0.6)

@pytest.mark.ml_metric
def test_keyword(ml):
    ml.check_metric("accuracy", Y, BAD, min=0.9, soft=True)
    ml.check_metric("precision", Y, Y, min=0.9, soft=True)
    ml.check_metric("recall", Y, BAD, min=0.9, soft=True)
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*CheckFailure: 2 soft check(s) failed:*"])
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == [
        "failed",
        "failed",
        "passed",
        "failed",
        "passed",
        "failed",
    ]


def test_bad_input_is_the_test_failure_and_the_report_is_still_written(pytester):
    pytester.makepyfile(
        """
import pytest

@pytest.mark.ml_metric
def test_lengths(ml):
    ml.check_metric("accuracy", [0, 1, 1], [0, 1], min=0.5)

@pytest.mark.ml_metric
def test_name(ml):
    ml.check_metric("acuracy", [0, 1], [0, 1], min=0.5)

@pytest.mark.ml_metric
def test_no_threshold_records_the_figure(ml):
    r = ml.check_metric("accuracy", [0, 1] * 20, [0, 1] * 20)
    assert r.metrics[0].value == 1.0 and r.metrics[0].outcome is None

def test_no_such_check(ml):
    ml.check_everything()
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(failed=3, passed=1)
    out = result.stdout.str()
    assert "INTERNALERROR" not in out
    for text in (
        "InputError: y_pred: has 2 rows but y_true has 3; pass arrays of the same length",
        "InputError: metric: unknown metric 'acuracy'; did you mean 'accuracy'?",
        "AttributeError: 'ml' has no check 'check_everything'; the checks are:",
    ):
        assert text in out
    report = read_report(pytester.path / "r.json")
    assert [c["outcome"] for c in report["checks"]] == ["error", "error", "passed"]
    assert report["checks"][2]["metrics"][0]["outcome"] is None and not report["checks"][2]["fails_test"]


def test_a_bad_input_shows_the_tests_line_and_keeps_the_whole_traceback_for_the_debugger(pytester):
    pytester.makeconftest(
        """
from pathlib import Path

import mltestkit

OURS = Path(mltestkit.__file__).resolve().parent

def pytest_exception_interact(node, call, report):
    tb, inside = call.excinfo.value.__traceback__, 0
    while tb is not None:
        inside += OURS in Path(tb.tb_frame.f_code.co_filename).resolve().parents
        tb = tb.tb_next
    print(f"frames inside mltestkit: {inside}")
"""
    )
    pytester.makepyfile(
        """
import pytest

@pytest.mark.ml_metric
def test_lengths(ml):
    ml.check_metric("accuracy", [0, 1, 1], [0, 1], min=0.5)
"""
    )
    result = run(pytester, "--ml", "-s")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "_validate.py" not in out and 'ml.check_metric("accuracy", [0, 1, 1], [0, 1], min=0.5)' in out
    inside = int(out.split("frames inside mltestkit: ")[1].split()[0])
    assert inside >= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--ml-gate", "strict"],
            "--ml-gate: 'strict' is not valid; expected one of acceptance, alarm, point",
        ),
        (
            ["--ml-confidence", "95"],
            "--ml-confidence: '95' is not valid; expected a number in [0.5, 1), e.g. 0.95",
        ),
        (["--ml-seed", "-1"], "--ml-seed: '-1' is not valid; expected a non-negative integer, e.g. 0"),
    ],
)
def test_bad_option_values_are_usage_errors(pytester, args, message):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "--ml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_ini_keys(pytester):
    pytester.makeini("[pytest]\nml = true\nml_gate = point\nml_seed = 7\nml_report = from-ini.json\n")
    pytester.makepyfile(MODEL_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    report = read_report(pytester.path / "from-ini.json")
    assert report["provenance"]["gate_rule"] == "point" and report["provenance"]["seed"] == 7
    assert {m["rule"] for c in report["checks"] for m in c["metrics"]} == {"point"}
    pytester.makeini("[pytest]\nml_confidence = high\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key ml_confidence: 'high' is not valid" in result.stderr.str()


def test_plugin_can_be_disabled(pytester):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "-p", "no:mltestkit", "--ml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --ml" in result.stderr.str()


def test_hook_edits_the_report_and_fingerprints_are_recorded(pytester):
    pytester.makeconftest(
        """
def pytest_mltestkit_report(report, config):
    report["provenance"]["registry_id"] = "credit-7"
"""
    )
    pytester.makepyfile(
        """
import numpy as np

def test_fp(ml):
    ml.fingerprint("train", np.arange(10))
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    report = read_report(pytester.path / "r.json")
    assert report["provenance"]["registry_id"] == "credit-7"
    fp = report["provenance"]["fingerprints"]["train"]
    assert fp["kind"] == "ndarray" and fp["shape"] == [10] and fp["test"].endswith("::test_fp")


def test_unwritable_report_path_is_a_clear_failure(pytester):
    pytester.makepyfile(MODEL_TESTS)
    (pytester.path / "blocker").write_text("a file, not a directory")
    result = run(pytester, "--ml", "--ml-report", "blocker/report.json")
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*could not write the ML report to *blocker/report.json*"])


def _comparable(report):
    return [
        (c["test"], c["index"], c["name"], c["outcome"], json.dumps(c["metrics"], sort_keys=True))
        for c in report["checks"]
    ]


BOOTSTRAP_TESTS = """
import numpy as np
import pytest

@pytest.mark.parametrize("k", range(6))
def test_f1(ml, k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, 2, 300)
    pred = np.where(rng.random(300) < 0.85, y, 1 - y)
    ml.check_metric("f1", y, pred, min=0.7, soft=True)
    ml.check_metric("mae", y.astype(float), pred.astype(float), max=0.3)
"""


def test_xdist_gives_the_same_report_as_a_serial_run(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(BOOTSTRAP_TESTS)
    serial = pytester.runpytest_subprocess("--ml", "--ml-report", "serial.json", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=6)
    parallel = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "parallel.json", "-n", "2", "-p", "no:cacheprovider"
    )
    parallel.assert_outcomes(passed=6)
    a, b = read_report(pytester.path / "serial.json"), read_report(pytester.path / "parallel.json")
    assert len(a["checks"]) == 12
    assert _comparable(a) == _comparable(b)
    assert b["provenance"]["workers"] == 2
    assert "= mltestkit =" in parallel.stdout.str()


def test_a_crashed_worker_loses_only_its_own_test(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
import os
import numpy as np

def test_fine(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)

def test_dies(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
    os._exit(3)

def test_also_fine(ml):
    ml.check_metric("accuracy", np.array([0, 1] * 50), np.array([0, 1] * 50), min=0.9)
"""
    )
    result = pytester.runpytest_subprocess(
        "--ml", "--ml-report", "r.json", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2, failed=1)
    report = read_report(pytester.path / "r.json")
    assert report["summary"]["lost_tests"] == ["test_a_crashed_worker_loses_only_its_own_test.py::test_dies"]
    assert sorted(c["test"].split("::")[-1] for c in report["checks"]) == ["test_also_fine", "test_fine"]
    outcomes = {t["test"].split("::")[-1]: t["outcome"] for t in report["tests"]}
    assert outcomes["test_dies"] == "crashed"


HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "great_expectations",
    "fairlearn",
    "locust",
    "mltestkit.metrics",
)


def test_loading_the_plugin_without_ml_imports_nothing_heavy(pytester):
    pytester.makeconftest(
        f"""
import sys

def pytest_sessionfinish(session):
    heavy = [m for m in {HEAVY!r} if m in sys.modules]
    print("HEAVY-MODULES:", ",".join(heavy) or "none")
"""
    )
    pytester.makepyfile(
        """
import pytest

@pytest.mark.ml_data
def test_data(ml):
    pass

def test_plain():
    pass
"""
    )
    # locust's own pytest plugin imports gevent and more; it is not ours, so it is turned off here
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:locust", "-s")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*HEAVY-MODULES: none"])


def test_report_validates_against_the_schema_with_nan_free_values(pytester):
    pytester.makepyfile(
        """
import numpy as np
from mltestkit.results import CheckResult, MetricValue, Outcome

def test_custom(ml):
    ml.record(CheckResult(name="nan", kind="custom", outcome=Outcome.PASSED,
                          metrics=[MetricValue(name="x", value=float("nan"))]))
"""
    )
    run(pytester, "--ml", "--ml-report", "r.json").assert_outcomes(passed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    validate(data)
    assert data["checks"][0]["metrics"][0]["value"] is None
    assert data["checks"][0]["metrics"][0]["reason"] == "value is not finite (nan)"


def test_an_exception_inside_a_check_is_an_error_record_and_fails_the_test(pytester):
    pytester.makepyfile(
        """
import numpy as np

def train(data, seed):
    raise RuntimeError("no GPU here")

def predict(texts):
    raise ValueError("the model is not loaded")

def test_train(ml):
    ml.check_reproducible(train, np.zeros((4, 2)), np.zeros((4, 2)))

def test_predict(ml):
    ml.check_mft(predict, ["a", "b", "c"], [1, 1, 1], max_failure_rate=0.1)
"""
    )
    result = run(pytester, "--ml", "--ml-report", "r.json")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "RuntimeError: no GPU here" in out and "the model is not loaded" in out
    checks = {c["test"].split("::")[-1]: c for c in read_report(pytester.path / "r.json")["checks"]}
    assert {name: c["outcome"] for name, c in checks.items()} == {
        "test_train": "error",
        "test_predict": "error",
    }
    assert checks["test_train"]["message"] == "RuntimeError: no GPU here"
    assert checks["test_train"]["details"]["exception"] == "RuntimeError"
    assert "ValueError" in checks["test_predict"]["message"]
    assert "the model is not loaded" in checks["test_predict"]["message"]


def test_the_report_hook_sees_the_comparison_and_the_score(pytester):
    pytester.makeconftest(
        """
def pytest_mltestkit_report(report, config):
    report["provenance"]["seen"] = sorted(k for k in ("comparison", "ml_test_score") if k in report)
"""
    )
    pytester.makepyfile(MODEL_TESTS)
    run(pytester, "--ml", "--ml-report", "base.json").assert_outcomes(passed=3)
    run(pytester, "--ml", "--ml-report", "r.json", "--ml-baseline", "base.json").assert_outcomes(passed=3)
    assert read_report(pytester.path / "base.json")["provenance"]["seen"] == ["ml_test_score"]
    report = read_report(pytester.path / "r.json")
    assert report["provenance"]["seen"] == ["comparison", "ml_test_score"]
    assert report["ml_test_score"]["items"] and len(report["comparison"]["rows"]) == 4


def test_session_settings_reach_each_check_as_its_table_entry_says(pytester):
    pytester.makepyfile(
        """
import numpy as np

def test_settings(ml):
    y = np.array([0, 1] * 200)
    ml.check_metric("accuracy", y, y, min=0.9)
    ml.check_mft(lambda xs: np.ones(len(xs), dtype=int), ["a"] * 50, [1] * 50, max_failure_rate=0.2)
    ml.check_metric("recall", y, y, min=0.9, rule="point", confidence=0.99)
"""
    )
    run(pytester, "--ml", "--ml-report", "r.json", "--ml-gate", "alarm", "--ml-confidence", "0.9")
    metric, mft, own = read_report(pytester.path / "r.json")["checks"]
    assert metric["rule"] == "alarm" and metric["metrics"][0]["ci"]["level"] == 0.9
    assert mft["rule"] == "alarm" and {m["ci"]["level"] for m in mft["metrics"] if m.get("ci")} == {0.9}
    assert own["rule"] == "point" and own["metrics"][0]["ci"]["level"] == 0.99


ROLE_CONFTEST = """
from pathlib import Path

def pytest_sessionfinish(session):
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    role = session.config.pluginmanager.get_plugin("mltestkit-session")
    Path(f"role-{worker}.txt").write_text(type(role).__name__)
"""


@pytest.mark.parametrize(("args", "roles"), [((), {"main": "Central"}), (("-n", "2"), None)])
def test_one_object_per_process_role(pytester, args, roles):
    if args:
        pytest.importorskip("xdist")
        roles = {"main": "Controller", "gw0": "Worker", "gw1": "Worker"}
    pytester.makeconftest(ROLE_CONFTEST)
    pytester.makepyfile(BOOTSTRAP_TESTS)
    result = pytester.runpytest_subprocess("--ml", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=6)
    found = {p.stem.removeprefix("role-"): p.read_text() for p in pytester.path.glob("role-*.txt")}
    assert found == roles


def test_the_per_test_index_costs_the_same_for_every_check(pytester):
    """Collecting n checks of one test takes a number of steps linear in n (counted, not timed)."""
    import sys

    from pytest_mltestkit import session

    from mltestkit.results import CheckResult, Outcome

    check = CheckResult(name="x", kind="custom", outcome=Outcome.PASSED).to_dict()

    def steps(n: int) -> tuple[int, list[int]]:
        report = pytest.TestReport("t.py::test_many", ("t.py", 0, "test_many"), {}, "passed", None, "call")
        report.ml_checks = [check] * n
        collected = session.Collected()
        count = 0

        def tracer(frame, event, arg):
            nonlocal count
            if frame.f_code.co_filename == session.__file__:
                count += 1
            return tracer

        sys.settrace(tracer)
        try:
            collected.add(report)
        finally:
            sys.settrace(None)
        return count, [c["index"] for c in collected.checks]

    (small, small_index), (large, large_index) = steps(1000), steps(4000)
    assert small_index == list(range(1000)) and large_index == list(range(4000))
    assert large < 4.5 * small  # quadratic work would be about 16 times as much


def test_the_checks_table_names_exactly_the_session_settings_each_check_takes():
    import importlib
    import inspect

    import mltestkit

    for name, entry in mltestkit.CHECKS.items():
        params = inspect.signature(getattr(importlib.import_module(entry.module), name)).parameters
        takes = tuple(s for s in mltestkit.SESSION_SETTINGS if s in params)
        assert entry.settings == takes, name
        assert all(params[s].kind is inspect.Parameter.KEYWORD_ONLY for s in takes), name


def _plugin_imports() -> dict[str, dict[str, set[str]]]:
    """For each plugin module: the plugin modules it imports anywhere ("any") and at load
    ("load"), and the other top-level packages it imports at load ("external")."""
    import ast
    import sys
    from pathlib import Path

    import pytest_mltestkit

    graph = {}
    for path in Path(pytest_mltestkit.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        entry: dict[str, set[str]] = {"any": set(), "load": set(), "external": set()}
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                names = {node.module} if node.module else {a.name for a in node.names}
                entry["any"] |= names
                entry["load"] |= names if id(node) in top else set()
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) in top:
                names = {node.module} if isinstance(node, ast.ImportFrom) else {a.name for a in node.names}
                entry["external"] |= {n.split(".")[0] for n in names if n} - set(sys.stdlib_module_names)
        graph[path.stem] = entry
    return graph


def test_plugin_modules_import_no_ring_and_the_entry_point_loads_only_pytest():
    graph = _plugin_imports()

    def closure(start: str, kind: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()][kind] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    assert all(name not in closure(name, "any") for name in graph), {k: v["any"] for k, v in graph.items()}
    loaded = {"plugin", *closure("plugin", "load")}
    assert loaded == {"plugin", "fixtures", "settings"}
    assert set().union(*(graph[m]["external"] for m in loaded)) == {"pytest"}


@pytest.mark.parametrize("workers", [(), ("-n", "2")])
def test_without_ml_one_line_says_how_many_ml_tests_were_skipped(pytester, workers):
    pytester.makepyfile(MODEL_TESTS)
    result = run(pytester, *workers)
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["2 ML tests skipped: run with --ml"])
    with_ml = run(pytester, "--ml", *workers)
    assert "skipped: run with --ml" not in with_ml.stdout.str()


def test_the_skipped_line_names_the_zero_code_suite_when_there_is_one(pytester):
    pytester.makepyfile(MODEL_TESTS)
    pytester.makepyprojecttoml("[tool.mltestkit]\nmodel = 'm.skops'\n")
    run(pytester).stdout.fnmatch_lines(["2 ML tests skipped: run with --ml, and the zero-code checks*"])


def test_no_ml_tests_no_skipped_line(pytester):
    pytester.makepyfile("def test_plain():\n    pass\n")
    assert "--ml" not in run(pytester).stdout.str()


def test_help_lists_the_gate_rules():
    from pytest_mltestkit.settings import METAVARS

    from mltestkit.stats.requirement import RULES

    assert METAVARS["gate"] == "{" + ",".join(RULES) + "}"


def test_help_shows_the_choices_of_ml_gate(pytester):
    pytester.runpytest("--help").stdout.fnmatch_lines(["*--ml-gate={acceptance,alarm,point}*"])


@pytest.mark.parametrize("workers", [(), ("-n", "2")])
def test_warnings_from_checks_point_at_the_users_test_line(pytester, workers):
    pytester.makepyfile(
        test_w="""
import pytest

@pytest.mark.ml_perf
def test_latency(ml):
    ml.check_latency(lambda x: x, [[0]], p95_ms=60_000, n_calls=100, warmup=0)
"""
    )
    result = run(pytester, "--ml", "-W", "always::DeprecationWarning", *workers)
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "test_w.py:5: DeprecationWarning: check_latency: p95_ms=60000 is deprecated" in out
    if workers:
        assert "test_w.py:5: MLTestKitWarning" in out and "timings under pytest-xdist" in out
    assert "pytest_mltestkit" not in out.split("warnings summary", 1)[-1]
