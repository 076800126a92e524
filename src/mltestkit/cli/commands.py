"""The ``card``, ``dataset-card``, ``compare`` and ``render`` sub-commands of ``mltestkit``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConfigError, InputError
from ..stats.requirement import RULES


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from ..report import write_atomic

    write_atomic(output, text)
    print(f"wrote {output}", file=sys.stderr)


def _init(path: str, text: str) -> int:
    target = Path(path)
    if target.exists():
        raise ConfigError(f"{target} exists; remove it or choose another path")
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: fill in what you know and pass it with --meta", file=sys.stderr)
    return 0


def card_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", nargs="?", help="report JSON file")
    p.add_argument(
        "--meta", help="model_card.yaml with facts the run cannot know (default: ./model_card.yaml)"
    )
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument(
        "--format", choices=("md", "hf", "mct-json"), default="md", help="Markdown, Hugging Face or MCT JSON"
    )
    p.add_argument("--no-plots", action="store_true", help="do not write slice plots beside the card")
    p.add_argument("--plot-format", choices=("svg",), default="svg", help="format of the slice plots (SVG)")
    p.add_argument(
        "--init",
        metavar="PATH",
        nargs="?",
        const="model_card.yaml",
        help="write a model_card.yaml skeleton and stop",
    )


def card(args: argparse.Namespace) -> int:
    from ..render.model_card import SKELETON, hf_card, load_meta, markdown_card, mct_json
    from ..report import read_report

    if args.init:
        return _init(args.init, SKELETON)
    if not args.report:
        raise InputError(
            "report", "no report given", "pass the report file, e.g. mltestkit card reports/ml-report.json"
        )
    report = read_report(args.report)
    meta = load_meta(args.meta or "model_card.yaml", missing_ok=args.meta is None)
    if args.format == "mct-json":
        _write(json.dumps(mct_json(report, meta), indent=2) + "\n", args.output)
        return 0
    links: list[tuple[str, str]] = []
    if args.output and not args.no_plots:
        from ..render.plots import write_slice_plots

        out = Path(args.output)
        plots = write_slice_plots(report, out.parent / f"{out.stem}_plots")
        links = [(title, path.relative_to(out.parent).as_posix()) for title, path in plots]
    text = (
        hf_card(report, meta, plots=links)
        if args.format == "hf"
        else markdown_card(report, meta, plots=links)
    )
    _write(text, args.output)
    return 0


def dataset_card_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", nargs="?", help="report JSON file")
    p.add_argument("--meta", help="dataset_card.yaml (default: ./dataset_card.yaml)")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument(
        "--init",
        metavar="PATH",
        nargs="?",
        const="dataset_card.yaml",
        help="write a dataset_card.yaml skeleton and stop",
    )


def dataset_card(args: argparse.Namespace) -> int:
    from ..render.dataset_card import SKELETON
    from ..render.dataset_card import dataset_card as render
    from ..render.model_card import load_meta
    from ..report import read_report

    if args.init:
        return _init(args.init, SKELETON)
    if not args.report:
        raise InputError("report", "no report given", "pass the report file")
    meta = load_meta(args.meta or "dataset_card.yaml", missing_ok=args.meta is None)
    _write(render(read_report(args.report), meta), args.output)
    return 0


def compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", help="baseline report (e.g. of the main branch)")
    p.add_argument("current", help="report of this run")
    p.add_argument(
        "--margin",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="non-inferiority margin (repeatable; a bare number: every metric; default 0.01)",
    )
    p.add_argument("--rule", choices=RULES, help="gate rule (default: the current run's)")
    p.add_argument("--confidence", type=float, help="interval level (default: the current run's)")
    p.add_argument("--json", metavar="PATH", help="also write the comparison as JSON")
    p.add_argument("--seed", type=int, default=0, help="seed of the paired bootstrap")
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="a figure of the baseline that this run lacks is not a regression",
    )


def compare(args: argparse.Namespace) -> int:
    from ..render.compare import markdown_table, regressions
    from ..report import incomplete_reasons, read_report, write_atomic
    from ..report.compare import compare_reports, parse_margins

    baseline = read_report(args.baseline)
    current = read_report(args.current)
    unfinished = [
        (which, incomplete_reasons(r)) for which, r in (("baseline", baseline), ("current", current))
    ]
    for which, reasons in unfinished:
        for reason in reasons:
            print(f"mltestkit compare: the {which} report is incomplete: {reason}", file=sys.stderr)
    result = compare_reports(
        baseline,
        current,
        margins=parse_margins(args.margin),
        rule=args.rule,
        confidence=args.confidence,
        seed=args.seed,
        allow_missing=args.allow_missing,
    )
    print(markdown_table(result))
    if args.json:
        write_atomic(args.json, json.dumps(result, indent=2, allow_nan=False) + "\n")
    return 1 if regressions(result) or any(reasons for _, reasons in unfinished) else 0


def render_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", help="report JSON file")
    p.add_argument(
        "--gitlab-metrics", metavar="PATH", help="write a GitLab metrics report (OpenMetrics text)"
    )
    p.add_argument(
        "--github-summary", action="store_true", help="append Markdown to $GITHUB_STEP_SUMMARY (or print it)"
    )
    p.add_argument(
        "--github-annotations", action="store_true", help="print ::error annotations for failing checks"
    )
    p.add_argument("--html", metavar="PATH", help="write the self-contained HTML report")
    p.add_argument("--terminal", action="store_true", help="print one line per check")


def render(args: argparse.Namespace) -> int:
    from ..report import read_report, write_atomic

    report = read_report(args.report)
    if not (
        args.gitlab_metrics or args.github_summary or args.github_annotations or args.html or args.terminal
    ):
        raise InputError(
            "render",
            "no output chosen",
            "pass --gitlab-metrics, --github-summary, --github-annotations, --html or --terminal",
        )
    if args.gitlab_metrics:
        from ..render.gitlab import openmetrics

        write_atomic(args.gitlab_metrics, openmetrics(report))
    if args.github_summary:
        from ..render.github import step_summary, write_step_summary

        if write_step_summary(report) is None:
            sys.stdout.write(step_summary(report))
    if args.github_annotations:
        from ..render.github import error_annotations

        for line in error_annotations(report):
            print(line)
    if args.html:
        from ..render.html import html_report

        write_atomic(args.html, html_report(report))
    if args.terminal:
        from ..render.terminal import summary_lines

        for line in summary_lines(report["checks"]):
            print(line)
    return 0
