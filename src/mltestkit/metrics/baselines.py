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

import builtins
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._validate import as_1d, call, class_labels, count, number, same_length, table
from ..errors import InputError
from ..results import CheckResult, Outcome, worst
from ..stats.requirement import Estimate, Requirement, judge, requirements_by_figure, rows_to_decide_all


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
    name: str | None = None,
) -> CheckResult:
    """Check that no simpler model trained on the same data is more accurate than ``model``.

    Simple models (a majority-class predictor and a one-split decision tree, or ``simple``) are
    fitted on ``X_train, y_train``; the best of them on the test rows is compared with ``model``
    on the same rows. The accuracy difference ``model - simple`` gets Tango's paired score
    interval from the discordant rows, and the requirement ``difference >= -margin`` is judged
    under ``rule`` (the non-inferiority ``margin`` is in accuracy units).

    Parameters
    ----------
    model:
        A fitted classifier with ``predict``.
    X_train, y_train, X_test, y_test:
        The rows the simple models are fitted on, and the test rows all models are scored on.
    margin:
        How much less accurate than the best simple model ``model`` may be.
    simple:
        Name -> unfitted estimator, instead of the default simple models.
    rule, confidence:
        Rule and interval level of the judgment.
    seed:
        The decision tree's ``random_state``.
    name:
        Name of the check in the report (default ``"beats_simple_model"``).

    Returns
    -------
    CheckResult
        Kind ``"metric"``, one figure ``accuracy_difference_vs_<simple model>``.
    """
    from sklearn.base import clone

    from ..stats.paired import tango_interval

    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < 1:
        raise InputError("margin", f"must be a number in [0, 1), got {margin!r}", "pass e.g. margin=0.01")
    requirement = Requirement(min=-float(margin), rule=rule, confidence=confidence)
    level = requirement.confidence
    seed = count(seed, "seed", low=0, high=2**32 - 1, example=0)
    y_tr = as_1d(y_train, "y_train")
    y_te = as_1d(y_test, "y_test")
    class_labels(y_tr, "y_train", "check_beats_simple_model")
    (rows_train, width_train), (rows_test, width_test) = table(X_train, "X_train"), table(X_test, "X_test")
    same_length(y_tr, "y_train", np.empty(rows_train), "X_train")
    same_length(y_te, "y_test", np.empty(rows_test), "X_test")
    if width_train != width_test:
        raise InputError(
            "X_test",
            f"has {width_test} columns but X_train has {width_train}",
            "pass the same feature columns to both",
        )
    if simple is not None and (
        not isinstance(simple, Mapping)
        or not simple
        or not all(hasattr(e, "fit") and hasattr(e, "predict") for e in simple.values())
    ):
        raise InputError(
            "simple",
            f"must be a non-empty dict of name -> unfitted estimator, got {simple!r:.80}",
            "pass e.g. simple={'majority': DummyClassifier()}",
        )
    ours = _predict(model, X_test, "model")
    same_length(y_te, "y_test", ours, "model.predict(X_test)")
    right = ours == y_te
    candidates = simple if simple is not None else _simple_models(seed)
    scores = {}
    correct = {}
    for label, estimator in candidates.items():
        fitted = call(
            clone(estimator).fit, f"simple[{label}]" if simple is not None else "X_train", X_train, y_tr
        )
        correct[label] = _predict(fitted, X_test, f"simple[{label}]") == y_te
        scores[label] = float(correct[label].mean())
    best = max(scores, key=lambda k: scores[k])
    other = correct[best]
    n = len(y_te)
    b, c = int(np.sum(right & ~other)), int(np.sum(~right & other))
    diff = (b - c) / n
    low, high = tango_interval(c, b, n, level)  # interval of (b - c) / n
    mv = judge(
        f"accuracy_difference_vs_{best}",
        Estimate(diff, low, high, "tango-paired", n, range=(-1.0, 1.0)),
        requirement,
    )
    assert mv.outcome is not None
    message = (
        f"model accuracy {right.mean():.4g} vs {best} {scores[best]:.4g} on the same {n} rows: "
        f"difference {diff:+.4g} [{low:+.4g}, {high:+.4g}], required >= {-margin:g}: {mv.outcome.value}"
    )
    details: dict[str, Any] = {
        "simple_model": best,
        "simple_scores": scores,
        "model_accuracy": float(right.mean()),
        "discordant": [b, c],
    }
    if mv.outcome is Outcome.INCONCLUSIVE:
        details["rows_to_decide"] = rows_to_decide_all([mv])
    return CheckResult(
        name=name or "beats_simple_model",
        kind="metric",
        outcome=worst([mv.outcome]),
        metrics=[mv],
        rule=requirement.rule,
        message=message,
        details=details,
    )


