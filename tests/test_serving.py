"""The uvicorn server runner, the ml_server fixture and the OpenAPI contract check, against real apps."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import httpx
import pytest

from mltestkit import InputError, check_contract
from mltestkit.serving import ServingError, is_loopback, serve, start_server
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


TOUGH = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
        "email": {"type": "string", "format": "email"},
        "day": {"type": "string", "format": "date"},
        "id": {"type": "string", "format": "uuid"},
        "step": {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 10},
        "n": {"type": "integer", "multipleOf": 7},
        "tags": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 5},
                 "uniqueItems": True, "maxItems": 4},
        "either": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 3}, {"type": "string", "maxLength": 2}]},
        "any": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "both": {"allOf": [{"type": "integer", "minimum": 0}, {"type": "integer", "maximum": 9}]},
        "nope": {"type": "integer", "not": {"enum": [3]}},
        "maybe": {"type": "string", "nullable": True},
        "closed": {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
        "free": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^x+$"}},
    },
    "required": ["code", "email", "day", "id", "step", "n", "tags", "either", "any", "both", "nope",
                 "maybe", "closed", "free"],
    "additionalProperties": False,
}  # fmt: skip
QUERY = {
    "name": "q",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z]{2}[0-9]$"},
}


def _json_schema(schema):
    """An OpenAPI 3.0 schema as plain JSON Schema (``nullable`` becomes a union with null)."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _json_schema(v) for k, v in schema.items() if k != "nullable"}
    return {"anyOf": [out, {"type": "null"}]} if schema.get("nullable") else out


@pytest.mark.parametrize("version", ["3.0.3", "swagger 2.0"])
def test_every_generated_valid_request_validates_against_its_schema(version):
    import jsonschema
    import schemathesis

    from mltestkit.serving.contract import generate

    if version == "swagger 2.0":
        body = {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Tough"}}
        query = {k: v for k, v in QUERY.items() if k != "schema"} | {
            "type": "string",
            "pattern": "^[a-z]{2}[0-9]$",
        }
        tough = {k: v for k, v in TOUGH.items()}
        tough["properties"] = {
            k: v for k, v in TOUGH["properties"].items() if k not in ("either", "any", "maybe", "nope")
        }
        tough["required"] = [r for r in TOUGH["required"] if r in tough["properties"]]
        op = {"parameters": [body, query], "responses": {"200": {"description": "ok"}}}
        doc = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/p": {"post": op}},
               "definitions": {"Tough": tough}}  # fmt: skip
    else:
        tough = TOUGH
        op = {
            "parameters": [QUERY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tough"}}}},
            "responses": {"200": {"description": "ok"}},
        }  # fmt: skip
        doc = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {"/p": {"post": op}},
               "components": {"schemas": {"Tough": TOUGH}}}  # fmt: skip
    (operation,) = [r.ok() for r in schemathesis.openapi.from_dict(doc).get_all_operations()]
    cases = generate(operation, 200, seed=3)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    body_validator = jsonschema.Draft202012Validator(_json_schema(tough), format_checker=checker)
    query_validator = jsonschema.Draft202012Validator(QUERY["schema"], format_checker=checker)
    invalid = [c.body for c in cases if not body_validator.is_valid(c.body)]
    invalid += [c.query for c in cases if not query_validator.is_valid(c.query["q"])]
    assert len(cases) == 200 and invalid == []
    assert len({c.body["code"] for c in cases}) > 20  # not one example repeated


@pytest.fixture(scope="module")
def strict():
    with serve("tests.apps.strict:app", health="/docs") as server:
        yield server.url


def test_a_correct_fastapi_app_with_patterns_and_formats_keeps_its_contract(strict):
    r = check_contract(strict, max_examples=60)
    assert r.outcome.value == "passed", r.message
    accepted = next(m for m in r.metrics if m.name == "valid_accepted")
    assert accepted.n == 60 and accepted.value == 1


