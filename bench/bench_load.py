"""Load tests and latency checks: locust overhead, harness p95 against an independent client, req/s.

The service is tests/apps/service.py (FastAPI + a scikit-learn LogisticRegression) under one
uvicorn process on 127.0.0.1; locust and the service share this machine's cores.
"""

from __future__ import annotations

import threading
import time
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FLOWER = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def _httpx_loop(url: str, stop: threading.Event, out: list[float]) -> None:
    """Sequential requests from one client thread, each timed with perf_counter (the independent measurement)."""
    import httpx

    with httpx.Client() as client:
        while not stop.is_set():
            t = time.perf_counter()
            client.post(url, json=FLOWER)
            out.append((time.perf_counter() - t) * 1e3)


def run() -> list[dict]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import mltestkit
    from mltestkit.serving import serve

    rows = []
    with serve(f"{ROOT / 'tests' / 'apps' / 'service.py'}:app", health="/health") as server:
        url = server.url + "/predict"
        # warm the service
        mltestkit.load_test(url, payloads=[FLOWER], users=2, duration="1s", progress=False)
        for users in (4, 20):
            seen: list[float] = []
            stop = threading.Event()
            probe = threading.Thread(target=_httpx_loop, args=(url, stop, seen))
            started = time.perf_counter()
            probe.start()
            r = mltestkit.load_test(url, payloads=[FLOWER], users=users, duration="5s", progress=False)
            wall = time.perf_counter() - started
            stop.set()
            probe.join()
            figures = {m.name: m.value for m in r.metrics}
            independent = float(np.quantile(seen, 0.95, method="inverted_cdf"))
            rows.append(
                {
                    "work": f"load_test duration=5s, {users} users against FastAPI + LogisticRegression",
                    "ours_s": wall,
                    "peer": "the 5 s of load themselves",
                    "peer_s": 5.0,
                    "note": (
                        f"overhead {wall - 5:.2f} s; {figures['requests_per_s']:.0f} req/s achieved;"
                        f" harness p95 {figures['p95_ms']:.0f} ms vs {independent:.1f} ms from an httpx client"
                        f" in the same run ({len(seen)} requests),"
                        f" difference {abs(figures['p95_ms'] - independent) / independent:.0%}"
                        + ("; locust's CPU was above 90%" if "unreliable" in r.details else "")
                    ),
                }
            )

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    row = X[:1]
    t = time.perf_counter()
    r = mltestkit.check_latency(model.predict, row, max={"p95_ms": 10}, n_calls=1000, warmup=10)
    ours = time.perf_counter() - t
    peer = timeit.timeit(lambda: model.predict(row), number=1010)
    p95 = next(m for m in r.metrics if m.name == "p95_ms")
    rows.append(
        {
            "work": "check_latency LogisticRegression.predict, batch 1, 1000 timed calls",
            "ours_s": ours,
            "peer": "timeit, same 1010 calls, no quantiles",
            "peer_s": peer,
            "note": f"p95 {p95.value:.3f} ms [{p95.ci.low:.3f}, {p95.ci.high:.3f}]",
        }
    )
    return rows
