"""load_test against real uvicorn services (FastAPI and Flask) with a real locust run.

Runs stop at a request count; their durations are only upper bounds. The real runs assert what
does not depend on the machine's speed (failures, agreement, a planted sleep as a lower bound);
the latency and throughput gates are tested on injected response-time histograms, so a busy
machine cannot fail them.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from apps.service import MODEL, X

from mltestkit import InputError, MissingDependencyError, check_agreement, load_test
from mltestkit.serving import ServingError, serve
from mltestkit.serving.latency import latency_requirements, quantile_figures, quantile_metrics
from mltestkit.serving.load import FIGURES, parse_duration


@pytest.fixture(scope="module")
def service():
    with serve("tests.apps.service:app", health="/health") as server:
        yield server.url


@pytest.fixture(scope="module")
def faulty():
    with serve("tests.apps.faulty:app", health="/health", env={"FAULTY_SLEEP_S": "0.06"}) as server:
        yield server.url


FLOWERS = [
    dict(zip(["sepal_length", "sepal_width", "petal_length", "petal_width"], map(float, row), strict=True))
    for row in X[::15]
]


def test_fast_service_passes_and_agrees_with_the_offline_model(service):
    seen = []
    expected = MODEL.predict(X[::15]).tolist()
    r = load_test(
        service + "/predict", payloads=FLOWERS, users=4, max_requests=200, duration="30s",
        max={"fail_ratio": 0.0}, min={"agreement": 1.0}, expected=expected, key="label",
        progress=lambda *a: seen.append(a),
    )  # fmt: skip
    assert r.kind == "load" and r.outcome.value == "passed", r.describe()
    names = [m.name for m in r.metrics]
    assert names == ["p50_ms", "p95_ms", "p99_ms", "requests_per_s", "fail_ratio", "agreement"]
    p95 = r.metrics[1]  # an end of the interval is None when too few requests were sent to bound it
    assert (p95.ci.low is None or p95.ci.low <= p95.value) and (
        p95.ci.high is None or p95.value <= p95.ci.high
    )
    agreement = r.metrics[-1]
    assert agreement.value == 1.0 and agreement.n == r.details["requests"]
    assert r.details["endpoints"][0]["name"] == "/predict" and r.details["failed"] == 0
    assert r.details["command"].startswith("python -m locust -f ") and "-u 4" in r.details["command"]
    assert seen and seen[-1][1] > 0  # progress: (elapsed, requests, failures)
    assert r.metrics[-2].rule == r.metrics[-1].rule == "point"  # shares required at their edge


@pytest.mark.parametrize(
    ("slow_share", "outcome"), [(0.0, "passed"), (0.03, "passed"), (0.10, "failed"), (0.5, "failed")]
)
def test_the_p95_gate_decides_on_the_response_time_histogram(slow_share, outcome):
    """Injected timings: 2,000 responses at 20 ms, a share of them at 900 ms, against p95 <= 200 ms."""
    slow = int(2000 * slow_share)
    values, counts = np.array([20.0, 900.0]), np.array([2000 - slow, slow])
    keep = counts > 0
    requirements = latency_requirements(
        "load_test", FIGURES, None, {"p95_ms": 200}, {}, {}, rule="acceptance", confidence=0.95
    )
    p95 = next(
        m for m in quantile_metrics(quantile_figures(values[keep], counts[keep], 0.95), requirements)
        if m.name == "p95_ms"
    )  # fmt: skip
    assert p95.outcome.value == outcome, p95.describe()


def test_agreement_reports_mismatches_from_a_wrong_offline_answer(service):
    wrong = [(int(v) + 1) % 3 if i == 0 else int(v) for i, v in enumerate(MODEL.predict(X[::15]))]
    r = load_test(
        service + "/predict", payloads=FLOWERS, users=2, max_requests=40, duration="5s",
        expected=wrong, key="label", min={"agreement": 0.99}, progress=False,
    )  # fmt: skip
    assert r.outcome.value == "failed"
    assert r.details["requests"] <= 45
    mismatch = r.details["mismatches"][0]
    assert mismatch["input"] == FLOWERS[0] and mismatch["expected"] == wrong[0] and mismatch["status"] == 200


def test_a_flask_service_under_load_passes_and_agrees():
    from apps.flask_service import MODEL as FLASK_MODEL

    expected = FLASK_MODEL.predict(X[::15]).tolist()
    with serve("tests/apps/flask_service.py:create_app()", health="/health") as server:
        r = load_test(
            server.url + "/predict", payloads=FLOWERS, users=4, max_requests=300, duration="30s",
            max={"fail_ratio": 0.0, "p95_ms": 10_000}, min={"agreement": 1.0}, expected=expected, key="label",
            progress=False,
        )  # fmt: skip
        assert server.exit_code() is None
    assert r.outcome.value == "passed", r.describe()
    assert 0 < r.details["requests"] <= 310 and r.details["failed"] == 0
    assert r.metrics[-1].name == "agreement" and r.metrics[-1].value == 1.0


def test_planted_sleep_fails_the_p95_gate(faulty):
    r = load_test(
        faulty + "/slow",
        payloads=[{"x": 1.0}],
        users=4,
        max_requests=100,
        duration="20s",
        max={"p95_ms": 30},
        progress=False,
    )
    assert r.outcome.value == "failed"
    p95 = r.metrics[1]
    assert p95.name == "p95_ms" and p95.value >= 60 and p95.outcome.value == "failed"
    assert "p95_ms" in r.message


def test_failing_endpoint_fails_the_failure_ratio_gate(faulty):
    r = load_test(
        faulty + "/fail",
        payloads=[{"x": 1.0}],
        users=2,
        max_requests=20,
        duration="20s",
        max={"fail_ratio": 0.01},
        progress=False,
    )
    fail = next(m for m in r.metrics if m.name == "fail_ratio")
    assert r.outcome.value == "failed" and fail.value == 1.0
    assert "500" in r.details["failures"][0]["error"]
    assert "most frequent failure" in r.message


def test_server_crash_mid_test_fails_and_is_reported():
    with serve("tests.apps.faulty:app", env={"FAULTY_CRASH_AFTER": "100"}) as server:
        r = load_test(server.url + "/crash", payloads=[{"x": 1.0}], users=2, max_requests=400,
                      duration="30s", max={"fail_ratio": 0.0}, progress=False)  # fmt: skip
        assert server.exit_code() == 3
    assert r.outcome.value == "failed"
    assert "did it crash?" in r.message


def test_users_own_locustfile_and_a_locustfile_that_produces_nothing(service, tmp_path):
    own = tmp_path / "own.py"
    own.write_text(
        "from locust import HttpUser, task\n"
        "class U(HttpUser):\n"
        "    @task\n"
        "    def health(self):\n"
        "        self.client.get('/health')\n"
    )
    r = load_test(service, locustfile=own, users=1, duration="3s", max={"fail_ratio": 0.0}, progress=False)
    assert r.outcome.value == "passed" and r.details["endpoints"][0]["name"] == "/health"
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('planted locustfile error')\n")
    with pytest.raises(ServingError, match=r"locust produced no output(.|\n)*planted locustfile error"):
        load_test(service, locustfile=broken, users=1, duration="1s", progress=False)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"duration": "2m"}, "duration: 120 s exceeds the limit of 60 s; shorten it or raise max_duration"),
        ({"duration": "soon"}, "duration: cannot read 'soon' as a duration"),
        ({"users": 500}, "users: 500 exceeds the limit of 200; lower it or raise max_users"),
        ({"users": 0}, "users: must be a positive int, got 0"),
        ({"max_requests": 2_000_000}, "max_requests: 2000000 exceeds the limit of 1e+06"),
        ({"max": {"fail_ratio": 1.5}}, "max: fail_ratio is a share in [0, 1], got 1.5"),
        ({"max": {"p95_ms": 0}}, "max: p95_ms must be a positive number, got 0"),
        ({"min": {"rps": 10}}, "min: unknown figure 'rps'"),
        ({"payloads": []}, "payloads: must be a non-empty list of JSON bodies"),
        ({"payloads": [{"x": 1}], "expected": [1, 2]}, "expected: has 2 entries but payloads has 1"),
        ({"payloads": [{"x": object()}]}, "payloads: are not JSON-serializable"),
        ({"locustfile": "missing.py"}, "locustfile: no file at"),
        ({"url": "ftp://127.0.0.1/x"}, "url: is not an http(s) URL: 'ftp://127.0.0.1/x'"),
        ({"url": "http://example.com/predict"}, "url: example.com is not a loopback address"),
    ],
)
def test_bad_input_names_the_argument(kwargs, text, monkeypatch):
    monkeypatch.delenv("MLTESTKIT_ALLOW_REMOTE", raising=False)
    url = kwargs.pop("url", "http://127.0.0.1:9/predict")
    with pytest.raises(InputError) as info:
        load_test(url, progress=False, **kwargs)
    assert str(info.value).startswith(text)


def test_own_locustfile_excludes_bundled_options(tmp_path):
    own = tmp_path / "own.py"
    own.write_text("")
    with pytest.raises(InputError, match="payloads: only apply to the bundled locustfile"):
        load_test("http://127.0.0.1:9", locustfile=own, payloads=[{}])


def test_missing_locust_names_the_load_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    with pytest.raises(MissingDependencyError, match=r'pip install "mltestkit\[load\]"'):
        load_test("http://127.0.0.1:9/predict", payloads=[{"x": 1}])


def test_parse_duration():
    assert parse_duration("2s") == 2 and parse_duration("1m") == 60 and parse_duration("1h1m1s") == 3661
    assert parse_duration(0.5) == 0.5
    with pytest.raises(InputError, match="duration: must be a positive duration"):
        parse_duration(0)


def test_the_old_spellings_still_work_with_a_deprecation(service):
    old = {
        "p50_ms": 1000,
        "p95_ms": 1000,
        "p99_ms": 1000,
        "min_rps": 1,
        "max_fail_ratio": 0.0,
        "min_agreement": 1.0,
    }
    expected = MODEL.predict(X[::15]).tolist()
    with pytest.deprecated_call() as caught:
        r = load_test(service + "/predict", payloads=FLOWERS, users=2, duration="3s", expected=expected,
                      key="label", progress=False, **old)  # fmt: skip
    said = " ".join(str(w.message) for w in caught)
    for key in old:
        assert f"load_test: {key}=" in said
    assert "use min={'requests_per_s': 1}" in said and "use max={'fail_ratio': 0.0}" in said
    gated = {m.name: [t.to_dict() for t in m.thresholds] for m in r.metrics if m.thresholds}
    assert gated == {
        "p50_ms": [{"op": "<=", "value": 1000}], "p95_ms": [{"op": "<=", "value": 1000}],
        "p99_ms": [{"op": "<=", "value": 1000}], "requests_per_s": [{"op": ">=", "value": 1}],
        "fail_ratio": [{"op": "<=", "value": 0}], "agreement": [{"op": ">=", "value": 1}],
    }  # fmt: skip
    with pytest.deprecated_call(match=r"check_agreement: min_agreement=0.5 is deprecated .*; use min=0.5"):
        assert check_agreement([1], [1], min_agreement=0.5).metrics[0].thresholds[0].value == 0.5


def test_check_agreement_counts_and_tolerates():
    r = check_agreement(
        ['{"p": [0.1, 0.9]}', '{"p": [0.5, 0.5]}'], [[0.1, 0.9], [0.4, 0.6]], key="p", atol=1e-6
    )
    assert r.metrics[0].value == 0.5 and r.details["mismatches"][0]["got"] == [0.5, 0.5]
    r = check_agreement([{"label": "a"}] * 300, ["a"] * 300, key="label", min=0.95)
    assert r.outcome.value == "passed" and r.metrics[0].ci.low > 0.95
    r = check_agreement(["{}"], [1], key="label")
    assert r.metrics[0].value == 0 and "no answer at 'label'" in r.details["mismatches"][0]["got"]
    with pytest.raises(InputError, match="expected: has 1 entries but responses has 2"):
        check_agreement([1, 2], [1])
    assert np.isclose(check_agreement([1.0], [1.0 + 1e-12]).metrics[0].value, 1.0)


def test_through_the_ml_fixture_into_the_report(pytester):
    from pathlib import Path

    apps = Path(__file__).parent / "apps"
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.ml_perf
        def test_fast_enough(ml):
            ml.check_latency(sorted, [3, 1, 2], max={{"p95_ms": 60_000}}, batch_sizes=[1, 8], n_calls=300)

        @pytest.mark.ml_load
        def test_under_load(ml, ml_server):
            url = ml_server("{apps / "faulty.py"}:app", health="/health")
            ml.load_test(url + "/fast", payloads=[{{"x": 1.0}}], users=2, max_requests=200,
                         duration="30s", max={{"fail_ratio": 0.0}}, progress=False)
            ml.load_test(url + "/fail", payloads=[{{"x": 1.0}}], users=1, max_requests=20,
                         duration="20s", max={{"fail_ratio": 0.0}}, progress=False)
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*fail_ratio = 1 *(<= 0, point, n=*): failed*"])
    report = json.loads((pytester.path / "r.json").read_text())
    checks = report["checks"]
    kinds = sorted((c["kind"], c["outcome"]) for c in checks)
    assert kinds == [("latency", "passed"), ("load", "failed"), ("load", "passed")]


def test_the_test_process_never_imports_locust_or_gevent():
    import subprocess
    import sys

    code = (
        "import sys, mltestkit\n"
        "from mltestkit.serving import load, contract, server\n"
        "mltestkit.load_test, mltestkit.check_contract, mltestkit.check_latency\n"
        "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
