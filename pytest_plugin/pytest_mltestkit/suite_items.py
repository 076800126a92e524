"""Test items of the zero-code suite declared in ``[tool.mltestkit]``."""

from __future__ import annotations

from typing import Any

import pytest

from mltestkit.errors import MLTestKitError
from mltestkit.suite import PlannedCheck, SuiteData

from .recorder import MLRecorder, error_text
from .settings import SETTINGS_KEY, SUITE_CONFIG_KEY


class SuiteFile(pytest.File):
    """The ``pyproject.toml`` that declares the suite: ``pytest --ml pyproject.toml`` runs only the suite."""

    def collect(self) -> list[pytest.Item]:
        from mltestkit.suite import plan

        cfg = self.config.stash[SUITE_CONFIG_KEY]
        data = SuiteData(cfg)
        return [SuiteItem.from_parent(self, name=p.id, planned=p, data=data) for p in plan(cfg)]


class SuiteItem(pytest.Item):
    """One generated check, e.g. ``pyproject.toml::metric[accuracy]``."""

    def __init__(self, *, planned: PlannedCheck, data: SuiteData, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planned = planned
        self.data = data
        self.add_marker(planned.marker)
        self.add_marker("ml")

    def runtest(self) -> None:
        recorder = MLRecorder(self, self.config.stash[SETTINGS_KEY])
        try:
            args, kwargs = self.planned.arguments(self.data)
        except Exception as exc:
            # a check that could not start is an error record, counted like any failed check
            import mltestkit
            from mltestkit.results import CheckResult, Outcome

            recorder.record(
                CheckResult(
                    name=self.planned.id,
                    kind=mltestkit.CHECKS[self.planned.check].kind,
                    outcome=Outcome.ERROR,
                    message=error_text(exc),
                    details={"exception": type(exc).__name__, "stage": "setup"},
                )
            )
            raise
        getattr(recorder, self.planned.check)(*args, **kwargs)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, MLTestKitError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"[tool.mltestkit] {self.planned.id}"


class MLSuite:
    """Registered with ``--ml``: reads ``[tool.mltestkit]`` and adds the suite's items."""

    NAME = "mltestkit-suite"

    def __init__(self, config: pytest.Config) -> None:
        from mltestkit.config import load_config

        self.pyproject = config.rootpath / "pyproject.toml"
        try:
            self.cfg = load_config(self.pyproject) if self.pyproject.is_file() else None
        except MLTestKitError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[SUITE_CONFIG_KEY] = self.cfg

    def pytest_collect_file(self, file_path: Any, parent: pytest.Collector) -> pytest.Collector | None:
        if self.cfg is not None and file_path == self.pyproject:
            return SuiteFile.from_parent(parent, path=file_path)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Add the suite to a run of the default test paths (not when the command names other paths)."""
        if self.cfg is None or config.args_source == pytest.Config.ArgsSource.ARGS:
            return
        if any(isinstance(item, SuiteItem) for item in items):
            return
        suite = SuiteFile.from_parent(session, path=self.pyproject)
        added = suite.collect()
        # reported like any collected file, so that the terminal's counts include the suite
        report = pytest.CollectReport(
            suite.nodeid, "passed", None, list[pytest.Item | pytest.Collector](added)
        )
        config.hook.pytest_collectreport(report=report)
        items.extend(added)
