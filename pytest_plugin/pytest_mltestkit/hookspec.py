"""Hooks that projects can implement in ``conftest.py``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_mltestkit_report(report: dict[str, Any], config: pytest.Config) -> None:
    """Called once per run, in the process that writes the report, with the complete report.

    The report already holds the baseline comparison (``report["comparison"]``, with
    ``--ml-baseline``) and the ML Test Score (``report["ml_test_score"]``); it is written, and
    the model card and HTML page are made from it, after this hook returns.

    Edit ``report`` in place, e.g. to add provenance::

        def pytest_mltestkit_report(report, config):
            report["provenance"]["model_registry_id"] = "credit-7"

    The edited report must still follow the schema (extra keys are allowed).
    """
