"""mltestkit: statistically honest acceptance tests for ML components.

Every check is a plain function that returns a :class:`~mltestkit.results.CheckResult`;
the pytest plugin (``pytest --ml``) records the results of a run in one JSON report.

>>> import mltestkit
>>> r = mltestkit.check_metric("accuracy", [1, 0, 1, 1] * 100, [1, 0, 1, 0] * 100, min=0.7)
>>> r.outcome.value
'passed'

Names are imported on first use, so ``import mltestkit`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

from ._version import __version__
from .errors import (
    CheckFailure,
    ConfigError,
    DeepchecksUnavailableError,
    InputError,
    MissingDependencyError,
    MLTestKitError,
    MLTestKitWarning,
    PredictError,
    ReportError,
    ServingError,
)


class CheckEntry(NamedTuple):
    """An entry of :data:`CHECKS`: where a check lives, its kind, and the session settings it takes."""

    module: str
    kind: str
    settings: tuple[str, ...]


#: The settings of a pytest session that a check can take as keyword arguments.
SESSION_SETTINGS = ("rule", "confidence", "seed", "allow_remote")
_GATED = ("rule", "confidence", "seed")
_REMOTE = (*_GATED, "allow_remote")

#: Checks the pytest ``ml`` fixture exposes: name -> :class:`CheckEntry`.
#: ``ml.<name>(...)`` calls ``mltestkit.<name>(...)`` with exactly the session settings named in
#: its entry (``seed`` is a seed derived per check), unless the test passes them itself, and
#: records the result on the running test.
CHECKS: dict[str, CheckEntry] = {
    "check_metric": CheckEntry("mltestkit.metrics", "metric", _GATED),
    "check_paired": CheckEntry("mltestkit.metrics.paired", "comparison", _GATED),
    "check_beats_simple_model": CheckEntry("mltestkit.metrics.baselines", "metric", _GATED),
    "check_reproducible": CheckEntry("mltestkit.metrics.baselines", "metric", _GATED),
    "check_slices": CheckEntry("mltestkit.slicing.slices", "slice", _GATED),
    "check_fairness": CheckEntry("mltestkit.slicing.fairness", "fairness", _GATED),
    "find_weak_slices": CheckEntry("mltestkit.slicing.weak", "slice", _GATED),
    "check_schema": CheckEntry("mltestkit.data.schema", "data", _GATED),
    "check_integrity": CheckEntry("mltestkit.data.integrity", "data", _GATED),
    "check_drift": CheckEntry("mltestkit.data.drift", "data", _GATED),
    "check_leakage": CheckEntry("mltestkit.data.leakage", "data", _GATED),
    "check_mft": CheckEntry("mltestkit.behavior.checks", "behavior", _GATED),
    "check_invariance": CheckEntry("mltestkit.behavior.checks", "behavior", _GATED),
    "check_directional": CheckEntry("mltestkit.behavior.checks", "behavior", _GATED),
    "search_invariance": CheckEntry("mltestkit.behavior.search", "behavior", _GATED),
    "check_latency": CheckEntry("mltestkit.serving.latency", "latency", _GATED),
    "check_fit_time": CheckEntry("mltestkit.serving.latency", "latency", _GATED),
    "load_test": CheckEntry("mltestkit.serving.load", "load", _REMOTE),
    "check_agreement": CheckEntry("mltestkit.serving.load", "load", _GATED),
    "check_contract": CheckEntry("mltestkit.serving.contract", "load", _REMOTE),
    "check_expectations": CheckEntry("mltestkit.data.great_expectations", "data", _GATED),
    "check_deepchecks": CheckEntry("mltestkit.data.deepchecks", "data", _GATED),
}

#: Other public names, imported lazily: name -> module.
_LAZY: dict[str, str] = {
    "CheckResult": "mltestkit.results",
    "MetricValue": "mltestkit.results",
    "Interval": "mltestkit.results",
    "Threshold": "mltestkit.results",
    "Outcome": "mltestkit.results",
    "Requirement": "mltestkit.stats.requirement",
    "Estimate": "mltestkit.stats.requirement",
    "judge": "mltestkit.stats.requirement",
    "METRICS": "mltestkit.metrics",
    "SliceCounts": "mltestkit.slicing.slices",
    "slice_counts": "mltestkit.slicing.slices",
    "merge": "mltestkit.slicing.slices",
    "fingerprint": "mltestkit.report",
    "read_report": "mltestkit.report",
    "write_report": "mltestkit.report",
    "Schema": "mltestkit.data.schema",
    "infer_schema": "mltestkit.data.schema",
    "describe_data": "mltestkit.data.stats",
    "serve": "mltestkit.serving",
    "start_server": "mltestkit.serving",
    "compare_reports": "mltestkit.report.compare",
    "score_report": "mltestkit.report.score",
    "markdown_card": "mltestkit.render.model_card",
    "hf_card": "mltestkit.render.model_card",
    "mct_json": "mltestkit.render.model_card",
    "dataset_card": "mltestkit.render.dataset_card",
    "html_report": "mltestkit.render.html",
}

__all__ = [
    "CHECKS",
    "SESSION_SETTINGS",
    "CheckEntry",
    "CheckFailure",
    "ConfigError",
    "DeepchecksUnavailableError",
    "InputError",
    "MLTestKitError",
    "MLTestKitWarning",
    "PredictError",
    "MissingDependencyError",
    "ReportError",
    "ServingError",
    "__version__",
    *CHECKS,
    *_LAZY,
]


#: Public submodules, imported on first use as attributes (``mltestkit.behavior.perturb``).
_SUBMODULES = {"perturb": "mltestkit.behavior.perturb", "behavior": "mltestkit.behavior"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    module = CHECKS[name][0] if name in CHECKS else _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mltestkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from . import behavior  # noqa: F401
    from .behavior import perturb  # noqa: F401
    from .behavior.checks import check_directional, check_invariance, check_mft  # noqa: F401
    from .behavior.search import search_invariance  # noqa: F401
    from .data.deepchecks import check_deepchecks  # noqa: F401
    from .data.drift import check_drift  # noqa: F401
    from .data.great_expectations import check_expectations  # noqa: F401
    from .data.integrity import check_integrity  # noqa: F401
    from .data.leakage import check_leakage  # noqa: F401
    from .data.schema import Schema, check_schema, infer_schema  # noqa: F401
    from .data.stats import describe_data  # noqa: F401
    from .metrics import METRICS, check_metric  # noqa: F401
    from .metrics.paired import check_paired  # noqa: F401
    from .render.dataset_card import dataset_card  # noqa: F401
    from .render.html import html_report  # noqa: F401
    from .render.model_card import hf_card, markdown_card, mct_json  # noqa: F401
    from .report import fingerprint, read_report, write_report  # noqa: F401
    from .report.compare import compare_reports  # noqa: F401
    from .report.score import score_report  # noqa: F401
    from .results import CheckResult, Interval, MetricValue, Outcome, Threshold  # noqa: F401
    from .serving import serve, start_server  # noqa: F401
    from .serving.contract import check_contract  # noqa: F401
    from .serving.latency import check_fit_time, check_latency  # noqa: F401
    from .serving.load import check_agreement, load_test  # noqa: F401
    from .slicing.fairness import check_fairness  # noqa: F401
    from .slicing.slices import SliceCounts, check_slices, merge, slice_counts  # noqa: F401
    from .slicing.weak import find_weak_slices  # noqa: F401
    from .stats.requirement import Estimate, Requirement, judge  # noqa: F401
