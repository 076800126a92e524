"""Small text pieces every renderer shares: numbers, intervals, requirements, slices, cells, counts.

>>> fmt(0.912345), interval({"ci": {"low": 0.9, "high": 0.93}}), requirement([{"op": ">=", "value": 0.8}])
('0.9123', '[0.9, 0.93]', '>= 0.8')
"""

from __future__ import annotations

import re
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


#: What could start Markdown or HTML markup inside a line: code spans, emphasis (``_`` only at
#: a word's edge), links and images, table pipes, strikethrough, math, entities, tags and autolinks.
_MD_SPECIAL = re.compile(r"[\\`*\[|~!&$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|<(?=[A-Za-z/!?])")
#: What matters only at the start of a line: headings, quotes, list items, rules, workflow commands.
_MD_LEADING = re.compile(r"^(\s*)([#>]|:(?=:)|[-+=](?=[\s=-]|$)|\d+(?=[.)](?:\s|$)))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_COMMAND = re.compile(r"^(\s*)::", re.M)


def _control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {10: "\\n", 13: "\\r", 9: "\\t"}.get(code, f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")


def plain(text: Any, *, multiline: bool = False) -> str:
    r"""Text from a report made safe for a terminal or a CI log.

    Control characters (escape sequences, carriage returns, and line breaks unless
    ``multiline``) are shown as ``\xNN`` escapes, and a line that would start with ``::`` (a
    GitHub Actions workflow command such as ``::add-mask::``) gets a backslash in front.

    >>> plain("a\x1b[31mb"), plain("x\n::set-env name=A::1"), plain("::warning::x\ny", multiline=True)
    ('a\\x1b[31mb', 'x\\n::set-env name=A::1', '\\::warning::x\ny')
    """
    s = str(text)
    if multiline:
        s = "\n".join(_CONTROL.sub(_control, line) for line in s.split("\n"))
    else:
        s = _CONTROL.sub(_control, s)
    return _COMMAND.sub(r"\1\\::", s)


def md(text: Any) -> str:
    r"""Text from a report made safe inside Markdown: a paragraph, a list item, a heading or a table cell.

    Every character that could start markup (HTML tags, emphasis, links, images, code spans,
    table pipes, headings, math) is backslash-escaped, and the text stays on one line, so a
    check name, a slice value or a column name can neither add markup nor leave its cell.

    >>> md("<img src=x>"), md("a|b"), md("# title"), md("x\ny"), md("credit_amount"), md("1. item"), md("0.5")
    ('\\<img src=x>', 'a\\|b', '\\# title', 'x y', 'credit_amount', '1\\. item', '0.5')
    """
    s = _CONTROL.sub(lambda m: " " if m.group() in "\n\r\t\u2028\u2029" else _control(m), str(text))
    s = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), s)
    return _MD_LEADING.sub(_leading, s)


def _leading(m: re.Match[str]) -> str:
    space, mark = m.group(1), m.group(2)
    return space + (mark + "\\" if mark[0].isdigit() else "\\" + mark)


def fence(lines: Iterable[str]) -> list[str]:
    """Lines (made :func:`plain`) inside a code fence longer than any run of backticks in them.

    >>> fence(["a ``` b"])
    ['````', 'a ``` b', '````']
    """
    body = [plain(line) for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    mark = "`" * max(3, longest + 1)
    return [mark, *body, mark]


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


def worst_column(c: Mapping[str, Any]) -> str:
    """The column of a data check nearest to (or past) its requirement, or its first failure; an en dash if none.

    A figure at zero under a limit of zero (no missing values where none are allowed) is not
    near anything, so a check whose columns are all clean has no worst column.

    >>> worst_column({"metrics": [
    ...     {"name": "psi", "value": 0.05, "threshold": [{"op": "<=", "value": 0.2}], "outcome": "passed",
    ...      "slice": {"column": "a"}},
    ...     {"name": "psi", "value": 0.15, "threshold": [{"op": "<=", "value": 0.2}], "outcome": "passed",
    ...      "slice": {"column": "b"}}]})
    'b: psi 0.15 (<= 0.2)'
    """
    rank = {"failed": 0, "error": 0, "inconclusive": 1, "passed": 2}
    gated = [
        (rank.get(m.get("outcome") or "", 3), -_closeness(m), i, m)
        for i, m in enumerate(c.get("metrics") or [])
        if m.get("threshold") and m.get("slice") and m.get("value") is not None
    ]
    if gated:
        rank_, closeness, _, m = min(gated, key=lambda g: g[:3])
        if rank_ < 2 or closeness < 0:
            where = m["slice"].get("column") if list(m["slice"]) == ["column"] else slice_text(m["slice"])
            return f"{where}: {m['name']} {fmt(m['value'])} ({requirement(m['threshold'])})"
    failures = (c.get("details") or {}).get("failures") or []
    if failures and isinstance(failures[0], Mapping):
        f = failures[0]
        where = f"{f['column']}: " if f.get("column") else ""  # row figures (duplicates) have none
        return f"{where}{f.get('rule', '?')} ({fmt(f.get('count'))} rows)"
    return "–"


def _closeness(m: Mapping[str, Any]) -> float:
    """The figure as a share of its limit (``<=``) or the limit as a share of the figure (``>=``); 0 when nothing."""
    t = m["threshold"][0]
    limit, value = float(t["value"]), float(m["value"])
    high, low = (value, limit) if t["op"] in ("<=", "<") else (limit, value)
    if high <= 0:
        return 0.0
    return high / low if low > 0 else float("inf")
