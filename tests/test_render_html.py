"""The HTML report: self-contained, small, and checked in a real headless Chromium at 1280 and 390 px.

The browser is driven over the DevTools protocol (``websocket-client``): the page is loaded at
each width, the test asserts that it never scrolls sideways, that every chart drew, and that
the console stayed silent (a CSP violation or a broken resource would be logged), and keeps
screenshots as artifacts. ``MLTESTKIT_SCREENSHOTS=docs/img`` writes the screenshots of the
credit example's report into the documentation.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mltestkit.render.html import html_report
from mltestkit.report import read_report
from mltestkit.report.compare import compare_reports

GOLDEN = Path(__file__).parent / "golden"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
ARTIFACTS = Path(
    os.environ.get("MLTESTKIT_ARTIFACTS", Path(__file__).parent.parent / "build" / "screenshots")
)

MEASURE = """(() => {
  const charts = [...document.querySelectorAll("svg.chart")].map((s) => {
    const r = s.getBoundingClientRect(); const b = s.getBBox();
    return {w: r.width, h: r.height, bw: b.width, bh: b.height, marks: s.querySelectorAll("circle,rect,polyline,line").length};
  });
  const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > innerWidth + 1
      && !e.closest(".box")).map((e) => e.tagName + "." + e.className).slice(0, 5);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth, charts, wide,
          height: document.documentElement.scrollHeight};
})()"""


class Browser:
    """A headless Chromium driven over the DevTools protocol: one tab, its console collected."""

    def __init__(self, profile: Path) -> None:
        import websocket

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            url = found.group(1) if found else url
            if not line and self.process.poll() is not None:
                break
        assert url, "Chromium did not start its DevTools endpoint"
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep the pipe drained
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return dict(reply.get("result") or {})
            self.events.append(reply)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str, width: int, height: int) -> dict[str, Any]:
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)  # fmt: skip
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        found = self.call("Runtime.evaluate", session=True, expression=MEASURE, returnByValue=True)
        return dict(found["result"]["value"])

    def scroll_to(self, selector: str) -> None:
        self.call("Runtime.evaluate", session=True,
                  expression=f"document.querySelector({json.dumps(selector)}).scrollIntoView()")  # fmt: skip

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            params = e.get("params") or {}
            if e.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
                out.append(json.dumps(params.get("args"))[:300])
            elif e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails"))[:300])
            elif e.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") in (
                "error",
                "warning",
            ):
                out.append(str(params["entry"].get("text"))[:300])
        return out

    def close(self) -> None:
        self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed here (make test installs Debian's chromium package)")
    pytest.importorskip("websocket", reason="websocket-client drives Chromium (the dev extra installs it)")
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def golden_with_comparison() -> dict[str, Any]:
    report = read_report(GOLDEN / "report.json")
    worse = copy.deepcopy(report)
    worse["checks"][0]["metrics"][0].update(
        value=0.84, ci={"low": 0.82, "high": 0.86, "level": 0.95, "method": "wilson"}
    )
    worse["comparison"] = compare_reports(report, worse)
    return worse


@pytest.fixture(scope="module", params=["golden", "credit"])
def page(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    report = (
        golden_with_comparison() if request.param == "golden" else read_report(GOLDEN / "credit-report.json")
    )
    path = tmp_path_factory.mktemp("html") / f"{request.param}.html"
    path.write_text(html_report(report), encoding="utf-8")
    return request.param, path


def test_page_is_self_contained_and_small(page: tuple[str, Path]) -> None:
    _, path = page
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", text)
    assert "<script" not in text and "<img" not in text
    assert "Content-Security-Policy" in text
    assert len(text.encode()) < 1_000_000
    for section in ("summary", "attention", "checks", "score", "provenance"):
        assert f'id="{section}"' in text


def test_golden_page_has_every_section_and_kind_of_picture() -> None:
    text = html_report(golden_with_comparison())
    for section in ("performance", "slices", "behavior", "data", "serving", "baseline"):
        assert f'id="{section}"' in text
    assert "invariance_to_name" in text and "Counterexamples" in text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 2  # a forest plot and the baseline diff


def test_credit_page_draws_the_pictures_of_each_kind() -> None:
    text = html_report(read_report(GOLDEN / "credit-report.json"))
    for caption in ("confusion matrix", "ROC curve", "precision-recall curve", "reliability diagram",
                    "drift of credit_amount", "latency, batch 1", "requests per second", "p95 over time"):  # fmt: skip
        assert f"<figcaption>{caption}" in text, caption
    data = text[text.index('id="data"') : text.index('id="serving"')]
    assert (
        data.count("<svg") == data.count("<figcaption>drift of") > 0
    )  # data checks: tables, drift bins only


def test_failing_and_inconclusive_requirements_come_first() -> None:
    text = html_report(golden_with_comparison())
    summary = text[text.index('id="attention"') : text.index('id="checks"')]
    rows = re.findall(r'<tr><td><span class="(\w+)">', summary)
    assert rows and set(rows) <= {"failed", "inconclusive", "error"}
    assert "passed" not in summary


def test_filters_are_pure_css() -> None:
    text = html_report(golden_with_comparison())
    assert 'type="radio" name="kind" id="k-metric"' in text and 'id="o-failed"' in text
    assert 'body:has(#k-metric:checked) tr.check:not([data-kind="metric"]){display:none}' in text
    assert 'tr class="check" data-kind="metric" data-outcome="failed"' in text


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_page_in_chromium(browser: Browser, page: tuple[str, Path], width: str) -> None:
    name, path = page
    w, h = WIDTHS[width]
    seen = browser.open(path.as_uri(), w, h)
    shots = [browser.screenshot(ARTIFACTS / f"{name}-{w}.png")]
    if name == "credit":
        browser.scroll_to("#slices")
        shots.append(browser.screenshot(ARTIFACTS / f"{name}-{w}-slices.png"))
        docs = os.environ.get("MLTESTKIT_SCREENSHOTS")
        if docs:
            for shot in shots:
                shutil.copy(shot, Path(docs) / f"html-report-{shot.name.removeprefix('credit-')}")
    assert seen["scrollWidth"] <= seen["innerWidth"], seen["wide"]
    assert seen["charts"], "no chart on the page"
    assert all(c["w"] > 100 and c["h"] > 50 and c["bw"] > 0 and c["marks"] > 2 for c in seen["charts"]), seen
    assert browser.console_errors() == []
    assert all(s.read_bytes()[:4] == b"\x89PNG" and s.stat().st_size > 10_000 for s in shots)


def test_text_from_the_report_is_escaped() -> None:
    report = read_report(GOLDEN / "report.json")
    report["checks"][0]["name"] = "<script>alert(1)</script>"
    report["checks"][0]["message"] = 'a "quoted" <b>message</b>'
    report["checks"][2]["metrics"][0]["slice"] = {"sex": "<svg onload=alert(1)>"}
    page = html_report(report)
    assert "<script" not in page and "<b>message" not in page and "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_stored_curves_agree_with_scikit_learn() -> None:
    import numpy as np
    from sklearn.metrics import roc_auc_score, roc_curve

    from mltestkit import check_metric

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 5000)
    score = np.clip(0.5 * y + rng.normal(0.25, 0.25, 5000), 0, 1).round(3)
    curves = check_metric("roc_auc", y, y_score=score).details["curves"]
    fpr, tpr = np.array(curves["roc"]["fpr"]), np.array(curves["roc"]["tpr"])
    assert len(fpr) <= 60 and fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    ref_fpr, ref_tpr, _ = roc_curve(y, score, drop_intermediate=False)
    gaps = np.hypot(fpr[:, None] - ref_fpr[None, :], tpr[:, None] - ref_tpr[None, :]).min(axis=1)
    assert gaps.max() < 1e-3  # every stored point is a point of scikit-learn's curve (to the stored rounding)
    assert abs(np.trapezoid(tpr, fpr) - roc_auc_score(y, score)) < 0.01
    rel = curves["reliability"]
    assert sum(rel["count"]) == 5000 and all(0 <= p <= 1 for p in rel["predicted"] + rel["observed"])
    conf = check_metric("accuracy", y, (score > 0.5).astype(int)).details["confusion"]
    assert conf["labels"] == ["0", "1"] and sum(map(sum, conf["matrix"])) == 5000
    assert "curves" not in check_metric("rmse", score, score + 0.1).details


def test_stored_drift_bins_and_latency_histogram() -> None:
    import numpy as np
    import pandas as pd

    from mltestkit import check_drift, check_latency

    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {f"x{i}": rng.normal(0, 1, 500) for i in range(7)} | {"c": rng.choice(["a", "b"], 500)}
    )
    cur = ref.copy()
    cur["x3"] = cur["x3"] + 1.0
    bins = check_drift(ref, cur).details["bins"]
    assert len(bins) == 5 and bins[0]["column"] == "x3"  # the five columns of highest PSI, worst first
    assert [b["psi"] for b in bins] == sorted((b["psi"] for b in bins), reverse=True)
    for b in bins:
        assert abs(sum(b["reference"]) - 1) < 1e-3 and abs(sum(b["current"]) - 1) < 1e-3
        assert len(b.get("edges") or []) == len(b["reference"]) + 1 or len(b["categories"]) == len(
            b["reference"]
        )
    result = check_latency(sorted, [3, 1, 2], batch_sizes=[1, 2], n_calls=50, warmup=1)
    hist = result.details["histogram"]
    assert sorted(hist) == ["1", "2"]
    assert all(sum(h["counts"]) == result.details["calls"][k] for k, h in hist.items())


def test_forest_axis_of_shares_stays_within_zero_and_one() -> None:
    from mltestkit.render.svg import forest

    rows = [
        {"label": "a", "value": 0.97, "low": 0.93, "high": 1.0, "outcome": "passed"},
        {"label": "b", "value": 0.2, "low": 0.0, "high": 0.4, "outcome": "failed"},
    ]
    ticks = [float(t) for t in re.findall(r'text-anchor="middle">(-?[0-9.]+)<', forest(rows, threshold=0.9))]
    assert ticks and min(ticks) == 0.0 and max(ticks) == 1.0
    wide = forest([{"label": "d", "value": 1.5, "low": 1.2, "high": 1.8}])
    assert max(float(t) for t in re.findall(r'text-anchor="middle">(-?[0-9.]+)<', wide)) > 1.8


def test_a_slice_check_and_a_row_level_leak_show_no_empty_table_and_no_none() -> None:
    import numpy as np
    import pandas as pd

    from mltestkit import check_leakage, check_slices
    from mltestkit.report.build import build_report
    from mltestkit.report.io import check_record

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 400), "x": rng.normal(size=400)})
    results = [
        check_slices("accuracy", y, y, by=frame[["g"]], min=0.5),
        check_leakage(frame, frame),  # every test row is a training row: a figure of rows, not a column
    ]
    records = [{"test": f"t{i}", "index": 0, **check_record(r)} for i, r in enumerate(results)]
    page = html_report(build_report(records, provenance={"seed": 0}))
    slices = page.split('id="slices"')[1].split('id="data"')[0]
    assert "<table><tr><th>test</th><th>check</th><th>figure</th>" not in slices.split("<details>")[0]
    data = page.split('id="data"')[1]
    assert ">None<" not in data and "duplicate_rows (400 rows)" in data
