"""Baseline comparison and rendering: paired tests on 1M kept rows, card and HTML from a report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from timing import best


def run() -> list[dict]:
    import pandas as pd
    from statsmodels.stats.contingency_tables import mcnemar

    from mltestkit import check_metric
    from mltestkit.render.html import html_report
    from mltestkit.render.model_card import markdown_card
    from mltestkit.report import build_report, provenance
    from mltestkit.report.compare import compare_reports

    rng = np.random.default_rng(0)
    n = 1_000_000
    y = rng.integers(0, 2, n)
    hard = rng.random(n)
    base_pred = np.where(hard < 0.10, 1 - y, y)
    cur_pred = np.where(hard + 0.01 * rng.standard_normal(n) < 0.10, 1 - y, y)
    prov = provenance(seed=0)

    def report(pred: np.ndarray) -> dict:
        checks = [
            {"test": "t::q", "index": i, **check_metric(m, y, pred, min=0.5, keep_rows=True).to_dict()}
            for i, m in enumerate(("accuracy", "precision"))
        ]
        return build_report(checks, provenance=prov)

    base, cur = report(base_pred), report(cur_pred)
    size = len(json.dumps(base["checks"][0]["details"]["rows"]))

    def peer_mcnemar() -> float:
        table = pd.crosstab(base_pred == y, cur_pred == y)
        return float(mcnemar(table.to_numpy(), exact=True).pvalue)

    def peer_bootstrap() -> None:  # the usual paired row bootstrap: 200 replicates of index arrays
        b_ok, c_ok, b_pos, c_pos = base_pred == y, cur_pred == y, base_pred == 1, cur_pred == 1
        r = np.random.default_rng(1)
        for _ in range(200):
            idx = r.integers(0, n, n)
            _ = (b_ok[idx] & b_pos[idx]).sum() / b_pos[idx].sum() - (c_ok[idx] & c_pos[idx]).sum() / c_pos[
                idx
            ].sum()

    golden = json.loads((Path(__file__).parent.parent / "tests" / "golden" / "report.json").read_text())
    return [
        {
            "work": "check_metric(keep_rows=True) accuracy, 1M rows (packing the per-row bits)",
            "ours_s": best(lambda: check_metric("accuracy", y, base_pred, min=0.5, keep_rows=True)),
            "peer": "check_metric without keep_rows",
            "peer_s": best(lambda: check_metric("accuracy", y, base_pred, min=0.5)),
            "note": f"{size / 1e3:.0f} kB of base64 in the report per figure",
        },
        {
            "work": "compare_reports, 1M kept rows: McNemar + Tango interval (accuracy) and "
            "2000-replicate paired cell bootstrap (precision)",
            "ours_s": best(lambda: compare_reports(base, cur)),
            "peer": "statsmodels mcnemar(exact) on a pandas crosstab + 200-replicate numpy row bootstrap",
            "peer_s": best(lambda: (peer_mcnemar(), peer_bootstrap()), repeat=1),
            "note": "the peer computes the accuracy test and a tenth of the precision replicates",
        },
        {
            "work": "Markdown model card of a 7-check report",
            "ours_s": best(lambda: markdown_card(golden, {})),
            "peer": "–",
            "peer_s": None,
        },
        {
            "work": "self-contained HTML report with one error-bar plot",
            "ours_s": best(lambda: html_report(golden)),
            "peer": "–",
            "peer_s": None,
        },
    ]
