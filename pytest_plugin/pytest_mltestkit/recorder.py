"""The object behind the ``ml`` fixture: calls mltestkit checks and records their results."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import mltestkit
from mltestkit.errors import CheckFailure, MLTestKitError, MLTestKitWarning
from mltestkit.results import CheckResult, Outcome

from .settings import RECORD_KEY, SUITE_CONFIG_KEY, Settings, TestRecord

#: Checks whose requirement can come from ``[tool.mltestkit.thresholds]``: check -> key prefix.
CONFIG_THRESHOLDS = {"check_metric": "", "check_slices": "slice."}


def record_of(item: pytest.Item) -> TestRecord:
    if RECORD_KEY not in item.stash:
        item.stash[RECORD_KEY] = TestRecord()
    return item.stash[RECORD_KEY]


def derive_seed(session_seed: int, nodeid: str, index: int) -> int:
    """A seed per check that depends only on the session seed, the test and the check's position,
    so a run gives the same figures serially and under pytest-xdist.

    >>> derive_seed(0, "t.py::test_a", 0) == derive_seed(0, "t.py::test_a", 0) != derive_seed(0, "t.py::test_a", 1)
    True
    """
    digest = hashlib.sha256(f"{session_seed}\x00{nodeid}\x00{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def session_arguments(settings: Settings, names: tuple[str, ...], seed: int) -> dict[str, Any]:
    """The keyword arguments of the session settings ``names`` (``seed`` is the check's own seed).

    >>> from pytest_mltestkit.settings import Settings
    >>> s = Settings(enabled=True, report=None, rule="alarm", confidence=0.9, seed=0)
    >>> session_arguments(s, ("rule", "seed", "allow_remote"), seed=17)
    {'rule': 'alarm', 'seed': 17, 'allow_remote': False}
    """
    values = {
        "rule": settings.rule,
        "confidence": settings.confidence,
        "seed": seed,
        "allow_remote": settings.allow_remote,
    }
    return {name: values[name] for name in names}


def _label(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    name = kwargs.get("name") or (args[0] if args and isinstance(args[0], str) else function.__name__)
    return str(name)


def terminal_progress(config: pytest.Config, label: str) -> Callable[[float, int, int], None] | bool:
    """A load-test progress callback that writes through pytest's terminal reporter (past output capture);
    ``True`` (locust's own lines on stderr) where there is no terminal, as on a pytest-xdist worker."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or hasattr(config, "workerinput"):
        return True

    def show(elapsed: float, requests: int, failures: int) -> None:
        from mltestkit.render.text import plain

        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"load test {plain(label)}: {elapsed:.0f} s, {requests} requests, {failures} failures"
            )

    return show


def error_text(exc: BaseException) -> str:
    """The message of an ERROR record: an mltestkit error as it is, any other with its type.

    >>> error_text(ValueError("predict failed")), error_text(MLTestKitError("bad input"))
    ('ValueError: predict failed', 'bad input')
    """
    return str(exc) if isinstance(exc, MLTestKitError) else f"{type(exc).__name__}: {exc}"


class MLRecorder:
    """Runs checks for one test. ``ml.<check>(...)`` for every name in :data:`mltestkit.CHECKS`."""

    def __init__(self, item: pytest.Item, settings: Settings) -> None:
        self._item = item
        self._settings = settings
        self._record = record_of(item)
        self._soft_depth = 0
        self._calls = 0

    # ------------------------------------------------------------------ settings
    @property
    def rule(self) -> str:
        """The session's gate rule (``--ml-gate``)."""
        return self._settings.rule

    @property
    def confidence(self) -> float:
        """The session's interval level (``--ml-confidence``)."""
        return self._settings.confidence

    @property
    def seed(self) -> int:
        """A seed for this test, derived from ``--ml-seed`` and the test's id."""
        return derive_seed(self._settings.seed, self._item.nodeid, -1)

    # ------------------------------------------------------------------ checks
    def __getattr__(self, name: str) -> Callable[..., CheckResult]:
        if name.startswith("_") or name not in mltestkit.CHECKS:
            known = ", ".join(sorted(mltestkit.CHECKS))
            raise AttributeError(f"'ml' has no check {name!r}; the checks are: {known}")
        entry = mltestkit.CHECKS[name]
        function = getattr(importlib.import_module(entry.module), name)
        return self._bind(function, entry)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(mltestkit.CHECKS))

    def _bind(
        self, function: Callable[..., CheckResult], entry: mltestkit.CheckEntry
    ) -> Callable[..., CheckResult]:
        @functools.wraps(function)
        def run(*args: Any, soft: bool = False, **kwargs: Any) -> CheckResult:
            __tracebackhide__ = True
            index = self._calls
            self._calls += 1
            seed = derive_seed(self._settings.seed, self._item.nodeid, index)
            for key, value in session_arguments(self._settings, entry.settings, seed).items():
                kwargs.setdefault(key, value)
            try:
                self._configured_bounds(function.__name__, args, kwargs)
                if function.__name__ == "load_test" and "progress" not in kwargs:
                    kwargs["progress"] = terminal_progress(self._item.config, _label(function, args, kwargs))
                result = function(*args, **kwargs)
            except Exception as exc:
                label = _label(function, args, kwargs)
                error = CheckResult(
                    name=label,
                    kind=entry.kind,
                    outcome=Outcome.ERROR,
                    message=error_text(exc),
                    details={"exception": type(exc).__name__},
                )
                self._store(error)
                raise
            self.record(result, soft=soft)
            return result

        return run

    def _configured_bounds(self, check: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Fill ``min``/``max`` from ``[tool.mltestkit.thresholds]`` when the test gives neither."""
        cfg = self._item.config.stash.get(SUITE_CONFIG_KEY, None)
        prefix = CONFIG_THRESHOLDS.get(check)
        if cfg is None or prefix is None or kwargs.get("min") is not None or kwargs.get("max") is not None:
            return
        metric = args[0] if args else kwargs.get("metric")
        if isinstance(metric, str):
            kwargs.update(cfg.bounds(prefix + metric))

    def record(self, result: CheckResult, *, soft: bool = False) -> CheckResult:
        """Record a result made elsewhere (e.g. by a library call) and apply its gate."""
        __tracebackhide__ = True
        if not isinstance(result, CheckResult):
            raise TypeError(f"ml.record expects a CheckResult, got {type(result).__name__}")
        stored = self._store(result)
        if stored["outcome"] == Outcome.ERROR.value and result.outcome is not Outcome.ERROR:
            raise CheckFailure(stored["message"])
        if result.outcome is Outcome.INCONCLUSIVE and not result.fails_test:
            warnings.warn(
                MLTestKitWarning(f"inconclusive, passed under the alarm rule: {result.describe()}"),
                stacklevel=3,
            )
        if result.fails_test:
            if soft or self._soft_depth:
                self._record.soft_failures.append(result)
            else:
                from mltestkit.render.terminal import failure_text

                raise CheckFailure(failure_text(result.to_dict()))
        return result

    def _store(self, result: CheckResult) -> dict[str, Any]:
        from mltestkit.report import check_record

        stored = check_record(result)
        self._record.checks.append(stored)
        return stored

    @contextlib.contextmanager
    def soft(self) -> Iterator[MLRecorder]:
        """Run several checks; failures are collected and raised together at the end of the block.

        >>> with ml.soft():                                      # doctest: +SKIP
        ...     ml.check_metric("accuracy", y, pred, min=0.8)
        ...     ml.check_metric("recall", y, pred, min=0.7)
        """
        self._soft_depth += 1
        try:
            yield self
        finally:
            self._soft_depth -= 1
        if self._soft_depth == 0:
            raise_soft_failures(self._record)

    def fingerprint(self, name: str, obj: Any) -> str:
        """Record a sha256 fingerprint of data or a model under ``name`` in the report's provenance."""
        from mltestkit.report import fingerprint

        fp = fingerprint(obj)
        fp["test"] = self._item.nodeid
        self._record.fingerprints[str(name)] = fp
        return str(fp["sha256"])


def raise_soft_failures(record: TestRecord) -> None:
    __tracebackhide__ = True
    failures, record.soft_failures = record.soft_failures, []
    if failures:
        from mltestkit.render.terminal import failure_text

        text = "\n\n".join(failure_text(f.to_dict()) for f in failures)
        raise CheckFailure(f"{len(failures)} soft check(s) failed:\n{text}")
