"""Writing (atomically), reading and validating report files, and making one check's record."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ReportError
from ..files import write_atomic
from ..results import CheckResult, Outcome, to_jsonable
from .build import SCHEMA_VERSION


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema every report validates against (it ships inside the package).

    >>> schema()["title"], SCHEMA_VERSION
    ('mltestkit report', '1.1')
    """
    text = resources.files("mltestkit.report").joinpath("schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def dumps(report: dict[str, Any]) -> str:
    """Strict JSON: raises ``ValueError`` on NaN/inf instead of writing invalid JSON."""
    return json.dumps(report, indent=2, sort_keys=False, allow_nan=False, ensure_ascii=False) + "\n"


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


@lru_cache(maxsize=1)
def _check_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator({"$ref": "#/$defs/check", "$defs": schema()["$defs"]})


class _Unrecordable(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where, problem)
        self.where, self.problem = where, problem

    def inside(self, key: object) -> _Unrecordable:
        return _Unrecordable(f"{key}/{self.where}" if self.where else str(key), self.problem)


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(obj: Any) -> Any:
    """``obj`` made of JSON builtins (see :func:`mltestkit.results.to_jsonable`), or which field is not."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        out = {}
        for key, value in obj.items():
            try:
                out[str(key)] = _plain(value)
            except _Unrecordable as exc:
                raise exc.inside(key) from None
        return out
    if isinstance(obj, (list, tuple)):
        kinds = {type(v) for v in obj}
        if kinds <= _SCALARS:
            return list(obj)
        if kinds <= _SCALARS | {float}:
            return [v if type(v) is not float or math.isfinite(v) else None for v in obj]
        items = []
        for i, value in enumerate(obj):
            try:
                items.append(_plain(value))
            except _Unrecordable as exc:
                raise exc.inside(i) from None
        return items
    if isinstance(obj, str):
        return str(obj)
    if kind.__module__ == "numpy" and hasattr(obj, "tolist"):
        return _plain(obj.tolist())
    try:
        value = to_jsonable(obj)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _Unrecordable("", str(exc)) from None
    return _plain(value) if type(value) is not kind else value


def _record(result: CheckResult) -> dict[str, Any]:
    metrics = []
    for i, metric in enumerate(result.metrics):
        try:
            metrics.append(metric.to_dict())
        except Exception as exc:
            raise _Unrecordable(f"metrics/{i}", f"{type(exc).__name__}: {exc}") from None
    try:
        head = replace(result, details={}, metrics=[]).to_dict()
    except Exception as exc:
        raise _Unrecordable("", f"{type(exc).__name__}: {exc}") from None
    record = dict(_plain({**head, "metrics": metrics}))
    try:
        record["details"] = _plain(result.details)
    except _Unrecordable as exc:
        raise exc.inside("details") from None
    record["name"], record["message"] = str(record["name"]), str(record["message"])
    for metric in record["metrics"]:
        metric["name"] = str(metric["name"])
    errors = sorted(_check_validator().iter_errors({"test": None, **record}), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise _Unrecordable(where, errors[0].message)
    return record


def check_record(result: CheckResult) -> dict[str, Any]:
    """The report record of ``result``: JSON builtins that follow the report's schema.

    numpy scalars and strings become Python numbers and strings, and a name that is not a string
    becomes its text. A result that still cannot be stored becomes an ``error`` record whose message
    names the field, so one bad value never costs the rest of the report.

    >>> import numpy as np
    >>> from mltestkit.results import CheckResult, MetricValue, Outcome
    >>> ok = CheckResult(np.str_("acc"), "metric", Outcome.PASSED, [MetricValue("acc", np.float64(0.9), n=np.int64(9))])
    >>> record = check_record(ok)
    >>> figure = record.get("metrics").pop()
    >>> record.get("name"), type(figure.get("n")).__name__
    ('acc', 'int')
    >>> bad = check_record(CheckResult("acc", "metric", Outcome.PASSED, details={"model": object()}))
    >>> bad.get("outcome"), bad.get("details").get("field")
    ('error', 'details/model')
    """
    try:
        return _record(result)
    except _Unrecordable as exc:
        where, problem = exc.where.lstrip("/") or "(top level)", exc.problem
    kind = (
        result.kind if result.kind in schema()["$defs"]["check"]["properties"]["kind"]["enum"] else "custom"
    )
    error = CheckResult(
        name=str(result.name),
        kind=kind,
        outcome=Outcome.ERROR,
        rule=result.rule if isinstance(result.rule, str) else None,
        message=f"the result of this check could not be stored in the report: {where}: {problem}",
        details={
            "exception": "ReportError",
            "field": where,
            "outcome": str(getattr(result.outcome, "value", "")),
        },
    )
    return error.to_dict()
