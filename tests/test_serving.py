"""The uvicorn server runner, the ml_server fixture and the OpenAPI contract check, against real apps."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import httpx
import pytest

from mltestkit import InputError, check_contract
from mltestkit.serving import ServingError, is_loopback, serve, start_server
from mltestkit.serving.contract import from_schema
from mltestkit.serving.server import free_port, validate_target

APPS = Path(__file__).parent / "apps"


@pytest.fixture(scope="module")
def service():
    with serve("tests.apps.service:app", health="/health") as server:
        yield server


@pytest.fixture(scope="module")
def faulty():
    with serve(f"{APPS / 'faulty.py'}:app", health="/health") as server:
        yield server


def test_module_app_answers_and_stops(service):
    assert service.url.startswith("http://127.0.0.1:")
    body = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
    assert httpx.post(service.url + "/predict", json=body).json()["label"] == 0
    assert not service.crashed


def test_stop_terminates_the_process_and_removes_the_log():
    server = start_server("tests.apps.faulty:app")
    process, log = server.process, server.log_path
    server.stop()
    assert process.poll() is not None and not log.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/health")


def test_an_app_that_fails_on_import_reports_the_log():
    with pytest.raises(ServingError) as info:
        start_server("tests.apps.broken:app", timeout=20)
    assert "exited with code" in str(info.value) and "planted import error" in str(info.value)


def test_a_server_that_never_answers_the_health_path_times_out_with_its_log():
    with pytest.raises(ServingError, match=r"did not come up .* within 1\.5 s \(/nope never answered\)"):
        start_server("tests.apps.faulty:app", health="/nope", timeout=1.5, env={"X": "1"})


@pytest.mark.parametrize(
    ("app", "text"),
    [
        ("service", "app: must be 'module:attr' or 'path/to/service.py:attr', got 'service'"),
        ("missing/service.py:app", "app: no Python file at"),
        ("tests.apps.service:1app", "app: '1app' is not a Python name"),
        ("tests-apps.service:app", "app: 'tests-apps.service' is not a module name"),
    ],
)
def test_wrong_app_names_the_problem(app, text):
    with pytest.raises(InputError) as info:
        start_server(app)
    assert str(info.value).startswith(text)


def test_a_port_in_use_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=rf"port: 127.0.0.1:{port} is already in use; pass port=None"):
            start_server("tests.apps.service:app", port=port)


def test_external_url_is_used_as_is_and_must_answer(service):
    external = start_server(service.url, health="/health")
    assert external.url == service.url and external.process is None
    with pytest.raises(ServingError, match="did not answer within 0.3 s"):
        start_server(f"http://127.0.0.1:{free_port()}", timeout=0.3)


def test_loopback_rule(monkeypatch):
    assert (
        is_loopback("http://localhost:1")
        and is_loopback("http://127.3.4.5")
        and is_loopback("http://[::1]:80")
    )
    assert not is_loopback("http://10.0.0.1") and not is_loopback("http://example.com")
    monkeypatch.delenv("MLTESTKIT_ALLOW_REMOTE", raising=False)
    with pytest.raises(InputError, match="url: example.com is not a loopback address .*allow_remote=True"):
        validate_target("http://example.com/predict", None)
    validate_target("http://example.com/predict", True)
    monkeypatch.setenv("MLTESTKIT_ALLOW_REMOTE", "1")
    validate_target("http://example.com/predict", None)


def test_contract_of_a_healthy_service_holds(service):
    r = check_contract(service.url, max_examples=15)
    assert r.outcome.value == "passed", r.message
    assert {m.slice["endpoint"] for m in r.metrics} == {"GET /health", "POST /predict"}
    rejected = next(m for m in r.metrics if m.name == "malformed_rejected")
    assert rejected.n == 3 and rejected.value == 1


def test_contract_finds_a_server_error_on_a_valid_body(faulty):
    r = check_contract(faulty.url, endpoints=["/fast", "POST /divide"], max_examples=30)
    assert r.outcome.value == "failed"
    fast = [m for m in r.metrics if m.slice["endpoint"] == "POST /fast"]
    assert all(m.outcome.value == "passed" for m in fast)
    bad = r.details["violations"]
    assert bad and all(v["endpoint"] == "POST /divide" for v in bad)
    assert any(v["status"] == 500 and v["request"]["body"]["x"] == 0 for v in bad)


def test_contract_endpoints_must_exist(faulty):
    with pytest.raises(InputError, match=r"endpoints: \['/nope'\] are not in the OpenAPI document"):
        check_contract(faulty.url, endpoints=["/nope"])


def test_schema_generator_respects_bounds_and_required():
    from hypothesis import given, settings

    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "exclusiveMinimum": 0, "maximum": 5},
            "b": {"type": "array", "items": {"enum": ["x", "y"]}, "minItems": 1, "maxItems": 2},
            "c": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]},
        },
        "required": ["a", "b"],
    }

    @settings(max_examples=50, deadline=None)
    @given(from_schema(schema))
    def check(v):
        import jsonschema

        jsonschema.validate(v, schema)
        assert {"a", "b"} <= set(v)

    check()


# ---------------------------------------------------------------------------- the ml_server fixture

FIXTURE_TEST = textwrap.dedent(
    f"""
    import httpx, pytest

    FAULTY = "{APPS / "faulty.py"}:app"

    @pytest.mark.ml_load
    def test_serves(ml_server):
        url = ml_server(FAULTY, health="/health")
        assert ml_server(FAULTY, health="/health") == url
        assert httpx.get(url + "/health").json() == {{"status": "ok"}}
    """
)


@pytest.fixture
def project(pytester):
    return pytester


def test_ml_server_is_skipped_without_ml(project):
    project.makepyfile(FIXTURE_TEST)
    result = project.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*ML checks run with --ml*"])


def test_ml_server_serves_an_app_and_reports_a_crash(project):
    project.makepyfile(
        FIXTURE_TEST
        + textwrap.dedent(
            """

            def test_crash(ml_server):
                url = ml_server(FAULTY, env={"FAULTY_CRASH_AFTER": "1"})
                with pytest.raises(httpx.HTTPError):
                    httpx.post(url + "/crash", json={"x": 1})
            """
        )
    )
    result = project.runpytest("--ml")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*the server crashed during the test*exited with code 3*"])


def test_ml_server_scope_is_checked(project):
    project.makeini("[pytest]\nml_server_scope = galaxy\n")
    project.makepyfile(FIXTURE_TEST)
    result = project.runpytest("--ml")
    result.stderr.fnmatch_lines(["*ml_server_scope: 'galaxy' is not valid; expected one of function*"])


REMOTE_TEST = textwrap.dedent(
    f"""
    import pytest
    from mltestkit import InputError

    FAULTY = "{APPS / "faulty.py"}:app"

    def test_remote(ml_server, ml):
        # 0.0.0.0 reaches this machine but is not a loopback address: it stands for a remote host
        remote = ml_server(FAULTY, health="/health").replace("127.0.0.1", "0.0.0.0")
        if {{allowed}}:
            assert ml_server(remote, health="/health") == remote
        else:
            with pytest.raises(InputError, match="app: 0.0.0.0 is not a loopback address"):
                ml_server(remote)
            with pytest.raises(InputError, match="url: 0.0.0.0 is not a loopback address"):
                ml.check_contract(remote)
    """
)


@pytest.mark.parametrize("allowed", [True, False])
def test_ini_ml_allow_remote_reaches_ml_server_and_the_checks_not_the_environment(pytester, allowed):
    pytester.makeini(f"[pytest]\nml_allow_remote = {str(allowed).lower()}\n")
    pytester.makepyfile(REMOTE_TEST.replace("{allowed}", str(allowed)))
    # the environment says yes; under pytest only the ini key decides
    pytester.makeconftest("import os\nos.environ['MLTESTKIT_ALLOW_REMOTE'] = '1'\n")
    result = pytester.runpytest_subprocess("--ml", "-p", "no:cacheprovider", "--ml-report", "r.json")
    result.assert_outcomes(passed=1)
    if not allowed:
        from mltestkit.report import read_report

        (check,) = read_report(pytester.path / "r.json")["checks"]
        assert check["outcome"] == "error" and "0.0.0.0 is not a loopback address" in check["message"]
