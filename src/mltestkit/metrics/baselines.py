"""Checks of a model against simpler models and against itself.

* :func:`check_beats_simple_model`: a simpler model trained on the same data is not better
  (a paired comparison on the same test rows).
* :func:`check_reproducible`: training twice with the same seed gives the same predictions, and
  the spread of a metric across seeds is reported.

Examples
--------
>>> from sklearn.datasets import load_breast_cancer
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> X, y = load_breast_cancer(return_X_y=True)
>>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:400], y[:400])
>>> r = check_beats_simple_model(model, X[:400], y[:400], X[400:], y[400:])
>>> r.outcome.value, r.details["simple_model"]
('passed', 'decision_stump')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validate import as_1d, same_length
from ..errors import InputError
from ..results import CheckResult, Interval, MetricValue, Outcome, Threshold
from ..stats.requirement import gate, validate_level, validate_rule


def _simple_models(seed: int) -> dict[str, Any]:
    from sklearn.compose import make_column_transformer
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.tree import DecisionTreeClassifier

    def tree(depth: int) -> Any:
        encode = make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), _categorical_columns),
            remainder="passthrough",
        )
        return make_pipeline(encode, DecisionTreeClassifier(max_depth=depth, random_state=seed))

    return {"majority_class": DummyClassifier(strategy="most_frequent"), "decision_stump": tree(1)}


def _categorical_columns(X: Any) -> list[Any]:
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return []


def _predict(model: Any, X: Any, argument: str) -> np.ndarray:
    try:
        return as_1d(model.predict(X), argument)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            argument, f"predict raised {type(exc).__name__}: {exc}", "check the model and the feature columns"
        ) from exc


def check_beats_simple_model(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    margin: float = 0.0,
    simple: dict[str, Any] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str = "beats_simple_model",
) -> CheckResult:
    """Check that no simpler model trained on the same data is more accurate than ``model``.

    Simple models (a majority-class predictor and a one-split decision tree, or ``simple``) are
    fitted on ``X_train, y_train``; the best of them on the test rows is compared with ``model``
    on the same rows. The accuracy difference ``model - simple`` gets Tango's paired score
    interval from the discordant rows, and the requirement ``difference >= -margin`` goes through
    the gate ``rule``.
    """
    from sklearn.base import clone

    from ..stats.paired import tango_interval

    rule = validate_rule(rule)
    level = validate_level(confidence)
    y_tr = as_1d(y_train, "y_train")
    y_te = as_1d(y_test, "y_test")
    same_length(y_tr, "y_train", np.empty(len(X_train)), "X_train")
    ours = _predict(model, X_test, "model")
    same_length(y_te, "y_test", ours, "model.predict(X_test)")
    right = ours == y_te
    candidates = simple if simple is not None else _simple_models(seed)
    scores = {}
    correct = {}
    for label, estimator in candidates.items():
        fitted = clone(estimator).fit(X_train, y_tr)
        correct[label] = _predict(fitted, X_test, f"simple[{label}]") == y_te
        scores[label] = float(correct[label].mean())
    best = max(scores, key=lambda k: scores[k])
    other = correct[best]
    n = len(y_te)
    b, c = int(np.sum(right & ~other)), int(np.sum(~right & other))
    diff = (b - c) / n
    low, high = tango_interval(c, b, n, level)  # interval of (b - c) / n
    threshold = Threshold(">=", -float(margin))
    outcome = gate(diff, low, high, [threshold], rule)
    assert outcome is not None
    metric = MetricValue(
        name=f"accuracy_difference_vs_{best}",
        value=diff,
        n=n,
        ci=Interval(low, high, level, "tango-paired"),
        thresholds=(threshold,),
        rule=rule,
        outcome=outcome,
    )
    message = (
        f"model accuracy {right.mean():.4g} vs {best} {scores[best]:.4g} on the same {n} rows: "
        f"difference {diff:+.4g} [{low:+.4g}, {high:+.4g}], required >= {-margin:g}"
    )
    return CheckResult(
        name=name,
        kind="metric",
        outcome=outcome,
        metrics=[metric],
        rule=rule,
        message=message,
        details={
            "simple_model": best,
            "simple_scores": scores,
            "model_accuracy": float(right.mean()),
            "discordant": [b, c],
        },
    )


def check_reproducible(
    train: Callable[..., Any],
    data: Any,
    X_test: Any,
    y_test: Any = None,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    max_spread: float | None = None,
    name: str = "reproducible",
) -> CheckResult:
    """Train twice with the same seed (predictions must be identical), then once per seed.

    ``train(data, seed)`` returns a fitted model. With ``y_test``, the accuracy of each seed's
    model is reported and its spread (max - min) can be bounded with ``max_spread``.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> fit = lambda d, seed: RandomForestClassifier(n_estimators=10, random_state=seed).fit(*d)
    >>> check_reproducible(fit, (X, y), X, y, seeds=[0, 1]).outcome.value
    'passed'
    """
    if not callable(train):
        raise InputError(
            "train", f"must be a callable train(data, seed), got {type(train).__name__}", "pass a function"
        )
    seeds = list(seeds)
    if len(seeds) < 1:
        raise InputError("seeds", "is empty", "pass at least one seed, e.g. seeds=[0, 1, 2]")
    first = _predict(train(data, seeds[0]), X_test, "train(data, seed)")
    again = _predict(train(data, seeds[0]), X_test, "train(data, seed)")
    mismatches = int(np.sum(first != again))
    metrics = [
        MetricValue(
            name="prediction_mismatches_same_seed",
            value=float(mismatches),
            n=len(first),
            thresholds=(Threshold("<=", 0.0),),
            rule="point",
            outcome=Outcome.PASSED if mismatches == 0 else Outcome.FAILED,
        )
    ]
    details: dict[str, Any] = {
        "seeds": seeds,
        "mismatched_rows": np.flatnonzero(first != again)[:20].tolist(),
    }
    if y_test is not None:
        y = as_1d(y_test, "y_test")
        accuracies = [
            float(np.mean(_predict(train(data, s), X_test, "train(data, seed)") == y)) for s in seeds[1:]
        ]
        accuracies.insert(0, float(np.mean(first == y)))
        spread = max(accuracies) - min(accuracies)
        thresholds = (Threshold("<=", float(max_spread)),) if max_spread is not None else ()
        outcome = gate(spread, spread, spread, thresholds, "point")
        metrics.append(
            MetricValue(
                name="accuracy_spread_across_seeds",
                value=spread,
                n=len(y),
                thresholds=thresholds,
                rule="point",
                outcome=outcome,
            )
        )
        details["accuracy_by_seed"] = dict(zip(map(str, seeds), accuracies, strict=True))
    outcome = Outcome.FAILED if any(m.outcome is Outcome.FAILED for m in metrics) else Outcome.PASSED
    message = (
        "same seed, same predictions"
        if mismatches == 0
        else f"same seed, {mismatches} of {len(first)} predictions differ"
    )
    return CheckResult(
        name=name,
        kind="metric",
        outcome=outcome,
        metrics=metrics,
        rule="point",
        message=message,
        details=details,
    )
