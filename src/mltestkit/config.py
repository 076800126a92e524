"""``[tool.mltestkit]``: a team's model requirements, declared in ``pyproject.toml``.

>>> cfg = parse_config({"label": "target", "thresholds": {"accuracy": {"min": 0.8}}}, root=".")
>>> cfg.thresholds["accuracy"]
{'min': 0.8}
>>> parse_config({"lable": "target"}, root=".")
Traceback (most recent call last):
...
mltestkit.errors.ConfigError: tool.mltestkit.lable: unknown key; did you mean 'label'?

Every error names the key's path (``tool.mltestkit.thresholds.accuracy.min``) and the fix.
"""

from __future__ import annotations

import difflib
import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .stats.requirement import RULES

PREFIX = "tool.mltestkit"

#: Top-level keys: name -> (type check, description).
KEYS: dict[str, str] = {
    "model": "a skops file (safe), a pickle/joblib file (with allow_pickle), or 'package.module:function' returning the model",
    "allow_pickle": "true to load pickle/joblib model files, which run code when loaded",
    "trusted_types": "types a skops file may contain beyond skops' defaults",
    "train": "training data: a CSV file, or Parquet data (a file, a directory of files, or a glob)",
    "test": "evaluation data: a CSV file, or Parquet data (a file, a directory of files, or a glob)",
    "engine": "what computes the data checks (schema, integrity) on train/test: 'duckdb' (scanned out of core; the default when duckdb is installed), 'polars' (scanned lazily) or 'pandas' (read into memory; the default without duckdb)",
    "label": "the label column",
    "pos_label": "the positive class, when labels are not 0/1",
    "features": "columns fed to the model (default: all but the label and `exclude`)",
    "exclude": "columns that are not features (ids, derived groups)",
    "sensitive": "sensitive attributes: one fairness check each (a list inside the list: intersectional groups)",
    "slices": "slice columns; a list inside the list is an intersection",
    "schema": "a schema file (YAML or JSON) the test data must follow",
    "train_function": "'package.module:function(frame, seed) -> fitted model', for reproducibility checks",
    "seeds": "seeds for the reproducibility spread (default [0, 1, 2])",
    "latency_batch_sizes": "batch sizes of the latency check (default [1, 32])",
    "thresholds": "requirements: '<metric>', 'slice.<metric>', 'fairness.<disparity>', 'drift.<statistic>', 'latency.<figure>', ...",
}

#: Values of ``engine``: who computes the data checks' figures over the ``train`` / ``test`` data.
ENGINES = ("duckdb", "polars", "pandas")

#: Threshold groups (the part before the dot) and what they gate.
GROUPS = ("slice", "fairness", "drift", "latency", "behavior", "weak_slices", "baseline", "reproducible")
BOUND_KEYS = ("min", "max")
EXTRA_KEYS = ("min_size", "margin", "tolerance")
#: Older spellings of a bound, still read (with a DeprecationWarning) for this release.
OLD_BOUND_KEYS = {"max_failure_rate": "max", "min_pass_rate": "min"}


@dataclass(frozen=True)
class SuiteConfig:
    """The parsed ``[tool.mltestkit]`` table; paths are resolved against ``root``."""

    root: Path
    model: str | None = None
    allow_pickle: bool = False
    trusted_types: tuple[str, ...] = ()
    train: Path | None = None
    test: Path | None = None
    engine: str | None = None
    label: str | None = None
    pos_label: Any = None
    features: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    sensitive: tuple[str | tuple[str, ...], ...] = ()
    slices: tuple[str | tuple[str, ...], ...] = ()
    schema: Path | None = None
    train_function: str | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    latency_batch_sizes: tuple[int, ...] = (1, 32)
    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def threshold(self, key: str) -> dict[str, Any]:
        """The requirement declared for ``key`` (e.g. ``"accuracy"``, ``"slice.recall"``), or ``{}``."""
        return dict(self.thresholds.get(key, {}))

    def bounds(self, key: str) -> dict[str, Any]:
        """The ``min``/``max`` (and ``rule``, when set) of a requirement, as keyword arguments of a check."""
        return {k: v for k, v in self.threshold(key).items() if k in (*BOUND_KEYS, "rule")}


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(options)}"


