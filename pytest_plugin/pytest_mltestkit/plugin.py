"""The pytest11 entry point ``mltestkit``: options, ini keys, markers and the fixtures.

This module imports only the standard library and pytest. With ``--ml`` it registers one
object for the process's role (:mod:`.session`) and the zero-code suite (:mod:`.suite_items`);
a run without it pays nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from .fixtures import ml, ml_server
from .settings import MARKERS, METAVARS, SETTINGS_KEY, SKIP_REASON, option_type, resolve_settings

__all__ = ["ml", "ml_server"]


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
    for kind, text in (
        ("gate", "gate rule: acceptance (default), alarm or point"),
        ("confidence", "interval level (default 0.95)"),
        ("seed", "seed of every bootstrap and sample (default 0)"),
    ):
        group.addoption(
            f"--ml-{kind}", default=None, type=option_type(kind), metavar=METAVARS.get(kind), help=text
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
        type=option_type("margin"),
        help="non-inferiority margin of a metric for --ml-baseline (repeatable; a bare number: every metric)",
    )
    group.addoption(
        "--ml-allow-missing",
        action="store_true",
        default=None,
        help="with --ml-baseline: a baseline figure this run did not measure is listed, not a regression",
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
    parser.addini(
        "ml_allow_missing",
        "baseline figures missing from this run are not regressions",
        type="bool",
        default=False,
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
        "let load and contract tests and ml_server target hosts outside loopback",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings = resolve_settings(config)  # a wrong option or ini value is a usage error at start-up
    config.stash[SETTINGS_KEY] = settings
    if settings.enabled:
        from .session import NAME, role
        from .suite_items import MLSuite

        config.pluginmanager.register(role(config)(config, settings), NAME)
        config.pluginmanager.register(MLSuite(config), MLSuite.NAME)
    else:
        config.pluginmanager.register(SkippedReminder(config), SkippedReminder.NAME)


def is_ml_item(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(name) for name in MARKERS) or "ml" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[SETTINGS_KEY].enabled:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if is_ml_item(item):
            item.add_marker(skip)


class SkippedReminder:
    """Without ``--ml``: counts the ML tests skipped for want of it and says so in one line at the end."""

    NAME = "mltestkit-skipped-reminder"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.skipped: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and isinstance(report.longrepr, tuple) and SKIP_REASON in str(report.longrepr[2]):
            self.skipped.add(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.skipped:
            return
        pyproject = self.config.rootpath / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
        extra = ", and the zero-code checks of [tool.mltestkit] with it" if "[tool.mltestkit" in text else ""
        n = len(self.skipped)
        tests = "test" if n == 1 else "tests"
        terminalreporter.write_line(f"{n} ML {tests} skipped: run with --ml{extra}", yellow=True)
