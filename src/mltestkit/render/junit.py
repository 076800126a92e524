"""Figures as JUnit XML ``<property>`` elements.

pytest writes a test's ``user_properties`` into its ``<testcase>``; the ``xunit2`` schema (pytest's
default ``junit_family``) has no place for them there, so the plugin adds these properties only
when ``--junitxml`` is given with ``junit_family = xunit1`` (or ``legacy``). GitLab's JUnit view
ignores properties; Jenkins and other xunit1 readers show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .text import slice_text

MAX_PROPERTIES = 50


def properties(checks: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs: ``ml.<check>.outcome`` and ``ml.<check>.<metric>[ slice]`` for each figure.

    >>> properties([{"name": "accuracy", "outcome": "passed", "metrics": [{"name": "accuracy", "value": 0.91,
    ...     "ci": {"low": 0.89, "high": 0.93}, "slice": None}]}])
    [('ml.accuracy.outcome', 'passed'), ('ml.accuracy.accuracy', '0.91'), ('ml.accuracy.accuracy.ci', '[0.89, 0.93]')]
    """
    out: list[tuple[str, str]] = []
    for c in checks:
        out.append((f"ml.{c['name']}.outcome", str(c["outcome"])))
        for m in c.get("metrics") or []:
            name = f"ml.{c['name']}.{m['name']}"
            if m.get("slice"):
                name += f"[{slice_text(m['slice'])}]"
            out.append((name, "undefined" if m.get("value") is None else f"{m['value']:.6g}"))
            ci = m.get("ci") or {}
            if ci.get("low") is not None and ci.get("high") is not None:
                out.append((f"{name}.ci", f"[{ci['low']:.6g}, {ci['high']:.6g}]"))
    return out[:MAX_PROPERTIES]
