"""The report: building it, its JSON Schema and atomic I/O, the baseline comparison, the ML Test Score."""

from ..files import write_atomic
from .build import (
    SCHEMA_VERSION,
    build_report,
    fingerprint,
    git_info,
    incomplete_reasons,
    is_regression,
    package_versions,
    provenance,
)
from .io import check_record, dumps, read_report, schema, validate, write_report

__all__ = [
    "SCHEMA_VERSION",
    "build_report",
    "check_record",
    "dumps",
    "fingerprint",
    "git_info",
    "incomplete_reasons",
    "is_regression",
    "package_versions",
    "provenance",
    "read_report",
    "schema",
    "validate",
    "write_atomic",
    "write_report",
]
