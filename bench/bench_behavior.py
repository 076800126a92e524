"""Behavioral checks: the cost of the check around the model calls, and of the perturbations."""

from __future__ import annotations

import random

import numpy as np
from timing import best


def run() -> list[dict]:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from mltestkit import check_invariance, perturb
    from mltestkit.behavior import words

    rng = np.random.default_rng(0)
    n = 200_000
    frame = pd.DataFrame({"income": rng.normal(50, 15, n), "sex": rng.choice(["male", "female"], n)})
    y = (frame["income"] + 5 * (frame["sex"] == "male") > 52).astype(int)
    model = make_pipeline(
        ColumnTransformer([("n", "passthrough", ["income"]), ("c", OneHotEncoder(), ["sex"])]),
        LogisticRegression(),
    ).fit(frame, y)
    swap = perturb.swap("sex", {"male": "female", "female": "male"})

    def bare() -> None:
        before = model.predict_proba(frame)[:, 1]
        after = model.predict_proba(swap(frame))[:, 1]
        _ = (np.abs(after - before) > 0.02).mean()

    rows = [
        {
            "work": "check_invariance, swap a column, 200k rows, LogisticRegression pipeline",
            "ours_s": best(
                lambda: check_invariance(model.predict_proba, frame, swap, output=1, tolerance=0.02, max=0.01)
            ),
            "peer": "the two predict_proba calls and the comparison alone",
            "peer_s": best(bare),
        }
    ]

    texts = [
        f"{words.NAMES[i % 40]} from {words.CITIES[i % 20]} said the film was good" for i in range(100_000)
    ]
    typos = perturb.typos(seed=0)
    keys = words.KEYBOARD

    def naive_typos() -> None:
        r = random.Random(0)
        out = []
        for t in texts:
            chars = list(t)
            where = [i for i, c in enumerate(chars) if c.lower() in keys]
            i = r.choice(where)
            chars[i] = r.choice(keys[chars[i].lower()])
            out.append("".join(chars))

    rows.append(
        {
            "work": "perturb.typos on 100k texts",
            "ours_s": best(lambda: typos(texts)),
            "peer": "a plain Python loop with random.choice",
            "peer_s": best(naive_typos),
        }
    )
    swap_names = perturb.swap_names(seed=0)
    rows.append(
        {
            "work": "perturb.swap_names on 100k texts",
            "ours_s": best(lambda: swap_names(texts)),
            "note": "one regex over the 40 names, a seeded pick per match",
        }
    )
    return rows
