"""deepchecks suite results as a check.

deepchecks 0.19.1, its last release, does not import with numpy 2 or scikit-learn 1.7 and later:
it runs only with ``numpy<2``, ``pandas<2.3`` and ``scikit-learn<1.7``. Run its suites in an
environment with those pins; :func:`check_deepchecks` maps their conditions into a
:class:`~mltestkit.results.CheckResult` and explains the conflict when deepchecks cannot be imported.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from importlib import metadata
from typing import Any

from ..errors import MLTestKitError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Estimate, Requirement, judge

#: The pins deepchecks' last release needs.
PINS = "numpy<2, pandas<2.3 and scikit-learn<1.7"


class DeepchecksUnavailableError(MLTestKitError, ImportError):
    """deepchecks is not installed, or cannot be imported next to the installed numpy/scikit-learn."""


def _versions() -> str:
    found = []
    for package in ("numpy", "pandas", "scikit-learn"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"no {package}")
    return ", ".join(found)


def import_deepchecks() -> Any:
    """``deepchecks.tabular``, or :class:`DeepchecksUnavailableError` saying why it cannot be used."""
    try:
        return importlib.import_module("deepchecks.tabular")
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "deepchecks":
            raise DeepchecksUnavailableError(
                "check_deepchecks needs the package 'deepchecks', which is not installed; its last release "
                f"needs {PINS}, so install it in a separate environment with those pins "
                "(it would downgrade this one), or pass a deepchecks SuiteResult computed there"
            ) from exc
        cause = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # deepchecks fails at import time with ValueError/AttributeError
        cause = f"{type(exc).__name__}: {exc}"
    raise DeepchecksUnavailableError(
        f"deepchecks is installed but cannot be imported ({cause}); its last release needs {PINS}, "
        f"and this environment has {_versions()}; run deepchecks in a separate environment with those pins "
        "and pass its SuiteResult to check_deepchecks"
    )


def _outcome(condition: Any, warn_fails: bool) -> Outcome:
    category = getattr(getattr(condition, "category", None), "value", None)
    category = str(category).upper() if category is not None else None
    if category == "ERROR":
        return Outcome.ERROR
    if category == "PASS":
        return Outcome.PASSED
    if category == "WARN":
        return Outcome.FAILED if warn_fails else Outcome.PASSED
    is_pass = getattr(condition, "is_pass", None)
    passed = is_pass() if callable(is_pass) else bool(is_pass)
    return Outcome.PASSED if passed else Outcome.FAILED


def _header(check_result: Any) -> str:
    get = getattr(check_result, "get_header", None)
    if callable(get):
        return str(get())
    return str(
        getattr(check_result, "header", None) or type(getattr(check_result, "check", check_result)).__name__
    )


def verdict(
    name: str, passed: bool | None, requirement: Requirement, reason: str, **where: Any
) -> MetricValue:
    """An outside tool's verdict as a judged figure: 1 (it holds) or 0, required to be 1.

    ``passed=None`` (the tool raised) gives an undefined figure with ``reason``.

    >>> verdict("Mixed Nulls", False, Requirement(), "deepchecks' verdict", check="c").outcome.value
    'failed'
    """
    value = None if passed is None else float(passed)
    required = Requirement(1.0, None, requirement.rule, requirement.confidence)
    return judge(name, Estimate(value, reason=reason), required, slice=where or None)


def map_suite_result(
    result: Any,
    *,
    warn_fails: bool = False,
    name: str | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
) -> CheckResult:
    """Turn a deepchecks ``SuiteResult`` into a :class:`~mltestkit.results.CheckResult`.

    Each condition becomes a figure named by the condition, with ``slice={"check": <deepchecks
    check>}``: deepchecks' verdict, 1 when it holds, required to be 1. ``PASS`` passes, ``FAIL``
    fails, ``WARN`` passes (fails with ``warn_fails=True``); ``ERROR`` and a check that raised (a
    deepchecks ``CheckFailure``) give an undefined figure and make the check an error.
    """
    requirement = Requirement(rule=rule, confidence=confidence)
    errors = False
    metrics: list[MetricValue] = []
    rows: list[dict[str, Any]] = []
    for item in getattr(result, "results", []):
        header = _header(item)
        exception = getattr(item, "exception", None)
        if exception is not None:
            errors = True
            why = f"the check raised {type(exception).__name__}: {exception}"
            metrics.append(verdict(header, None, requirement, why, check=header))
            rows.append(
                {"check": header, "condition": None, "category": "ERROR", "details": str(exception)[:500]}
            )
            continue
        for condition in getattr(item, "conditions_results", None) or []:
            outcome = _outcome(condition, warn_fails)
            label = str(getattr(condition, "name", "condition"))
            details = str(getattr(condition, "details", ""))[:500]
            errors |= outcome is Outcome.ERROR
            passed = None if outcome is Outcome.ERROR else outcome is Outcome.PASSED
            metrics.append(
                verdict(label, passed, requirement, "deepchecks' verdict (1 = it holds)", check=header)
            )
            category = getattr(getattr(condition, "category", None), "value", None)
            rows.append({"check": header, "condition": label, "category": category, "details": details})
    outcome = worst([m.outcome for m in metrics if m.outcome is not None] + [Outcome.ERROR] * errors)
    bad = [(m, r) for m, r in zip(metrics, rows, strict=True) if m.outcome is not Outcome.PASSED]
    lines = [
        f"{len(bad)} of {len(metrics)} deepchecks conditions failed"
        if bad
        else f"all {len(metrics)} deepchecks conditions hold"
    ]
    lines += [f"  {r['check']}: {r['condition'] or 'raised'}: {r['details'][:200]}" for _, r in bad[:10]]
    return CheckResult(
        name=name or str(getattr(result, "name", None) or "deepchecks"),
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message="\n".join(lines),
        details={"conditions": rows[:200]},
    )


def check_deepchecks(
    suite: Any,
    train: Any = None,
    test: Any = None,
    *,
    label: str | None = None,
    model: Any = None,
    cat_features: list[str] | None = None,
    warn_fails: bool = False,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Run a deepchecks tabular suite (or take its result) and map its conditions into a check.

    Parameters
    ----------
    suite:
        A deepchecks ``Suite`` to run, or a ``SuiteResult`` already computed (for example in a
        separate environment with deepchecks' pins).
    train, test:
        DataFrames for ``Suite.run``; wrapped in ``deepchecks.tabular.Dataset`` with ``label``
        and ``cat_features``.
    model:
        A fitted model passed to ``Suite.run``.
    warn_fails:
        Treat deepchecks ``WARN`` conditions as failures.
    rule, confidence, seed:
        Accepted for a uniform API: deepchecks' verdicts are judged by their value, and the
        suite draws with its own seeds.
    name:
        The check's name in the report (default: the suite's name).

    Raises
    ------
    DeepchecksUnavailableError
        When a suite must be run and deepchecks is missing or cannot be imported here; the message
        names the versions it needs and the ones installed.

    Examples
    --------
    >>> from types import SimpleNamespace as result
    >>> passed = result(name="PASS", value="PASS")
    >>> suite_result = result(name="data", results=[result(header="Mixed Nulls", conditions_results=[
    ...     result(name="at most 1 null type", category=passed, details="")])])
    >>> check_deepchecks(suite_result).outcome.value
    'passed'
    """
    if hasattr(suite, "results"):
        return map_suite_result(suite, warn_fails=warn_fails, name=name, rule=rule, confidence=confidence)
    tabular = import_deepchecks()

    def dataset(frame: Any) -> Any:
        return None if frame is None else tabular.Dataset(frame, label=label, cat_features=cat_features or [])

    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):  # progress bars
        result = suite.run(train_dataset=dataset(train), test_dataset=dataset(test), model=model)
    return map_suite_result(result, warn_fails=warn_fails, name=name, rule=rule, confidence=confidence)
