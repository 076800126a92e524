"""The ``mltestkit`` command: validate, summarize, compare and render reports."""

from .main import main

__all__ = ["main"]
