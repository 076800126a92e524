"""GitLab metrics report (``artifacts:reports:metrics``): OpenMetrics text, one figure a line.

Each figure becomes ``mltestkit_<metric>{test="...",check="...",slice="..."} <value>``, plus
``_ci_low`` / ``_ci_high`` lines for its interval and ``mltestkit_checks{outcome="..."}``
counts. Metric names keep ``[a-zA-Z0-9_]``; label values lose spaces, ``#``, quotes and
backslashes (GitLab's parser splits on them).

>>> report = {"summary": {"checks": 1, "passed": 1}, "checks": [{"test": "tests/t.py::test_a", "name": "accuracy",
...     "metrics": [{"name": "accuracy", "value": 0.9, "ci": {"low": 0.85, "high": 0.93}, "slice": None}]}]}
>>> print(openmetrics(report))  # doctest: +NORMALIZE_WHITESPACE
mltestkit_checks{outcome="passed"} 1
mltestkit_accuracy{test="tests/t.py::test_a",check="accuracy"} 0.9
mltestkit_accuracy_ci_low{test="tests/t.py::test_a",check="accuracy"} 0.85
mltestkit_accuracy_ci_high{test="tests/t.py::test_a",check="accuracy"} 0.93
"""

from __future__ import annotations

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


def openmetrics(report: Mapping[str, Any]) -> str:
    """The report's figures as GitLab metrics (OpenMetrics text)."""
    s = report.get("summary") or {}
    lines = [f'mltestkit_checks{{outcome="{o}"}} {int(s.get(o, 0))}' for o in OUTCOMES if s.get(o)]
    seen: set[str] = set()
    for c in report.get("checks") or []:
        for m in c.get("metrics") or []:
            if m.get("value") is None:
                continue
            labels = [("test", c.get("test") or ""), ("check", c["name"])]
            if m.get("slice"):
                labels.append(("slice", slice_text(m["slice"], sep=",")))
            text = ",".join(f'{k}="{label_value(v)}"' for k, v in labels)
            name = metric_name(m["name"])
            ci = m.get("ci") or {}
            for suffix, value in (("", m["value"]), ("_ci_low", ci.get("low")), ("_ci_high", ci.get("high"))):
                key = f"{name}{suffix}{{{text}}}"
                if value is None or key in seen:
                    continue
                seen.add(key)
                lines.append(f"{key} {float(value):.10g}")
    return "\n".join(lines) + "\n"
