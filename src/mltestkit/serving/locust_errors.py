"""A locustfile with no users: at quit it writes the run's failure messages as JSON.

:func:`mltestkit.serving.load.load_test` adds it to every run (``-f yours.py,locust_errors.py``)
and names the output file in the environment variable ``MLTESTKIT_LOAD_ERRORS``. It runs inside
``python -m locust``, never in the test process.
"""

from __future__ import annotations

import json
import os
from typing import Any

from locust import events
from locust.runners import WorkerRunner


@events.quitting.add_listener
def _write_errors(environment: Any, **_kwargs: Any) -> None:
    path = os.environ.get("MLTESTKIT_LOAD_ERRORS")
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    rows = [
        {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    with open(path, "w", encoding="utf-8") as file:
        json.dump(rows, file)
