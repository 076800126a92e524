"""Hostile names and data in a report cannot inject markup into any Markdown output, nor workflow
commands or control sequences into terminal and CI text.

Every Markdown output is parsed with a CommonMark parser (markdown-it-py, with GitHub tables): it
must hold no raw HTML, no link or image, no heading, no emphasis or code that the report's text
brought in, and every table row must have as many cells as its header.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from mltestkit.render.compare import markdown_table
from mltestkit.render.dataset_card import dataset_card
from mltestkit.render.github import error_annotations, step_summary
from mltestkit.render.junit import properties
from mltestkit.render.model_card import hf_card, markdown_card, score_markdown
from mltestkit.render.outputs import comparison_lines, outputs_line
from mltestkit.render.terminal import failure_text, summary_lines
from mltestkit.render.text import fence, md, plain
from mltestkit.report import read_report
from mltestkit.report.compare import compare_reports
from mltestkit.report.score import score_report

GOLDEN = Path(__file__).parent / "golden"

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "a | b | c",
    "x\n# Injected heading\n",
    "```\n::set-env name=PATH::/evil\n```",
    "[click](javascript:alert(1))",
    "![pixel](http://evil.example/p.png)",
    "\x1b[31mred\x1b[0m\r",
    "::add-mask::secret",
    "*bold* __strong__ ~~gone~~ $x$ `code`",
    "<https://evil.example>",
    "&lt;b&gt; &#60;",
    "- item\n1. item\n> quote\n---",
]


def hostile_report(text: str) -> dict[str, Any]:
    """The golden report with ``text`` in every place a user's words can reach."""
    report = read_report(GOLDEN / "report.json")
    for c in report["checks"]:
        c["name"] = f"{c['name']} {text}"
        c["test"] = f"{c['test']}[{text}]"
        c["message"] = f"{text} {c['message']}"
        c["score"] = [text]
        for m in c["metrics"]:
            if m.get("slice"):
                m["slice"] = {f"{k}{text}": f"{v}{text}" for k, v in m["slice"].items()}
        details = c.get("details") or {}
        for f in details.get("failures") or []:
            f["column"] = f"{f['column']}{text}"
            f["rule"] = f"{f['rule']}{text}"
        stats = details.get("statistics")
        if stats:
            stats["columns"] = {
                f"{k}{text}": dict(v, dtype=f"{v.get('dtype')}{text}") for k, v in stats["columns"].items()
            }
        if "counterexamples" in details:
            details["counterexamples"] = [{"input": text, "output": text}]
    report["checks"].append(
        {"test": f"t.py::test_drift[{text}]", "index": 0, "name": text, "kind": "data", "outcome": "passed",
         "fails_test": False, "rule": "acceptance", "message": text, "score": [],
         "metrics": [{"name": "psi", "value": 0.01, "n": 10, "ci": None, "threshold": [{"op": "<=", "value": 0.2}],
                      "rule": "acceptance", "outcome": "passed", "slice": {"column": text}, "reason": None}],
         "details": {"table": [{"column": text, "kind": text, "drifted": False, "psi": 0.01}]}}
    )  # fmt: skip
    return report


def with_comparison(report: dict[str, Any]) -> dict[str, Any]:
    worse = copy.deepcopy(report)
    worse["checks"][0]["metrics"][0]["value"] = 0.5
    report = copy.deepcopy(report)
    report["comparison"] = compare_reports(worse, report)
    return report


def markdown_outputs(report: dict[str, Any]) -> dict[str, str]:
    hf = hf_card(report, {})
    return {
        "model card": markdown_card(report, {}, plots=[("x", "p.svg")]),
        "hf card body": hf.split("---\n", 2)[2],
        "dataset card": dataset_card(report, {}),
        "ML Test Score": score_markdown(score_report(report)),
        "step summary": step_summary(report),
        "comparison": markdown_table(report["comparison"]),
    }


def parser() -> Any:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def walk(tokens: list[Any]) -> list[Any]:
    out = []
    for t in tokens:
        out.append(t)
        out += walk(t.children or [])
    return out


MARKUP = ("em_open", "strong_open", "code_inline", "heading_open", "bullet_list_open", "ordered_list_open",
          "fence", "code_block", "table_open", "link_open", "image", "s_open", "blockquote_open", "hr")  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_outputs_carry_no_injected_markup(text: str) -> None:
    benign = markdown_outputs(with_comparison(hostile_report("plain words")))
    for name, doc in markdown_outputs(with_comparison(hostile_report(text))).items():
        tokens = walk(parser().parse(doc))
        kinds = [t.type for t in tokens]
        assert not set(kinds) & {"html_inline", "html_block"}, name
        links = {
            t.attrs.get("href") or t.attrs.get("src") for t in tokens if t.type in ("link_open", "image")
        }
        assert links <= {"p.svg"}, (name, links)  # only the card's own plot
        expected = [t.type for t in walk(parser().parse(benign[name]))]
        for kind in MARKUP:  # the same structure as with harmless words: nothing added, nothing broken
            assert kinds.count(kind) == expected.count(kind), (name, kind)
        check_tables(tokens, name)
        for line in doc.splitlines():
            assert not line.lstrip().startswith("::"), (name, line)
            assert "\x1b" not in line and "\r" not in line, name


def check_tables(tokens: list[Any], name: str) -> None:
    width, row = None, 0
    for t in tokens:
        if t.type == "thead_open":
            width = None
        if t.type == "tr_close":
            width = width if width is not None else row
            assert row == width, f"{name}: a table row with {row} cells under a header of {width}"
        if t.type == "tr_open":
            row = 0
        if t.type in ("th_open", "td_open"):
            row += 1


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_and_ci_text_has_no_workflow_command_or_control_character(text: str) -> None:
    report = with_comparison(hostile_report(text))
    report["tests"] = []
    lines = summary_lines(report["checks"]) + comparison_lines(report["comparison"])
    lines += [line for c in report["checks"] for line in failure_text(c).splitlines()]
    lines += error_annotations(report)
    lines += [outputs_line([Path(text) / "CARD.md"])]
    lines += [f"{k}={v}" for c in report["checks"] for k, v in properties(c["test"], [c])]
    for line in lines:
        assert not re.match(r"\s*::(?!error )", line), line
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line), repr(line)
    annotations = error_annotations(report)
    assert all(a.startswith("::error ") and "\n" not in a for a in annotations)


def test_the_helpers_on_their_own() -> None:
    assert md("<b>x</b>") == "\\<b>x\\</b>"
    assert md("a\nb\r\tc") == "a b  c"
    assert md("#1 in  # the middle") == "\\#1 in  # the middle"
    assert md("snake_case and _edge_") == "snake_case and \\_edge\\_"
    assert md("::add-mask::x") == "\\::add-mask::x"
    assert plain("ok\n::warning::x") == "ok\\n::warning::x"
    assert plain("::warning::x\n  ::error::y", multiline=True) == "\\::warning::x\n  \\::error::y"
    assert plain("\x07\x1b\x9b\u2028") == "\\x07\\x1b\\x9b\\u2028"
    assert fence(["``` inside", "::x"]) == ["````", "``` inside", "\\::x", "````"]
