"""Run every benchmark in bench/ and write docs/benchmarks.md.

Each ``bench/bench_*.py`` defines ``run() -> list[dict]``; a row has ``work`` (what was measured),
``ours_s`` (our time in seconds), and optionally ``peer``, ``peer_s`` (the named peer's time in
the same run), ``note``. Usage::

    python bench/run.py            # all benchmarks
    python bench/run.py metrics    # only bench/bench_metrics.py
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the benchmarks share bench/timing.py
DOCS = HERE.parent / "docs" / "benchmarks.md"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str]) -> int:
    files = sorted(HERE.glob("bench_*.py"))
    if argv:
        files = [f for f in files if f.stem.removeprefix("bench_") in argv]
    rows = []
    started = time.perf_counter()
    for path in files:
        print(f"running {path.name} ...", flush=True)
        for row in _load(path).run():
            row.setdefault("file", path.name)
            rows.append(row)
            ratio = (
                f"{row['peer_s'] / row['ours_s']:.1f}x" if row.get("peer_s") and row.get("ours_s") else "-"
            )
            print(
                f"  {row['work']}: ours {_fmt(row.get('ours_s'))}, {row.get('peer', '-')} {_fmt(row.get('peer_s'))}, ratio {ratio}",
                flush=True,
            )
    total = time.perf_counter() - started
    machine = (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
        + ", ".join(
            f"{p} {_version(p)}"
            for p in ("numpy", "pandas", "scikit-learn", "fairlearn", "great-expectations", "locust")
        )
    )
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`python bench/run.py`); every peer is measured in the same run on the same machine.",
        "Ratios are peer time / our time (higher is better for us). Benchmarks are not tests: CI does not fail on speed.",
        "",
        f"Machine: {machine}. Total time: {total:.0f} s.",
        "",
        "| work | ours | peer | peer's time | ratio | note | script |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['peer_s'] / r['ours_s']:.1f}x" if r.get("peer_s") and r.get("ours_s") else "-"
        lines.append(
            f"| {r['work']} | {_fmt(r.get('ours_s'))} | {r.get('peer', '-')} | {_fmt(r.get('peer_s'))} | {ratio} | {r.get('note', '')} | `bench/{r['file']}` |"
        )
    if not argv:
        DOCS.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