def test_contract_document_from_a_url_a_dict_and_bad_sources(strict, tmp_path):
    doc = httpx.get(strict + "/openapi.json").json()
    by_url = check_contract(strict, openapi=strict + "/openapi.json", max_examples=5)
    by_dict = check_contract(strict, openapi=doc, max_examples=5)
    assert by_url.outcome.value == by_dict.outcome.value == "passed"
    assert by_url.details["document"] == strict + "/openapi.json" and by_dict.details["document"] == "given"
    with pytest.raises(InputError, match="openapi: no file at"):
        check_contract(strict, openapi=tmp_path / "missing.json")
    (tmp_path / "empty.yaml").write_text("title: not a document\n")
    with pytest.raises(InputError, match=r"openapi: .*empty.yaml is not an OpenAPI document \(no 'paths'\)"):
        check_contract(strict, openapi=tmp_path / "empty.yaml")
    with pytest.raises(InputError, match="openapi: must be a path, a URL or a dict, got int"):
        check_contract(strict, openapi=5)
    with pytest.raises(InputError, match="openapi_path: must be a path on the service"):
        check_contract(strict, openapi_path="//evil.example/openapi.json")


def test_the_documents_server_path_prefixes_every_request(service):
    doc = httpx.get(service.url + "/openapi.json").json()
    r = check_contract(service.url, openapi={**doc, "servers": [{"url": service.url + "/"}]}, max_examples=3)
    assert r.outcome.value == "passed", r.message
    r = check_contract(service.url, openapi={**doc, "servers": [{"url": "/v2"}]}, max_examples=3)
    assert r.outcome.value == "failed" and {v["status"] for v in r.details["violations"]} == {404}


# ---------------------------------------------------------------------------- WSGI: a Flask service

FLOWER = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture(scope="module")
def flask_service():
    with serve("tests/apps/flask_service.py:app", health="/health", cwd=APPS.parent.parent) as server:
        yield server


def test_a_flask_app_is_detected_as_wsgi_and_keeps_its_contract(flask_service):
    assert httpx.post(flask_service.url + "/predict", json=FLOWER).json()["label"] == 0
    for document in ("flask_openapi.json", "flask_swagger.yaml"):
        r = check_contract(flask_service.url, openapi=APPS / document, max_examples=20)
        assert r.outcome.value == "passed", (document, r.message)
        assert {m.slice["endpoint"] for m in r.metrics} >= {"POST /predict"}


def test_an_application_factory_and_an_explicit_interface():
    with serve(f"{APPS / 'flask_service.py'}:create_app()", interface="wsgi", health="/health") as server:
        assert httpx.post(server.url + "/predict", json=FLOWER).json()["label"] == 0
        assert (
            "--factory" in server.command
            and server.command[server.command.index("--interface") + 1] == "wsgi"
        )
    with pytest.raises(InputError, match="interface: must be one of"):
        start_server("tests.apps.service:app", interface="rsgi")


def test_interface_is_told_from_the_app_object():
    from apps.service import app as fastapi_app
    from flask import Flask

    from mltestkit.serving.launch import interface_of

    class Django:
        def __call__(self, environ, start_response): ...

    assert interface_of(Flask("x")) == interface_of(Django()) == "wsgi"
    assert interface_of(fastapi_app) == "auto" and interface_of(Flask) == "auto"


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


def test_ml_server_resolves_a_file_path_from_the_rootdir_not_the_working_directory(pytester, monkeypatch):
    pytester.makeini("[pytest]\n")
    service = pytester.path / "services" / "flask_service.py"
    service.parent.mkdir()
    service.write_text((APPS / "flask_service.py").read_text())
    tests = pytester.mkpydir("tests")
    (tests / "test_flask.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_served(ml_server):
                url = ml_server("services/flask_service.py:create_app()", health="/health")
                assert httpx.get(url + "/health").json() == {"status": "ok"}
            """
        )
    )
    monkeypatch.chdir(tests)
    result = pytester.runpytest_inprocess("--ml", "-p", "no:cacheprovider", "test_flask.py")
    result.assert_outcomes(passed=1)


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
