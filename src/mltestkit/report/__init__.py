"""The report: building it, its JSON Schema and atomic I/O, the baseline comparison, the ML Test Score."""

from .build import (
    SCHEMA_VERSION,
    build_report,
    fingerprint,
    git_info,
    is_regression,
    package_versions,
    provenance,
)
from .io import dumps, read_report, schema, validate, write_atomic, write_report

__all__ = [
    "SCHEMA_VERSION",
    "build_report",
    "dumps",
    "fingerprint",
    "git_info",
    "is_regression",
    "package_versions",
    "provenance",
    "read_report",
    "schema",
    "validate",
    "write_atomic",
    "write_report",
]
