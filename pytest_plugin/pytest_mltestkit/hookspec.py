"""Hooks that projects can implement in ``conftest.py``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_mltestkit_report(report: dict[str, Any], config: pytest.Config) -> None:
    """Called on the controller with the assembled report, before it is written.

    Edit ``report`` in place, e.g. to add provenance::

        def pytest_mltestkit_report(report, config):
            report["provenance"]["model_registry_id"] = "credit-7"

    The edited report must still follow the schema (extra keys are allowed).
    """
