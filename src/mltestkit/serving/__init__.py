"""Serving a model and testing it over HTTP: uvicorn server, locust load tests, contract, latency."""

from ..errors import ServingError
from .server import Server, is_loopback, serve, start_server, validate_target

__all__ = ["Server", "ServingError", "is_loopback", "serve", "start_server", "validate_target"]
