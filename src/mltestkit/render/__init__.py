"""Renderers: they read a report dictionary (never live objects) and produce text or files."""
