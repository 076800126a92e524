"""Data validation on 1M rows x 20 columns (10 numeric, 10 categorical), and integrity on 20M rows.

60 column checks (numeric: not null, range, mean range; categorical: not null, in set, distinct
values in set) with check_schema, against the equivalent Great Expectations suite validated in
the same process (its import time is reported apart), and check_drift on the same frame.
check_integrity on 20M rows x 4 columns (a float, an integer of 1,000 values, a text column of 8
values, a binary label) runs in a fresh subprocess, so that its peak RSS is its own, beside
pandas' own duplicated / isna / nunique over the same frame; then the same rows as Parquet,
checked by DuckDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from timing import best

N = 1_000_000
CATS = [f"k{i}" for i in range(8)]


def _frame(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {f"x{i}": rng.normal(shift * (i % 2), 1, N) for i in range(10)}
    cols.update({f"c{i}": pd.Series(rng.choice(CATS, N), dtype="str") for i in range(10)})
    return pd.DataFrame(cols)


ROWS_20M = int(os.environ.get("MLTESTKIT_INTEGRITY_ROWS", 20_000_000))

_INTEGRITY = """
import json, resource, sys, time
import numpy as np, pandas as pd
n, what, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
frame = pd.DataFrame({
    "a": rng.normal(size=n),
    "b": rng.integers(0, 1000, n),
    "c": pd.Series(rng.choice([f"k{i}" for i in range(8)], n), dtype="str"),
    "y": rng.integers(0, 2, n),
})
if what == "write":
    frame.to_parquet(path)
    sys.exit(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from mltestkit import check_integrity
if what == "pandas":
    fn = lambda: (frame.duplicated().sum(), frame.isna().sum(), frame.nunique())
elif what == "parquet":
    del frame
    fn = lambda: check_integrity(path, label="y")
else:
    fn = lambda: check_integrity(frame, label="y")
fn()  # warm (imports, first allocations)
t = time.perf_counter()
fn()
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak, "frame": before}))
"""


def _integrity(what: str, path: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _INTEGRITY, str(ROWS_20M), what, path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out) if out.strip() else {}


def _mb(b: float) -> str:
    return f"{b / 2**20:,.0f} MB"


def run_integrity() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rows.parquet")
        ours, peer = _integrity("ours", path), _integrity("pandas", path)
        _integrity("write", path)
        parquet = _integrity("parquet", path)
    rows = f"{ROWS_20M / 1e6:g}M"
    return [
        {
            "work": f"check_integrity, {rows} rows x 4 columns in memory (with label and statistics)",
            "ours_s": ours["seconds"],
            "peer": "pandas duplicated() + isna().sum() + nunique() on the same frame",
            "peer_s": peer["seconds"],
            "note": f"peak RSS {_mb(ours['peak'])}, of which the frame {_mb(ours['frame'])} "
            f"(pandas: peak {_mb(peer['peak'])})",
        },
        {
            "work": f"check_integrity, the same {rows} rows as one Parquet file (DuckDB)",
            "ours_s": parquet["seconds"],
            "note": f"peak RSS {_mb(parquet['peak'])} (this process; the frame is not built)",
        },
    ]


def run() -> list[dict]:
    from mltestkit import check_drift, check_schema
    from mltestkit.data.schema import Column, Schema

    frame = _frame(0)
    schema = Schema(
        [Column(f"x{i}", nullable=False, min=-10, max=10, mean_min=-0.1, mean_max=0.1) for i in range(10)]
        + [Column(f"c{i}", nullable=False, allowed=CATS) for i in range(10)]
    )
    ours = check_schema(frame, schema, describe=False)
    assert ours.outcome.value == "passed", ours.message
    suite_dict = {
        "name": "bench",
        "expectations": [
            e for e in schema.to_expectations()["expectations"] if e["type"] != "expect_column_to_exist"
        ]
        + [
            {
                "type": "expect_column_distinct_values_to_be_in_set",
                "kwargs": {"column": f"c{i}", "value_set": CATS},
            }
            for i in range(10)
        ],
    }
    assert len(suite_dict["expectations"]) == 60
    ours_s = best(lambda: check_schema(frame, schema, describe=False))
    ours_stats_s = best(lambda: check_schema(frame, schema))

    code = "import time; t = time.perf_counter(); import great_expectations; print(time.perf_counter() - t)"
    gx_import_s = float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = gx.ExpectationSuite(name="bench", expectations=suite_dict["expectations"])
    batch = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(suite, result_format="SUMMARY")
    assert result.success and len(result.results) == 60
    gx_s = best(lambda: batch.validate(suite, result_format="SUMMARY"), repeat=2)

    current = _frame(1, shift=0.3)
    drift = check_drift(frame, current, alpha=0.01)
    assert drift.outcome.value == "failed"
    drift_s = best(lambda: check_drift(frame, current, alpha=0.01), repeat=2)
    return [
        *run_integrity(),
        {
            "work": "60 column checks, 1M x 20 (check_schema, no statistics)",
            "ours_s": ours_s,
            "peer": "Great Expectations 1.x suite, same 60 expectations",
            "peer_s": gx_s,
            "note": f"GX import ({gx_import_s:.2f} s) not included; ours runs 50 rules (in-set implies distinct-in-set)",
        },
        {
            "work": "60 column checks, 1M x 20, with per-column statistics",
            "ours_s": ours_stats_s,
            "peer": "Great Expectations 1.x suite, same 60 expectations",
            "peer_s": gx_s,
            "note": "statistics: missing, distinct, quantiles, top categories",
        },
        {
            "work": "import great_expectations (fresh process)",
            "ours_s": None,
            "peer": "Great Expectations",
            "peer_s": gx_import_s,
            "note": "paid once per process that runs check_expectations",
        },
        {
            "work": "check_drift 1M vs 1M rows x 20 columns (KS, Wasserstein, chi2, JS, PSI, Holm)",
            "ours_s": drift_s,
            "note": "no peer measured",
        },
    ]
