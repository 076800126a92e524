"""The examples in the data modules' docstrings and in docs/data-validation.md run as written."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "mltestkit.data.io",
    "mltestkit.data.stats",
    "mltestkit.data.schema",
    "mltestkit.data.integrity",
    "mltestkit.data.drift",
    "mltestkit.data.leakage",
    "mltestkit.data.great_expectations",
    "mltestkit.data.deepchecks",
    "mltestkit.stats.multiplicity",
    "mltestkit.data.strategies",
]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_docs_page_examples():
    page = Path(__file__).resolve().parents[1] / "docs" / "data-validation.md"
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5 and result.failed == 0
