"""The ``mltestkit`` command.

Each sub-command is a function ``(args) -> exit code`` registered in :data:`COMMANDS` with a
function that adds its arguments. Errors of mltestkit are printed as one line on stderr
with exit code 2; a check that fails gives exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ..errors import InputError, MLTestKitError
from . import commands as cmd

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", nargs="+", help="report JSON file(s)")


def _validate(args: argparse.Namespace) -> int:
    from ..report import read_report

    for path in args.report:
        report = read_report(path)
        s = report["summary"]
        print(f"{path}: valid report (schema {report['schema_version']}), {s['checks']} checks")
    return 0


def _summary_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", help="report JSON file")


def _summary(args: argparse.Namespace) -> int:
    from ..render.terminal import summary_lines
    from ..render.text import failing
    from ..report import incomplete_reasons, read_report

    report = read_report(args.report)
    for line in summary_lines(report["checks"]):
        print(line)
    s = report["summary"]
    print(
        f"{s['checks']} checks: {s['passed']} passed, {s['failed']} failed, {s['inconclusive']} inconclusive, {s['error']} error"
    )
    unfinished = incomplete_reasons(report)
    for reason in unfinished:
        print(f"mltestkit summary: incomplete report: {reason}", file=sys.stderr)
    return 1 if failing(report["checks"]) or unfinished else 0


def _infer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o", "--output", help="write the data schema here (.yaml or .json) instead of printing YAML"
    )
    p.add_argument(
        "--slack", type=float, default=0.1, help="widen numeric ranges by this share of their span"
    )
    p.add_argument(
        "--max-categories", type=int, default=20, help="list the categories of text columns up to this many"
    )


def _infer_schema_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="a CSV or Parquet file")
    _infer_options(p)


def _infer_schema(args: argparse.Namespace, usage: str = "mltestkit infer-schema") -> int:
    from ..data.schema import infer_schema

    if args.data is None:
        raise InputError("DATA", "is missing", f"run: {usage} data.csv -o schema.yaml")
    inferred = infer_schema(args.data, slack=args.slack, max_categories=args.max_categories)
    if args.output:
        inferred.save(args.output)
        print(f"{args.output}: schema of {len(inferred.columns)} columns inferred from {args.data}")
    else:
        print(inferred.to_yaml(), end="")
    return 0


def _report_schema(args: argparse.Namespace) -> int:
    import json

    from ..report import schema

    print(json.dumps(schema(), indent=2))
    return 0


def _schema_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=("report", "infer"), default="report", help=argparse.SUPPRESS)
    p.add_argument("data", nargs="?", help=argparse.SUPPRESS)
    _infer_options(p)


def _schema(args: argparse.Namespace) -> int:
    """The old spelling: ``schema`` (the report's JSON Schema) and ``schema infer`` (a data schema)."""
    new = "infer-schema" if args.action == "infer" else "report-schema"
    print(
        f"mltestkit schema{' infer' if args.action == 'infer' else ''} is now: mltestkit {new}",
        file=sys.stderr,
    )
    if args.action == "infer":
        return _infer_schema(args, usage="mltestkit schema infer")
    return _report_schema(args)


#: name -> (help, add arguments, run)
COMMANDS: dict[str, Command] = {
    "validate": ("check that report files follow the shipped JSON Schema", _validate_args, _validate),
    "summary": (
        "print one line per check of a report; exit 1 if any check fails or the report is incomplete",
        _summary_args,
        _summary,
    ),
    "report-schema": ("print the JSON Schema of the report", lambda p: None, _report_schema),
    "infer-schema": (
        "infer a data schema from a CSV or Parquet file: infer-schema data.csv -o schema.yaml",
        _infer_schema_args,
        _infer_schema,
    ),
    "schema": (
        "old spelling of report-schema and of infer-schema (schema infer DATA)",
        _schema_args,
        _schema,
    ),
    "card": (
        "write a model card (Markdown, Hugging Face or MCT JSON) from a report",
        cmd.card_args,
        cmd.card,
    ),
    "dataset-card": (
        "write a dataset card from a report's data checks",
        cmd.dataset_card_args,
        cmd.dataset_card,
    ),
    "compare": (
        "compare a report with a baseline report; exit 1 on a regression or an incomplete report",
        cmd.compare_args,
        cmd.compare,
    ),
    "render": (
        "write CI outputs (GitLab metrics, GitHub summary and annotations, HTML)",
        cmd.render_args,
        cmd.render,
    ),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mltestkit", description="Statistically honest acceptance tests for ML components."
    )
    p.add_argument("--version", action="version", version=f"mltestkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_args, _run) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command][2](args)
    except MLTestKitError as exc:
        print(f"mltestkit {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
