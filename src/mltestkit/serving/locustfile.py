"""The locustfile :func:`mltestkit.serving.load.load_test` runs when none is given.

It runs inside ``python -m locust``, never in the test process, and reads its settings from
the JSON file named by the environment variable ``MLTESTKIT_LOAD_CONFIG``: the request
``path``, ``method``, ``headers``, ``payloads`` (sent round-robin as JSON bodies), an optional
``max_requests`` after which the run stops, and an optional ``record`` directory where each
process writes ``[payload index, status, body]`` lines for the agreement check.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

import gevent
from locust import FastHttpUser, constant, task
from locust.exception import StopUser

with open(os.environ["MLTESTKIT_LOAD_CONFIG"], encoding="utf-8") as _file:
    CONFIG = json.load(_file)

_PAYLOADS = CONFIG["payloads"] or [None]
_COUNTER = itertools.count()
_RECORD_LIMIT = int(CONFIG.get("record_limit") or 0)
_RECORD = None
if CONFIG.get("record"):
    _RECORD = open(  # noqa: SIM115 - open for the whole run, closed when the process exits
        os.path.join(CONFIG["record"], f"responses-{os.getpid()}.jsonl"), "a", encoding="utf-8"
    )
_RECORDED = itertools.count()


class ModelUser(FastHttpUser):
    """Sends the payloads round-robin, back to back, to one endpoint."""

    wait_time = constant(0)

    @task
    def call(self) -> None:
        i = next(_COUNTER)
        limit = CONFIG.get("max_requests")
        if limit and i >= limit:
            # quit from a fresh greenlet: quitting kills every user, this one included
            gevent.spawn(self.environment.runner.quit)
            raise StopUser()
        index = i % len(_PAYLOADS)
        payload = _PAYLOADS[index]
        kwargs: dict[str, Any] = {"headers": CONFIG.get("headers") or None}
        if payload is not None:
            kwargs["json"] = payload
        with self.client.request(
            CONFIG["method"], CONFIG["path"], name=CONFIG["path"], catch_response=True, **kwargs
        ) as response:
            if _RECORD is not None and next(_RECORDED) < _RECORD_LIMIT:
                _RECORD.write(json.dumps([index, response.status_code, response.text]) + "\n")
                _RECORD.flush()
