"""The run's ML options (command line over ini) as one frozen :class:`Settings`, and the stash keys.

Every other module of the plugin reads its state through these keys, so none of them needs
to import another one for it. This module imports only the standard library and pytest; the
validators import :mod:`mltestkit.stats.requirement` when an option is parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from mltestkit.results import CheckResult

MARKERS = {
    "ml": "an ML acceptance test; ml(score='section.N') maps it to an ML Test Score item",
    "ml_data": "an ML data-validation test",
    "ml_behavior": "an ML behavioral test (minimum functionality, invariance, directional)",
    "ml_slice": "an ML slice-based evaluation",
    "ml_fairness": "an ML fairness evaluation",
    "ml_metric": "an ML metric threshold",
    "ml_perf": "an ML inference latency or throughput test",
    "ml_load": "a load test of a served ML model",
}
SKIP_REASON = "ML checks run with --ml"
SERVER_SCOPES = ("function", "class", "module", "package", "session")


@dataclass(frozen=True)
class Settings:
    """The run's resolved ML options (command line over ini).

    ``rule``, ``confidence``, ``seed`` and ``allow_remote`` are the session settings the ``ml``
    fixture passes to every check that takes them (see :data:`mltestkit.CHECKS`).
    """

    enabled: bool
    report: str | None
    rule: str
    confidence: float
    seed: int
    baseline: str | None = None
    margins: tuple[str, ...] = ()
    allow_missing: bool = False
    model_card: str | None = None
    html: str | None = None
    allow_remote: bool = False
    server_scope: str = "function"


@dataclass
class TestRecord:
    """What the checks of one test left behind; ``checks`` travel to the controller as plain data."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    soft_failures: list[CheckResult] = field(default_factory=list)
    sent: int = 0


SETTINGS_KEY = pytest.StashKey[Settings]()
#: The parsed ``[tool.mltestkit]`` table (or None), set with --ml.
SUITE_CONFIG_KEY = pytest.StashKey[Any]()
#: On a test item: the :class:`TestRecord` of its checks.
RECORD_KEY = pytest.StashKey[TestRecord]()


def _rule(value: str) -> str:
    from mltestkit.errors import InputError
    from mltestkit.stats.requirement import validate_rule

    try:
        return validate_rule(value)
    except InputError:
        raise ValueError(value) from None


def _confidence(value: str) -> float:
    from mltestkit.errors import InputError
    from mltestkit.stats.requirement import validate_level

    try:
        return validate_level(float(value))
    except InputError:
        raise ValueError(value) from None


def _seed(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _margin(value: str) -> str:
    number = float(value.rpartition("=")[2])
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(value)
    return value


def _rules() -> str:
    from mltestkit.stats.requirement import RULES

    return "one of " + ", ".join(RULES)


#: The ``metavar`` shown by ``pytest --help`` (the rules of :mod:`mltestkit.stats.requirement`).
METAVARS = {"gate": "{acceptance,alarm,point}", "confidence": "LEVEL", "seed": "INT"}

#: option -> (parser raising ValueError, the accepted form for the message)
FORMS: dict[str, tuple[Callable[[str], Any], Callable[[], str]]] = {
    "gate": (_rule, _rules),
    "margin": (
        _margin,
        lambda: "NAME=VALUE with a non-negative number, e.g. accuracy=0.01, or a bare number",
    ),
    "confidence": (_confidence, lambda: "a number in [0.5, 1), e.g. 0.95"),
    "seed": (_seed, lambda: "a non-negative integer, e.g. 0"),
}


def option_type(kind: str) -> Callable[[str], Any]:
    """The ``type=`` of ``--ml-<kind>``: the parsed value, or a usage error naming the accepted form."""
    convert, form = FORMS[kind]

    def parse(value: str) -> Any:
        try:
            return convert(value)
        except ValueError:
            raise pytest.UsageError(f"--ml-{kind}: {value!r} is not valid; expected {form()}") from None

    parse.__name__ = f"ml_{kind}"
    return parse


def _ini(config: pytest.Config, kind: str) -> Any:
    raw = str(config.getini(f"ml_{kind}")).strip()
    convert, form = FORMS[kind]
    try:
        return convert(raw)
    except ValueError:
        raise pytest.UsageError(f"ini key ml_{kind}: {raw!r} is not valid; expected {form()}") from None


def server_scope(config: pytest.Config) -> str:
    """The ini key ``ml_server_scope``, checked."""
    scope = str(config.getini("ml_server_scope")).strip() or "function"
    if scope not in SERVER_SCOPES:
        raise pytest.UsageError(
            f"ini key ml_server_scope: {scope!r} is not valid; expected one of {', '.join(SERVER_SCOPES)}"
        )
    return scope


def resolve_settings(config: pytest.Config) -> Settings:
    """The run's :class:`Settings`; a wrong value is a :class:`pytest.UsageError`."""

    def pick(kind: str) -> Any:
        value = config.getoption(f"ml_{kind}")
        return value if value is not None else _ini(config, kind)

    def path(name: str) -> str | None:
        return config.getoption(name) or str(config.getini(name)).strip() or None

    return Settings(
        enabled=bool(config.getoption("ml") or config.getini("ml")),
        report=path("ml_report"),
        rule=pick("gate"),
        confidence=pick("confidence"),
        seed=pick("seed"),
        baseline=path("ml_baseline"),
        margins=tuple(config.getoption("ml_margin") or config.getini("ml_margins") or ()),
        allow_missing=bool(config.getoption("ml_allow_missing") or config.getini("ml_allow_missing")),
        model_card=path("ml_model_card"),
        html=path("ml_html"),
        allow_remote=bool(config.getini("ml_allow_remote")),
        server_scope=server_scope(config),
    )
