"""The pytest11 entry point ``mltestkit``: options, ini keys, markers and the ``ml`` fixture.

This module imports only the standard library and pytest. The machinery that records
checks and writes the report is registered only when ``--ml`` is given, so a run without
it pays nothing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import pytest

MARKERS = {
    "ml": "an ML acceptance test; ml(score='section.N') maps it to an ML Test Score item",
    "ml_data": "an ML data-validation test",
    "ml_behavior": "an ML behavioral test (minimum functionality, invariance, directional)",
    "ml_slice": "an ML slice-based evaluation",
    "ml_fairness": "an ML fairness evaluation",
    "ml_metric": "an ML metric threshold",
    "ml_perf": "an ML inference latency or throughput test",
    "ml_load": "a load test of a served ML model",
}
SKIP_REASON = "ML checks run with --ml"
RULES = ("acceptance", "alarm", "point")


@dataclass(frozen=True)
class Settings:
    """The run's resolved ML options (command line over ini)."""

    enabled: bool
    report: str | None
    rule: str
    confidence: float
    seed: int
    baseline: str | None = None
    margins: tuple[str, ...] = ()
    model_card: str | None = None
    html: str | None = None


SETTINGS_KEY = pytest.StashKey[Settings]()
#: The parsed ``[tool.mltestkit]`` table (or None), set with --ml.
SUITE_CONFIG_KEY = pytest.StashKey[Any]()


def _rule(value: str) -> str:
    if value not in RULES:
        raise ValueError(value)
    return value


def _confidence(value: str) -> float:
    number = float(value)
    if not (0.5 <= number < 1.0) or math.isnan(number):
        raise ValueError(value)
    return number