#: The figures of :func:`check_reproducible`.
REPRODUCIBLE_FIGURES = ("prediction_mismatches_same_seed", "accuracy_spread_across_seeds")


def check_reproducible(
    train: Callable[..., Any],
    data: Any,
    X_test: Any,
    y_test: Any = None,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    max: float | Mapping[str, float] | None = None,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    max_spread: float | None = None,
) -> CheckResult:
    """Train twice with the same seed (predictions must be identical), then once per seed.

    Parameters
    ----------
    train:
        ``train(data, seed)`` returns a fitted model.
    data, X_test, y_test:
        What ``train`` receives, the rows to predict and (optionally) their labels.
    seeds:
        The first seed is trained twice; with ``y_test``, the accuracy of each seed's model is
        reported.
    max:
        A bound on ``accuracy_spread_across_seeds`` (max - min accuracy over the seeds), or a dict
        over :data:`REPRODUCIBLE_FIGURES`; ``prediction_mismatches_same_seed`` is required to be
        0 unless the dict says otherwise. Both are exact figures, judged on their value.
    rule, confidence:
        Recorded with the requirements (exact figures are decided on their value).
    seed:
        Accepted for a uniform API (``seeds`` are the seeds given to ``train``).
    name:
        Name of the check in the report (default ``"reproducible"``).
    max_spread:
        Deprecated spelling of ``max=`` (warns).

    Returns
    -------
    CheckResult
        Kind ``"metric"``, with one or two figures.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> fit = lambda d, seed: RandomForestClassifier(n_estimators=10, random_state=seed).fit(*d)
    >>> check_reproducible(fit, (X, y), X, y, seeds=[0, 1], max=0.1).outcome.value
    'passed'
    """
    if max_spread is not None:
        if max is not None:
            raise InputError("max_spread", "was given together with max=", "pass max= only")
        warnings.warn(
            "check_reproducible(max_spread=...) is deprecated; use max=", DeprecationWarning, stacklevel=2
        )
        max = max_spread
    if not callable(train):
        raise InputError(
            "train", f"must be a callable train(data, seed), got {type(train).__name__}", "pass a function"
        )
    if max_spread is not None:
        number(max, "max_spread", low=0, high=1, example=0.02)
    if not isinstance(seeds, (list, tuple, range, np.ndarray)) or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds
    ):
        raise InputError(
            "seeds", f"must be a list of int seeds, got {seeds!r:.60}", "pass e.g. seeds=[0, 1, 2]"
        )
    reqs = requirements_by_figure(
        None, max, REPRODUCIBLE_FIGURES, rule=rule, confidence=confidence, default=REPRODUCIBLE_FIGURES[1]
    )
    if not reqs[REPRODUCIBLE_FIGURES[0]].gated:
        reqs[REPRODUCIBLE_FIGURES[0]] = Requirement(max=0, rule=rule, confidence=confidence)
    seeds = list(seeds)
    if len(seeds) < 1:
        raise InputError("seeds", "is empty", "pass at least one seed, e.g. seeds=[0, 1, 2]")
    table(X_test, "X_test")
    first = _predict(train(data, seeds[0]), X_test, "train(data, seed)")
    again = _predict(train(data, seeds[0]), X_test, "train(data, seed)")
    mismatches = int(np.sum(first != again))
    metrics = [
        judge(REPRODUCIBLE_FIGURES[0], Estimate(mismatches, n=len(first)), reqs[REPRODUCIBLE_FIGURES[0]])
    ]
    details: dict[str, Any] = {
        "seeds": seeds,
        "mismatched_rows": np.flatnonzero(first != again)[:20].tolist(),
    }
    if y_test is not None:
        y = as_1d(y_test, "y_test")
        same_length(first, "train(data, seed).predict(X_test)", y, "y_test")
        accuracies = [
            float(np.mean(_predict(train(data, s), X_test, "train(data, seed)") == y)) for s in seeds[1:]
        ]
        accuracies.insert(0, float(np.mean(first == y)))
        spread = builtins.max(accuracies) - builtins.min(accuracies)
        metrics.append(
            judge(
                REPRODUCIBLE_FIGURES[1],
                Estimate(spread, n=len(y), range=(0.0, 1.0)),
                reqs[REPRODUCIBLE_FIGURES[1]],
            )
        )
        details["accuracy_by_seed"] = dict(zip(map(str, seeds), accuracies, strict=True))
    message = (
        "same seed, same predictions"
        if mismatches == 0
        else f"same seed, {mismatches} of {len(first)} predictions differ"
    )
    return CheckResult(
        name=name or "reproducible",
        kind="metric",
        outcome=worst([m.outcome for m in metrics if m.outcome is not None]),
        metrics=metrics,
        rule=rule,
        message=message,
        details=details,
    )
