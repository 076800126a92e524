"""The zero-code acceptance suite: the checks that ``[tool.mltestkit]`` asks for.

:func:`plan` turns a :class:`~mltestkit.config.SuiteConfig` into a list of
:class:`PlannedCheck`: which check of :data:`mltestkit.CHECKS` to call and how to build its
arguments from the configured model and data. The pytest plugin makes one test item of each,
so ``-k``, ``-m`` and pytest-xdist work on them; any other runner can call
``planned.arguments(SuiteData(cfg))`` and the check itself.

Examples
--------
>>> from mltestkit.config import parse_config
>>> cfg = parse_config({"model": "m.skops", "train": "train.csv", "test": "test.csv", "label": "y",
...                     "thresholds": {"accuracy": {"min": 0.8}}}, root=".")
>>> [p.id for p in plan(cfg)]
['data[integrity]', 'data[drift]', 'data[leakage]', 'metric[accuracy]', 'metric[beats_simple_model]']
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .config import SuiteConfig
from .errors import ConfigError

Arguments = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass(frozen=True)
class PlannedCheck:
    """One generated check: the test item ``id``, the check to call, its marker and arguments."""

    id: str
    check: str
    marker: str
    arguments: Callable[[SuiteData], Arguments]


def import_object(spec: str, key: str) -> Any:
    """``'package.module:attribute'`` -> the attribute; errors name the config key."""
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ConfigError(f"tool.mltestkit.{key}: {spec!r} is not 'package.module:attribute'")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"tool.mltestkit.{key}: cannot import {spec!r} ({exc}); check the name and pytest's pythonpath"
        ) from exc


def load_model(cfg: SuiteConfig) -> Any:
    """Load the configured model: skops by default (refusing unknown types), pickle only if allowed."""
    spec = cfg.model
    if spec is None:
        raise ConfigError(
            "tool.mltestkit.model: not set; point it at a .skops file or 'package.module:function'"
        )
    path = cfg.root / spec
    if ":" in spec and not path.exists():
        return import_object(spec, "model")()
    if not path.is_file():
        raise ConfigError(f"tool.mltestkit.model: file {spec!r} not found under {cfg.root}")
    if path.suffix == ".skops":
        from .errors import require

        sio: Any = require("skops.io", "models", "Loading a .skops model")
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in cfg.trusted_types]
        if untrusted:
            raise ConfigError(
                f"tool.mltestkit.model: {spec} contains types skops does not trust by default: {', '.join(untrusted)}; "
                "review them and list them in tool.mltestkit.trusted_types"
            )
        return sio.load(path, trusted=list(cfg.trusted_types))
    if path.suffix in (".pkl", ".pickle", ".joblib"):
        if not cfg.allow_pickle:
            raise ConfigError(
                f"tool.mltestkit.model: {spec} is a pickle, which runs code when loaded; "
                "save the model with skops, or set allow_pickle = true if you trust the file"
            )
        import joblib

        return joblib.load(path)
    raise ConfigError(
        f"tool.mltestkit.model: unknown model file type {path.suffix!r}; use .skops (or .pkl/.joblib)"
    )


class SuiteData:
    """The configured model and data, loaded on first use and kept for the process."""

    def __init__(self, cfg: SuiteConfig) -> None:
        self.cfg = cfg

    def _frame(self, key: str) -> Any:
        from .data.io import load_frame

        path: Path | None = getattr(self.cfg, key)
        if path is None:
            raise ConfigError(f"tool.mltestkit.{key}: not set")
        return load_frame(path, argument=f"tool.mltestkit.{key}")

    @cached_property
    def engine(self) -> str:
        """The configured ``engine``; unset, DuckDB where it is installed, else pandas."""
        import importlib.util

        if self.cfg.engine is not None:
            return self.cfg.engine
        return "duckdb" if importlib.util.find_spec("duckdb") is not None else "pandas"

    def table(self, key: str) -> Any:
        """The ``train`` or ``test`` data for the data checks, as the configured ``engine`` reads
        it: the path itself (DuckDB scans it out of core), a polars LazyFrame, or the pandas
        frame the model checks use."""
        path: Path | None = getattr(self.cfg, key)
        if path is None:
            raise ConfigError(f"tool.mltestkit.{key}: not set")
        if self.engine == "pandas":
            return getattr(self, key)
        from .tables import open_table

        argument = f"tool.mltestkit.{key}"
        if self.engine == "duckdb":
            open_table(path, argument)  # a missing or unreadable path is refused here, naming the key
            return path
        return _scan_polars(path, argument)

    def columns_of(self, key: str) -> list[str]:
        """The column names of the ``train`` or ``test`` data (from its schema; no rows are read
        unless the engine is pandas)."""
        if self.engine == "pandas":
            return [str(c) for c in getattr(self, key).columns]
        from .tables import open_table

        return [str(c) for c in open_table(self.table(key), f"tool.mltestkit.{key}").collect_schema().names()]

    @cached_property
    def model(self) -> Any:
        return load_model(self.cfg)

    @cached_property
    def train(self) -> Any:
        return self._frame("train")

    @cached_property
    def test(self) -> Any:
        return self._frame("test")

    @cached_property
    def label(self) -> str:
        """The label column, checked against every configured data file."""
        label = self.cfg.label
        if label is None:
            raise ConfigError("tool.mltestkit.label: not set; name the label column")
        for key in ("train", "test"):
            if getattr(self.cfg, key) is None:
                continue
            columns = self.columns_of(key)
            if label not in columns:
                close = difflib.get_close_matches(label, columns, n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close else f"its columns are: {', '.join(columns[:20])}"
                )
                raise ConfigError(
                    f"tool.mltestkit.label: column {label!r} is not in the {key} data "
                    f"({getattr(self.cfg, key)}); {hint}"
                )
        return label

    def features(self, frame: Any) -> Any:
        cols = (
            list(self.cfg.features)
            if self.cfg.features
            else [c for c in frame.columns if c != self.label and c not in self.cfg.exclude]
        )
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ConfigError(f"tool.mltestkit.features: columns {missing} are not in the data")
        return frame[cols]

    @cached_property
    def X_test(self) -> Any:
        return self.features(self.test)

    @cached_property
    def X_train(self) -> Any:
        return self.features(self.train)

    @cached_property
    def y_test(self) -> Any:
        return self.test[self.label].to_numpy()

    @cached_property
    def y_train(self) -> Any:
        return self.train[self.label].to_numpy()

    @cached_property
    def predictions(self) -> Any:
        return self.model.predict(self.X_test)

    @cached_property
    def probabilities(self) -> Any:
        return self.model.predict_proba(self.X_test)

    @cached_property
    def scores(self) -> Any:
        proba = self.probabilities
        classes = list(getattr(self.model, "classes_", range(proba.shape[1])))
        pos = self.cfg.pos_label if self.cfg.pos_label is not None else classes[-1]
        return proba[:, classes.index(pos)]

    def scores_for(self, metric: str) -> Any:
        """What ``metric`` reads as ``y_score``: the whole probability matrix for a metric over
        every class (top-k accuracy, one-vs-rest AUC, log loss of more than two classes), else
        the positive class's column."""
        from .metrics import METRICS

        m = METRICS[metric]
        if m.matrix and (m.hits is not None or m.interval == "ovr" or self.probabilities.shape[1] > 2):
            return self.probabilities
        return self.scores

    def columns(self, names: Any, key: str) -> Any:
        names = list(names)
        missing = [c for c in names if c not in self.test.columns]
        if missing:
            raise ConfigError(f"tool.mltestkit.{key}: columns {missing} are not in the test data")
        return self.test[names]


