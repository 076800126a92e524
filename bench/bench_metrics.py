"""check_metric on 1M rows, against scikit-learn's metric alone (which gives no interval); a
callable metric against the built-in f1 on the same rows."""

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
            "accuracy (Clopper-Pearson)",
            lambda: mltestkit.check_metric("accuracy", y, pred, min=0.5),
            lambda: accuracy_score(y, pred),
        ),
        (
            "f1 (Clopper-Pearson on the Jaccard index)",
            lambda: mltestkit.check_metric("f1", y, pred, min=0.5),
            lambda: f1_score(y, pred),
        ),
        (
            "roc_auc (score interval on DeLong's variance)",
            lambda: mltestkit.check_metric("roc_auc", y, y_score=score, min=0.5),
            lambda: roc_auc_score(y, score),
        ),
        (
            "log_loss (skew-t from power sums)",
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
    rows.extend(callable_rows())
    rows.extend(roc_auc_at_scale())
    return rows


def callable_rows() -> list[dict]:
    """A callable is called once per bootstrap replicate (on the distinct label pairs when it takes
    ``sample_weight``): its cost is n_boot calls, whatever the rows."""
    rng = np.random.default_rng(1)
    return [callable_row(rng, 1_500, weighted=False), callable_row(rng, 1_000_000, weighted=True)]


def callable_row(rng: np.random.Generator, n: int, *, weighted: bool) -> dict:
    from sklearn.metrics import f1_score

    import mltestkit

    y = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < 0.8, y, rng.integers(0, 3, n))

    def weighted_f1(a, b, sample_weight=None):
        return f1_score(a, b, average="weighted", sample_weight=sample_weight)

    metric = weighted_f1 if weighted else (lambda a, b: f1_score(a, b, average="weighted"))
    one_call = best(lambda: metric(y, pred))
    how = ", sample_weight accepted" if weighted else ""
    return {
        "work": f"check_metric(callable f1_score(average='weighted'){how}), 3 classes, {n:,} rows",
        "ours_s": best(lambda: mltestkit.check_metric(metric, y, pred, min=0.5), repeat=1),
        "peer": "built-in f1 (pos_label=1), same rows",
        "peer_s": best(lambda: mltestkit.check_metric("f1", y, pred, pos_label=1, min=0.5)),
        "note": "1000 BCa replicates + 9 jackknife calls on the distinct pairs; one call on all "
        f"rows takes {one_call * 1000:.1f} ms, so a row bootstrap would take about {one_call * 1009:.0f} s",
    }


def roc_auc_at_scale(n: int = 20_000_000) -> list[dict]:
    """check_metric("roc_auc") on 20M rows: wall time, and peak memory allocated during the call."""
    import tracemalloc

    from sklearn.metrics import roc_auc_score

    import mltestkit

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    ours = best(lambda: mltestkit.check_metric("roc_auc", y, y_score=score, min=0.5), repeat=2)
    tracemalloc.start()
    result = mltestkit.check_metric("roc_auc", y, y_score=score, min=0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    theirs = best(lambda: roc_auc_score(y, score), repeat=1)
    gap = abs(result.metrics[0].value - roc_auc_score(y, score))
    return [
        {
            "work": f"check_metric roc_auc (score interval on DeLong's variance, curves), {n // 1_000_000}M rows",
            "ours_s": ours,
            "peer": "scikit-learn roc_auc_score, no interval",
            "peer_s": theirs,
            "note": f"peak memory allocated during the check {peak / 2**30:.2f} GiB (tracemalloc; inputs excluded); |AUC - scikit-learn| = {gap:.1e}",
        }
    ]
