"""Points of the curves a report draws for a classifier: ROC, precision-recall, reliability, confusion.

Kept small on purpose: at most :data:`POINTS` points a curve, rounded to four decimals, so a
report stays light however many rows were scored.

>>> c = score_curves([0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.9, 0.2])
>>> c["roc"]["fpr"][0], c["roc"]["tpr"][-1], len(c["reliability"]["predicted"]) <= 10
(0.0, 1.0, True)
>>> confusion([0, 1, 1, 0], [0, 1, 0, 0])
{'labels': ['0', '1'], 'matrix': [[2, 0], [1, 1]]}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import encode_labels
from ..errors import InputError

#: The most points stored for one curve.
POINTS = 60
#: Confusion matrices are stored up to this many classes.
MAX_CLASSES = 12


def _keep(n: int) -> np.ndarray:
    """Indices of at most :data:`POINTS` evenly spread points of a curve of ``n`` points."""
    return np.unique(np.linspace(0, n - 1, min(n, POINTS)).round().astype(int)) if n else np.array([], int)


def _rounded(a: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in a]


def score_curves(y_true: Any, y_score: Any, pos_label: Any = None) -> dict[str, Any] | None:
    """ROC and precision-recall points and a ten-bin reliability table of a binary scorer.

    ``None`` when the labels are not two classes or the scores are not one finite number a row.
    The curves have one point per distinct score (thinned to :data:`POINTS`); each class's scores
    are sorted once and a point's counts are found by binary search.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.shape != y.shape or s.dtype.kind not in "fiu" or not np.all(np.isfinite(s)):
        return None
    classes = np.unique(y)
    if len(classes) != 2:
        return None
    positive = y == (pos_label if pos_label is not None else classes[-1])
    pos, neg = s[positive], s[~positive]
    pos.sort()
    neg.sort()
    merged = np.concatenate([pos, neg])
    merged.sort(kind="stable")  # two sorted runs: one merge
    distinct = merged[np.r_[True, merged[1:] != merged[:-1]]][::-1]  # descending
    del merged
    p, n = pos.size, neg.size

    def counts(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positives and negatives scored at or above each of the distinct scores ``points``."""
        t = distinct[points]
        return p - np.searchsorted(pos, t, "left"), n - np.searchsorted(neg, t, "left")

    roc = _keep(distinct.size + 1)  # the curve starts at (0, 0)
    tp, fp = counts(np.maximum(roc - 1, 0))
    tp, fp = np.where(roc > 0, tp, 0), np.where(roc > 0, fp, 0)
    out: dict[str, Any] = {"roc": {"fpr": _rounded(fp / max(n, 1)), "tpr": _rounded(tp / max(p, 1))}}
    tp, fp = counts(_keep(distinct.size))
    out["pr"] = {"recall": _rounded(tp / max(p, 1)), "precision": _rounded(tp / np.maximum(tp + fp, 1))}
    if s.min() >= 0 and s.max() <= 1:
        bins = np.minimum((s * 10).astype(int), 9)
        count = np.bincount(bins, minlength=10)
        mean = np.bincount(bins, weights=s, minlength=10)
        observed = np.bincount(bins, weights=positive.astype(float), minlength=10)
        used = count > 0
        out["reliability"] = {
            "predicted": [round(float(v), 4) for v in mean[used] / count[used]],
            "observed": [round(float(v), 4) for v in observed[used] / count[used]],
            "count": [int(v) for v in count[used]],
        }
    return out


def confusion(y_true: Any, y_pred: Any) -> dict[str, Any] | None:
    """Counts of (true, predicted) label pairs, for up to :data:`MAX_CLASSES` classes; else ``None``."""
    y, p = np.asarray(y_true), np.asarray(y_pred)
    if y.ndim != 1 or p.shape != y.shape:
        return None
    try:
        classes, t, q = encode_labels(y, p)
    except InputError:  # labels of mixed types: compared as text
        classes, t, q = encode_labels(y.astype(str), p.astype(str))
    assert q is not None
    if len(classes) > MAX_CLASSES:
        return None
    names = [str(v) for v in classes.tolist()]
    labels = sorted(set(names))
    k = len(labels)
    place = np.array([labels.index(v) for v in names], dtype=np.int64)
    cells = np.bincount(place[t] * k + place[q], minlength=k * k).reshape(k, k)
    return {"labels": labels, "matrix": cells.tolist()}
