"""Train the credit model with a fixed seed and save it with skops (safe to load).

python -m credit.train       # writes models/credit.skops
"""

from __future__ import annotations

import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .data import CATEGORICAL, LABEL, NUMERIC, ROOT, TRAIN, features

MODEL = ROOT / "models" / "credit.skops"


def build(seed: int = 0) -> Pipeline:
    """The model: one-hot categories, scaled numbers, a regularized logistic regression."""
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(C=0.5, max_iter=1000, random_state=seed))])


def train(frame: pd.DataFrame, seed: int = 0) -> Pipeline:
    """Fit the model on a frame with the label column; the entry point mltestkit calls for reproducibility."""
    return build(seed).fit(features(frame), frame[LABEL])


def main() -> None:
    model = train(pd.read_parquet(TRAIN))
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, MODEL)
    print(f"wrote {MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
