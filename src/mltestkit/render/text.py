"""Small text pieces every renderer shares: numbers, intervals, requirements, slices, cells, counts.

>>> fmt(0.912345), interval({"ci": {"low": 0.9, "high": 0.93}}), requirement([{"op": ">=", "value": 0.8}])
('0.9123', '[0.9, 0.93]', '>= 0.8')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..results import Outcome, fails_test

#: Every outcome of a check, in the order counts are shown.
OUTCOMES = tuple(o.value for o in Outcome)


def fmt(x: Any) -> str:
    """A figure for a table: four significant digits, an en dash when missing.

    >>> fmt(None), fmt(1 / 3), fmt(12)
    ('–', '0.3333', '12')
    """
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def bounds(low: Any, high: Any) -> str:
    """``[low, high]``, or an en dash when either end is missing."""
    return "–" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


def interval(metric: Mapping[str, Any]) -> str:
    """A figure's confidence interval as ``[low, high]``."""
    ci = metric.get("ci") or {}
    return bounds(ci.get("low"), ci.get("high"))


def requirement(thresholds: Iterable[Mapping[str, Any]] | None) -> str:
    """A figure's thresholds as ``>= 0.8 and <= 0.9``, or an en dash."""
    return " and ".join(f"{t['op']} {fmt(t['value'])}" for t in thresholds or []) or "–"


def slice_text(s: Mapping[str, Any] | None, sep: str = ", ") -> str:
    """``"sex=F, age=old"`` for a slice dictionary (keys in their recorded order).

    >>> slice_text({"sex": "F", "age": "old"}), slice_text(None)
    ('sex=F, age=old', '')
    """
    return sep.join(f"{k}={v}" for k, v in (s or {}).items())


def cell(text: Any) -> str:
    """Text for a Markdown table cell: pipes escaped, on one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def short_test(test: str | None) -> str:
    """The last part of a test id (``test_a`` for ``t.py::test_a``), or an en dash."""
    return (test or "").split("::")[-1] or "–"


def meta_get(meta: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key of a card's metadata, ``None`` when missing or empty.

    >>> meta_get({"model": {"name": "credit"}}, "model.name"), meta_get({}, "model.name")
    ('credit', None)
    """
    node: Any = meta
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    if node in ("", [], {}):
        return None
    return node


def one_line(value: Any) -> str:
    """A metadata value on one line (a mapping as ``key: value; ...``)."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {x}" for k, x in value.items() if x not in (None, ""))
    return str(value).strip()


def meta_items(value: Any) -> list[str]:
    """A metadata value as a list of one-line items."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [one_line(v) for v in value if v not in (None, "")]
    return [one_line(value)]


def outcome_counts(summary: Mapping[str, Any]) -> str:
    """``"3 passed, 1 failed"`` from a report's summary (outcomes with a count only).

    >>> outcome_counts({"checks": 4, "passed": 3, "failed": 1, "error": 0})
    '3 passed, 1 failed'
    """
    return ", ".join(f"{summary[k]} {k}" for k in OUTCOMES if summary.get(k))


def failing(checks: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The check records that fail their test (:func:`mltestkit.results.fails_test`).

    >>> [c["name"] for c in failing([{"name": "a", "outcome": "inconclusive", "rule": "alarm"},
    ...                              {"name": "b", "outcome": "inconclusive", "rule": "acceptance"}])]
    ['b']
    """
    return [c for c in checks if fails_test(c.get("outcome"), c.get("rule"))]


def provenance_lines(report: Mapping[str, Any]) -> list[str]:
    """Where the figures come from: date, commit, seed, rule, versions, fingerprints (Markdown list)."""
    prov = report.get("provenance") or {}
    git = prov.get("git") or {}
    lines = [f"- Report created: {report.get('created') or '–'}"]
    if git:
        dirty = " (uncommitted changes)" if git.get("dirty") else ""
        lines.append(f"- Commit: `{git.get('commit')}` on branch {git.get('branch') or '(detached)'}{dirty}")
    else:
        lines.append("- Commit: not recorded (not run in a git checkout)")
    if "seed" in prov:
        lines.append(
            f"- Gate rule: {prov.get('gate_rule', 'acceptance')}, intervals at {fmt(prov.get('confidence', 0.95))}, seed {prov['seed']}"
        )
    if prov.get("python"):
        lines.append(f"- Python {prov['python']} on {prov.get('platform', '?')}")
    pkgs = {k: v for k, v in (prov.get("packages") or {}).items() if v}
    if pkgs:
        lines.append("- Packages: " + ", ".join(f"{k} {v}" for k, v in sorted(pkgs.items())))
    for name, fp in sorted((prov.get("fingerprints") or {}).items()):
        shape = f", shape {fp['shape']}" if fp.get("shape") else ""
        lines.append(
            f"- Fingerprint `{name}`: {fp.get('kind')}{shape}, sha256 `{fp.get('sha256', '')[:16]}…`"
        )
    return [*lines, ""]
