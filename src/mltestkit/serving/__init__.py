"""Serve a model and test it over HTTP: uvicorn and locust in subprocesses, contract checks.

Nothing here imports locust into the calling process: locust monkey-patches the interpreter
with gevent, so it always runs as ``python -m locust`` in a child process.
"""

from __future__ import annotations

from .server import Server, ServingError, is_loopback, serve, start_server

__all__ = ["Server", "ServingError", "is_loopback", "serve", "start_server"]
