"""Test items of the zero-code suite declared in ``[tool.mltestkit]``."""

from __future__ import annotations

from typing import Any

import pytest

from mltestkit.errors import MLTestKitError
from mltestkit.suite import PlannedCheck, SuiteData

from .fixtures import MLRecorder
from .plugin import SETTINGS_KEY, SUITE_CONFIG_KEY


class SuiteFile(pytest.File):
    """The ``pyproject.toml`` that declares the suite; its items are added by the session."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are made by the session
        return []


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
        args, kwargs = self.planned.arguments(self.data)
        getattr(recorder, self.planned.check)(*args, **kwargs)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, MLTestKitError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"[tool.mltestkit] {self.planned.id}"


def suite_items(
    session: pytest.Session, pyproject: Any, planned: list[PlannedCheck], data: SuiteData
) -> list[pytest.Item]:
    parent = SuiteFile.from_parent(session, path=pyproject)
    return [SuiteItem.from_parent(parent, name=p.id, planned=p, data=data) for p in planned]


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

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if self.cfg is None:
            return
        from mltestkit.suite import plan

        items.extend(suite_items(session, self.pyproject, plan(self.cfg), SuiteData(self.cfg)))