def _error(path: str, problem: str) -> ConfigError:
    return ConfigError(f"{PREFIX}.{path}: {problem}")


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _error(path, f"must be a non-empty string, got {value!r}")
    return value


def _str_list(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _error(path, f"must be a list of strings, got {value!r}")
    return tuple(_str(v, f"{path}[{i}]") for i, v in enumerate(value))


def _groups(value: Any, path: str) -> tuple[str | tuple[str, ...], ...]:
    """Column names, where a list inside the list is an intersection of columns."""
    if not isinstance(value, list):
        raise _error(path, f"must be a list of column names, got {value!r}")
    return tuple(
        _str_list(v, f"{path}[{i}]") if isinstance(v, list) else _str(v, f"{path}[{i}]")
        for i, v in enumerate(value)
    )


def _int_list(value: Any, path: str) -> tuple[int, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise _error(path, f"must be a non-empty list of integers, got {value!r}")
    return tuple(value)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _error(path, f"must be a finite number, got {value!r}")
    return float(value)


#: Groups whose key is the group alone (``weak_slices = { max = 0.1 }``).
BARE_GROUPS = ("weak_slices", "baseline", "reproducible")


def enforced_names(group: str) -> tuple[str, ...]:
    """The names after ``<group>.`` that a generated check enforces.

    >>> enforced_names("latency"), enforced_names("drift")
    (('p50_ms', 'p95_ms', 'p99_ms'), ('psi',))
    """
    from .metrics import METRICS
    from .serving.latency import QUANTILES
    from .slicing.fairness import DISPARITIES

    names: dict[str, tuple[str, ...]] = {
        "slice": tuple(METRICS),
        "fairness": tuple(DISPARITIES),
        "drift": ("psi",),
        "latency": tuple(QUANTILES),
        "behavior": ("invariance",),
    }
    return names.get(group, ())


#: The keys each kind of requirement reads (the generated check ignores nothing it is given).
REQUIREMENT_KEYS: dict[str, tuple[str, ...]] = {
    "metric": ("min", "max", "rule"),
    "slice": ("min", "max", "rule", "min_size"),
    "fairness": ("min", "max", "rule"),
    "drift": ("max",),
    "latency": ("max",),
    "behavior": ("min", "max", "rule", "tolerance"),
    "weak_slices": ("max", "min_size"),
    "baseline": ("margin",),
    "reproducible": ("max",),
}


def keys_of(key: str) -> tuple[str, ...]:
    """The keys the requirement ``key`` may set.

    >>> keys_of("accuracy"), keys_of("drift.psi"), keys_of("baseline")
    (('min', 'max', 'rule'), ('max',), ('margin',))
    """
    group = key.partition(".")[0]
    return REQUIREMENT_KEYS.get(group if group in REQUIREMENT_KEYS else "metric", ())


def _threshold_key(key: str) -> None:
    """Refuse a key that no generated check enforces, with a suggestion."""
    from .metrics import METRICS

    group, _, name = key.partition(".")
    path = f"thresholds.{key}"
    if not name:
        if key in BARE_GROUPS or key in METRICS:
            return
        if key in GROUPS:
            raise _error(
                path,
                f"name what it bounds; use one of {', '.join(f'{key}.{n}' for n in enforced_names(key))}",
            )
        raise _error(path, f"unknown metric; {_suggest(key, [*METRICS, *BARE_GROUPS])}")
    if group not in GROUPS:
        raise _error(path, f"unknown group {group!r}; {_suggest(group, GROUPS)}")
    if group in BARE_GROUPS:
        raise _error(path, f"{group} takes no name; write thresholds.{group} = {{ ... }}")
    options = enforced_names(group)
    if name not in options:
        what = {
            "slice": "metric",
            "fairness": "disparity",
            "drift": "drift statistic",
            "latency": "latency figure",
        }
        close = difflib.get_close_matches(name, options, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(options)}"
        raise _error(path, f"unknown {what.get(group, group + ' check')} {name!r}; {hint}")


def _thresholds(table: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(table, Mapping):
        raise _error("thresholds", "must be a table, e.g. accuracy = { min = 0.8 }")
    out: dict[str, dict[str, Any]] = {}
    for key, spec in table.items():
        _threshold_key(key)
        path = f"thresholds.{key}"
        if not isinstance(spec, Mapping) or not spec:
            raise _error(path, "must be a table with min and/or max, e.g. { min = 0.8 }")
        parsed: dict[str, Any] = {}
        for k, v in spec.items():
            if k == "rule" and "rule" in keys_of(key):
                if v not in RULES:
                    raise _error(f"{path}.rule", f"unknown gate rule {v!r}; use one of {', '.join(RULES)}")
                parsed[k] = v
                continue
            if k in OLD_BOUND_KEYS:
                new = OLD_BOUND_KEYS[k]
                warnings.warn(
                    f"[tool.mltestkit] {path}.{k} is deprecated and will be removed; use {new} = {v!r}",
                    DeprecationWarning,
                    stacklevel=2,
                )
                k = new
            allowed = keys_of(key)
            if k not in allowed:
                if k in BOUND_KEYS + EXTRA_KEYS + ("rule",):
                    raise _error(f"{path}.{k}", f"is not read by the check; {key} takes {', '.join(allowed)}")
                raise _error(f"{path}.{k}", f"unknown key; {_suggest(k, allowed)}")
            parsed[k] = _number(v, f"{path}.{k}")
        if "min" in parsed and "max" in parsed and parsed["min"] > parsed["max"]:
            raise _error(path, f"min {parsed['min']} is above max {parsed['max']}")
        out[key] = parsed
    rules = {v["rule"] for k, v in out.items() if k.startswith("fairness.") and "rule" in v}
    if len(rules) > 1:
        raise _error("thresholds", f"the fairness.* requirements must share one rule, got {sorted(rules)}")
    return out


def parse_config(table: Mapping[str, Any], *, root: str | Path) -> SuiteConfig:
    """Validate a ``[tool.mltestkit]`` table and resolve its paths against ``root``."""
    root = Path(root)
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{PREFIX}: must be a table, got {type(table).__name__} {table!r}; "
            "write the keys under a [tool.mltestkit] header"
        )
    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise _error(unknown[0], f"unknown key; {_suggest(unknown[0], KEYS)}")

    def path_of(key: str) -> Path | None:
        return root / _str(table[key], key) if key in table else None

    allow_pickle = table.get("allow_pickle", False)
    if not isinstance(allow_pickle, bool):
        raise _error("allow_pickle", f"must be true or false, got {allow_pickle!r}")
    engine = table.get("engine")
    if engine is not None and engine not in ENGINES:
        raise _error("engine", f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    return SuiteConfig(
        root=root,
        model=_str(table["model"], "model") if "model" in table else None,
        allow_pickle=allow_pickle,
        trusted_types=_str_list(table.get("trusted_types", []), "trusted_types"),
        train=path_of("train"),
        test=path_of("test"),
        engine=engine,
        label=_str(table["label"], "label") if "label" in table else None,
        pos_label=table.get("pos_label"),
        features=_str_list(table["features"], "features") if "features" in table else None,
        exclude=_str_list(table.get("exclude", []), "exclude"),
        sensitive=_groups(table.get("sensitive", []), "sensitive"),
        slices=_groups(table.get("slices", []), "slices"),
        schema=path_of("schema"),
        train_function=_str(table["train_function"], "train_function") if "train_function" in table else None,
        seeds=_int_list(table["seeds"], "seeds") if "seeds" in table else (0, 1, 2),
        latency_batch_sizes=_int_list(table["latency_batch_sizes"], "latency_batch_sizes")
        if "latency_batch_sizes" in table
        else (1, 32),
        thresholds=_thresholds(table.get("thresholds", {})),
    )


def load_config(pyproject: str | Path) -> SuiteConfig | None:
    """The ``[tool.mltestkit]`` table of a ``pyproject.toml``, or ``None`` when it has none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    path = Path(pyproject)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the [tool.mltestkit] table: {exc}") from exc
    tool = data.get("tool", {})
    if not isinstance(tool, Mapping):
        raise ConfigError(f"{path}: 'tool' must be a table, got {tool!r}")
    table = tool.get("mltestkit")
    if table is None:
        return None
    return parse_config(table, root=path.parent)
