"""Checks on generated Parquet datasets scanned by DuckDB: wall time, rows/s and peak RSS.

Two datasets (``MLTESTKIT_SCALE_ROWS`` rows each, 100M by default; written by DuckDB, never
committed) have a slice column, a group column, labels, predictions and scores; the second is
drawn with other seeds and slightly shifted scores, as the current data of ``check_drift``, and a
column ``x`` of about as many distinct values as rows (drift's hardest case). Each
check runs in a fresh subprocess so that its peak RSS is its own; DuckDB's own group-by of the
same confusion counts is the floor.

    MLTESTKIT_SCALE_ROWS=10000000 python bench/run.py scale
    python bench/bench_scale.py      # the same, and replaces this script's rows in docs/benchmarks.md
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROWS = int(os.environ.get("MLTESTKIT_SCALE_ROWS", "100000000"))
#: Rows of the Spark run (local[2]); 0 skips it. Without Java it is skipped too.
SPARK_ROWS = int(os.environ.get("MLTESTKIT_SCALE_SPARK_ROWS", "10000000"))

_WORK = {
    "check_slices(accuracy, f1) by 2 columns": (
        "from mltestkit import check_slices\n"
        "check_slices(['accuracy', 'f1'], 'label', 'pred', by=['region', 'device'], data=PATH, min=0.5)"
    ),
    "check_fairness by 1 column": (
        "from mltestkit import check_fairness\ncheck_fairness('label', 'pred', by='device', data=PATH)"
    ),
    "check_metric(roc_auc), exact": (
        "from mltestkit import check_metric\ncheck_metric('roc_auc', 'label', y_score='score', data=PATH, min=0.6)"
    ),
    "check_drift of 4 columns (2 numeric: KS, Wasserstein, PSI; 2 categorical) against a second set": (
        "from mltestkit import check_drift\n"
        "check_drift(PATH, CURRENT, columns=['region', 'device', 'score', 'label'], max={'psi': 0.2})"
    ),
    "check_drift of 1 numeric column with about as many distinct values as rows, against a second set": (
        "from mltestkit import check_drift\ncheck_drift(PATH, CURRENT, columns=['x'], max={'psi': 0.2})"
    ),
    "DuckDB group-by of the same counts (floor)": (
        "import duckdb\ncon = duckdb.connect(); con.execute('SET enable_progress_bar=false')\n"
        "con.execute(f\"SELECT region, device, label, pred, count(*) FROM read_parquet('{PATH}') "
        'GROUP BY ALL").fetchall()'
    ),
}

#: The four checks of the target (all within 120 s on 2 cores).
_TOTAL = list(_WORK)[:4]

_SPARK = (
    "import warnings; warnings.simplefilter('ignore')\n"
    "from pyspark.sql import SparkSession\n"
    "from mltestkit import check_drift, check_fairness, check_metric, check_slices\n"
    "spark = (SparkSession.builder.master('local[2]').config('spark.ui.enabled', 'false')"
    ".config('spark.sql.shuffle.partitions', '4').config('spark.driver.memory', '2g').getOrCreate())\n"
    "spark.sparkContext.setLogLevel('ERROR')\n"
    "started = time.perf_counter()\n"
    "df = spark.read.parquet(PATH)\n"
    "check_slices(['accuracy', 'f1'], 'label', 'pred', by=['region', 'device'], data=df, min=0.5)\n"
    "check_fairness('label', 'pred', by='device', data=df)\n"
    "check_metric('roc_auc', 'label', y_score='score', data=df, min=0.6)\n"
    "check_drift(df, spark.read.parquet(CURRENT), columns=['region', 'device', 'score', 'label'])\n"
    "t0 = started\n"
)

_RUNNER = """
import json, resource, sys, time
PATH, CURRENT = sys.argv[1], sys.argv[3]
t0 = time.perf_counter()
exec(sys.argv[2])
print(json.dumps({"s": time.perf_counter() - t0, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _write(folder: Path, rows: int, salt: int = 0) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""COPY (SELECT (hash(i) % 20)::VARCHAR AS region, (hash(i * 7) % 5)::VARCHAR AS device,
               (hash(i * 3) % 2)::TINYINT AS label,
               CASE WHEN hash(i * 11) % 10 < 8 THEN (hash(i * 3) % 2) ELSE 1 - (hash(i * 3) % 2) END::TINYINT AS pred,
               round(((hash(i * 3) % 2) * 0.2 + (hash(i * 13) % 10000) / 12500.0 + {salt} * 0.01), 4)::DOUBLE AS score,
               ((hash(i * 17) % 1000000007) / 1000.0 + {salt} * 10)::DOUBLE AS x
             FROM (SELECT r + {salt} * {rows} AS i FROM range({rows}) t(r)))
           TO '{folder}' (FORMAT parquet, PER_THREAD_OUTPUT true)"""
    )


def _measure(path: str, code: str, current: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, path, code, current],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(work: str, rows: int, figures: dict) -> dict:
    return {
        "work": f"{work}, {rows / 1e6:g}M rows of Parquet"
        + (" per set" if work.startswith("check_drift") else ""),
        "ours_s": figures["s"],
        "note": f"{rows / figures['s'] / 1e6:.1f}M rows/s, peak RSS {figures['rss'] / 1024:.0f} MB (this process)",
    }


def run() -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder, second = Path(tmp) / "data", Path(tmp) / "current"
        _write(folder, ROWS)
        _write(second, ROWS, salt=1)
        path, current = str(folder / "*.parquet"), str(second / "*.parquet")
        total = {"s": 0.0, "rss": 0}
        for work, code in _WORK.items():
            figures = _measure(path, code, current)
            out.append(_row(work, ROWS, figures))
            if work in _TOTAL:
                total = {"s": total["s"] + figures["s"], "rss": max(total["rss"], figures["rss"])}
        out.append(
            _row(
                "the four checks of the target above (slices, fairness, roc_auc, the 4-column drift), "
                "each in its own process (sum; largest peak RSS)",
                ROWS,
                total,
            )
        )
        if SPARK_ROWS and shutil.which("java"):
            small, small_current = Path(tmp) / "spark", Path(tmp) / "spark-current"
            _write(small, SPARK_ROWS)
            _write(small_current, SPARK_ROWS, salt=1)
            work = (
                "Spark local[2]: the slices, fairness, roc_auc (binned) and drift (sketched) checks together, "
                "after Spark started"
            )
            out.append(_row(work, SPARK_ROWS, _measure(str(small), _SPARK, str(small_current))))
    load = os.getloadavg()
    for row in out:
        row["note"] += f"; load average {load[0]:.1f} at the end of the run"
    return out


DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main() -> None:
    """Run, print the rows, and replace this script's rows in docs/benchmarks.md with them."""
    rows = run()
    mine = [
        f"| {r['work']} | {r['ours_s']:.2f} s | - | - | - | {r['note']} | `bench/bench_scale.py` |"
        for r in rows
    ]
    print("\n".join(mine))
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    at = [i for i, line in enumerate(lines) if line.endswith("| `bench/bench_scale.py` |")]
    if at:
        lines[at[0] : at[-1] + 1] = mine
        DOCS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
