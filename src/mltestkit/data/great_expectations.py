"""Run a Great Expectations 1.x suite as a check.

Great Expectations is imported only here, inside :func:`check_expectations` (it takes seconds to
import), behind the ``gx`` extra. The suite runs on a pandas DataFrame through an ephemeral
context, and each expectation's result becomes a figure of the check.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, require
from ..results import CheckResult, MetricValue, Outcome, to_jsonable, worst
from ..stats.requirement import Estimate, Requirement, judge, validate_level, validate_rule
from .deepchecks import verdict
from .io import MAX_FAILURES, SAMPLE_SIZE, load_frame, plain
from .schema import Schema


def _safe(obj: Any) -> Any:
    """JSON-safe form of a value GX reports; objects of unknown types become their ``repr``."""
    if isinstance(obj, Mapping):
        return {str(k): _safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_safe(v) for v in list(obj)[:100]]
    try:
        return to_jsonable(obj)
    except TypeError:
        return plain(obj)


def _suite_dict(suite: Any) -> dict[str, Any] | None:
    """The suite as ``{"name", "expectations"}`` when given as a dict, a list, a Schema or a file."""
    if isinstance(suite, Schema):
        return suite.to_expectations()
    if isinstance(suite, (str, os.PathLike)):
        p = Path(suite)
        if not p.is_file():
            raise InputError(
                "suite", f"file {str(p)!r} does not exist", "pass the path of a GX suite JSON file"
            )
        try:
            suite = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(
                "suite", f"{p} is not valid JSON (line {exc.lineno}: {exc.msg})", "fix the file"
            ) from None
    if isinstance(suite, list):
        suite = {"name": "suite", "expectations": suite}
    if isinstance(suite, Mapping):
        if not isinstance(suite.get("expectations"), list):
            raise InputError(
                "suite", "has no 'expectations' list", 'pass {"name": ..., "expectations": [...]}'
            )
        return {"name": str(suite.get("name") or "suite"), "expectations": suite["expectations"]}
    return None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence GX's progress bars on stderr and its log messages."""
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _build_suite(gx: Any, suite: Any) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    as_dict = _suite_dict(suite)
    if as_dict is None:
        if isinstance(suite, gx.ExpectationSuite):
            return suite
        raise InputError(
            "suite",
            f"is a {type(suite).__name__}",
            "pass a great_expectations.ExpectationSuite, a dict or list of expectations, a JSON path or a Schema",
        )
    expectations = []
    for i, e in enumerate(as_dict["expectations"]):
        if not isinstance(e, Mapping) or "type" not in e:
            raise InputError(
                f"suite.expectations[{i}]", "has no 'type'", 'write {"type": "expect_...", "kwargs": {...}}'
            )
        try:
            config = ExpectationConfiguration(
                **{k: v for k, v in e.items() if k in ("type", "kwargs", "meta", "notes")}
            )
            expectations.append(config.to_domain_obj())
        except Exception as exc:  # GX raises many types for a bad expectation
            message = getattr(exc, "message", None) or str(exc)
            raise InputError(
                f"suite.expectations[{i}]",
                f"{e['type']} is not a valid expectation ({message.strip().splitlines()[0][:300]})",
                "check its type and kwargs against the Great Expectations gallery",
            ) from None
    return gx.ExpectationSuite(name=as_dict["name"], expectations=expectations)


def _exception(r: Any) -> str | None:
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        if isinstance(v, Mapping) and v.get("raised_exception"):
            return str(v.get("exception_message"))
    return None


def _figure(
    kind: str,
    value: float | None,
    n: Any,
    kwargs: dict[str, Any],
    success: bool,
    base: Requirement,
    column: Any,
    *,
    unexpected: bool,
) -> MetricValue:
    """GX's number judged against the bound it implies, or GX's verdict when none reproduces it."""
    where = {"column": str(column)} if column is not None else None
    requirement = None
    if unexpected:
        if kwargs.get("mostly", 1) == 1:
            requirement = Requirement(None, 0.0, base.rule, base.confidence)
    elif not kwargs.get("strict_min") and not kwargs.get("strict_max"):
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        numbers = all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (low, high)
        )
        if numbers and (low is not None or high is not None):
            requirement = Requirement(low, high, base.rule, base.confidence)
    if requirement is not None and value is not None:
        mv = judge(kind, Estimate(value, n=n), requirement, slice=where)
        if (mv.outcome is Outcome.PASSED) is success:
            return mv
    why = "Great Expectations' verdict (1 = the expectation holds)"
    return verdict(kind, success, base, why, **(where or {}))


