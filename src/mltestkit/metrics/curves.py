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

#: The most points stored for one curve.
POINTS = 60
#: Confusion matrices are stored up to this many classes.
MAX_CLASSES = 12


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, POINTS)).round().astype(int)) if n else np.array([], int)
    return [[round(float(v), 4) for v in a[keep]] for a in arrays]


def score_curves(y_true: Any, y_score: Any, pos_label: Any = None) -> dict[str, Any] | None:
    """ROC and precision-recall points and a ten-bin reliability table of a binary scorer.

    ``None`` when the labels are not two classes or the scores are not one finite number a row.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score)
    if y.ndim != 1 or s.shape != y.shape or s.dtype.kind not in "fiu" or not np.all(np.isfinite(s)):
        return None
    classes = np.unique(y)
    if len(classes) != 2:
        return None
    positive = y == (pos_label if pos_label is not None else classes[-1])
    order = np.argsort(-s, kind="stable")
    hits = positive[order]
    tp = np.cumsum(hits)
    fp = np.cumsum(~hits)
    last = np.r_[np.flatnonzero(np.diff(s[order])), len(s) - 1]  # one point per distinct score
    tp, fp = tp[last], fp[last]
    p, n = int(positive.sum()), int((~positive).sum())
    tpr = np.r_[0.0, tp / max(p, 1)]
    fpr = np.r_[0.0, fp / max(n, 1)]
    precision = tp / np.maximum(tp + fp, 1)
    out: dict[str, Any] = {}
    out["roc"] = dict(zip(("fpr", "tpr"), _thin(fpr, tpr), strict=True))
    out["pr"] = dict(zip(("recall", "precision"), _thin(tp / max(p, 1), precision), strict=True))
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
    labels, codes = np.unique(np.r_[y, p].astype(str), return_inverse=True)
    if len(labels) > MAX_CLASSES:
        return None
    k = len(labels)
    cells = np.bincount(codes[: len(y)] * k + codes[len(y) :], minlength=k * k).reshape(k, k)
    return {"labels": [str(v) for v in labels], "matrix": cells.tolist()}