def _metric_arguments(name: str, bounds: dict[str, float]) -> Callable[[SuiteData], Arguments]:
    def build(d: SuiteData) -> Arguments:
        kwargs: dict[str, Any] = {**bounds, "pos_label": d.cfg.pos_label, "name": name}
        if _needs_scores(name):
            return (name, d.y_test), {**kwargs, "y_score": d.scores_for(name)}
        return (name, d.y_test, d.predictions), kwargs

    return build


def _scan_polars(path: Path, argument: str) -> Any:
    """A polars LazyFrame over a Parquet file, directory or glob, or a CSV file."""
    from .errors import InputError, require

    pl: Any = require("polars", "polars", "tool.mltestkit.engine = 'polars'")
    text = str(path)
    if path.is_dir():
        text = str(path / "**" / "*.parquet")
    elif not path.exists() and not any(ch in text for ch in "*?["):
        raise InputError(
            argument, f"path {text!r} does not exist", "pass an existing file, directory or glob"
        )
    if path.suffix.lower() in (".csv", ".tsv"):
        return pl.scan_csv(text, separator="\t" if path.suffix.lower() == ".tsv" else ",")
    return pl.scan_parquet(text)


def plan(cfg: SuiteConfig) -> list[PlannedCheck]:
    """The checks the configuration asks for, in a stable order."""
    from .metrics import METRICS

    out: list[PlannedCheck] = []
    has_data = cfg.train is not None and cfg.test is not None and cfg.label is not None
    if cfg.schema is not None and cfg.test is not None:
        out.append(
            PlannedCheck(
                "data[schema]", "check_schema", "ml_data", lambda d: ((d.table("test"), d.cfg.schema), {})
            )
        )
    if cfg.train is not None and cfg.label is not None:
        out.append(
            PlannedCheck(
                "data[integrity]",
                "check_integrity",
                "ml_data",
                lambda d: ((d.table("train"),), {"label": d.label, "max": {"missing": None}}),
            )
        )
    if has_data:
        psi = cfg.bounds("drift.psi").get("max", 0.2)
        out.append(
            PlannedCheck(
                "data[drift]",
                "check_drift",
                "ml_data",
                lambda d: ((d.train, d.test), {"columns": list(d.X_train.columns), "max": {"psi": psi}}),
            )
        )
        out.append(
            PlannedCheck(
                "data[leakage]", "check_leakage", "ml_data", lambda d: ((d.train, d.test), {"label": d.label})
            )
        )
    if cfg.model is None or not has_data:
        return out
    for key in cfg.thresholds:
        if key in METRICS:
            out.append(
                PlannedCheck(
                    f"metric[{key}]", "check_metric", "ml_metric", _metric_arguments(key, cfg.bounds(key))
                )
            )
    for key in cfg.thresholds:
        group, _, metric = key.partition(".")
        if group == "slice" and cfg.slices:
            spec = cfg.threshold(key)
            out.append(
                PlannedCheck(f"slice[{metric}]", "check_slices", "ml_slice", _slice_arguments(metric, spec))
            )
    fairness = {k.partition(".")[2]: v for k, v in cfg.thresholds.items() if k.startswith("fairness.")}
    for sensitive in cfg.sensitive if fairness else ():
        columns = [sensitive] if isinstance(sensitive, str) else list(sensitive)
        check_id = f"fairness[{'*'.join(columns)}]"
        out.append(
            PlannedCheck(check_id, "check_fairness", "ml_fairness", _fairness_arguments(columns, fairness))
        )
    invariance = cfg.threshold("behavior.invariance")
    chosen, excluded = cfg.features, cfg.exclude

    def model_reads(column: str) -> bool:
        return column in chosen if chosen else column not in excluded

    for column in (c for c in cfg.sensitive if isinstance(c, str) and model_reads(c)):
        check_id = f"behavior[invariance:{column}]"
        out.append(
            PlannedCheck(
                check_id, "check_invariance", "ml_behavior", _invariance_arguments(column, invariance)
            )
        )
    if cfg.slices:
        weak = cfg.threshold("weak_slices")
        out.append(
            PlannedCheck("slice[weak_slices]", "find_weak_slices", "ml_slice", _weak_slice_arguments(weak))
        )
    latency = {
        k.partition(".")[2]: v.get("max") for k, v in cfg.thresholds.items() if k.startswith("latency.")
    }
    if latency:
        out.append(PlannedCheck("perf[latency]", "check_latency", "ml_perf", _latency_arguments(latency)))
    margin = cfg.threshold("baseline").get("margin", 0.0)
    out.append(
        PlannedCheck(
            "metric[beats_simple_model]",
            "check_beats_simple_model",
            "ml_metric",
            lambda d: ((d.model, d.X_train, d.y_train, d.X_test, d.y_test), {"margin": margin}),
        )
    )
    if cfg.train_function is not None:
        spread = cfg.threshold("reproducible").get("max")
        out.append(
            PlannedCheck(
                "metric[reproducible]", "check_reproducible", "ml_metric", _reproducible_arguments(spread)
            )
        )
    return out


