"""check_metric on 1M rows, against scikit-learn's metric alone (which gives no interval)."""

from __future__ import annotations

import numpy as np
from timing import best


def run() -> list[dict]:
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    import mltestkit

    rng = np.random.default_rng(0)
    n = 1_000_000
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    pred = (score > 0.5).astype(int)
    rows = []
    cases = [
        (
            "accuracy (Wilson)",
            lambda: mltestkit.check_metric("accuracy", y, pred, min=0.5),
            lambda: accuracy_score(y, pred),
        ),
        (
            "f1 (1000 cell-bootstrap replicates)",
            lambda: mltestkit.check_metric("f1", y, pred, min=0.5),
            lambda: f1_score(y, pred),
        ),
        (
            "roc_auc (DeLong)",
            lambda: mltestkit.check_metric("roc_auc", y, y_score=score, min=0.5),
            lambda: roc_auc_score(y, score),
        ),
        (
            "log_loss (normal, n x B above budget)",
            lambda: mltestkit.check_metric("log_loss", y, y_score=score, max=1.0),
            lambda: log_loss(y, score),
        ),
    ]
    for work, ours, peer in cases:
        rows.append(
            {
                "work": f"check_metric {work}, 1M rows",
                "ours_s": best(ours),
                "peer": "scikit-learn metric, no interval",
                "peer_s": best(peer),
            }
        )
    return rows
