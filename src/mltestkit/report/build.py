"""Assembling a report: provenance (git, versions, seed, fingerprints) and the summary."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import pickle
import platform
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError
from ..results import fails_test

SCHEMA_VERSION = "1.1"

#: Packages whose versions go into the provenance when installed.
TRACKED_PACKAGES = (
    "mltestkit",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "pytest",
    "pytest-xdist",
    "hypothesis",
    "great-expectations",
    "fairlearn",
    "locust",
    "skops",
)


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_info(cwd: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the git checkout around ``cwd``, or ``None`` outside one."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "branch": None if branch == "HEAD" else branch, "dirty": dirty}


def provenance(
    *,
    seed: int,
    gate_rule: str = "acceptance",
    confidence: float = 0.95,
    fingerprints: Mapping[str, Any] | None = None,
    command: list[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Where and how a run happened, so that it can be reproduced and audited."""
    return {
        "git": git_info(cwd),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "packages": package_versions(),
        "seed": int(seed),
        "gate_rule": gate_rule,
        "confidence": float(confidence),
        "command": list(command if command is not None else sys.argv),
        "fingerprints": dict(fingerprints or {}),
    }


def fingerprint(obj: Any) -> dict[str, Any]:
    """A sha256 fingerprint of data or a model, for the report's provenance.

    * a path (``str`` or :class:`~pathlib.Path`) to a file: its bytes;
    * a numpy array: dtype, shape and content;
    * a pandas DataFrame or Series: column names, dtypes, index and content
      (``pandas.util.hash_pandas_object``), independent of memory layout;
    * ``bytes``: the bytes;
    * any other object (e.g. a fitted estimator): its pickle, which is stable for the
      same object and library versions.

    >>> import numpy as np
    >>> fingerprint(np.arange(3))["sha256"] == fingerprint(np.arange(3))["sha256"]
    True
    """
    h = hashlib.sha256()
    shape: list[int] | None = None
    path: str | None = None
    kind = type(obj).__name__
    if isinstance(obj, (str, os.PathLike)):
        p = Path(obj)
        if not p.is_file():
            raise InputError(
                "obj", f"{str(obj)!r} is not a file", "pass an existing file path, an array or a model"
            )
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        kind, path = "file", str(p)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        h.update(bytes(obj))
        kind = "bytes"
    elif type(obj).__module__.startswith("pandas"):
        import pandas as pd

        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        if not isinstance(frame, pd.DataFrame):
            raise InputError(
                "obj", f"cannot fingerprint a {kind}", "pass a DataFrame, Series, array, file or model"
            )
        h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        shape = list(frame.shape)
    elif type(obj).__module__ == "numpy" and hasattr(obj, "tobytes"):
        import numpy as np

        arr = np.ascontiguousarray(obj)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        if arr.dtype.kind == "O":
            h.update(pickle.dumps(arr.tolist(), protocol=4))
        else:
            h.update(arr.tobytes())
        shape = list(arr.shape)
    else:
        try:
            h.update(pickle.dumps(obj, protocol=4))
        except Exception as exc:
            raise InputError(
                "obj", f"cannot fingerprint a {kind}: {exc}", "fingerprint its file instead"
            ) from exc
    return {"sha256": h.hexdigest(), "kind": kind, "shape": shape, "path": path}


def summarize(
    checks: list[Mapping[str, Any]],
    tests: list[Mapping[str, Any]],
    lost: list[str],
    incomplete: Sequence[str] = (),
) -> dict[str, Any]:
    counts = Counter(c["outcome"] for c in checks)
    summary: dict[str, Any] = {"checks": len(checks)}
    for outcome in ("passed", "failed", "inconclusive", "error", "skipped"):
        summary[outcome] = counts.get(outcome, 0)
    summary["tests"] = dict(Counter(t["outcome"] for t in tests))
    summary["lost_tests"] = list(lost)
    summary["complete"] = not incomplete
    summary["incomplete_reasons"] = [str(r) for r in incomplete]
    return summary


def incomplete_reasons(report: Mapping[str, Any]) -> list[str]:
    """Why ``report`` does not hold its whole run; empty for a complete one (and a 1.0 report).

    >>> incomplete_reasons({"summary": {"complete": False, "incomplete_reasons": ["interrupted: KeyboardInterrupt"]}})
    ['interrupted: KeyboardInterrupt']
    >>> incomplete_reasons({"summary": {"checks": 0}})
    []
    """
    summary = report.get("summary") or {}
    if summary.get("complete", True):
        return []
    return list(summary.get("incomplete_reasons") or ["the report says it is incomplete"])


#: What each outcome of a baseline-comparison row is, as the outcome of a check record.
COMPARISON_AS_RECORD = {
    "better": "passed",
    "same": "passed",
    "non-inferior": "passed",
    "worse": "failed",
    "inconclusive": "inconclusive",
}


def is_regression(row: Mapping[str, Any], rule: str | None) -> bool:
    """Whether a row of a baseline comparison fails the run under ``rule``.

    The row's outcome read as a check record's (``worse`` is failed) and judged by
    :func:`mltestkit.results.fails_test`, the one answer to "does this fail".

    >>> tuple(is_regression({"outcome": o}, "acceptance") for o in ("worse", "inconclusive", "same"))
    (True, True, False)
    >>> is_regression({"outcome": "inconclusive"}, "alarm")
    False
    """
    return fails_test(COMPARISON_AS_RECORD[row["outcome"]], rule)


def build_report(
    checks: Sequence[Mapping[str, Any]],
    *,
    provenance: Mapping[str, Any],
    tests: Sequence[Mapping[str, Any]] | None = None,
    lost_tests: Sequence[str] | None = None,
    incomplete: Sequence[str] = (),
) -> dict[str, Any]:
    """A report dictionary from check dictionaries (``CheckResult.to_dict()`` plus ``test``).

    ``incomplete`` says why the run's report does not hold every test of the run (an interrupt,
    collection errors, a crashed worker, tests that never ran); empty for a complete run.
    """
    tests = list(tests or [])
    return {
        "schema_version": SCHEMA_VERSION,
        "mltestkit_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "provenance": dict(provenance),
        "summary": summarize(list(checks), tests, list(lost_tests or []), incomplete),
        "tests": tests,
        "checks": list(checks),
    }
