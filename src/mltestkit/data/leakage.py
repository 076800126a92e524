"""Leakage between a training and a test set.

Four checks: test rows identical to a training row, test rows whose features equal a training
row's, single features that predict the label almost perfectly, and overlap of identifiers or
dates. The per-feature score is that of the simplest model on one feature: the majority label
(or mean, for a numeric label) per feature value, or per quantile bin of a numeric feature,
learnt on the training set and scored on the test set as ``1 - error / error of the constant
guess`` (1 = the feature alone gives the label away; 0 = no better than guessing). Ties between
labels go to the smallest label.

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
from ..tables.distribution import as_float, open_pair
from ..tables.pushdown import PREFIX, bin_expression, collect, column_profile, grouped_counts, quantiles
from ..tables.source import columns_of
from ..tables.source import require_columns as require_table_columns
from .drift import MISSING
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
        lab_tr, classes = pd.factorize(y_tr, sort=True)
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
        pandas DataFrames (compared in memory), or any table :func:`mltestkit.tables.open_table`
        reads. Two tables that one engine can read together (the same engine and session; two
        paths, or a path beside a pandas or polars frame, share a DuckDB connection) are counted
        by that engine: the overlaps by a grouped count over both, the feature scores from rows
        per (feature value or bin, label). Other pairs are read into memory. A failure then
        holds the count of offending test rows but no positions.
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
    ('failed', "id_overlap of 'user' = 0.5 (1 of 2 test rows; max 0)")
    """
    tables = None
    if not (isinstance(train, pd.DataFrame) and isinstance(test, pd.DataFrame)):
        tr_lf, te_lf, joint = open_pair(train, test, ("train", "test"))
        tables = (tr_lf, te_lf) if joint else None
    if tables is None:
        tr, te = load_frame(train, "train"), load_frame(test, "test")
    rule, level = validate_rule(rule), validate_level(confidence)
    label, id, date = column(label, "label"), column(id, "id"), column(date, "date")
    features, index = columns(features, "features"), flag(index, "index")
    bins = count(bins, "bins", low=2, high=MAX_BINS, example=20)
    if legacy.get("max_id_overlap", "unset") != "unset" and "index_overlap" not in (max or {}):
        max = {**(max or {}), "index_overlap": legacy["max_id_overlap"]}
    requirements = data_requirements(
        "check_leakage", None, max, legacy, LEGACY, FIGURES, DEFAULT_MAX, rule=rule, confidence=level
    )
    if tables is not None and index:
        raise InputError(
            "index", "a table has no row labels to compare", "name an id column instead: id='...'"
        )
    if tables is not None:
        names = columns_of(tables[0])

        def need(cols: list[Any], argument: str) -> list[Any]:
            out = require_table_columns(tables[0], cols, argument, "train")
            require_table_columns(tables[1], cols, argument, "test")
            return out
    else:
        names = list(tr.columns)

        def need(cols: list[Any], argument: str) -> list[Any]:
            out = require_columns(tr, cols, argument, "train")
            require_columns(te, cols, argument, "test")
            return out

    for arg, col in (("label", label), ("id", id), ("date", date)):
        if col is not None:
            need([col], arg)
    special = {label, id, date}
    feats = [c for c in names if c not in special] if features is None else need(features, "features")
    if not feats:
        raise InputError("features", "no feature columns are left", "pass features=[...]")
    if tables is not None:
        n_train, n, figures = _table_figures(tables[0], tables[1], feats, label, id, date, bins)
    else:
        n_train, n = len(tr), len(te)
        figures = _frame_figures(tr, te, feats, label, id, index, date, bins)
    metrics: list[MetricValue] = []
    failures: list[dict[str, Any]] = []
    for metric, value, hits, col, reason in figures:
        where = {"column": col} if col is not None else None
        mv = judge(metric, Estimate(value, n=n, reason=reason), requirements[metric], slice=where)
        metrics.append(mv)
        if mv.outcome is Outcome.FAILED:
            entry: dict[str, Any] = {"column": col, "rule": metric, "value": value}
            if isinstance(hits, np.ndarray):
                entry["count"] = len(hits)
                entry["sample"] = sample(hits, hits)
            elif hits is not None:
                entry["count"] = hits
            failures.append(entry)
    outcome = worst([m.outcome for m in metrics if m.outcome is not None])

    def said(f: dict[str, Any]) -> str:
        where = f" of {f['column']!r}" if f["column"] else ""
        rows = f"{f['count']} of {n} test rows; " if f["rule"] != "feature_score" and "count" in f else ""
        limit = requirements[f["rule"]].max
        return f"{f['rule']}{where} = {f['value']:.4g} ({rows}max {limit if limit is None else format(limit, 'g')})"

    message = (
        "; ".join(said(f) for f in failures[:10])
        if failures
        else f"no leakage beyond the limits between {n_train} train and {n} test rows"
    )
    return CheckResult(
        name=name or "leakage",
        kind="data",
        outcome=outcome,
        metrics=metrics,
        rule=rule,
        message=message,
        details={"train_rows": n_train, "test_rows": n, "failures": failures},
    )


