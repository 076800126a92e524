"""The HTML report: self-contained, and checked in a real headless Chromium."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mltestkit.render.html import html_report
from mltestkit.report import read_report
from mltestkit.report.compare import compare_reports

GOLDEN = Path(__file__).parent / "golden"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1200,2000",
    "--virtual-time-budget=3000",
]

# Collects what a reader sees: the text and size of the key figures, whether every image decoded,
# and any script error. Injected only into a copy of the page, which itself carries no script.
PROBE = """<script>
const errors = [];
window.addEventListener("error", (e) => errors.push(String(e.message)));
const seen = (sel) => { const el = document.querySelector(sel); if (!el) return null;
  const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
  return {text: el.textContent.trim(), visible: r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none"}; };
window.addEventListener("load", () => {
  const out = {errors,
    images: [...document.images].map((i) => ({complete: i.complete, width: i.naturalWidth})),
    figures: Object.fromEntries(%s.map((s) => [s, seen(s)]))};
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""
SELECTORS = [
    "#summary-checks b",
    "#summary-failed b",
    ".figure[data-metric='accuracy']",
    "#final-score",
    "#comparison",
    "#plot-0",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = read_report(GOLDEN / "report.json")
    worse = copy.deepcopy(report)
    worse["checks"][0]["metrics"][0].update(
        value=0.84, ci={"low": 0.82, "high": 0.86, "level": 0.95, "method": "wilson"}
    )
    worse["comparison"] = compare_reports(report, worse)
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html_report(worse), encoding="utf-8")
    return path


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed here (make test installs Debian's chromium package)")
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", text)
    assert "<script" not in text
    assert "Content-Security-Policy" in text
    assert len(re.findall(r'src="data:image/png;base64,', text)) == 1
    for section in ("summary", "checks", "slices", "baseline", "details", "score", "provenance"):
        assert f'id="{section}"' in text
    assert "invariance_to_name" in text and "counterexamples" in text


def test_page_renders_in_chromium_without_console_messages(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    run = run_chromium([f"--screenshot={shot}", page.as_uri()], tmp_path / "profile")
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == []  # a blocked external resource or a broken image would be logged here


def test_key_figures_are_visible_in_chromium(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE % json.dumps(SELECTORS) + "</body>"), encoding="utf-8")
    run = run_chromium(["--dump-dom", probe.as_uri()], tmp_path / "profile")
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stderr[-2000:]
    out = json.loads(
        found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    )
    assert out["errors"] == []
    assert out["images"] and all(i["complete"] and i["width"] > 100 for i in out["images"])
    figures = out["figures"]
    assert all(figures[s] and figures[s]["visible"] for s in SELECTORS), figures
    assert figures["#summary-checks b"]["text"] == "7"
    assert figures["#summary-failed b"]["text"] == "3"
    assert figures[".figure[data-metric='accuracy']"]["text"] == "0.84"
    assert figures["#final-score"]["text"] == "1"
    assert "worse" in figures["#comparison"]["text"]


def test_text_from_the_report_is_escaped() -> None:
    report = read_report(GOLDEN / "report.json")
    report["checks"][0]["name"] = "<script>alert(1)</script>"
    report["checks"][0]["message"] = 'a "quoted" <b>message</b>'
    page = html_report(report, plots=False)
    assert "<script" not in page and "<b>message" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
