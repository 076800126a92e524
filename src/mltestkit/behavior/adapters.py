"""Adapters that turn a model into ``predict(inputs) -> outputs``: a callable, a scikit-learn estimator
or pipeline, or a model served over HTTP (JSON in and out, in batches)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, MLTestKitError, require
from ..results import to_jsonable

Predict = Callable[[Any], Any]


def as_predict(model: Any, *, method: str = "auto") -> Predict:
    """A prediction function for ``model``.

    A callable is returned as is. An estimator (anything with ``predict``) gives its
    ``predict_proba`` when it has one and ``method="auto"``, else ``getattr(model, method)``.

    >>> from sklearn.dummy import DummyClassifier
    >>> f = as_predict(DummyClassifier().fit([[0], [1]], [0, 1]), method="predict")
    >>> f([[5]]).tolist()
    [0]
    """
    if method == "auto":
        if callable(model):
            return model
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    function = getattr(model, method, None)
    if not callable(function):
        raise InputError(
            "predict",
            f"{type(model).__name__} has no method {method!r}",
            "pass a function inputs -> outputs, an estimator with predict/predict_proba, or an HTTPModel",
        )
    return function


class HTTPModel:
    """A model served over HTTP as a prediction function.

    Each call posts the inputs in batches of ``batch_size`` as JSON ``{input_key: [...]}`` (a row of
    a DataFrame becomes an object, a text a string) and reads ``response[output_key]`` (one output
    per input). Needs ``httpx`` (``pip install "mltestkit[serve]"``).

    >>> HTTPModel("http://127.0.0.1:8000/predict", batch_size=64)
    HTTPModel('http://127.0.0.1:8000/predict', batch_size=64)
    """

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = 256,
        input_key: str = "inputs",
        output_key: str = "outputs",
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(
                "url", f"must be an http(s) URL, got {url!r}", "pass e.g. 'http://127.0.0.1:8000/predict'"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError("batch_size", f"must be a positive int, got {batch_size!r}", "pass e.g. 256")
        self.url, self.batch_size = url, batch_size
        self.input_key, self.output_key = input_key, output_key
        self.timeout, self.headers = timeout, dict(headers or {})

    def __repr__(self) -> str:
        return f"HTTPModel({self.url!r}, batch_size={self.batch_size})"

    def __call__(self, inputs: Any) -> np.ndarray:
        httpx: Any = require("httpx", "serve", "Calling a model over HTTP")
        if isinstance(inputs, pd.DataFrame):
            rows = to_jsonable(inputs.astype(object).where(inputs.notna(), None).to_dict(orient="records"))
        else:
            rows = to_jsonable(list(inputs.tolist() if hasattr(inputs, "tolist") else inputs))
        outputs: list[Any] = []
        with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
            for start in range(0, len(rows), self.batch_size):
                batch = rows[start : start + self.batch_size]
                response = client.post(self.url, json={self.input_key: batch})
                if response.status_code >= 400:
                    raise MLTestKitError(
                        f"{self.url} answered {response.status_code} to a batch of {len(batch)} rows "
                        f"(rows {start}..{start + len(batch) - 1}): {response.text[:300]}"
                    )
                got = response.json().get(self.output_key)
                if not isinstance(got, list) or len(got) != len(batch):
                    raise MLTestKitError(
                        f"{self.url} did not return a list '{self.output_key}' with one output per input "
                        f"(sent {len(batch)}, got {type(got).__name__} of length {len(got) if isinstance(got, list) else '-'})"
                    )
                outputs.extend(got)
        return np.asarray(outputs)
