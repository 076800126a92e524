"""Hostile arguments for every public check: a result or an MLTestKitError, nothing else.

Each check in :data:`mltestkit.CHECKS` starts from a valid call; Hypothesis replaces one or two of
its arguments (or adds a deprecated keyword) with a hostile value: NaN, infinities, negative and
huge integers, bools for integers, empty and ragged arrays, pandas NA, duplicated column names,
generators, dicts, polars frames, datetime64 values, strings. Every call must end in a
JSON-plain result or an :class:`~mltestkit.errors.MLTestKitError`. A rejection is checked too:
an :class:`~mltestkit.errors.InputError` names an argument of the call and says what to do.

The load and contract checks never reach the network here: starting locust or opening an HTTP
client raises :class:`Connected`, so only arguments refused before any connection can pass.
"""

from __future__ import annotations

import inspect
import json
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

import mltestkit as m
from mltestkit import perturb
from mltestkit.errors import InputError, MLTestKitError

N = 40
Y = np.array([0, 1] * (N // 2))
X = pd.DataFrame(
    {
        "a": np.arange(N, dtype=float),
        "b": pd.Series(["x", "y"] * (N // 2), dtype=object),
        "t": pd.date_range("2026-01-01", periods=N, freq="D"),
    }
)
XN = X[["a"]]
MODEL = LogisticRegression().fit(XN, Y)


class Connected(Exception):
    """Raised where a check would open a connection."""


def zeros(x: Any) -> np.ndarray:
    return np.zeros(len(x))


def first_column(x: Any) -> np.ndarray:
    return np.asarray(x["a"], dtype=float)


def fit_dummy(data: Any, seed: int) -> Any:
    """A ``train`` that ignores ``data``: an exception of the caller's own function is the caller's."""
    return DummyClassifier().fit(XN, Y)


#: A valid call of each check: its keyword arguments.
BASE: dict[str, Callable[[], dict[str, Any]]] = {
    "check_metric": lambda: {"metric": "accuracy", "y_true": Y, "y_pred": Y, "min": 0.5},
    "check_beats_simple_model": lambda: {
        "model": MODEL,
        "X_train": XN,
        "y_train": Y,
        "X_test": XN,
        "y_test": Y,
    },
    "check_reproducible": lambda: {
        "train": fit_dummy,
        "data": (XN, Y),
        "X_test": XN,
        "y_test": Y,
        "seeds": (0, 1),
    },
    "check_slices": lambda: {
        "metric": "accuracy",
        "y_true": Y,
        "y_pred": Y,
        "by": X["b"],
        "min": 0.1,
        "min_size": 5,
        "n_boot": 100,
    },
    "check_fairness": lambda: {
        "y_true": Y,
        "y_pred": Y,
        "by": X["b"],
        "max": {"demographic_parity_difference": 0.5},
        "n_boot": 100,
    },
    "find_weak_slices": lambda: {"y_true": Y, "y_pred": Y, "by": X[["b"]], "min_size": 5},
    "check_schema": lambda: {"data": X, "schema": {"columns": [{"name": "a", "dtype": "float"}]}},
    "check_integrity": lambda: {"data": X},
    "check_drift": lambda: {"reference": X, "current": X, "bins": 5},
    "check_leakage": lambda: {"train": X, "test": X.iloc[::-1]},
    "check_mft": lambda: {"predict": zeros, "cases": ["a", "b", "c"], "expected": [0, 0, 0]},
    "check_invariance": lambda: {
        "predict": zeros,
        "inputs": X,
        "perturbation": perturb.swap("b", {"x": "y"}),
        "max": 0.5,
    },
    "check_directional": lambda: {
        "predict": first_column,
        "inputs": X,
        "perturbation": perturb.scale("a", 2),
        "expect": "not_decrease",
        "max": 0.5,
    },
    "search_invariance": lambda: {
        "predict": zeros,
        "strategy": st.fixed_dictionaries({"b": st.sampled_from(["x", "y"])}),
        "perturbation": perturb.swap("b", {"x": "y"}),
        "max_examples": 5,
    },
    "check_latency": lambda: {
        "predict": zeros,
        "inputs": X,
        "n_calls": 5,
        "warmup": 1,
        "max": {"p95_ms": 1e6},
    },
    "load_test": lambda: {"url": "http://127.0.0.1:9/predict", "payloads": [{"a": 1.0}], "duration": "1s"},
    "check_agreement": lambda: {"responses": [{"y": 1}] * 5, "expected": [1] * 5, "key": "y"},
    "check_contract": lambda: {"url": "http://127.0.0.1:9"},
    "check_expectations": lambda: {
        "data": X,
        "suite": {"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}}]},
    },
    "check_deepchecks": lambda: {"suite": "data_integrity", "train": X, "label": "b"},
    "check_paired": lambda: {
        "metric": "accuracy",
        "y_true": Y,
        "y_pred": Y,
        "baseline_pred": 1 - Y,
        "n_boot": 100,
    },
    "check_fit_time": lambda: {"estimator": DummyClassifier(), "X": XN, "y": Y, "max_seconds": 1e6},
}

#: Deprecated keywords that still take a value (each check's own spellings).
LEGACY = {
    "check_integrity": ["max_missing_fraction"],
    "check_drift": ["max_psi", "alpha"],
    "check_leakage": ["max_duplicate_fraction"],
    "check_mft": ["min_pass_rate"],
    "check_invariance": ["max_failure_rate"],
    "check_directional": ["max_failure_rate"],
    "check_latency": ["p95_ms", "min_throughput"],
    "load_test": ["p95_ms", "max_fail_ratio"],
    "check_agreement": ["min_agreement"],
    "check_reproducible": ["max_spread"],
}

#: Checks whose every call is slow (model fits, an import of several seconds): fewer examples.
SLOW = {
    "check_expectations",
    "check_reproducible",
    "check_beats_simple_model",
    "check_deepchecks",
    "check_fit_time",
}


def _generator(n: int = N) -> Any:
    return (i % 2 for i in range(n))


#: Values that are wrong for almost every argument, or right only by accident.
SCALARS: list[Any] = [
    None,
    float("nan"),
    float("inf"),
    -float("inf"),
    -1,
    0,
    2**70,
    -(2**70),
    True,
    False,
    1e308,
    "",
    "nan",
    "x",
    pd.NA,
    pd.NaT,
    np.datetime64("2026-01-01"),
    np.float64("nan"),
    np.int64(-3),
    {},
    {"a": float("nan")},
    {"p95_ms": float("nan")},
    [],
    [[1], [1, 2]],
    (),
]


def _arrays() -> list[Any]:
    return [
        np.array([]),
        np.full(N, np.nan),
        np.r_[np.inf, np.zeros(N - 1)],
        np.zeros((N, 2)),
        np.array([[1], [1, 2]], dtype=object),
        np.array(["2026-01-01"] * N, dtype="datetime64[D]"),
        pd.array([0, 1] * (N // 2 - 1) + [pd.NA, 1], dtype="Int64"),
        pd.Series([0.5, pd.NA] * (N // 2), dtype="Float64"),
        pd.Series([0, 1] * (N // 2), dtype="boolean").astype(object).where(Y == 0, pd.NA),
        pd.Categorical(["x", "y"] * (N // 2), categories=["x", "y", "unused"]),
        pl.Series("a", Y),
        Y.tolist()[:-1],
        list(range(N)),
        np.linspace(0, 1, N),
        np.arange(N) * 2**40,
        _generator(),
        {"a": Y},
    ]


def _frames() -> list[Any]:
    dup = X[["a", "b"]].copy()
    dup.columns = ["a", "a"]
    na = X.assign(a=pd.Series([1.0, pd.NA] * (N // 2), dtype="Float64"))
    cat = X.assign(b=pd.Categorical(X["b"], categories=["x", "y", "unused"]))
    return [
        dup,
        na,
        cat,
        X.iloc[:0],
        X[[]],
        X.assign(b=pd.NA),
        X.assign(a=X["t"]),
        X.assign(a=np.nan),
        X.assign(b=[[1]] * N),
        pl.from_pandas(X),
        pl.from_pandas(X).lazy(),
        X.to_dict("list"),
        X.to_dict("records"),
        (row for row in X.to_dict("records")),
        X.to_numpy(),
        X["a"],
    ]


HOSTILE = st.one_of(
    st.sampled_from(range(len(SCALARS))).map(lambda i: SCALARS[i]),
    st.builds(lambda i: _arrays()[i], st.integers(0, len(_arrays()) - 1)),
    st.builds(lambda i: _frames()[i], st.integers(0, len(_frames()) - 1)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**80), 2**80),
    st.booleans(),
    st.dictionaries(st.sampled_from(["p95_ms", "psi", "accuracy", "pass_rate", "nope"]), st.floats()),
    st.text(max_size=5),
)


#: Hostile names: any value that has a truth value (``name or default`` picks the default name).
NAMES = st.one_of(
    st.none(), st.text(max_size=5), st.integers(), st.floats(), st.booleans(), st.just({"a": 1}), st.just([1])
)


def _parameters(check: str) -> list[str]:
    signature = inspect.signature(getattr(m, check))
    names = [p.name for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    return names + LEGACY.get(check, [])


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from mltestkit.serving import load

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Connected

    monkeypatch.setattr(load, "_run_locust", refuse)
    monkeypatch.setattr(httpx, "Client", refuse)
    monkeypatch.setattr(httpx, "get", refuse)


def _names(argument: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", argument))


def _allowed(kwargs: dict[str, Any]) -> set[str]:
    """Arguments an error may name: those passed, ``pos_label`` (the fix for labels that are not 0/1)
    and ``column`` (the argument of the perturbation passed)."""
    return {*kwargs, "pos_label", *(["column"] if "perturbation" in kwargs else [])}


def run(check: str, kwargs: dict[str, Any]) -> str:
    """Call ``check`` and return how it ended: "result", "refused" or "connected"."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = getattr(m, check)(**kwargs)
        except Connected:
            return "connected"
        except InputError as exc:
            named = _names(exc.argument) & _allowed(kwargs)
            assert named, (
                f"{check}: the error names {exc.argument!r}, not an argument passed ({sorted(kwargs)})"
            )
            assert exc.problem and exc.fix, str(exc)
            return "refused"
        except MLTestKitError:
            return "refused"
    assert isinstance(result, m.CheckResult), type(result)
    json.dumps(result.to_dict(), allow_nan=False)
    return "result"


@pytest.mark.parametrize("check", sorted(m.CHECKS))
def test_every_check_accepts_its_valid_call(check, monkeypatch):
    """The starting point of the fuzz is a call that works, so a check that refuses everything fails here."""
    _no_network(monkeypatch)
    expected = "connected" if check in ("load_test", "check_contract") else "result"
    if check == "check_deepchecks":
        expected = run(check, BASE[check]())  # a result where deepchecks imports, an error elsewhere
    assert run(check, BASE[check]()) == expected


@pytest.mark.parametrize("check", sorted(m.CHECKS))
def test_hostile_arguments_end_in_a_result_or_a_clear_error(check):
    parameters = _parameters(check)
    examples = 8 if check in SLOW else 25

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        names=st.lists(st.sampled_from(parameters), min_size=1, max_size=2, unique=True),
        values=st.lists(HOSTILE, min_size=2, max_size=2),
        data=st.data(),
    )
    def fuzz(names: list[str], values: list[Any], data: st.DataObject) -> None:
        hostile = dict(zip(names, values, strict=False))
        if "name" in hostile:
            hostile["name"] = data.draw(NAMES)
        kwargs = {**BASE[check](), **hostile}
        with pytest.MonkeyPatch.context() as patch:
            _no_network(patch)
            run(check, kwargs)

    fuzz()