def check_expectations(
    data: Any,
    suite: Any,
    *,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Validate a dataset with a Great Expectations 1.x suite.

    Parameters
    ----------
    data:
        A pandas or polars DataFrame, or the path of a CSV or Parquet file.
    suite:
        A ``great_expectations.ExpectationSuite``, its JSON form as a dict
        (``{"name": ..., "expectations": [{"type": "expect_...", "kwargs": {...}}]}``), a list of
        such expectations, the path of a suite JSON file, or a :class:`~mltestkit.data.schema.Schema`
        (run as its equivalent suite, :meth:`~mltestkit.data.schema.Schema.to_expectations`).
    rule, confidence, seed:
        Accepted for a uniform API: every figure is exact on the data given and judged by its
        value; nothing is drawn at random.
    name:
        The check's name in the report (default: the suite's name).

    Returns
    -------
    CheckResult
        Of kind ``"data"``: one :class:`~mltestkit.results.MetricValue` per expectation, named by
        its type, with ``slice={"column": ...}`` for column expectations: the unexpected count
        (required to be 0) or the observed value (required to lie in ``min_value``..``max_value``),
        judged; where no such bound reproduces GX's verdict (``mostly``, strict bounds, other
        expectations), GX's verdict itself (1 = it holds, required to be 1). The check is an
        ``error`` when GX raised on an expectation;
        ``details["expectations"]`` holds type, column, kwargs, success, observed value, unexpected
        count and percent, and a sample of unexpected values with their row positions.

    Examples
    --------
    >>> import pandas as pd
    >>> suite = {"name": "s", "expectations": [
    ...     {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 0}}]}
    >>> r = check_expectations(pd.DataFrame({"a": [1, -2, 3]}), suite)  # doctest: +SKIP
    >>> r.outcome.value, r.details["expectations"][0]["sample"]  # doctest: +SKIP
    ('failed', [{'row': 1, 'value': -2}])
    """
    base = Requirement(rule=validate_rule(rule), confidence=validate_level(confidence))
    frame = load_frame(data)
    with _quiet():
        gx: Any = require("great_expectations", "gx", "Running Great Expectations suites")
        gx_suite = _build_suite(gx, suite)
        from great_expectations.data_context.types.base import ProgressBarsConfig

        if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
            frame = frame.reset_index(drop=True)  # so that GX's row indexes are positions
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        batch = (
            context.data_sources.add_pandas("mltestkit")
            .add_dataframe_asset("data")
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        validation = batch.validate(
            gx_suite,
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": SAMPLE_SIZE,
                "return_unexpected_index_query": False,
            },
        )
    metrics: list[MetricValue] = []
    entries: list[dict[str, Any]] = []
    errors = False
    for r in validation.results:
        config = r.expectation_config
        kwargs = {k: v for k, v in (config.kwargs or {}).items() if k != "batch_id"}
        column = kwargs.get("column")
        res = r.result or {}
        error = _exception(r)
        observed = res.get("observed_value")
        unexpected = res.get("unexpected_count")
        value = unexpected if unexpected is not None else observed
        number = isinstance(value, (int, float)) or hasattr(value, "dtype")
        n = res.get("element_count")
        if error:
            errors = True
            metrics.append(
                verdict(
                    config.type, None, base, error, **({"column": str(column)} if column is not None else {})
                )
            )
        else:
            figure = _figure(
                config.type, float(value) if number and value is not None else None, n, kwargs,
                bool(r.success), base, column, unexpected=unexpected is not None,
            )  # fmt: skip
            metrics.append(figure)
        values = res.get("partial_unexpected_list") or []
        rows = res.get("partial_unexpected_index_list") or [None] * len(values)
        entries.append(
            {
                "type": config.type,
                "column": None if column is None else str(column),
                "kwargs": _safe(kwargs),
                "success": bool(r.success),
                "observed_value": _safe(observed),
                "unexpected_count": _safe(unexpected),
                "unexpected_percent": _safe(res.get("unexpected_percent")),
                "sample": [{"row": _safe(i), "value": plain(v)} for i, v in zip(rows, values, strict=False)],
                "exception": error,
            }
        )
    outcome = worst([m.outcome for m in metrics if m.outcome is not None] + [Outcome.ERROR] * errors)
    bad = [e for e in entries if not e["success"]]
    lines = [
        f"{len(bad)} of {len(entries)} expectations failed"
        if bad
        else f"all {len(entries)} expectations hold"
    ]
    for e in bad[:10]:
        if e["exception"]:
            what = e["exception"]
        elif e["unexpected_count"] is not None:
            what = f"{e['unexpected_count']} unexpected, e.g. {[x['value'] for x in e['sample'][:3]]}"
        elif e["observed_value"] is not None:
            what = f"observed {e['observed_value']!r}"
        else:
            what = "failed"
        lines.append(f"  {e['type']}{'(' + e['column'] + ')' if e['column'] else ''}: {what}")
    return CheckResult(
        name=name or str(gx_suite.name),
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=base.rule,
        message="\n".join(lines),
        details={
            "suite": str(gx_suite.name),
            "gx_success": bool(validation.success),
            "expectations": entries[:MAX_FAILURES],
        },
    )
