"""Paired and unpaired differences between two runs of a metric on the same rows.

Per-row outcomes of a proportion metric are kept as packed bits (:func:`row_record`); two runs
on the same rows are compared with McNemar's test and Tango's score interval, or with an exact
bootstrap over the joint cells when the rows the proportion is over differ between the runs
(:func:`paired_difference`). Scores of two models on the same rows are compared with the
paired DeLong test (:func:`paired_delong`), any other statistic with a paired bootstrap over
rows (:func:`paired_bootstrap`). Other per-row values are stored as little-endian arrays in
base64 (:func:`encode_array`). Without per-row data, :func:`interval_difference` reads standard
errors off each run's interval.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError, ReportError
from . import intervals as iv

#: Proportion metrics that can keep per-row outcomes: name -> (trial rows, successful rows).
_ROW_RULES = {
    "accuracy": ("all", "correct"),
    "selection_rate": ("all", "pred_pos"),
    "precision": ("pred_pos", "true_pos"),
    "recall": ("true_pos_rows", "pred_pos"),
    "fnr": ("true_pos_rows", "pred_neg"),
    "specificity": ("true_neg_rows", "pred_neg"),
    "fpr": ("true_neg_rows", "pred_pos"),
    **{
        name: ("all", "correct")
        for name in ("precision_micro", "recall_micro", "f1_micro", "recall_weighted")
    },
}

#: The metrics whose per-row record is bits (:func:`row_record`).
ROW_METRICS = tuple(_ROW_RULES)


def _pack(bits: np.ndarray) -> str:
    return base64.b64encode(np.packbits(bits.astype(bool)).tobytes()).decode("ascii")


def _unpack(text: str, n: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=np.uint8)
    if raw.size * 8 < n:
        raise ValueError("too few bits")
    return np.unpackbits(raw)[:n].astype(bool)


#: The array types per-row values are stored as (``float32``: relative error at most 2**-24;
#: ``float64`` for values beyond float32's range).
ARRAY_TYPES = ("uint8", "uint16", "uint32", "float32", "float64")


def float_type(values: np.ndarray) -> str:
    """``"float32"`` when every value fits it, else ``"float64"``.

    >>> float_type(np.array([0.5, 1e30])), float_type(np.array([1e300]))
    ('float32', 'float64')
    """
    big = float(np.abs(values).max()) if np.size(values) else 0.0
    return "float32" if big <= float(np.finfo(np.float32).max) else "float64"


def encode_array(values: np.ndarray, dtype: str) -> dict[str, str]:
    """Per-row values as a little-endian array of ``dtype`` in base64.

    >>> rec = encode_array(np.array([0.25, 1.0]), "float32")
    >>> rec["dtype"], decode_array(rec, 2).tolist()
    ('float32', [0.25, 1.0])
    """
    raw = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return {"dtype": dtype, "data": base64.b64encode(raw).decode("ascii")}


def decode_array(rec: Any, n: int) -> np.ndarray:
    """The ``n`` values of :func:`encode_array`'s record; ``ReportError`` when it is corrupt."""
    try:
        dtype = rec["dtype"]
        if dtype not in ARRAY_TYPES:
            raise ValueError(f"unknown dtype {dtype!r}")
        raw = base64.b64decode(str(rec["data"]).encode("ascii"), validate=True)
        out = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        if out.size != n:
            raise ValueError(f"{out.size} values for {n} rows")
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"per-row values in the report are corrupt ({exc})") from exc
    return out.astype(np.float64 if dtype.startswith("float") else np.int64)


def code_type(largest: int) -> str:
    """The smallest unsigned type that holds integer codes up to ``largest``.

    >>> code_type(1), code_type(300)
    ('uint8', 'uint16')
    """
    return next(t for t in ARRAY_TYPES[:3] if largest <= np.iinfo(t).max)


def rows_id(y_true: np.ndarray) -> str:
    """A sha256 of the true labels in order: two runs can be paired only on the same rows."""
    values, codes = np.unique(y_true, return_inverse=True)
    h = hashlib.sha256(json.dumps([str(v) for v in values.tolist()]).encode())
    h.update(np.ascontiguousarray(codes.reshape(-1), dtype=np.int64).tobytes())
    return h.hexdigest()


