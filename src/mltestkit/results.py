"""The one result type every check returns.

A :class:`CheckResult` has a name, a kind, an outcome, a list of measured
:class:`MetricValue` (each with its interval, threshold and rule) and free-form
``details`` (counterexamples, tables, samples). It converts to and from plain
JSON-safe dictionaries, which is what travels between pytest-xdist workers and
what the report stores.

Examples
--------
>>> from mltestkit.results import CheckResult, MetricValue, Outcome
>>> r = CheckResult(name="accuracy", kind="metric", outcome=Outcome.PASSED,
...                 metrics=[MetricValue(name="accuracy", value=0.9, n=100)])
>>> CheckResult.from_dict(r.to_dict()) == r
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from .errors import InputError

#: Kinds of check; the report and the renderers group by them.
KINDS = ("metric", "slice", "fairness", "data", "behavior", "latency", "load", "comparison", "custom")


class Outcome(str, Enum):
    """What a check concluded."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    #: Not evaluated (for example a slice smaller than ``min_size``).
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


#: Severity order used to combine outcomes: the worst one wins.
_SEVERITY = {
    Outcome.SKIPPED: 0,
    Outcome.PASSED: 1,
    Outcome.INCONCLUSIVE: 2,
    Outcome.FAILED: 3,
    Outcome.ERROR: 4,
}


def worst(outcomes: list[Outcome]) -> Outcome:
    """The most severe of several outcomes (``passed`` when there are none to gate).

    >>> worst([Outcome.PASSED, Outcome.INCONCLUSIVE])
    <Outcome.INCONCLUSIVE: 'inconclusive'>
    """
    gated = [o for o in outcomes if o is not Outcome.SKIPPED]
    if not gated:
        return Outcome.PASSED if not outcomes else Outcome.SKIPPED
    return max(gated, key=_SEVERITY.__getitem__)


def json_number(x: Any) -> float | int | None:
    """A finite Python number, or ``None`` for NaN, infinities and ``None``."""
    if x is None:
        return None
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    f = float(x)
    if math.isnan(f) or math.isinf(f):
        return None
    if f.is_integer() and hasattr(x, "dtype") and "int" in str(x.dtype):
        return int(f)
    return f


def to_jsonable(obj: Any) -> Any:
    """Turn numpy scalars, arrays, tuples, enums and non-finite floats into JSON-safe builtins.

    Raises :class:`TypeError` for objects it does not know, instead of guessing with ``str``.
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (int, float)):
        return json_number(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    mod = type(obj).__module__
    if (mod == "numpy" or mod.startswith("numpy.")) and hasattr(obj, "tolist"):
        return to_jsonable(obj.tolist())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if mod.startswith("pandas"):
        import pandas as pd

        if obj is pd.NA or obj is pd.NaT:
            return None
        if isinstance(obj, (pd.Series, pd.Index)):
            return to_jsonable(obj.tolist())
        if isinstance(obj, pd.DataFrame):
            return to_jsonable(obj.to_dict(orient="records"))
    raise TypeError(f"cannot store an object of type {type(obj).__name__} in a report")


def fails_test(outcome: Outcome | str | None, rule: str | None) -> bool:
    """Whether a record with ``outcome`` under ``rule`` fails the test that carries it.

    The one answer to that question, for live results and for report records alike: failed
    and error records fail; inconclusive ones fail unless the rule is ``alarm`` (which passes
    them with a warning); passed, skipped and ungated (``None``) records do not.

    >>> fails_test("inconclusive", "acceptance"), fails_test("inconclusive", "alarm"), fails_test(None, None)
    (True, False, False)
    """
    if outcome is None:
        return False
    outcome = Outcome(outcome)
    if outcome in (Outcome.FAILED, Outcome.ERROR):
        return True
    return outcome is Outcome.INCONCLUSIVE and rule != "alarm"


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval at ``level`` computed by ``method``."""

    low: float | None
    high: float | None
    level: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": json_number(self.low),
            "high": json_number(self.high),
            "level": self.level,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Interval:
        return cls(low=d.get("low"), high=d.get("high"), level=d["level"], method=d["method"])


