"""The loopback guard: one strict URL reading decides, every refusal comes before any connection,
and neither load nor contract tests follow a redirect."""

from __future__ import annotations

import socket
import threading

import pytest

from mltestkit import InputError, check_contract, load_test
from mltestkit.errors import ServingError
from mltestkit.serving import serve, start_server
from mltestkit.serving.server import parse_url, validate_url

EVIL = "http://evil.example\\@127.0.0.1:8000/"


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it is offered."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.parametrize(
    ("url", "text"),
    [
        (EVIL, "holds a backslash, which HTTP clients read differently"),
        ("http://127.0.0.1:8000\\@evil.example/", "holds a backslash"),
        ("http://evil.example@127.0.0.1:8000/", "holds user information before '@'"),
        ("http://user:pw@127.0.0.1:8000/", "holds user information before '@'"),
        ("http://127.0.0.1:8000 @evil.example/", "holds a space, a control or a non-ASCII character"),
        ("http://127.0.0.1\t:8000/", "holds a space, a control or a non-ASCII character"),
        ("http://127.0.0.1\u3002evil.example/", "holds a space, a control or a non-ASCII character"),
        ("http://127.0.0.1%2eevil.example/", "has no valid host"),
        ("http://[::1/", "has no valid host"),
        ("http://127.0.0.1:99999/", "has a bad port"),
        ("http://127.0.0.1:/", "has a bad port"),
        ("http:/127.0.0.1/", "is not an http(s) URL"),
        ("file:///etc/passwd", "is not an http(s) URL"),
        (b"http://127.0.0.1/", "is not an http(s) URL"),
    ],
)
def test_ambiguous_urls_are_refused(url, text):
    with pytest.raises(InputError) as info:
        parse_url(url)
    assert str(info.value).startswith(f"url: {text}")


def test_the_url_clients_get_is_rebuilt_from_the_one_reading():
    assert validate_url("HTTP://LocalHost:8000/") == "http://localhost:8000"
    assert validate_url("http://[::1]:80/p?q=1") == "http://[::1]:80/p?q=1"
    target = parse_url("https://127.0.0.1/predict")
    assert (target.origin, target.path, target.loopback) == ("https://127.0.0.1", "/predict", True)
    for remote in (
        "http://127.1/",
        "http://0x7f.0.0.1/",
        "http://localhost.evil.example/",
        "http://0.0.0.0/",
    ):
        assert not parse_url(remote).loopback, remote


@pytest.mark.parametrize(
    "call",
    [
        lambda: load_test(EVIL + "predict", payloads=[{"x": 1}], progress=False),
        lambda: load_test("http://evil.example/predict", payloads=[{"x": 1}], progress=False),
        lambda: check_contract(EVIL),
        lambda: check_contract("http://127.0.0.1:8000", openapi="http://evil.example/openapi.json"),
        lambda: check_contract("http://127.0.0.1:8000", openapi=EVIL + "openapi.json"),
        lambda: start_server(EVIL),
        lambda: start_server("http://evil.example/"),
    ],
    ids=[
        "load-backslash",
        "load-remote",
        "contract-backslash",
        "contract-remote-document",
        "contract-backslash-document",
        "server-backslash",
        "server-remote",
    ],
)
def test_each_refusal_comes_before_any_connection(call, no_network, monkeypatch):
    monkeypatch.delenv("MLTESTKIT_ALLOW_REMOTE", raising=False)
    with pytest.raises(InputError, match="backslash|not a loopback address"):
        call()


DOCUMENT = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}}
OK = {"responses": {"200": {"description": "ok"}}}


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (
            {**DOCUMENT, "paths": {"http://evil.example/x": {"get": OK}}},
            "path 'http://evil.example/x' is not a path",
        ),
        ({**DOCUMENT, "paths": {"//evil.example/x": {"get": OK}}}, "path '//evil.example/x' is not a path"),
        (
            {**DOCUMENT, "servers": [{"url": "http://evil.example/api"}], "paths": {"/x": {"get": OK}}},
            "servers[0].url 'http://evil.example/api': evil.example is not a loopback address",
        ),
        (
            {**DOCUMENT, "servers": [{"url": "http://a\\@127.0.0.1/"}], "paths": {"/x": {"get": OK}}},
            "holds a backslash",
        ),
    ],
    ids=["absolute-path", "scheme-relative-path", "remote-server", "backslash-server"],
)
def test_urls_built_from_the_document_are_checked_before_any_request(document, text, no_network, monkeypatch):
    monkeypatch.delenv("MLTESTKIT_ALLOW_REMOTE", raising=False)
    with pytest.raises(InputError) as info:
        check_contract("http://127.0.0.1:8000", openapi=document)
    assert str(info.value).startswith("url: ") and text in str(info.value)


def test_a_refused_url_sends_no_traffic_to_a_listening_server(listener):
    evil = f"http://evil.example\\@127.0.0.1:{listener.port}/"
    for call in (
        lambda: load_test(evil + "predict", payloads=[{"x": 1}], progress=False),
        lambda: check_contract(evil),
        lambda: start_server(evil, timeout=1),
    ):
        with pytest.raises(InputError):
            call()
    assert listener.connections == 0


@pytest.fixture
def redirecting(listener):
    with serve(
        "tests.apps.faulty:app", health="/health", env={"FAULTY_REDIRECT_TO": listener.url + "/x"}
    ) as server:
        yield server.url, listener


def test_load_tests_fail_a_redirect_and_do_not_follow_it(redirecting, tmp_path):
    url, listener = redirecting
    r = load_test(
        url + "/moved", users=1, max_requests=20, duration="20s", max={"fail_ratio": 0.0}, progress=False
    )
    fail = next(m for m in r.metrics if m.name == "fail_ratio")
    assert r.outcome.value == "failed" and fail.value == 1.0
    error = r.details["failures"][0]["error"]
    assert "redirect 307" in error and listener.url + "/x" in error
    own = tmp_path / "own.py"
    own.write_text(
        "from locust import HttpUser, task\n"
        "class U(HttpUser):\n"
        "    @task\n"
        "    def moved(self):\n"
        "        self.client.get('/moved')\n"
    )
    r = load_test(url, locustfile=own, users=1, duration="3s", max={"fail_ratio": 0.0}, progress=False)
    assert r.outcome.value == "failed" and "redirect 307" in r.details["failures"][0]["error"]
    assert listener.connections == 0


def test_contract_tests_report_a_redirect_and_do_not_follow_it(redirecting):
    url, listener = redirecting
    document = {**DOCUMENT, "paths": {"/moved": {"get": OK}}}
    r = check_contract(url, openapi=document, max_examples=3)
    assert r.outcome.value == "failed"
    (violation, *_) = r.details["violations"]
    assert violation["status"] == 307 and f"'{listener.url}/x'" in violation["problem"]
    with pytest.raises(ServingError, match=r"answered 307 \(a redirect to .*not followed\)"):
        check_contract(url, openapi=url + "/moved")
    with pytest.raises(ServingError, match=r"answered 307"):
        check_contract(url, openapi_path="/moved")
    assert listener.connections == 0