#: One figure: (name, value, offending test rows (positions, or a count for a table), column, reason).
Figure = tuple[str, "float | None", Any, "str | None", "str | None"]
NO_SCORE = "the test labels are constant, so no score is defined"


def _frame_figures(
    tr: pd.DataFrame,
    te: pd.DataFrame,
    feats: list[Any],
    label: Any,
    id: Any,
    index: bool,
    date: Any,
    bins: int,
) -> list[Figure]:
    """The figures of two pandas frames, with the positions of the offending test rows."""
    out: list[Figure] = []
    keys = [*feats, label] if label is not None else feats
    hit = np.isin(row_hashes(te, keys, "test"), row_hashes(tr, keys, "train"))
    out.append(("duplicate_rows", float(hit.mean()), np.flatnonzero(hit), None, None))
    if label is not None:
        hit = np.isin(row_hashes(te, feats, "test"), row_hashes(tr, feats, "train"))
        out.append(("feature_overlap", float(hit.mean()), np.flatnonzero(hit), None, None))
        for f, score in feature_scores(tr, te, feats, label, bins=bins).items():
            out.append(("feature_score", score, None, f, None if score is not None else NO_SCORE))
    if id is not None:
        require_hashable(te[id], "test")
        seen = te[id].isin(tr[id].dropna()).to_numpy() & te[id].notna().to_numpy()
        out.append(("id_overlap", float(seen.mean()), np.flatnonzero(seen), str(id), None))
    if index:
        seen = te.index.isin(tr.index)
        out.append(("index_overlap", float(seen.mean()), np.flatnonzero(seen), None, None))
    if date is not None:
        d_tr = pd.to_datetime(tr[date], errors="coerce")
        d_te = pd.to_datetime(te[date], errors="coerce")
        last = d_tr.max()
        if last is pd.NaT or (isinstance(last, float) and math.isnan(last)):
            raise InputError("date", f"column {date!r} of train has no dates", "pass a column of dates")
        early = (d_te <= last).to_numpy(dtype=bool, na_value=False)
        out.append(("date_overlap", float(early.mean()), np.flatnonzero(early), str(date), None))
    return out


def _table_figures(
    tr: Any, te: Any, feats: list[Any], label: Any, id: Any, date: Any, bins: int
) -> tuple[int, int, list[Figure]]:
    """The figures of two tables in one engine, from counts that engine computes (see the module)."""
    import narwhals as nw

    n_train, n = (int(collect(t.select(nw.len())).column(0)[0].as_py()) for t in (tr, te))
    if n_train == 0 or n == 0:
        raise InputError(
            "train" if n_train == 0 else "test", "has no rows", "pass a table with at least one row"
        )
    out: list[Figure] = []
    keys = [*feats, label] if label is not None else feats
    hits = overlapping_rows(tr, te, keys)
    out.append(("duplicate_rows", hits / n, hits, None, None))
    if label is not None:
        hits = overlapping_rows(tr, te, feats)
        out.append(("feature_overlap", hits / n, hits, None, None))
        for f, score in _table_scores(tr, te, feats, label, bins, n).items():
            out.append(("feature_score", score, None, f, None if score is not None else NO_SCORE))
    if id is not None:
        ids = [t.filter(~nw.col(id).is_null()) for t in (tr, te)]
        hits = overlapping_rows(ids[0], ids[1], [id])
        out.append(("id_overlap", hits / n, hits, str(id), None))
    if date is not None:
        kinds = [t.collect_schema()[date] for t in (tr, te)]
        if not all(k in (nw.Datetime, nw.Date) for k in kinds):
            raise InputError(
                "date", f"column {date!r} is not a date column in both tables", "cast it to a date type"
            )
        last = collect(tr.select(as_float(tr, date, "datetime").max())).column(0)[0].as_py()
        if last is None:
            raise InputError("date", f"column {date!r} of train has no dates", "pass a column of dates")
        early = (as_float(te, date, "datetime") <= last).cast(nw.Int64).sum()
        early = int(collect(te.select(early)).column(0)[0].as_py() or 0)
        out.append(("date_overlap", early / n, early, str(date), None))
    return n_train, n, out


def _key(v: Any) -> Any:
    return MISSING if v is None or (isinstance(v, float) and v != v) else v


