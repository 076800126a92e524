"""Fixtures of the quickstart: a logistic regression on scikit-learn's bundled breast cancer data."""

from types import SimpleNamespace

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    return SimpleNamespace(X_train=X_train, y_train=y_train, test_set=SimpleNamespace(X=X_test, y=y_test))


@pytest.fixture(scope="session")
def model(data):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(data.X_train, data.y_train)


@pytest.fixture(scope="session")
def test_set(data):
    return data.test_set
