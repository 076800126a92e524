"""The HTTP adapter against a real FastAPI app served by uvicorn: the same check, the same answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
import pytest

from mltestkit import check_invariance, perturb
from mltestkit.behavior import HTTPModel
from mltestkit.errors import InputError

MODEL = """
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(0)
TRAIN = pd.DataFrame({"income": rng.normal(50, 15, 500), "male": rng.integers(0, 2, 500)})
Y = (TRAIN["income"] + 10 * TRAIN["male"] + rng.normal(0, 5, 500) > 55).astype(int)
MODEL = LogisticRegression().fit(TRAIN, Y)


def features(frame):
    return pd.DataFrame({"income": frame["income"], "male": (frame["sex"] == "male").astype(int)})
"""

APP = (
    MODEL
    + """
from fastapi import FastAPI, HTTPException

app = FastAPI()
SEEN = {"requests": 0, "largest": 0}


@app.get("/health")
def health():
    return SEEN


@app.post("/predict")
def predict(body: dict):
    rows = pd.DataFrame(body["inputs"])
    SEEN["requests"] += 1
    SEEN["largest"] = max(SEEN["largest"], len(rows))
    return {"outputs": MODEL.predict_proba(features(rows)).tolist()}


@app.post("/fragile")
def fragile(body: dict):
    rows = pd.DataFrame(body["inputs"])
    if (rows["income"] > 80).any():
        raise HTTPException(status_code=422, detail="income above 80")
    return {"outputs": MODEL.predict_proba(features(rows))[:, 1].tolist()}
"""
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    (folder / "app.py").write_text(APP)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1.0).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the app did not start: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"income": rng.normal(50, 15, 300).round(2), "sex": rng.choice(["male", "female"], 300)}
    )


def test_a_served_model_gives_the_same_result_as_the_model_in_process(server, frame):
    namespace: dict = {}
    exec(MODEL, namespace)
    local = lambda f: namespace["MODEL"].predict_proba(namespace["features"](f))  # noqa: E731
    swap = perturb.swap("sex", {"male": "female", "female": "male"})
    remote = check_invariance(
        HTTPModel(f"{server}/predict", batch_size=64),
        frame,
        swap,
        output=1,
        tolerance=0.05,
        max=0.05,
    )
    direct = check_invariance(local, frame, swap, output=1, tolerance=0.05, max=0.05)
    assert remote.outcome.value == direct.outcome.value == "failed"
    assert remote.details["failures"] == direct.details["failures"] > 0
    assert [e["row"] for e in remote.details["counterexamples"]] == [
        e["row"] for e in direct.details["counterexamples"]
    ]
    assert remote.details["counterexamples"][0]["severity"] == pytest.approx(
        direct.details["counterexamples"][0]["severity"]
    )
    seen = httpx.get(f"{server}/health").json()
    assert seen["largest"] == 64 and seen["requests"] == 2 * 5  # 300 rows in batches of 64, twice


def test_a_failing_endpoint_is_reported_with_the_failing_row(server, frame):
    model = HTTPModel(f"{server}/fragile", batch_size=100)
    with pytest.raises(InputError) as info:
        check_invariance(model, frame, perturb.shift("income", 1.0), tolerance=0.05, max=0.05)
    text = str(info.value)
    assert text.startswith("predict: raised MLTestKitError: ") and "answered 422" in text
    assert "income above 80" in text
    row = int(text.split("row(s) at [")[1].split("]")[0])
    assert frame["income"].iloc[row] > 80
    with pytest.raises(InputError, match=r"^url: must be an http\(s\) URL, got 'localhost:1'"):
        HTTPModel("localhost:1")