def _slice_arguments(metric: str, spec: dict[str, float]) -> Callable[[SuiteData], Arguments]:
    def build(d: SuiteData) -> Arguments:
        columns = sorted({c for s in d.cfg.slices for c in ([s] if isinstance(s, str) else s)})
        frame = d.columns(columns, "slices")
        combos = [s if isinstance(s, str) else tuple(s) for s in d.cfg.slices]
        kwargs: dict[str, Any] = {k: v for k, v in spec.items() if k in ("min", "max", "rule")}
        if "min_size" in spec:
            kwargs["min_size"] = int(spec["min_size"])
        y_score = {"y_score": d.scores_for(metric)} if _needs_scores(metric) else {}
        return (metric, d.y_test, None if y_score else d.predictions), {
            "by": frame,
            "combos": combos,
            **kwargs,
            **y_score,
        }

    return build


def _needs_scores(metric: str) -> bool:
    """Whether the registry's entry for ``metric`` reads scores (``y_score``) rather than labels."""
    from .metrics import METRICS, SCORES

    return METRICS[metric].input == SCORES


def _fairness_arguments(
    columns: list[str], spec: dict[str, dict[str, Any]]
) -> Callable[[SuiteData], Arguments]:
    rules = {v["rule"] for v in spec.values() if "rule" in v}

    def build(d: SuiteData) -> Arguments:
        maxima = {k: v["max"] for k, v in spec.items() if "max" in v}
        minima = {k: v["min"] for k, v in spec.items() if "min" in v}
        kwargs: dict[str, Any] = {
            "by": d.columns(columns, "sensitive"),
            "max": maxima or None,
            "min": minima or None,
            "pos_label": d.cfg.pos_label,
        }
        if rules:
            kwargs["rule"] = next(iter(rules))
        return (d.y_test, d.predictions), kwargs

    return build


