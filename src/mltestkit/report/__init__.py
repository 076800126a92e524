"""The report: one versioned JSON document per run, the only interface between checking and presenting.

>>> from mltestkit.report import schema, SCHEMA_VERSION
>>> schema()["title"], SCHEMA_VERSION
('mltestkit report', '1.0')
"""

from .build import SCHEMA_VERSION, build_report, fingerprint, git_info, package_versions, provenance
from .io import dumps, read_report, schema, validate, write_atomic, write_report

__all__ = [
    "SCHEMA_VERSION",
    "build_report",
    "dumps",
    "fingerprint",
    "git_info",
    "package_versions",
    "provenance",
    "read_report",
    "schema",
    "validate",
    "write_atomic",
    "write_report",
]
