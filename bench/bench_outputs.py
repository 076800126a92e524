"""What the outputs cost on the credit example: report + model card + HTML, `mltestkit card`, page size.

Three measurements:

* the outputs alone, from the credit example's report (``tests/golden/credit-report.json``):
  writing the report, the card with its SVG plots and the HTML page, as the plugin does at the
  end of a run (best of five);
* ``mltestkit card`` as a user runs it (a fresh interpreter, best of three);
* the whole credit example, ``pytest --ml`` with the report only, then with the card and the HTML
  as well (one run each: the difference is noisy on a shared machine, the ratio is what it shows).

``python bench/bench_outputs.py`` prints the rows; ``python bench/run.py outputs`` adds them to the
benchmarks page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import best

ROOT = Path(__file__).resolve().parent.parent
CREDIT = ROOT / "examples" / "credit"
REPORT = ROOT / "tests" / "golden" / "credit-report.json"


def _env() -> dict[str, str]:
    paths = [str(ROOT / "src"), str(ROOT / "pytest_plugin"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _pytest(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ml", *args],
        cwd=CREDIT, env=_env(), capture_output=True, check=False,
    )  # fmt: skip
    return time.perf_counter() - start


def run() -> list[dict]:
    from mltestkit.render.outputs import write_outputs
    from mltestkit.report import read_report, write_report

    report = read_report(REPORT)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def outputs() -> None:
            write_report(report, out / "ml-report.json")
            write_outputs(
                report,
                model_card=out / "MODEL_CARD.md",
                html=out / "ml-report.html",
                meta=CREDIT / "model_card.yaml",
            )

        seconds = best(outputs, repeat=5)
        page = (out / "ml-report.html").stat().st_size
        card = len((out / "MODEL_CARD.md").read_text(encoding="utf-8").splitlines())
        rows.append({"work": "credit example: report + model card + HTML (in process)", "ours_s": seconds,
                     "note": f"HTML {page / 1024:.0f} KiB, card {card} lines"})  # fmt: skip

        def cli() -> None:
            subprocess.run(
                [sys.executable, "-m", "mltestkit", "card", str(REPORT), "--meta", str(CREDIT / "model_card.yaml"),
                 "-o", str(out / "CLI_CARD.md")],
                env=_env(), check=True, capture_output=True,
            )  # fmt: skip

        rows.append({"work": "mltestkit card on the credit report (a fresh process)", "ours_s": best(cli)})

    if (CREDIT / "models" / "credit.skops").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            plain = _pytest("--ml-report", f"{tmp}/a.json")
            full = _pytest("--ml-report", f"{tmp}/b.json", "--ml-model-card", f"{tmp}/MODEL_CARD.md",
                           "--ml-html", f"{tmp}/r.html")  # fmt: skip
        rows.append({"work": "credit example: pytest --ml, report only", "ours_s": plain})
        rows.append({"work": "credit example: pytest --ml with model card and HTML", "ours_s": full,
                     "note": f"ratio {full / plain:.3f} to the run without them (one run each)"})  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['work']}: {row['ours_s']:.3f} s  {row.get('note', '')}")
