"""The ``ml`` and ``ml_server`` fixtures.

They are always registered (so that tests using them are skipped without ``--ml``); what
they need from mltestkit is imported when a test asks for them. This module imports only
the standard library and pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .settings import SETTINGS_KEY, SKIP_REASON, Settings, server_scope


def _enabled(request: pytest.FixtureRequest) -> Settings:
    settings = request.config.stash[SETTINGS_KEY]
    if not settings.enabled:
        pytest.skip(SKIP_REASON)
    return settings


@pytest.fixture
def ml(request: pytest.FixtureRequest) -> Any:
    """Run mltestkit checks inside a test and record them in the run's report.

    Every check of :mod:`mltestkit` is a method: ``ml.check_metric("accuracy", y, pred, min=0.8)``.
    The session's gate rule, confidence, a per-check seed and ``ml_allow_remote`` are passed to
    each check that takes them (:data:`mltestkit.CHECKS`); a check whose gate says fail fails
    the test, unless it is soft (``soft=True`` or ``with ml.soft():``).
    """
    settings = _enabled(request)
    from .recorder import MLRecorder

    return MLRecorder(request.node, settings)


def _server_scope(fixture_name: str, config: pytest.Config) -> Any:
    return server_scope(config)


@pytest.fixture(scope=_server_scope)
def ml_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Start ASGI or WSGI apps under uvicorn on 127.0.0.1 for a test; returns a function that gives
    base URLs.

    ``url = ml_server("pkg.service:app")``, ``ml_server("path/to/service.py:app", health="/health")``
    (a path relative to pytest's rootdir) or ``ml_server("pkg.service:create_app()")`` (a factory)
    starts the app on a free port (keyword options as :func:`mltestkit.serving.start_server`) and
    returns ``"http://127.0.0.1:PORT"``; an ``http(s)://`` URL is an external service that must
    answer (outside loopback only with the ini key ``ml_allow_remote = true``). The same app
    asked twice within the fixture's scope (ini ``ml_server_scope``, default ``function``) is
    started once. Servers stop at teardown, even when the test fails; a server that exited on
    its own during the test makes the teardown fail with its log.
    """
    settings = _enabled(request)
    from mltestkit.serving import start_server

    servers: dict[str, Any] = {}

    def start(app: str, **options: Any) -> str:
        key = f"{app}\x00{sorted(options.items())!r}"
        if key not in servers:
            options.setdefault("cwd", str(request.config.rootpath))
            options.setdefault("allow_remote", settings.allow_remote)
            servers[key] = start_server(app, **options)
        return str(servers[key].url)

    yield start
    crashed = []
    for server in servers.values():
        code = server.exit_code()
        if code is not None:
            crashed.append(f"{server.url} exited with code {code}:\n{server.log()}")
        server.stop()
    if crashed:
        pytest.fail("the server crashed during the test: " + "\n".join(crashed), pytrace=False)
