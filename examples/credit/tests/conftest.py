"""Fixtures of the credit example: the trained model and the processed data sets."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import skops.io as sio
from credit.data import LABEL, TEST, TRAIN, features
from credit.train import MODEL


@pytest.fixture(scope="session")
def model():
    return sio.load(MODEL, trusted=sio.get_untrusted_types(file=MODEL))


@pytest.fixture(scope="session")
def train_frame() -> pd.DataFrame:
    return pd.read_parquet(TRAIN)


@pytest.fixture(scope="session")
def test_frame() -> pd.DataFrame:
    return pd.read_parquet(TEST)


@pytest.fixture(scope="session")
def test_set(test_frame):
    return SimpleNamespace(X=features(test_frame), y=test_frame[LABEL].to_numpy(), frame=test_frame)
