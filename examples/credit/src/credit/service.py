"""The serving API: FastAPI, one prediction endpoint and a health check.

uvicorn credit.service:app --port 8000
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import skops.io as sio
from fastapi import FastAPI
from pydantic import BaseModel, Field

from .data import ROOT

MODEL_PATH = Path(os.environ.get("CREDIT_MODEL", ROOT / "models" / "credit.skops"))


class Applicant(BaseModel):
    credit_amount: float = Field(gt=0)
    duration: int = Field(gt=0, le=120)
    age: int = Field(ge=18, le=120)
    job: int = Field(ge=0, le=3)
    housing: str
    saving_accounts: str
    checking_account: str
    purpose: str


class Prediction(BaseModel):
    label: int
    probability: float


def load_model():
    return sio.load(MODEL_PATH, trusted=sio.get_untrusted_types(file=MODEL_PATH))


app = FastAPI(title="credit risk")
model = load_model()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict", response_model=Prediction)
def predict(applicant: Applicant) -> Prediction:
    row = pd.DataFrame([applicant.model_dump()])
    proba = float(model.predict_proba(row)[0, 1])
    return Prediction(label=int(proba >= 0.5), probability=proba)
