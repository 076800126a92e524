"""GitLab metrics report (``artifacts:reports:metrics``): OpenMetrics text.

Each figure becomes a sample ``mltestkit_<metric>{test="...",check="...",slice="..."} <value>``
of a gauge family, with ``_ci_low`` / ``_ci_high`` families for its interval, and
``mltestkit_checks{outcome="..."}`` counts. The text follows the OpenMetrics grammar that strict
parsers check: every family's samples together under its ``# TYPE`` line, one sample per label
set, ``# EOF`` at the end. Metric names keep ``[a-zA-Z0-9_]``; label values lose spaces, ``#``,
quotes and backslashes (GitLab's parser splits on them). Two names or label values that become
equal once sanitized are told apart with a ``_2``, ``_3``... suffix, never dropped.

>>> report = {"summary": {"checks": 1, "passed": 1}, "checks": [{"test": "tests/t.py::test_a", "name": "accuracy",
...     "metrics": [{"name": "accuracy", "value": 0.9, "ci": {"low": 0.85, "high": 0.93}, "slice": None}]}]}
>>> print(openmetrics(report))  # doctest: +NORMALIZE_WHITESPACE
# TYPE mltestkit_checks gauge
mltestkit_checks{outcome="passed"} 1
# TYPE mltestkit_accuracy gauge
mltestkit_accuracy{test="tests/t.py::test_a",check="accuracy"} 0.9
# TYPE mltestkit_accuracy_ci_low gauge
mltestkit_accuracy_ci_low{test="tests/t.py::test_a",check="accuracy"} 0.85
# TYPE mltestkit_accuracy_ci_high gauge
mltestkit_accuracy_ci_high{test="tests/t.py::test_a",check="accuracy"} 0.93
# EOF
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .text import OUTCOMES, slice_text


def metric_name(name: str) -> str:
    """``mltestkit_`` + the name with every other character than ``[a-zA-Z0-9_]`` as ``_``."""
    return "mltestkit_" + (re.sub(r"[^a-zA-Z0-9_]", "_", name).strip("_") or "figure")


def label_value(value: Any) -> str:
    """A label value without spaces, ``#``, quotes, backslashes or line breaks.

    >>> label_value('sex=F, age "old" #2')
    'sex=F,_age_old_2'
    """
    return re.sub(r"[\s#\"'\\]+", "_", str(value))[:200]


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.10g}"


def _distinct(taken: dict[str, Any], clean: str, origin: Any, grow: Any) -> str:
    """``clean``, or ``grow(clean, k)`` for the first ``k`` = 2, 3, ... not taken by another origin."""
    candidate, k = clean, 1
    while candidate in taken and taken[candidate] != origin:
        k += 1
        candidate = grow(clean, k)
    taken[candidate] = origin
    return candidate


def _suffix(name: str, k: int) -> str:
    return f"{name}_{k}"


def _last_label(labels: str, k: int) -> str:
    return f'{labels[:-1]}_{k}"'


def openmetrics(report: Mapping[str, Any]) -> str:
    """The report's figures as GitLab metrics (OpenMetrics text ending with ``# EOF``)."""
    s = report.get("summary") or {}
    families: dict[str, list[str]] = {}
    taken: dict[str, Any] = {}
    counts = _distinct(taken, "mltestkit_checks", "checks", _suffix)
    families[counts] = [f'{counts}{{outcome="{o}"}} {int(s.get(o, 0))}' for o in OUTCOMES if s.get(o)]
    label_sets: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(report.get("checks") or []):
        for j, m in enumerate(c.get("metrics") or []):
            if m.get("value") is None:
                continue
            labels = [("test", c.get("test") or ""), ("check", c["name"])]
            if m.get("slice"):
                labels.append(("slice", slice_text(m["slice"], sep=",")))
            clean = ",".join(f'{k}="{label_value(v)}"' for k, v in labels)
            ci = m.get("ci") or {}
            for suffix, value in (("", m["value"]), ("_ci_low", ci.get("low")), ("_ci_high", ci.get("high"))):
                if value is None:
                    continue
                family = _distinct(taken, metric_name(m["name"]) + suffix, (m["name"], suffix), _suffix)
                text = _distinct(label_sets.setdefault(family, {}), clean, (i, j), _last_label)
                families.setdefault(family, []).append(f"{family}{{{text}}} {_number(float(value))}")
    lines = []
    for family, samples in families.items():
        if samples:
            lines += [f"# TYPE {family} gauge", *samples]
    return "\n".join([*lines, "# EOF"]) + "\n"
