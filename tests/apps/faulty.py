"""Faulty endpoints: a planted sleep, a constant server error, a process crash, a broken contract,
a redirect to ``FAULTY_REDIRECT_TO``."""

from __future__ import annotations

import os
import time

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

app = FastAPI(title="faulty")
SLEEP_S = float(os.environ.get("FAULTY_SLEEP_S", "0.06"))
CRASH_AFTER = int(os.environ.get("FAULTY_CRASH_AFTER", "50"))
_calls = {"crash": 0}


class Item(BaseModel):
    x: float


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/fast")
def fast(item: Item) -> dict[str, float]:
    return {"y": item.x}


@app.post("/slow")
async def slow(item: Item) -> dict[str, float]:
    import asyncio

    await asyncio.sleep(SLEEP_S)
    return {"y": item.x}


@app.post("/fail")
def fail(item: Item) -> dict[str, float]:
    raise RuntimeError("planted server error")


@app.post("/crash")
def crash(item: Item) -> dict[str, float]:
    _calls["crash"] += 1
    if _calls["crash"] >= CRASH_AFTER:
        os._exit(3)
    return {"y": item.x}


@app.post("/divide")
def divide(item: Item) -> dict[str, float]:
    return {"y": 1.0 / item.x}


@app.get("/sleep-sync")
def sleep_sync() -> dict[str, str]:
    time.sleep(SLEEP_S)
    return {"status": "ok"}


@app.get("/moved")
def moved() -> RedirectResponse:
    return RedirectResponse(os.environ.get("FAULTY_REDIRECT_TO", "http://127.0.0.1:9/"), status_code=307)
