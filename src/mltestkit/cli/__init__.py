"""The ``mltestkit`` command: validate, summarize, compare and render reports."""

from .main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