@dataclass(frozen=True)
class Threshold:
    """A requirement ``value op threshold`` with ``op`` one of ``>=`` or ``<=``."""

    op: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "value": json_number(self.value)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Threshold:
        return cls(op=d["op"], value=d["value"])

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class MetricValue:
    """One measured figure with its interval and the requirement it was gated against.

    ``value`` is ``None`` when the figure is undefined; ``reason`` then says why.
    """

    name: str
    value: float | None
    n: int | None = None
    ci: Interval | None = None
    thresholds: tuple[Threshold, ...] = ()
    rule: str | None = None
    outcome: Outcome | None = None
    slice: Mapping[str, Any] | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        value = json_number(self.value)
        reason = self.reason
        if value is None and self.value is not None and reason is None:
            reason = f"value is not finite ({self.value})"
        return {
            "name": self.name,
            "value": value,
            "n": self.n,
            "ci": self.ci.to_dict() if self.ci else None,
            "threshold": [t.to_dict() for t in self.thresholds],
            "rule": self.rule,
            "outcome": self.outcome.value if self.outcome else None,
            "slice": to_jsonable(dict(self.slice)) if self.slice is not None else None,
            "reason": reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MetricValue:
        return cls(
            name=d["name"],
            value=d.get("value"),
            n=d.get("n"),
            ci=Interval.from_dict(d["ci"]) if d.get("ci") else None,
            thresholds=tuple(Threshold.from_dict(t) for t in d.get("threshold") or ()),
            rule=d.get("rule"),
            outcome=Outcome(d["outcome"]) if d.get("outcome") else None,
            slice=d.get("slice"),
            reason=d.get("reason"),
        )

    def describe(self) -> str:
        """One line: ``accuracy = 0.912 [0.890, 0.931] (>= 0.8, acceptance, n=1000): passed``."""
        if self.value is None:
            text = f"{self.name} undefined ({self.reason or 'no value'})"
        else:
            text = f"{self.name} = {self.value:.4g}"
            if self.ci and self.ci.low is not None and self.ci.high is not None:
                text += f" [{self.ci.low:.4g}, {self.ci.high:.4g}]"
        extras = [str(t) for t in self.thresholds]
        if self.rule:
            extras.append(self.rule)
        if self.n is not None:
            extras.append(f"n={self.n}")
        if self.slice:
            extras.append(", ".join(f"{k}={v}" for k, v in self.slice.items()))
        if extras:
            text += f" ({', '.join(extras)})"
        if self.outcome:
            text += f": {self.outcome.value}"
        return text


@dataclass(frozen=True)
class CheckResult:
    """The result of one check.

    Attributes
    ----------
    name, kind:
        What was checked (``"accuracy"``, ``"metric"``).
    outcome:
        The combined outcome of all gated metrics.
    metrics:
        The measured figures.
    rule:
        The gate rule that decided (``acceptance``, ``alarm`` or ``point``).
    message:
        A human-readable explanation, shown when the check fails.
    details:
        JSON-safe extra data: tables, counterexamples, samples.
    """

    name: str
    kind: str
    outcome: Outcome
    metrics: list[MetricValue] = field(default_factory=list)
    rule: str | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        subclass = isinstance(self.name, str) and type(self.name) is not str  # np.str_
        if subclass or (isinstance(self.name, numbers.Number) and not isinstance(self.name, bool)):
            object.__setattr__(self, "name", str(self.name))
        elif not isinstance(self.name, str):
            raise InputError("name", f"must be a string, got {self.name!r}", "pass e.g. name='accuracy'")

    @property
    def fails_test(self) -> bool:
        """Whether a pytest test carrying this result should fail.

        Failed and error results fail the test; inconclusive ones fail it under the
        ``acceptance`` rule and pass (with a warning) under ``alarm``.
        """
        return fails_test(self.outcome, self.rule)

    def with_details(self, **details: Any) -> CheckResult:
        return replace(self, details={**self.details, **details})

    def describe(self) -> str:
        """A multi-line explanation of the result."""
        lines = [f"{self.kind} check '{self.name}': {self.outcome.value}"]
        if self.message:
            lines.append(self.message)
        lines.extend(f"  {m.describe()}" for m in self.metrics[:20] if m.describe() not in self.message)
        if len(self.metrics) > 20:
            lines.append(f"  ... and {len(self.metrics) - 20} more figures in the report")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "outcome": self.outcome.value,
            "fails_test": self.fails_test,
            "rule": self.rule,
            "message": self.message,
            "metrics": [m.to_dict() for m in self.metrics],
            "details": to_jsonable(self.details),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        return cls(
            name=d["name"],
            kind=d["kind"],
            outcome=Outcome(d["outcome"]),
            metrics=[MetricValue.from_dict(m) for m in d.get("metrics") or []],
            rule=d.get("rule"),
            message=d.get("message", ""),
            details=dict(d.get("details") or {}),
        )
