"""Exceptions and warnings raised by mltestkit.

Every exception and warning class of mltestkit is defined here and exported from
:mod:`mltestkit`. Every error a user can cause is an :class:`MLTestKitError`. Its message names the
argument that was wrong, what was wrong with it and what to do instead, so that
the failure shown by pytest is enough to fix the test.

Examples
--------
>>> from mltestkit import check_metric
>>> from mltestkit.errors import InputError
>>> try:
...     check_metric("accuracy", [0, 1], [0], min=0.5)
... except InputError as exc:
...     print(exc)
y_pred: has 1 rows but y_true has 2; pass arrays of the same length, one entry per row
"""

from __future__ import annotations


class MLTestKitError(Exception):
    """Base class of every error raised by mltestkit."""


class InputError(MLTestKitError, ValueError):
    """An argument has a wrong value, shape or type."""

    def __init__(self, argument: str, problem: str, fix: str) -> None:
        self.argument = argument
        self.problem = problem
        self.fix = fix
        super().__init__(f"{argument}: {problem}; {fix}")


class PredictError(InputError):
    """The model's ``predict`` (or the function standing for it) raised inside a check.

    Every check that calls a model raises this one class, so the ``ml`` fixture records the same
    ERROR record whichever check it was; the original exception is its ``__cause__``.
    """

    def __init__(self, exc: BaseException, where: str = "") -> None:
        super().__init__(
            "predict", f"raised {type(exc).__name__}: {exc}{where}", "fix the model or the inputs"
        )


class ConfigError(MLTestKitError):
    """A configuration value (command-line option, ini key, ``[tool.mltestkit]``) is wrong."""


class ReportError(MLTestKitError):
    """A report file cannot be read, is corrupt, or has an unsupported schema version."""


class MissingDependencyError(MLTestKitError, ImportError):
    """An optional dependency is not installed.

    The message names the pip extra that brings it, e.g. ``pip install "mltestkit[gx]"``.
    """

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the package '{package}', which is not installed; "
            f'install it with: pip install "mltestkit[{extra}]"'
        )


class ServingError(MLTestKitError):
    """A server did not come up or died, or a load generator failed; the message quotes its log."""


class DeepchecksUnavailableError(MLTestKitError, ImportError):
    """deepchecks is not installed, or cannot be imported next to the installed numpy/scikit-learn."""


class CheckFailure(MLTestKitError, AssertionError):
    """Raised by the pytest ``ml`` fixture when a check's gate says the test fails.

    It is an :class:`AssertionError`, so pytest shows it as an ordinary test failure.
    """


class MLTestKitWarning(UserWarning):
    """Issued when a check is inconclusive under the lenient ``alarm`` rule, or a figure is unreliable."""


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside mltestkit.

    Frames of ``mltestkit`` and of its pytest plugin are skipped, so a warning issued deep in a
    check, called directly or through the ``ml`` fixture, names the line of the user's test.

    >>> caller_stacklevel() >= 1
    True
    """
    import sys

    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in (
        "mltestkit",
        "pytest_mltestkit",
    ):
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    return level


def require(module: str, extra: str, purpose: str) -> object:
    """Import an optional dependency or raise :class:`MissingDependencyError`.

    >>> require("json", "core", "Reading reports")  # doctest: +ELLIPSIS
    <module 'json' ...>
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
