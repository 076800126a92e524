"""A service module that fails on import."""

raise RuntimeError("planted import error")
