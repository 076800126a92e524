"""Leakage between a training and a test set.

Four checks: test rows identical to a training row, test rows whose features equal a training
row's, single features that predict the label almost perfectly, and overlap of identifiers or
dates. The per-feature score is that of the simplest model on one feature: the majority label
(or mean, for a numeric label) per feature value, or per quantile bin of a numeric feature,
learnt on the training set and scored on the test set as ``1 - error / error of the constant
guess`` (1 = the feature alone gives the label away; 0 = no better than guessing).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> train = pd.DataFrame({"x": rng.normal(size=400), "y": rng.integers(0, 2, 400)})
>>> test = pd.concat([train.iloc[:20], pd.DataFrame({"x": rng.normal(size=80), "y": rng.integers(0, 2, 80)})])
>>> r = check_leakage(train, test, label="y")
>>> r.outcome.value, r.details["failures"][0]["rule"], r.details["failures"][0]["count"]
('failed', 'duplicate_rows', 20)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._validate import MAX_BINS, column, columns, count, flag
from ..errors import InputError
from ..results import CheckResult, MetricValue, Outcome, worst
from ..stats.requirement import Estimate, judge, validate_level, validate_rule
from .io import column_kind, load_frame, require_columns, require_hashable, row_hashes, sample
from .requirements import data_requirements

#: A numeric label with more distinct values than this is treated as a regression target.
MAX_CLASSES = 20

#: The figures of :func:`check_leakage` and the limits that hold unless ``max=`` overrides them.
DEFAULT_MAX = {
    "duplicate_rows": 0.0,
    "feature_overlap": 0.0,
    "feature_score": 0.95,
    "id_overlap": 0.0,
    "index_overlap": 0.0,
    "date_overlap": 0.0,
}
FIGURES = tuple(DEFAULT_MAX)
#: Deprecated spellings: old argument -> (side, figure); ``max_id_overlap`` also set ``index_overlap``.
LEGACY = {
    "max_duplicate_fraction": ("max", "duplicate_rows"),
    "max_feature_overlap": ("max", "feature_overlap"),
    "max_feature_score": ("max", "feature_score"),
    "max_id_overlap": ("max", "id_overlap"),
    "max_date_overlap": ("max", "date_overlap"),
}


def _codes(train: pd.Series, test: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes of a feature in train and test (quantile bins of train for numeric features);
    values unseen in train get code ``k``."""
    if column_kind(train) == "numeric" and column_kind(test) == "numeric" and train.nunique() > bins:
        x = train.to_numpy(dtype=float, na_value=np.nan)
        edges = np.unique(np.nanquantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
        k = edges.size + 2  # bins plus one code for missing values

        def code(s: pd.Series) -> np.ndarray:
            v = s.to_numpy(dtype=float, na_value=np.nan)
            return np.where(np.isnan(v), k - 1, np.searchsorted(edges, v, side="right"))

        return code(train), code(test), k
    require_hashable(train, "train")
    require_hashable(test, "test")
    tr_codes, uniques = pd.factorize(train, use_na_sentinel=False)
    te_codes = pd.Index(uniques).get_indexer(test)
    k = len(uniques)
    return tr_codes, np.where(te_codes < 0, k, te_codes), k + 1


def feature_scores(
    train: pd.DataFrame, test: pd.DataFrame, features: list[Any], label: str, *, bins: int = 20
) -> dict[str, float | None]:
    """The single-feature predictive score of each feature (see the module's documentation)."""
    y_tr, y_te = train[label], test[label]
    classify = column_kind(y_tr) != "numeric" or y_tr.nunique() <= MAX_CLASSES
    scores: dict[str, float | None] = {}
    if classify:
        lab_tr, classes = pd.factorize(y_tr)
        lab_te = pd.Index(classes).get_indexer(y_te)
        m = len(classes)
        baseline_class = np.bincount(lab_tr[lab_tr >= 0], minlength=m).argmax()
        base_err = float(np.mean(lab_te != baseline_class))
    else:
        yt = y_tr.to_numpy(dtype=float, na_value=np.nan)
        ye = y_te.to_numpy(dtype=float, na_value=np.nan)
        ok_tr = np.isfinite(yt)
        mean = float(yt[ok_tr].mean())
        base_err = float(np.nanmean((ye - mean) ** 2))
    for f in features:
        ctr, cte, k = _codes(train[f], test[f], bins)
        if classify:
            valid = lab_tr >= 0
            table = np.bincount(ctr[valid] * m + lab_tr[valid], minlength=k * m).reshape(k, m)
            seen = table.sum(axis=1) > 0
            guess = np.where(seen, table.argmax(axis=1), baseline_class)
            err = float(np.mean(guess[cte] != lab_te))
        else:
            sums = np.bincount(ctr[ok_tr], weights=yt[ok_tr], minlength=k)
            counts = np.bincount(ctr[ok_tr], minlength=k)
            guess = np.where(counts > 0, sums / np.maximum(counts, 1), mean)
            err = float(np.nanmean((ye - guess[cte]) ** 2))
        scores[str(f)] = None if base_err == 0 else 1 - err / base_err
    return scores


def check_leakage(
    train: Any,
    test: Any,
    *,
    label: str | None = None,
    features: list[str] | None = None,
    id: str | None = None,
    index: bool = False,
    date: str | None = None,
    max: dict[str, float | None] | None = None,
    bins: int = 20,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
    **legacy: Any,
) -> CheckResult:
    """Look for rows, features, identifiers or dates that leak from the training into the test set.

    Parameters
    ----------
    train, test:
        pandas or polars DataFrames, or paths of CSV or Parquet files.
    label:
        The label column; needed for the single-feature scores.
    features:
        The feature columns (default: the columns of ``train`` other than ``label``, ``id``, ``date``).
    id:
        A column identifying the entity (a customer, a patient): test ids also in train leak.
    index:
        Compare the frames' row labels (their index) the same way, as ``index_overlap``.
    date:
        A date column: test rows dated on or before the latest training date overlap in time.
    max:
        Limits keyed by figure, merged over :data:`DEFAULT_MAX` (``None`` drops one, leaving the
        figure recorded ungated): ``duplicate_rows`` (share of test rows identical to a training
        row, features and label), ``feature_overlap`` (share of test rows whose features equal a
        training row's, label aside), ``feature_score`` (each single-feature score; 1 = the
        feature alone predicts the label), ``id_overlap`` / ``index_overlap`` (share of test
        rows with an id, or index label, seen in train) and ``date_overlap`` (share of test
        rows dated no later than train's last date).
    bins:
        Quantile bins of a numeric feature for its score.
    rule, confidence, seed:
        Accepted for a uniform API: every figure is exact on the data given and judged by its
        value; nothing is drawn at random.
    name:
        The check's name in the report (default ``"leakage"``).
    **legacy:
        ``max_duplicate_fraction=``, ``max_feature_overlap=``, ``max_feature_score=``,
        ``max_id_overlap=`` (which also set ``index_overlap``) and ``max_date_overlap=`` (now
        ``max={...}``) still work for this release with a ``DeprecationWarning``.

    Returns
    -------
    CheckResult
        Of kind ``"data"``, one :class:`~mltestkit.results.MetricValue` per figure (scores with
        ``slice={"column": feature}``), judged by value, and
        ``details["failures"]`` with a sample of test row positions.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user": [1, 2, 3, 4], "x": [0.1, 0.2, 0.3, 0.4]})
    >>> test = pd.DataFrame({"user": [4, 5], "x": [0.9, 0.8]})
    >>> r = check_leakage(train, test, id="user")
    >>> r.outcome.value, r.message
    ('failed', "id_overlap of 'user' = 0.5")
    """
    tr = load_frame(train, "train")
    te = load_frame(test, "test")
    rule, level = validate_rule(rule), validate_level(confidence)
    label, id, date = column(label, "label"), column(id, "id"), column(date, "date")
    features, index = columns(features, "features"), flag(index, "index")
    bins = count(bins, "bins", low=2, high=MAX_BINS, example=20)
    if legacy.get("max_id_overlap", "unset") != "unset" and "index_overlap" not in (max or {}):
        max = {**(max or {}), "index_overlap": legacy["max_id_overlap"]}
    requirements = data_requirements(
        "check_leakage", None, max, legacy, LEGACY, FIGURES, DEFAULT_MAX, rule=rule, confidence=level
    )
    for arg, col in (("label", label), ("id", id), ("date", date)):
        if col is not None:
            require_columns(tr, [col], arg, "train")
            require_columns(te, [col], arg, "test")
    special = {label, id, date}
    feats = (
        [c for c in tr.columns if c not in special]
        if features is None
        else require_columns(tr, features, "features", "train")
    )
    require_columns(te, feats, "features", "test")
    if not feats:
        raise InputError("features", "no feature columns are left", "pass features=[...]")
    n = len(te)
    metrics: list[MetricValue] = []
    failures: list[dict[str, Any]] = []

    def record(
        metric: str,
        value: float | None,
        positions: Any = None,
        column: str | None = None,
        reason: str | None = None,
    ) -> None:
        where = {"column": column} if column is not None else None
        mv = judge(metric, Estimate(value, n=n, reason=reason), requirements[metric], slice=where)
        metrics.append(mv)
        outcome = mv.outcome
        if outcome is Outcome.FAILED:
            entry: dict[str, Any] = {"column": column, "rule": metric, "value": value}
            if positions is not None:
                entry["count"] = len(positions)
                entry["sample"] = sample(positions, positions)
            failures.append(entry)

    keys = [*feats, label] if label is not None else feats
    hit = np.isin(row_hashes(te, keys, "test"), row_hashes(tr, keys, "train"))
    record("duplicate_rows", float(hit.mean()), np.flatnonzero(hit))
    if label is not None:
        hit = np.isin(row_hashes(te, feats, "test"), row_hashes(tr, feats, "train"))
        record("feature_overlap", float(hit.mean()), np.flatnonzero(hit))
        for f, score in feature_scores(tr, te, feats, label, bins=bins).items():
            record(
                "feature_score",
                score,
                column=f,
                reason=None if score is not None else "the test labels are constant, so no score is defined",
            )
    if id is not None:
        require_hashable(te[id], "test")
        seen = te[id].isin(tr[id].dropna()).to_numpy() & te[id].notna().to_numpy()
        record("id_overlap", float(seen.mean()), np.flatnonzero(seen), column=str(id))
    if index:
        seen = te.index.isin(tr.index)
        record("index_overlap", float(seen.mean()), np.flatnonzero(seen))
    if date is not None:
        d_tr = pd.to_datetime(tr[date], errors="coerce")
        d_te = pd.to_datetime(te[date], errors="coerce")
        last = d_tr.max()
        if last is pd.NaT or (isinstance(last, float) and math.isnan(last)):
            raise InputError("date", f"column {date!r} of train has no dates", "pass a column of dates")
        early = (d_te <= last).to_numpy(dtype=bool, na_value=False)
        record("date_overlap", float(early.mean()), np.flatnonzero(early), column=str(date))
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])
    message = (
        "; ".join(
            f"{f['rule']}{' of ' + repr(f['column']) if f['column'] else ''} = {f['value']:.4g}"
            for f in failures[:10]
        )
        if failures
        else f"no leakage beyond the limits between {len(tr)} train and {n} test rows"
    )
    return CheckResult(
        name=name or "leakage",
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message=message,
        details={"train_rows": len(tr), "test_rows": n, "failures": failures},
    )