def _seed(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _margin(value: str) -> str:
    number = float(value.rpartition("=")[2])
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(value)
    return value


_FORMS = {
    "gate": (_rule, "one of acceptance, alarm, point"),
    "margin": (_margin, "NAME=VALUE with a non-negative number, e.g. accuracy=0.01, or a bare number"),
    "confidence": (_confidence, "a number in [0.5, 1), e.g. 0.95"),
    "seed": (_seed, "a non-negative integer, e.g. 0"),
}


def _typed(kind: str) -> Any:
    convert, form = _FORMS[kind]

    def parse(value: str) -> Any:
        try:
            return convert(value)
        except ValueError:
            raise pytest.UsageError(f"--ml-{kind}: {value!r} is not valid; expected {form}") from None

    parse.__name__ = f"ml_{kind}"
    return parse


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspec

    pluginmanager.add_hookspecs(hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mltestkit", "ML acceptance tests (mltestkit)")
    group.addoption(
        "--ml",
        action="store_true",
        default=None,
        help="run ML checks (tests with ml markers or the ml fixture)",
    )
    group.addoption(
        "--ml-report", metavar="PATH", default=None, help="write the JSON report of all ML checks to PATH"
    )
    group.addoption(
        "--ml-gate", default=None, type=_typed("gate"), help="gate rule: acceptance (default), alarm or point"
    )
    group.addoption(
        "--ml-confidence", default=None, type=_typed("confidence"), help="interval level (default 0.95)"
    )
    group.addoption(
        "--ml-seed", default=None, type=_typed("seed"), help="seed of every bootstrap and sample (default 0)"
    )
    group.addoption(
        "--ml-baseline",
        metavar="PATH",
        default=None,
        help="compare with the baseline report at PATH; a regression fails the run",
    )
    group.addoption(
        "--ml-margin",
        metavar="NAME=VALUE",
        action="append",
        default=None,
        type=_typed("margin"),
        help="non-inferiority margin of a metric for --ml-baseline (repeatable; a bare number: every metric)",
    )
    group.addoption(
        "--ml-model-card", metavar="PATH", default=None, help="write a Markdown model card of the run to PATH"
    )
    group.addoption(
        "--ml-html", metavar="PATH", default=None, help="write a self-contained HTML report to PATH"
    )
    parser.addini("ml", "run ML checks without --ml", type="bool", default=False)
    parser.addini("ml_report", "path of the JSON report", type="string", default="")
    parser.addini("ml_gate", "gate rule: acceptance, alarm or point", type="string", default="acceptance")
    parser.addini("ml_confidence", "interval level", type="string", default="0.95")
    parser.addini("ml_seed", "seed of every bootstrap and sample", type="string", default="0")
    parser.addini("ml_baseline", "path of the baseline report to compare with", type="string", default="")
    parser.addini(
        "ml_margins", "non-inferiority margins, e.g. accuracy=0.01 recall=0.02", type="args", default=[]
    )
    parser.addini("ml_model_card", "path of the Markdown model card", type="string", default="")
    parser.addini("ml_html", "path of the HTML report", type="string", default="")
    parser.addini(
        "ml_server_scope",
        "scope of the ml_server fixture: function (default), class, module, package or session",
        type="string",
        default="function",
    )
    parser.addini(
        "ml_allow_remote",
        "let load and contract tests target hosts outside loopback",
        type="bool",
        default=False,
    )


def _ini(config: pytest.Config, kind: str) -> Any:
    raw = str(config.getini(f"ml_{kind}")).strip()
    convert, form = _FORMS[kind]
    try:
        return convert(raw)
    except ValueError:
        raise pytest.UsageError(f"ini key ml_{kind}: {raw!r} is not valid; expected {form}") from None


def resolve_settings(config: pytest.Config) -> Settings:
    def pick(kind: str) -> Any:
        value = config.getoption(f"ml_{kind}")
        return value if value is not None else _ini(config, kind)

    enabled = bool(config.getoption("ml") or config.getini("ml"))

    def path(name: str) -> str | None:
        return config.getoption(name) or str(config.getini(name)).strip() or None

    margins = tuple(config.getoption("ml_margin") or config.getini("ml_margins") or ())
    return Settings(
        enabled,
        path("ml_report"),
        pick("gate"),
        pick("confidence"),
        pick("seed"),
        baseline=path("ml_baseline"),
        margins=margins,
        model_card=path("ml_model_card"),
        html=path("ml_html"),
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings = resolve_settings(config)
    config.stash[SETTINGS_KEY] = settings
    if config.getini("ml_allow_remote"):
        os.environ.setdefault("MLTESTKIT_ALLOW_REMOTE", "1")
    _server_scope("ml_server", config)  # a wrong ml_server_scope is a usage error at start-up
    if settings.enabled:
        from .session import MLSession

        config.pluginmanager.register(MLSession(config, settings), MLSession.NAME)
        from .suite_items import MLSuite

        config.pluginmanager.register(MLSuite(config), MLSuite.NAME)


def is_ml_item(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) for name in MARKERS) or "ml" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[SETTINGS_KEY].enabled:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if is_ml_item(item):
            item.add_marker(skip)


@pytest.fixture
def ml(request: pytest.FixtureRequest) -> Any:
    """Run mltestkit checks inside a test and record them in the run's report.

    Every check of :mod:`mltestkit` is a method: ``ml.check_metric("accuracy", y, pred, min=0.8)``.
    The session's gate rule, confidence and a per-check seed are filled in; a check whose
    gate says fail fails the test, unless it is soft (``soft=True`` or ``with ml.soft():``).
    """
    settings = request.config.stash[SETTINGS_KEY]
    if not settings.enabled:
        pytest.skip(SKIP_REASON)
    from .fixtures import MLRecorder

    return MLRecorder(request.node, settings)


SERVER_SCOPES = ("function", "class", "module", "package", "session")


def _server_scope(fixture_name: str, config: pytest.Config) -> Any:
    scope = str(config.getini("ml_server_scope")).strip() or "function"
    if scope not in SERVER_SCOPES:
        raise pytest.UsageError(
            f"ini key ml_server_scope: {scope!r} is not valid; expected one of {', '.join(SERVER_SCOPES)}"
        )
    return scope


@pytest.fixture(scope=_server_scope)
def ml_server(request: pytest.FixtureRequest) -> Any:
    """Start ASGI apps under uvicorn on 127.0.0.1 for a test; returns a function that gives base URLs.

    ``url = ml_server("pkg.service:app")`` or ``ml_server("path/to/service.py:app", health="/health")``
    starts the app on a free port (keyword options as :func:`mltestkit.serving.start_server`) and
    returns ``"http://127.0.0.1:PORT"``; an ``http(s)://`` URL is an external service that must
    answer. The same app asked twice within the fixture's scope (ini ``ml_server_scope``, default
    ``function``) is started once. Servers stop at teardown, even when the test fails; a server
    that exited on its own during the test makes the teardown fail with its log.
    """
    if not request.config.stash[SETTINGS_KEY].enabled:
        pytest.skip(SKIP_REASON)
    from mltestkit.serving import start_server

    servers: dict[str, Any] = {}

    def start(app: str, **options: Any) -> str:
        key = f"{app}\x00{sorted(options.items())!r}"
        if key not in servers:
            options.setdefault("cwd", str(request.config.rootpath))
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
