"""Two models on the same rows: the per-row record of a metric, the paired difference, ``check_paired``.

A metric check keeps a compact record of its rows (:func:`row_record`, in
``details["rows"]`` of the report) so that two runs on the same rows can be compared row by
row (:func:`paired_difference`):

* proportions (accuracy, precision, recall, specificity, FPR, FNR, selection rate, and
  top_k_accuracy: its hits over a score matrix): one bit a row for the rows counted and one for the rows that count as a success (``packbits-base64``);
  McNemar's test with Tango's interval, or an exact bootstrap over the joint cells;
* every other registered metric (``arrays-base64``): the validated true values and predictions
  as little-endian arrays in base64: class codes as ``uint8``/``uint16`` with the classes' names,
  scores and regression values as ``float32`` (relative error at most 2**-24, about 6e-8 a
  row), a score matrix (n, K) row by row with ``columns`` K; roc_auc is compared with the
  paired DeLong test, roc_auc_ovr(_weighted) with its extension to the classes' averaged
  DeLong components (``paired-delong-ovr``), mean losses with a skew-corrected
  interval from power sums of the per-row loss differences, the rest with a paired bootstrap over rows (over the joint
  confusion cells, exact and cheap, for f1 and balanced accuracy).

The record carries ``rows_sha256``, a hash of the true labels in order: two runs pair only when
it is the same (the same rows in the same order). Two runs whose records are equal predicted
the same on every row: their difference is exactly 0 (``method="identical"``), so the gate
passes at any margin >= 0.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 1000)
>>> tree = np.where(rng.random(1000) < 0.80, y, 1 - y)
>>> forest = np.where(rng.random(1000) < 0.90, y, 1 - y)
>>> r = check_paired("accuracy", y, y_pred=forest, baseline_pred=tree, margin=0.0)
>>> r.outcome.value, r.metrics[0].ci.method
('passed', 'mcnemar')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import as_1d, encode_labels
from ..errors import InputError
from ..results import CheckResult, Outcome
from ..stats import intervals as iv
from ..stats import paired as sp
from ..stats.requirement import EXACT, Estimate, Requirement, judge
from .estimators import CONFUSION, loss_moments, one_vs_rest, seed_value
from .registry import CUSTOM, LABELS, REGRESSION, Metric, Prepared, get_metric, prepare, value_of

#: Rows up to which a metric check keeps its per-row record by default (``keep_rows=None``):
#: 1,000,000 for the one-bit records of proportions (about 170 kB), 100,000 for the others
#: (about 0.3 MB of labels, 0.7 MB of scores, 1.1 MB of regression values).
ROWS_KEPT_UP_TO = 100_000
BITS_KEPT_UP_TO = 1_000_000

#: The encodings of a per-row record.
BITS, ARRAYS = "packbits-base64", "arrays-base64"


def keeps_rows(metric: Metric, n: int, keep_rows: bool | None) -> bool:
    """Whether a check of ``metric`` on ``n`` rows keeps its per-row record.

    >>> keeps_rows(get_metric("accuracy"), 10**6, None), keeps_rows(get_metric("rmse"), 10**6, None)
    (True, False)
    """
    if keep_rows is None:
        bits = metric.name in sp.ROW_METRICS or metric.hits is not None
        limit = BITS_KEPT_UP_TO if bits else ROWS_KEPT_UP_TO
        return metric.input != CUSTOM and n <= limit
    return bool(keep_rows)


def row_record(
    metric: str | Metric, y_true: Any, y_pred: Any = None, *, y_score: Any = None, pos_label: Any = None
) -> dict[str, Any]:
    """The compact per-row record of a registered metric (see the module's description).

    >>> rec = row_record("roc_auc", [0, 1, 1, 0], y_score=[0.1, 0.8, 0.6, 0.3])
    >>> rec["encoding"], rec["n"], rec["p"]["dtype"]
    ('arrays-base64', 4, 'float32')
    """
    m = get_metric(metric)
    if m.input == CUSTOM:
        raise InputError(
            "keep_rows",
            f"per-row records are kept for registered metrics only, not the callable {m.name}",
            "drop keep_rows=True, or use a registered metric",
        )
    rows = prepare(m, y_true, y_pred, y_score, pos_label)
    yt = as_1d(y_true, "y_true")
    if m.hits is not None:  # a proportion of rows scored by a matrix: its hits, one bit a row
        return sp.row_record("accuracy", yt, 0, rows.y, rows.p)
    if m.name in sp.ROW_METRICS:
        classes, t, p = encode_labels(yt, as_1d(y_pred, "y_pred"))
        assert p is not None
        return sp.row_record(m.name, yt, rows.pos, t, p)
    rec: dict[str, Any] = {"encoding": ARRAYS, "n": len(rows.y), "rows_sha256": sp.rows_id(yt)}
    if m.input == LABELS:
        classes, t, p = encode_labels(yt, as_1d(y_pred, "y_pred"))
        assert p is not None
        code = sp.code_type(max(len(classes) - 1, 0))
        rec["classes"] = [str(c) for c in classes.tolist()]
        rec["positive"] = rec["classes"][rows.pos] if 0 <= rows.pos < len(classes) else None
        rec["y"], rec["p"] = sp.encode_array(t, code), sp.encode_array(p, code)
        return rec
    if rows.p.ndim == 2:  # a score matrix: class codes, and the scores row by row
        rec["columns"] = rows.p.shape[1]
        rec["y"] = sp.encode_array(rows.y, sp.code_type(rows.p.shape[1] - 1))
        rec["p"] = sp.encode_array(rows.p.ravel(), sp.float_type(rows.p))
        return rec
    rec["y"] = sp.encode_array(rows.y, sp.float_type(rows.y) if m.input == REGRESSION else "uint8")
    rec["p"] = sp.encode_array(rows.p, sp.float_type(rows.p))
    return rec


def _labels(base: dict[str, Any], cur: dict[str, Any]) -> tuple[np.ndarray, ...] | None:
    """Class codes of both records on one list of classes: (y, p_base, p_cur, k, pos)."""
    names = sorted(set(base["classes"]) | set(cur["classes"]))
    index = {c: i for i, c in enumerate(names)}
    out = []
    for rec in (base, cur):
        lookup = np.array([index[c] for c in rec["classes"]] or [0], dtype=np.int64)
        out.append((lookup[sp.decode_array(rec["y"], rec["n"])], lookup[sp.decode_array(rec["p"], rec["n"])]))
    (y1, p1), (y2, p2) = out
    if not np.array_equal(y1, y2) or base.get("positive") != cur.get("positive"):
        return None
    pos = index.get(base.get("positive"), 0) if base.get("positive") is not None else 0
    return y1, p1, p2, np.array(len(names)), np.array(pos)


def _identical(n: int) -> dict[str, Any]:
    return {
        "difference": 0.0,
        "low": 0.0,
        "high": 0.0,
        "method": "identical",
        "p_value": 1.0,
        "discordant": 0,
        "n": n,
    }


def paired_difference(
    metric: str | Metric,
    base: Any,
    cur: Any,
    *,
    level: float,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[dict[str, Any] | None, str | None]:
    """The paired difference (current - baseline) of ``metric`` from two per-row records.

    Returns ``(difference, None)`` with ``difference, low, high, method, p_value`` (and
    ``discordant`` for McNemar), or ``(None, why)`` when the records cannot be paired: one is
    missing, the rows differ, or the records are of different kinds.

    >>> y = [0, 1] * 100
    >>> rec = row_record("f1", y, [0, 1] * 90 + [1, 1] * 10)
    >>> paired_difference("f1", rec, rec, level=0.95)[0]["method"]
    'identical'
    >>> paired_difference("f1", rec, row_record("f1", y[::-1], y), level=0.95)[1]
    'the rows differ (another test set, or the same rows in another order)'
    """
    m = get_metric(metric)
    if not isinstance(base, dict) or not isinstance(cur, dict):
        which = "baseline" if not isinstance(base, dict) else "current run"
        return None, f"no per-row record in the {which}"
    if base.get("rows_sha256") != cur.get("rows_sha256") or base.get("n") != cur.get("n"):
        return None, "the rows differ (another test set, or the same rows in another order)"
    if base.get("encoding") != cur.get("encoding"):
        return None, "the per-row records are of different kinds"
    if base.get("encoding") == BITS:
        (s1, t1, _), (s2, t2, _) = sp.read_rows(base), sp.read_rows(cur)  # type: ignore[misc]
        if np.array_equal(s1, s2) and np.array_equal(t1, t2):
            return _identical(int(t1.sum())), None
        d = sp.paired_difference((s1, t1), (s2, t2), level=level, n_boot=n_boot, seed=seed)
        return d, None
    if base.get("encoding") != ARRAYS:
        return None, f"unknown per-row encoding {base.get('encoding')!r}"
    n = int(base["n"])
    if m.input == LABELS:
        coded = _labels(base, cur)
        if coded is None:
            return None, "the rows differ (another test set, or the same rows in another order)"
        y, p1, p2, k, pos = coded
        rows = (Prepared(m, y, p1, int(k), int(pos)), Prepared(m, y, p2, int(k), int(pos)))
    else:
        y = sp.decode_array(base["y"], n)
        if not np.array_equal(y, sp.decode_array(cur["y"], n)):
            return None, "the rows differ (another test set, or the same rows in another order)"
        cols = base.get("columns")
        if cols != cur.get("columns"):
            return None, "the per-row records are of different kinds"
        if cols is not None:  # a score matrix
            cols = int(cols)
            p1, p2 = (sp.decode_array(r["p"], n * cols).reshape(n, cols) for r in (base, cur))
        else:
            p1, p2 = sp.decode_array(base["p"], n), sp.decode_array(cur["p"], n)
        rows = (Prepared(m, y, p1, cols or 1), Prepared(m, y, p2, cols or 1))
    if np.array_equal(rows[0].p, rows[1].p):
        return _identical(n), None
    return _difference(rows[0], rows[1], level=level, n_boot=n_boot, seed=seed), None


def _difference(a: Prepared, b: Prepared, *, level: float, n_boot: int, seed: int) -> dict[str, Any]:
    """The paired test of one metric on prepared rows of two runs (the same ``y``)."""
    m, y, n = a.metric, a.y, len(a.y)
    rng = np.random.default_rng(seed)
    value_a, value_b = value_of(a), value_of(b)
    value = None if value_a is None or value_b is None else value_b - value_a
    if m.interval == "auc":
        return sp.paired_delong(y > 0.5, a.p, b.p, level=level)
    if m.interval == "ovr":
        return _ovr_difference(m, y, a.p, b.p, level=level)
    if m.statistics == CONFUSION and a.k**3 <= 1_000_000:
        k = a.k
        counts = np.bincount((y * k + a.p) * k + b.p, minlength=k**3)

        def on_cells(c: np.ndarray) -> np.ndarray:
            c = np.asarray(c).reshape((*c.shape[:-1], k, k, k))
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.asarray(m.value(c.sum(axis=-2), a.pos) - m.value(c.sum(axis=-1), a.pos))

        low, high = iv.percentile_interval(iv.cell_bootstrap(counts, on_cells, n_boot=n_boot, rng=rng), level)
        return _result(value, low, high, "paired-bootstrap")
    if m.interval == "mean":
        la, lb = m.value(y, a.p), m.value(y, b.p)
        if m.finish is None:
            moments, shift = loss_moments(lb - la, np.zeros(n, np.int64), 1)
            _, lo, hi, _, _ = iv.moment_mean_interval(moments, level)
            return _result(value, float(lo[0] + shift[0]), float(hi[0] + shift[0]), "paired-moment")
        finish = np.vectorize(m.finish)
        if n * n_boot > iv.ROW_BOOTSTRAP_BUDGET:  # delta method: normal to within rounding here
            slopes = [_slope(m.finish, float(x.mean())) for x in (la, lb)]
            influence = slopes[1] * lb - slopes[0] * la
            half = iv.z_value(level) * float(influence.std(ddof=1)) / math.sqrt(n)
            return _result(value, (value or 0.0) - half, (value or 0.0) + half, "paired-normal")
        reps = iv.row_bootstrap(
            lambda idx: finish(lb[idx].mean(axis=1)) - finish(la[idx].mean(axis=1)), n, n_boot=n_boot, rng=rng
        )
        low, high = iv.percentile_interval(reps, level)
        return _result(value, low, high, "paired-bootstrap")

    def on_rows(idx: np.ndarray) -> float:
        return float(m.value(y[idx], b.p[idx]) - m.value(y[idx], a.p[idx]))

    if value is None:
        return _result(None, math.nan, math.nan, "paired-bootstrap")
    return sp.paired_bootstrap(on_rows, n, value=value, level=level, n_boot=n_boot, rng=rng)


def _ovr_difference(
    m: Metric, y: np.ndarray, base: np.ndarray, cur: np.ndarray, *, level: float
) -> dict[str, Any]:
    """Paired DeLong test of a one-vs-rest AUC: each row's share of the averaged AUC (its
    DeLong components, weighted as the average weighs the classes) in both runs; the variance of
    the difference is the sum of the squared differences of those shares (normal interval)."""
    from scipy import special

    codes = np.zeros(len(y), np.int64)
    y = y.astype(np.int64)
    fits = [one_vs_rest(y, s, codes, 1) for s in (base, cur)]
    out: dict[str, Any] = {"difference": None, "low": None, "high": None, "method": "paired-delong-ovr"}
    out["p_value"] = None
    if not all(np.isfinite(f.auc).all() and np.isfinite(f.var).all() for f in fits):
        return out
    w = fits[0].weights(m.average or "macro")[0]
    diff = float(w @ fits[1].auc[0] - w @ fits[0].auc[0])
    se = math.sqrt(float((((fits[1].z - fits[0].z) @ w) ** 2).sum()))
    z = iv.z_value(level)
    out.update(difference=diff, low=diff - z * se, high=diff + z * se)
    out["p_value"] = float(2 * special.ndtr(-abs(diff) / se)) if se > 0 else float(diff == 0)
    return out


def _slope(f: Any, x: float) -> float:
    """The derivative of ``f`` at ``x`` by a central difference."""
    h = 1e-6 * max(abs(x), 1e-12)
    lo = max(x - h, 0.0)
    return float((f(x + h) - f(lo)) / (x + h - lo))


def _result(value: float | None, low: float, high: float, method: str) -> dict[str, Any]:
    finite = lambda x: float(x) if x is not None and math.isfinite(x) else None  # noqa: E731
    return {"difference": finite(value), "low": finite(low), "high": finite(high), "method": method}


def _paired(
    m: Metric,
    y_true: Any,
    pred: tuple[Any, Any],
    base: tuple[Any, Any],
    *,
    pos_label: Any,
    level: float,
    n_boot: int,
    seed: int,
) -> tuple[Estimate, dict[str, Any]]:
    recs = [row_record(m, y_true, p, y_score=s, pos_label=pos_label) for p, s in (base, pred)]
    diff, _ = paired_difference(m, recs[0], recs[1], level=level, n_boot=n_boot, seed=seed)
    assert diff is not None
    n = int(recs[0]["n"])
    if diff["method"] == "identical":
        return Estimate(0.0, method=EXACT, n=n), diff
    reason = None if diff["difference"] is not None else f"{m.name} is undefined here: {m.undefined}"
    return Estimate(diff["difference"], diff["low"], diff["high"], diff["method"], n, None, reason), diff


def paired_estimate(
    metric: str | Metric,
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    baseline_pred: Any = None,
    baseline_score: Any = None,
    pos_label: Any = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Estimate:
    """The paired difference (candidate - baseline) of ``metric`` on the same rows, as an Estimate.

    The estimate :func:`check_paired` judges: an exact 0 when both predicted the same on every
    row, otherwise the paired test's value and interval (its ``method``).

    >>> est = paired_estimate("mae", [1.0, 2.0, 3.0] * 40, y_pred=[1.1, 2.0, 3.0] * 40,
    ...                       baseline_pred=[1.5, 2.0, 3.0] * 40)
    >>> round(est.value, 3), est.method
    (-0.133, 'paired-moment')
    """
    est, _ = _paired(
        get_metric(metric),
        y_true,
        (y_pred, y_score),
        (baseline_pred, baseline_score),
        pos_label=pos_label,
        level=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    return est


def check_paired(
    metric: str,
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    baseline_pred: Any = None,
    baseline_score: Any = None,
    margin: float = 0.0,
    rule: str = "acceptance",
    confidence: float = 0.95,
    pos_label: Any = None,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    name: str | None = None,
) -> CheckResult:
    """Is the candidate at least as good as the baseline on the same rows, up to ``margin``?

    Both models' predictions (or scores) of the same rows are compared row by row with the
    paired test of the metric: McNemar with Tango's interval for proportions, the paired DeLong
    test for roc_auc, a skew-corrected interval of per-row loss differences for mean losses (undecided where the
    tails leave too few rows), a paired
    bootstrap otherwise. The figure is ``candidate - baseline`` in the metric's units; the
    requirement is ``>= -margin`` for a metric where higher is better and ``<= margin``
    otherwise (non-inferiority), judged by the rule. Identical predictions give exactly 0.

    Parameters
    ----------
    metric:
        A registered metric name (:data:`~mltestkit.metrics.METRICS`).
    y_true:
        The true labels or values of the rows.
    y_pred, y_score:
        The candidate's predictions, or scores for a score metric (``roc_auc``, ``log_loss``, ...).
    baseline_pred, baseline_score:
        The baseline model's predictions or scores of the same rows.
    margin:
        The non-inferiority margin (>= 0), in the metric's units: how much worse the candidate
        may be. ``0``: at least as good.
    rule, confidence, seed, name:
        As for every check; ``pos_label`` as for :func:`~mltestkit.metrics.check_metric`;
        ``n_boot`` replicates for the bootstraps.

    Returns
    -------
    CheckResult
        Of kind ``"comparison"`` with one figure, ``"<metric> difference"``; ``details`` has the
        two values, the method, the p-value (McNemar, DeLong) and the margin.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> y = rng.integers(0, 2, 2000)
    >>> weak, strong = y + rng.normal(0, 1.2, 2000), y + rng.normal(0, 0.6, 2000)
    >>> r = check_paired("roc_auc", y, y_score=strong, baseline_score=weak)
    >>> r.outcome.value, r.metrics[0].ci.method, r.metrics[0].value > 0
    ('passed', 'paired-delong', True)
    >>> check_paired("roc_auc", y, y_score=weak, baseline_score=weak).metrics[0].value
    0.0
    """
    m = get_metric(metric)
    if m.input == CUSTOM:
        raise InputError("metric", "must be a registered metric name", "pass e.g. 'accuracy'")
    if (
        isinstance(margin, bool)
        or not isinstance(margin, (int, float))
        or not math.isfinite(margin)
        or margin < 0
    ):
        raise InputError("margin", f"must be a finite number >= 0, got {margin!r}", "pass e.g. margin=0.01")
    for arg, cand, base in (("y_pred", y_pred, baseline_pred), ("y_score", y_score, baseline_score)):
        other = "baseline_" + arg.split("_")[1]
        if (cand is None) != (base is None):
            given, missing = (arg, other) if base is None else (other, arg)
            raise InputError(
                given,
                f"was given without {missing}: {arg} and {other} go together",
                "pass the candidate's and the baseline's predictions of the same rows",
            )
    requirement = (
        Requirement(min=-margin, rule=rule, confidence=confidence, argument="margin")
        if m.higher_is_better
        else Requirement(max=margin, rule=rule, confidence=confidence, argument="margin")
    )
    est, diff = _paired(
        m,
        y_true,
        (y_pred, y_score),
        (baseline_pred, baseline_score),
        pos_label=pos_label,
        level=requirement.confidence,
        n_boot=n_boot,
        seed=seed_value(seed),
    )
    mv = judge(f"{m.name} difference", est, requirement)
    values = [
        value_of(prepare(m, y_true, p, s, pos_label))
        for p, s in ((baseline_pred, baseline_score), (y_pred, y_score))
    ]
    outcome = mv.outcome or Outcome.PASSED
    side = "at least" if m.higher_is_better else "at most"
    why = {
        Outcome.PASSED: "the candidate is non-inferior to the baseline",
        Outcome.FAILED: "the candidate is worse than the baseline by more than the margin",
        Outcome.INCONCLUSIVE: "these rows cannot tell whether the candidate is within the margin",
    }[outcome]
    return CheckResult(
        name=name or f"{m.name} vs baseline",
        kind="comparison",
        outcome=outcome,
        metrics=[mv],
        rule=requirement.rule,
        message=f"{mv.describe()}\ncandidate - baseline must be {side} "
        f"{-margin if m.higher_is_better else margin:g}: {why} ({diff['method']}).",
        details={
            "metric": m.name,
            "baseline": values[0],
            "candidate": values[1],
            "method": diff["method"],
            "p_value": diff.get("p_value"),
            "margin": float(margin),
            "higher_is_better": m.higher_is_better,
        },
    )
