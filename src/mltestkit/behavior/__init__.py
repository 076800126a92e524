"""Behavioral tests (after CheckList): minimum functionality (MFT), invariance (INV) and directional
expectations (DIR), with a statistical pass rate, for tabular and text models.

The checks are :func:`mltestkit.check_mft`, :func:`mltestkit.check_invariance`,
:func:`mltestkit.check_directional` and :func:`mltestkit.search_invariance`; perturbations live in
:mod:`mltestkit.behavior.perturb`. Names here are imported on first use.

>>> from mltestkit.behavior import template
>>> template("{name} is a {adj} pilot", name=["Ana", "Raj"], adj={"great": 1, "bad": 0}).inputs[:2]
['Ana is a great pilot', 'Ana is a bad pilot']
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "check_mft": "checks",
    "check_invariance": "checks",
    "check_directional": "checks",
    "search_invariance": "search",
    "as_predict": "adapters",
    "HTTPModel": "adapters",
    "template": "templates",
    "Cases": "templates",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mltestkit.behavior' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
