"""Start-up cost of the plugin: `pytest --co -q` on a small project, plugin loaded vs disabled."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = "\n".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(50))


def _time(args: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def run(repeat: int = 15) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "test_small.py").write_text(TESTS)
        # locust's own pytest plugin is not ours; it is disabled in both runs
        with_plugin, without = [], []
        for _ in range(repeat):  # interleaved, so drift in machine load hits both
            with_plugin.append(_time(["-p", "no:locust"], cwd))
            without.append(_time(["-p", "no:locust", "-p", "no:mltestkit"], cwd))
    ours, peer = statistics.median(with_plugin), statistics.median(without)
    return [
        {
            "work": f"`pytest --co -q`, 50 tests, median of {repeat}",
            "ours_s": ours,
            "peer": "same without mltestkit (`-p no:mltestkit`)",
            "peer_s": peer,
            "note": f"extra start-up {1000 * (ours - peer):.1f} ms",
        }
    ]
