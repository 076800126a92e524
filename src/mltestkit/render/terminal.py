"""Plain-text summary of a report, for the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .text import plain, slice_text

_ORDER = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3, "skipped": 4}


def summary_lines(checks: list[dict[str, Any]], limit: int = 200) -> list[str]:
    """One line per check: outcome, test, check, value [low, high], threshold; the worst first.

    >>> check = {"test": "t.py::test_a", "index": 0, "kind": "metric", "name": "accuracy", "outcome": "passed",
    ...          "metrics": [{"name": "accuracy", "value": 0.9, "ci": {"low": 0.85, "high": 0.93},
    ...                       "threshold": [{"op": ">=", "value": 0.8}]}]}
    >>> summary_lines([check])
    ['PASSED       test_a :: metric:accuracy  accuracy=0.9 [0.85, 0.93] >= 0.8']
    """
    ordered = sorted(checks, key=lambda c: (_ORDER.get(c["outcome"], 9), c["test"] or "", c.get("index", 0)))
    lines = []
    for c in ordered[:limit]:
        figure = ""
        gated = [m for m in c["metrics"] if m.get("threshold")] or c["metrics"]
        gated = [m for m in gated if m.get("outcome") in _UNDECIDED and m.get("threshold")] or gated
        if len(gated) == 1:
            m = gated[0]
            if m["value"] is None:
                figure = f"{plain(m['name'])} undefined"
            else:
                figure = f"{plain(m['name'])}={m['value']:.4g}"
                ci = m.get("ci")
                if ci and ci["low"] is not None and ci["high"] is not None:
                    figure += f" [{ci['low']:.4g}, {ci['high']:.4g}]"
            figure += "".join(f" {t['op']} {t['value']:g}" for t in m.get("threshold") or [])
            if m.get("slice"):
                figure += f" ({plain(slice_text(m['slice']))})"
        elif gated:
            figure = f"{len(gated)} figures"
        test = plain((c["test"] or "").split("::")[-1])
        lines.append(
            f"{c['outcome'].upper():<12} {test} :: {plain(c['kind'])}:{plain(c['name'])}  {figure}".rstrip()
        )
    if len(ordered) > limit:
        lines.append(f"... {len(ordered) - limit} more checks in the report")
    return lines


_UNDECIDED = ("failed", "inconclusive", "error")


def failure_text(check: Mapping[str, Any], limit: int = 20) -> str:
    """Why a check failed its test: its message, then only the figures that failed or stayed undecided.

    >>> print(failure_text({"kind": "data", "name": "schema", "outcome": "failed", "message": "1 rule failed",
    ...     "metrics": [{"name": "nullable", "value": 0, "threshold": [{"op": "<=", "value": 0}],
    ...                  "outcome": "passed", "slice": {"column": "a"}},
    ...                 {"name": "nullable", "value": 3, "threshold": [{"op": "<=", "value": 0}],
    ...                  "outcome": "failed", "slice": {"column": "b"}}]}))
    data check 'schema': failed
    1 rule failed
      nullable = 3 (<= 0, column=b): failed
      (1 passing figure not shown; every figure is in the report)
    """
    from ..results import MetricValue

    lines = [f"{plain(check['kind'])} check '{plain(check['name'])}': {check['outcome']}"]
    message = plain(check.get("message") or "", multiline=True)
    if message:
        lines.append(message)
    metrics = list(check.get("metrics") or [])
    bad = [m for m in metrics if m.get("threshold") and m.get("outcome") in _UNDECIDED]
    for m in bad[:limit]:
        text = plain(MetricValue.from_dict(m).describe())
        if text not in message:
            lines.append(f"  {text}")
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more failing or undecided figures")
    rest = len(metrics) - len(bad)
    if rest and bad:
        lines.append(
            f"  ({rest} passing figure{'s' if rest != 1 else ''} not shown; every figure is in the report)"
        )
    return "\n".join(lines)
