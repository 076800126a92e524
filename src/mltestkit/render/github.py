"""GitHub Actions: the step summary (Markdown) and ``::error`` annotations.

GitHub shows at most 10 error annotations per step and caps a step summary at 1 MiB, so
:func:`error_annotations` gives one line per failing check up to nine and aggregates the rest
in the tenth, and :func:`step_summary` cuts its tables to stay under the cap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .terminal import summary_lines
from .text import failing, fence, outcome_counts, plain

MAX_ANNOTATIONS = 10
SUMMARY_CAP = 1024 * 1024


def _escape_data(text: str) -> str:
    return plain(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotations(report: Mapping[str, Any]) -> list[str]:
    """``::error file=F,line=L,title=T::message`` lines for failing checks, at most ten.

    >>> report = {"tests": [{"test": "tests/t.py::test_a", "file": "tests/t.py", "line": 7}], "checks": [
    ...     {"test": "tests/t.py::test_a", "name": "accuracy", "kind": "metric", "outcome": "failed",
    ...      "fails_test": True, "message": "accuracy = 0.7 (>= 0.8)"}]}
    >>> error_annotations(report)
    ['::error file=tests/t.py,line=7,title=mltestkit metric accuracy failed::accuracy = 0.7 (>= 0.8)']
    """
    where = {t["test"]: (t.get("file"), t.get("line")) for t in report.get("tests") or []}
    bad = failing(report.get("checks") or [])
    out = []
    shown = bad if len(bad) <= MAX_ANNOTATIONS else bad[: MAX_ANNOTATIONS - 1]
    for c in shown:
        file, line = where.get(c.get("test") or "", (None, None))
        if file is None and c.get("test"):
            file = str(c["test"]).split("::")[0]
        props = []
        if file:
            props.append(f"file={_escape_property(str(file))}")
        if line:
            props.append(f"line={int(line)}")
        title = f"mltestkit {c['kind']} {c['name']} {c['outcome']}"
        props.append(f"title={_escape_property(title)}")
        message = (c.get("message") or c["outcome"]).strip()[:2000]
        out.append(f"::error {','.join(props)}::{_escape_data(message)}")
    rest = bad[len(shown) :]
    if rest:
        names = ", ".join(f"{(c.get('test') or '').split('::')[-1]}::{c['name']}" for c in rest[:30])
        more = f" and {len(rest) - 30} more" if len(rest) > 30 else ""
        out.append(
            f"::error title={_escape_property(f'mltestkit: {len(rest)} more failing checks')}::"
            f"{_escape_data(names + more + '; see the step summary or the report')}"
        )
    return out


def step_summary(report: Mapping[str, Any], *, cap: int = SUMMARY_CAP) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: counts, one line per check, the baseline diff; under ``cap`` bytes."""
    from .compare import markdown_table

    s = report.get("summary") or {}
    counts = outcome_counts(s)
    head = [f"## mltestkit: {s.get('checks', 0)} ML checks" + (f" ({counts})" if counts else ""), ""]
    comparison = report.get("comparison")
    for limit in (500, 100, 20, 0):
        lines = list(head)
        checks = summary_lines(list(report.get("checks") or []), limit=limit) if limit else []
        if checks:
            lines += [*fence(checks), ""]
        if comparison:
            lines += ["### Baseline comparison", "", markdown_table(comparison, limit=max(limit, 20)), ""]
        text = "\n".join(lines) + "\n"
        if len(text.encode("utf-8")) < cap:
            return text
    return text.encode("utf-8")[: cap - 64].decode("utf-8", "ignore") + "\n\n(cut to fit GitHub's limit)\n"


def write_step_summary(report: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Path | None:
    """Append :func:`step_summary` to the file named by ``$GITHUB_STEP_SUMMARY``; ``None`` when unset."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    existing = path.stat().st_size if path.exists() else 0
    text = step_summary(report, cap=max(SUMMARY_CAP - existing, 1024))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return path