def _invariance_arguments(column: str, spec: dict[str, Any]) -> Callable[[SuiteData], Arguments]:
    """Swap each value of a sensitive column with the next one; the positive-class score must stay put."""

    def build(d: SuiteData) -> Arguments:
        from .behavior import perturb

        if column not in d.X_test.columns:
            raise ConfigError(
                f"tool.mltestkit.sensitive: {column!r} is not a model feature, so the model cannot depend on it; "
                "the invariance check applies to sensitive columns the model reads"
            )
        values = sorted(d.X_test[column].dropna().unique().tolist(), key=str)
        mapping = dict(zip(values, values[1:] + values[:1], strict=True))
        bounds: dict[str, Any] = {k: spec[k] for k in ("min", "max") if k in spec} or {"max": 0.05}
        kwargs: dict[str, Any] = {
            "tolerance": spec.get("tolerance", 0.05),
            **bounds,
            "output": 1,
            "name": f"invariance[{column}]",
        }
        if "rule" in spec:
            kwargs["rule"] = spec["rule"]
        return (d.model.predict_proba, d.X_test, perturb.swap(column, mapping)), kwargs

    return build


def _weak_slice_arguments(spec: dict[str, Any]) -> Callable[[SuiteData], Arguments]:
    def build(d: SuiteData) -> Arguments:
        columns = sorted({c for s in d.cfg.slices for c in ([s] if isinstance(s, str) else s)})
        kwargs: dict[str, Any] = {"by": d.columns(columns, "slices"), "metric": "accuracy", "depth": 2}
        if "max" in spec:
            kwargs["max"] = spec["max"]
        if "min_size" in spec:
            kwargs["min_size"] = int(spec["min_size"])
        return (d.y_test, d.predictions), kwargs

    return build


def _latency_arguments(limits: dict[str, float | None]) -> Callable[[SuiteData], Arguments]:
    def build(d: SuiteData) -> Arguments:
        bounds = {k: v for k, v in limits.items() if k in ("p50_ms", "p95_ms", "p99_ms") and v is not None}
        return (d.model.predict, d.X_test), {
            "max": bounds or None,
            "batch_sizes": list(d.cfg.latency_batch_sizes),
        }

    return build


def _reproducible_arguments(spread: float | None) -> Callable[[SuiteData], Arguments]:
    def build(d: SuiteData) -> Arguments:
        train = import_object(str(d.cfg.train_function), "train_function")
        return (train, d.train, d.X_test, d.y_test), {"seeds": list(d.cfg.seeds), "max": spread}

    return build
