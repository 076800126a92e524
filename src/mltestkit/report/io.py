"""Writing (atomically), reading and validating report files."""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ReportError
from .build import SCHEMA_VERSION


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema every report validates against (it ships inside the package).

    >>> schema()["title"], SCHEMA_VERSION
    ('mltestkit report', '1.0')
    """
    text = resources.files("mltestkit.report").joinpath("schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def dumps(report: dict[str, Any]) -> str:
    """Strict JSON: raises ``ValueError`` on NaN/inf instead of writing invalid JSON."""
    return json.dumps(report, indent=2, sort_keys=False, allow_nan=False, ensure_ascii=False) + "\n"


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, fsync and rename.

    A reader sees the old file or the new one, never a half-written file; if anything
    fails, the old file is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Validate ``report`` and write it atomically to ``path``."""
    validate(report)
    return write_atomic(path, dumps(report))


def validate(report: Any) -> None:
    """Raise :class:`~mltestkit.errors.ReportError` unless ``report`` follows the shipped schema."""
    import jsonschema

    if not isinstance(report, dict):
        raise ReportError(f"a report must be a JSON object, got {type(report).__name__}")
    version = str(report.get("schema_version", ""))
    major = version.split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(
            f"report schema_version {version or '(missing)'} is not supported by this mltestkit "
            f"(reads {SCHEMA_VERSION.split('.')[0]}.x); upgrade mltestkit or regenerate the report"
        )
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ReportError(
            f"report does not follow the schema at {where}: {first.message} ({len(errors)} problems)"
        )


def read_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a report file; every problem is a :class:`ReportError` naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot read report {p}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"report {p} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    try:
        validate(data)
    except ReportError as exc:
        raise ReportError(f"{p}: {exc}") from exc
    return dict(data)
