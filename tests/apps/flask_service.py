"""A scikit-learn model behind Flask (a WSGI app, built by an application factory).

Flask serves no OpenAPI document: its contract is ``flask_openapi.json`` beside this file.
``/moved`` answers a redirect to ``FLASK_REDIRECT_TO`` (for the loopback guard's tests).
"""

from __future__ import annotations

import os

import numpy as np
from flask import Flask, jsonify, redirect, request
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
MODEL = LogisticRegression(max_iter=500).fit(X, y)
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def create_app() -> Flask:
    """The Flask service: ``GET /health``, ``POST /predict`` and ``GET /moved``."""
    app = Flask("iris")

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.post("/predict")
    def predict():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(FEATURES) - set(body):
            return jsonify(error="a JSON object with the four measurements is required"), 422
        values = [body[f] for f in FEATURES]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 20 for v in values):
            return jsonify(error="measurements are numbers in [0, 20]"), 422
        proba = MODEL.predict_proba(np.array([values], dtype=float))[0]
        return jsonify(label=int(proba.argmax()), probability=float(proba.max()))

    @app.get("/moved")
    def moved():  # type: ignore[no-untyped-def]
        return redirect(os.environ.get("FLASK_REDIRECT_TO", "http://127.0.0.1:9/"), code=307)

    return app


app = create_app()
