"""A scikit-learn model behind FastAPI: the fast, healthy service of the load tests."""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
MODEL = LogisticRegression(max_iter=500).fit(X, y)

app = FastAPI(title="iris")


class Flower(BaseModel):
    sepal_length: float = Field(ge=0, le=20)
    sepal_width: float = Field(ge=0, le=20)
    petal_length: float = Field(ge=0, le=20)
    petal_width: float = Field(ge=0, le=20)


class Prediction(BaseModel):
    label: int
    probability: float


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(flower: Flower) -> Prediction:
    row = np.array([[flower.sepal_length, flower.sepal_width, flower.petal_length, flower.petal_width]])
    proba = MODEL.predict_proba(row)[0]
    return Prediction(label=int(proba.argmax()), probability=float(proba.max()))