def row_record(name: str, y_true: np.ndarray, pos: int, t: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Per-row outcomes of a proportion metric, packed as bits (one byte per eight rows, base64).

    ``t`` and ``p`` are the true and predicted class codes made by ``encode_labels``; ``pos`` the
    positive class's index. ``success`` and ``trial`` are the rows counted in the numerator and
    the denominator; ``trial`` is ``None`` when every row counts.
    """
    if name not in _ROW_RULES:
        raise InputError(
            "keep_rows",
            f"per-row outcomes are kept only for proportion metrics, not {name}",
            f"drop keep_rows=True or use one of {', '.join(_ROW_RULES)}",
        )
    sets = {
        "all": np.ones(len(t), dtype=bool),
        "correct": t == p,
        "pred_pos": p == pos,
        "pred_neg": p != pos,
        "true_pos_rows": t == pos,
        "true_neg_rows": t != pos,
    }
    sets["true_pos"] = sets["pred_pos"] & sets["true_pos_rows"]
    trial_key, success_key = _ROW_RULES[name]
    trial = sets[trial_key]
    success = sets[success_key] & trial
    return {
        "encoding": "packbits-base64",
        "n": len(t),
        "rows_sha256": rows_id(y_true),
        "success": _pack(success),
        "trial": None if trial_key == "all" else _pack(trial),
    }


def read_rows(rec: Any) -> tuple[np.ndarray, np.ndarray, str] | None:
    if not isinstance(rec, Mapping) or rec.get("encoding") != "packbits-base64":
        return None
    try:
        n = int(rec["n"])
        success = _unpack(rec["success"], n)
        trial = np.ones(n, dtype=bool) if rec.get("trial") is None else _unpack(rec["trial"], n)
        return success, trial, str(rec["rows_sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"per-row outcomes in the report are corrupt ({exc})") from exc


def tango_interval(b: int, c: int, n: int, level: float) -> tuple[float, float]:
    """Score interval (Tango 1998) for ``(c - b) / n``, the difference of two paired proportions.

    ``b`` rows only the first run got right, ``c`` only the second, ``n`` rows in all. The
    interval inverts the score test of ``H0: difference = d`` with the nuisance parameter at its
    restricted maximum likelihood; its one-sided error stays near nominal even with few
    discordant rows, where the interval conditional on the discordant count is too liberal.

    >>> low, high = tango_interval(5, 10, 100, 0.95)
    >>> round(low, 4), round(high, 4)
    (-0.0286, 0.1335)
    >>> low, high = tango_interval(0, 40, 40, 0.95)  # every row better: the upper end is the edge
    >>> round(low, 4), high
    (0.8248, 1.0)
    """
    from scipy import optimize

    z = iv.z_value(level)

    def score(d: float) -> float:  # score statistic of H0: (b - c) / n = d
        bb = (2 * n - b + c) * d - (b + c)
        x = (-bb + math.sqrt(max(bb * bb + 8 * n * c * d * (1 - d), 0.0))) / (4 * n)
        var = n * (2 * x + d * (1 - d))
        gap = b - c - n * d
        return gap / math.sqrt(var) if var > 0 else math.copysign(math.inf, gap)

    eps = 1e-12

    def root(f: Any) -> float:  # f decreases in d; an end that cannot be rejected is the bound
        if f(1 - eps) >= 0:
            return 1.0
        if f(-1 + eps) <= 0:
            return -1.0
        return float(optimize.brentq(f, -1 + eps, 1 - eps, xtol=1e-12))

    upper = root(lambda d: score(d) + z)
    lower = root(lambda d: score(d) - z)
    return -upper, -lower


def paired_difference(
    base: tuple[np.ndarray, np.ndarray],
    cur: tuple[np.ndarray, np.ndarray],
    *,
    level: float,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Difference (current - baseline) of a proportion from per-row (success, trial) bits of both runs.

    >>> s1 = np.array([1, 1, 0, 1, 0, 1] * 50, bool); s2 = np.array([1, 0, 0, 1, 1, 1] * 50, bool)
    >>> everything = np.ones(300, bool)
    >>> d = paired_difference((s1, everything), (s2, everything), level=0.95)
    >>> d["method"], d["difference"], d["discordant"]
    ('mcnemar', 0.0, 100)
    """
    from scipy import stats

    (s1, t1), (s2, t2) = base, cur
    if np.array_equal(t1, t2):
        rows = int(t1.sum())
        b = int(np.count_nonzero(s1 & ~s2 & t1))  # the baseline got right, the current wrong
        c = int(np.count_nonzero(~s1 & s2 & t1))
        d_pairs = b + c
        if rows == 0:
            return {"difference": None, "low": None, "high": None, "method": "mcnemar", "p_value": None}
        low, high = tango_interval(b, c, rows, level)
        return {
            "difference": (c - b) / rows,
            "low": low,
            "high": high,
            "method": "mcnemar",
            "p_value": float(stats.binomtest(c, d_pairs, 0.5).pvalue) if d_pairs else 1.0,
            "discordant": d_pairs,
        }
    code = s1.astype(np.int64) + 2 * t1 + 4 * s2 + 8 * t2
    counts = np.bincount(code, minlength=16)
    cells = np.arange(16)
    bits = [(cells >> k) & 1 for k in range(4)]

    def diff(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        k1, n1, k2, n2 = (
            (c * (bits[0] * bits[1])).sum(-1),
            (c * bits[1]).sum(-1),
            (c * (bits[2] * bits[3])).sum(-1),
            (c * bits[3]).sum(-1),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(k2 / n2 - k1 / n1)

    value = float(diff(counts))
    reps = iv.cell_bootstrap(counts, diff, n_boot=n_boot, rng=np.random.default_rng(seed))
    low, high = iv.percentile_interval(reps, level)
    return {
        "difference": value if math.isfinite(value) else None,
        "low": low,
        "high": high,
        "method": "paired-bootstrap",
        "p_value": None,
    }


def paired_delong(y: np.ndarray, base: np.ndarray, cur: np.ndarray, *, level: float) -> dict[str, Any]:
    """Paired DeLong test of ``AUC(cur) - AUC(base)`` for two scores of the same rows.

    The placement values of both scores give the covariance of the two AUCs (DeLong, DeLong
    and Clarke-Pearson 1988); the interval is normal on the difference and the p-value tests
    for any difference.

    >>> y = np.array([1, 1, 1, 0, 0, 0] * 20, bool)
    >>> s1 = np.tile([0.9, 0.8, 0.3, 0.4, 0.2, 0.1], 20); s2 = np.tile([0.9, 0.8, 0.6, 0.4, 0.2, 0.1], 20)
    >>> d = paired_delong(y, s1, s2, level=0.95)
    >>> d["method"], round(d["difference"], 4), d["low"] > 0
    ('paired-delong', 0.1111, True)
    """
    from scipy import special

    y = np.asarray(y, dtype=bool)
    m, k = int(y.sum()), int((~y).sum())
    out: dict[str, Any] = {"difference": None, "low": None, "high": None, "method": "paired-delong"}
    out["p_value"] = None
    if m < 2 or k < 2:
        return out
    v10, v01 = [], []
    for s in (np.asarray(base, float), np.asarray(cur, float)):
        ranks = iv.grouped_ranks(np.zeros(y.size, np.int64), s)
        v10.append((ranks[y] - iv.grouped_ranks(np.zeros(m, np.int64), s[y])) / k)
        v01.append(1.0 - (ranks[~y] - iv.grouped_ranks(np.zeros(k, np.int64), s[~y])) / m)
    diff = float(v10[1].mean() - v10[0].mean())
    var = float(np.var(v10[1] - v10[0], ddof=1) / m + np.var(v01[1] - v01[0], ddof=1) / k)
    se = math.sqrt(max(var, 0.0))
    z = iv.z_value(level)
    out.update(difference=diff, low=diff - z * se, high=diff + z * se)
    out["p_value"] = float(2 * special.ndtr(-abs(diff) / se)) if se > 0 else float(diff == 0)
    return out


def paired_bootstrap(
    statistic: Any, n: int, *, value: float, level: float, n_boot: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Percentile interval of a difference from a bootstrap over the rows both runs share.

    ``statistic(idx)`` returns the difference (current - baseline) on the rows ``idx`` (one
    resample, raising ``ValueError`` where undefined); ``value`` is its value on all rows.

    >>> a = np.arange(200) % 3 == 0; b = np.arange(200) % 4 == 0
    >>> d = paired_bootstrap(lambda i: b[i].mean() - a[i].mean(), 200, value=-0.085,
    ...                      level=0.95, n_boot=200, rng=np.random.default_rng(0))
    >>> d["method"], bool(d["low"] < d["difference"] < d["high"])
    ('paired-bootstrap', True)
    """
    reps = iv.row_bootstrap_each(statistic, n, n_boot=n_boot, rng=rng)
    low, high = iv.percentile_interval(reps, level)
    return {
        "difference": float(value),
        "low": low if math.isfinite(low) else None,
        "high": high if math.isfinite(high) else None,
        "method": "paired-bootstrap",
        "p_value": None,
    }


def interval_difference(base: Mapping[str, Any], cur: Mapping[str, Any], level: float) -> dict[str, Any]:
    """Difference of two independent estimates; standard errors from each figure's interval."""
    if base.get("value") is None or cur.get("value") is None:
        return {"difference": None, "low": None, "high": None, "method": "intervals", "p_value": None}
    d = float(cur["value"]) - float(base["value"])
    z = iv.z_value(level)
    ses = []
    for m in (base, cur):
        ci = m.get("ci") or {}
        lo, hi = ci.get("low"), ci.get("high")
        if lo is None or hi is None:
            ses.append(math.nan)
        else:
            ses.append((float(hi) - float(lo)) / (2 * iv.z_value(float(ci.get("level") or level))))
    se = math.hypot(*ses)
    if not math.isfinite(se):
        return {"difference": d, "low": None, "high": None, "method": "intervals", "p_value": None}
    return {"difference": d, "low": d - z * se, "high": d + z * se, "method": "intervals", "p_value": None}
