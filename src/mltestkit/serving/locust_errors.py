"""A locustfile with no users: it makes every redirect a failed request and, at quit, writes the
run's failure messages as JSON.

:func:`mltestkit.serving.load.load_test` adds it to every run (``-f yours.py,locust_errors.py``)
and names the output file in the environment variable ``MLTESTKIT_LOAD_ERRORS``. Both locust
clients (``FastHttpUser`` and ``HttpUser``) answer a 3xx with a failure that names the status
and the ``Location``, without following it, so load never reaches an address the loopback guard
did not see. It runs inside ``python -m locust``, never in the test process.
"""

from __future__ import annotations

import json
import os
from typing import Any

from locust import events
from locust.clients import HttpSession
from locust.contrib.fasthttp import LocustUserAgent
from locust.runners import WorkerRunner
from requests.exceptions import RequestException


def redirect_message(status: int, location: object) -> str:
    """The failure message of a redirect that was not followed."""
    return f"redirect {status} to {location!r} not followed (load tests stay on the address given)"


class RedirectNotFollowed(ConnectionError):
    """A 3xx answer to a ``FastHttpUser`` request."""


_urlopen = LocustUserAgent._urlopen


def _fast_no_redirect(self: Any, request: Any) -> Any:
    response = _urlopen(self, request)
    if 300 <= response.status_code < 400:
        location = response.headers.get("location")
        response.release()
        raise RedirectNotFollowed(redirect_message(response.status_code, location))
    return response


LocustUserAgent._urlopen = _fast_no_redirect  # type: ignore[method-assign]
LocustUserAgent.redirect_response_codes = frozenset()

_session_init = HttpSession.__init__


def _refuse_redirect(response: Any, *_args: Any, **_kwargs: Any) -> Any:
    if 300 <= response.status_code < 400:
        raise RequestException(redirect_message(response.status_code, response.headers.get("location")))
    return response


def _session_no_redirect(self: Any, *args: Any, **kwargs: Any) -> None:
    _session_init(self, *args, **kwargs)
    self.hooks["response"].append(_refuse_redirect)


HttpSession.__init__ = _session_no_redirect  # type: ignore[method-assign]


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
