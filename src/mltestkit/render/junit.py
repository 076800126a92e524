"""Figures as JUnit XML ``<property>`` elements of the test suite.

pytest's default ``junit_family`` (``xunit2``) has no place for properties in a ``<testcase>``,
but it keeps the ``<properties>`` of the ``<testsuite>``: the plugin adds one property per
check (its outcome) and per figure that had a requirement or no slice (value, interval and
outcome in one value), named after the test and the check, under every junit family and
under pytest-xdist (the controller writes them). GitLab's JUnit view ignores properties;
Jenkins and other JUnit readers show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .text import plain, short_test, slice_text

#: At most this many figures of one check become properties.
MAX_PER_CHECK = 20


def properties(test: str, checks: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs: ``ml.<test>.<check>`` with the outcome, then ``...<check>.<figure>[ slice]``.

    >>> properties("t.py::test_a", [{"name": "accuracy", "outcome": "passed", "metrics": [{"name": "accuracy",
    ...     "value": 0.91, "ci": {"low": 0.89, "high": 0.93}, "threshold": [{"op": ">=", "value": 0.8}],
    ...     "outcome": "passed", "slice": None}]}])
    [('ml.test_a.accuracy', 'passed'), ('ml.test_a.accuracy.accuracy', '0.91 [0.89, 0.93] >= 0.8: passed')]
    """
    out: list[tuple[str, str]] = []
    for c in checks:
        prefix = f"ml.{plain(short_test(test))}.{plain(c['name'])}"
        out.append((prefix, str(c["outcome"])))
        shown = [m for m in c.get("metrics") or [] if m.get("threshold") or not m.get("slice")]
        for m in shown[:MAX_PER_CHECK]:
            name = f"{prefix}.{plain(m['name'])}"
            if m.get("slice"):
                name += f"[{plain(slice_text(m['slice']))}]"
            value = "undefined" if m.get("value") is None else f"{m['value']:.6g}"
            ci = m.get("ci") or {}
            if ci.get("low") is not None and ci.get("high") is not None:
                value += f" [{ci['low']:.6g}, {ci['high']:.6g}]"
            thresholds = " and ".join(f"{t['op']} {t['value']:g}" for t in m.get("threshold") or [])
            if thresholds:
                value += f" {thresholds}: {m.get('outcome')}"
            out.append((name, value))
        if len(shown) > MAX_PER_CHECK:
            out.append((f"{prefix}.more", f"{len(shown) - MAX_PER_CHECK} more figures in the report"))
    return out
