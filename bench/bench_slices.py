"""Slice, fairness and weak-slice benchmarks, against fairlearn's MetricFrame in the same run.

1. 1M rows, 50 groups, accuracy / recall / selection rate: ``check_slices`` (with 95%
   Clopper-Pearson intervals and gates) vs ``MetricFrame`` (values only), for each way of giving
   the groups: pandas ``str``, numpy ``str``, numpy object, pandas Categorical, integer codes.
2. Bootstrap intervals: ``check_fairness`` with 1000 replicates (every group rate and disparity)
   on 1M rows vs ``MetricFrame(n_boot=100)`` on 10k rows; the row reports the time per replicate.
3. ``find_weak_slices`` on 1M rows x 10 categorical features, depth 2.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from timing import best


def _data(n: int, groups: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    group = pd.Series(
        np.array([f"g{i:02d}" for i in range(groups)])[rng.integers(0, groups, n)], name="group"
    )
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.85, y, 1 - y)
    return y, pred, group


def run() -> list[dict]:
    import pandas as pd
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, recall_score

    import mltestkit

    rows = []
    metrics = {"accuracy": accuracy_score, "recall": recall_score, "selection_rate": selection_rate}
    y, pred, group = _data(1_000_000, 50)
    text = group.to_numpy(dtype=str)
    inputs = {
        "pandas str": group,
        "numpy str": text,
        "numpy object": text.astype(object),
        "pandas Categorical": pd.Series(pd.Categorical(text), name="group"),
        "numpy int codes (binned: 4 quantile bins, as every numeric column with > 10 values)": pd.Categorical(
            text
        ).codes.astype(np.int64),
    }
    for label, by in inputs.items():
        ours = best(
            lambda by=by: mltestkit.check_slices(
                ["accuracy", "recall", "selection_rate"], y, pred, by=by, min=0.5
            ),
            repeat=7,
        )
        theirs = best(
            lambda by=by: MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=by), repeat=1
        )
        rows.append(
            {
                "work": f"slices: 1M rows, 50 groups, accuracy/recall/selection_rate, groups as {label} (ours with 95% intervals and gates)",
                "ours_s": ours,
                "peer": "fairlearn MetricFrame, no intervals",
                "peer_s": theirs,
            }
        )

    ours_boot = best(lambda: mltestkit.check_fairness(y, pred, by=group, n_boot=1000))
    # fairlearn's bootstrap re-runs every metric on every group per replicate; on 100k rows it took
    # over 10 minutes on a shared 2-core machine, so it runs on 10k rows (which favours it)
    ys, ps, gs = _data(10_000, 50, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        MetricFrame(
            metrics=metrics,
            y_true=ys,
            y_pred=ps,
            sensitive_features=gs,
            n_boot=100,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        )
        theirs_boot = time.perf_counter() - t
    rows.append(
        {
            "work": "bootstrap: check_fairness, 1000 replicates, 1M rows, 50 groups (6 rates + 10 disparities); per replicate",
            "ours_s": ours_boot / 1000,
            "peer": "MetricFrame(n_boot=100), 10k rows, 3 metrics; per replicate",
            "peer_s": theirs_boot / 100,
            "note": f"totals: ours {ours_boot:.2f} s for 1000 replicates on 1M rows; fairlearn {theirs_boot:.2f} s for 100 on 10k",
        }
    )

    rng = np.random.default_rng(2)
    n = 1_000_000
    features = pd.DataFrame({f"f{i}": pd.Categorical(rng.integers(0, 5, n).astype(str)) for i in range(10)})
    rows.append(
        {
            "work": "find_weak_slices: 1M rows x 10 categorical features (5 values each), depth 2, 1,175 slices tested",
            "ours_s": best(lambda: mltestkit.find_weak_slices(y, pred, by=features), repeat=1),
        }
    )
    return rows