def _table_scores(
    tr: Any, te: Any, feats: list[Any], label: str, bins: int, n: int
) -> dict[str, float | None]:
    """:func:`feature_scores` from counts per (feature value or bin, label) of each table."""
    import narwhals as nw

    schema_tr, schema_te = tr.collect_schema(), te.collect_schema()
    numeric_label = schema_tr[label].is_numeric() and schema_tr[label] != nw.Boolean
    classify = not numeric_label or column_profile(tr, [label]).distinct[label] <= MAX_CLASSES
    y = nw.col(label).cast(nw.Float64)
    if classify:
        counts = grouped_counts(tr, [label])
        valid = [
            (v, k)
            for v, k in zip(counts.keys[label].tolist(), counts.counts.tolist(), strict=True)
            if _key(v) is not MISSING
        ]
        classes = sorted(v for v, _ in valid)
        baseline = classes[int(np.argmax([dict(valid)[c] for c in classes]))]
        te_labels = grouped_counts(te, [label])
        right = sum(
            k
            for v, k in zip(te_labels.keys[label].tolist(), te_labels.counts.tolist(), strict=True)
            if _key(v) == baseline
        )
        base_err = 1 - right / n
    else:
        finite = tr.filter(y.is_finite().fill_null(False))
        mean = float(collect(finite.select(y.mean())).column(0)[0].as_py())
        ok = te.filter(~y.is_null() & ~y.is_nan().fill_null(False))
        sq = collect(ok.select(((y - mean) ** 2).mean())).column(0)[0].as_py()
        base_err = float(sq) if sq is not None else math.nan
    scores: dict[str, float | None] = {}
    for f in feats:
        key = PREFIX + "key"
        numeric = all(s[f].is_numeric() and s[f] != nw.Boolean for s in (schema_tr, schema_te))
        if numeric and column_profile(tr, [f]).distinct[f] > bins:
            edges = np.unique(quantiles(tr, f, np.linspace(0, 1, bins + 1)[1:-1]))
            code = bin_expression(f, edges[~np.isnan(edges)].tolist())
        else:
            code = nw.col(f)
        a, b = (t.select(code.alias(key), nw.col(label)) for t in (tr, te))
        if classify:
            scores[str(f)] = _class_score(a, b, key, label, baseline, base_err, n)
        else:
            scores[str(f)] = _mean_score(a, b, key, label, mean, base_err)
    return scores


def _class_score(
    a: Any, b: Any, key: str, label: str, baseline: Any, base_err: float, n: int
) -> float | None:
    train, test = grouped_counts(a, [key, label]), grouped_counts(b, [key, label])
    best: dict[Any, tuple[int, Any]] = {}
    for k, v, c in zip(
        train.keys[key].tolist(), train.keys[label].tolist(), train.counts.tolist(), strict=True
    ):
        if _key(v) is MISSING:
            continue
        held = best.get(_key(k))
        if held is None or c > held[0] or (c == held[0] and v < held[1]):
            best[_key(k)] = (c, v)
    wrong = sum(
        c
        for k, v, c in zip(
            test.keys[key].tolist(), test.keys[label].tolist(), test.counts.tolist(), strict=True
        )
        if _key(v) is MISSING or v != best.get(_key(k), (0, baseline))[1]
    )
    return None if base_err == 0 else 1 - (wrong / n) / base_err


def _mean_score(a: Any, b: Any, key: str, label: str, mean: float, base_err: float) -> float | None:
    import narwhals as nw

    y = nw.col(label).cast(nw.Float64)
    a = a.filter(y.is_finite().fill_null(False)).with_columns(y.alias(label))
    b = b.filter(~y.is_null() & ~y.is_nan().fill_null(False)).with_columns(
        y.alias(label), (y * y).alias(PREFIX + "y2")
    )
    train = grouped_counts(a, [key], sums=[label])
    guess = {
        _key(k): s / c
        for k, s, c in zip(
            train.keys[key].tolist(), train.keys[label].tolist(), train.counts.tolist(), strict=True
        )
    }
    test = grouped_counts(b, [key], sums=[label, PREFIX + "y2"])
    total, rows = 0.0, 0
    for k, c, s, s2 in zip(
        test.keys[key].tolist(),
        test.counts.tolist(),
        test.keys[label].tolist(),
        test.keys[PREFIX + "y2"].tolist(),
        strict=True,
    ):
        g = guess.get(_key(k), mean)
        total += s2 - 2 * g * s + g * g * c
        rows += c
    if base_err == 0 or rows == 0:
        return None
    return 1 - (total / rows) / base_err


def overlapping_rows(train: Any, test: Any, keys: list[Any]) -> int:
    """Test rows whose values over ``keys`` equal a training row's (missing values equal each other),
    counted by the engine that holds both tables: rows of each per distinct combination."""
    import narwhals as nw

    p = PREFIX
    one, zero = nw.lit(1, nw.Int64), nw.lit(0, nw.Int64)
    schema = train.collect_schema()
    cast = [nw.col(k).cast(schema[k]) for k in keys]
    both = nw.concat(
        [
            train.select(*cast, one.alias(p + "tr"), zero.alias(p + "te")),
            test.select(*cast, zero.alias(p + "tr"), one.alias(p + "te")),
        ]
    )
    cells = both.group_by(*keys, drop_null_keys=False).agg(nw.col(p + "tr").sum(), nw.col(p + "te").sum())
    total = collect(cells.filter(nw.col(p + "tr") > 0).select(nw.col(p + "te").sum())).column(0)[0].as_py()
    return int(total or 0)
