"""docs/getting-started.md runs as written: its files, its commands and its claims.

A fenced ``python`` block right after a line naming a file (`` `tests/test_model.py`: ``) is that
file; a fenced block whose lines start with ``pytest`` or ``mltestkit`` holds commands, run in order
in a fresh project directory. Then the page's experiment (``min=0.90`` -> ``min=0.95``) is tried.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "getting-started.md"
BLOCK = re.compile(r"(?:^`(?P<file>[^`]+)`:\n\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.M | re.S)


def _blocks() -> tuple[dict[str, str], list[list[str]]]:
    files, commands = {}, []
    for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8")):
        if m["file"] and m["lang"] == "python":
            files[m["file"]] = m["body"]
            continue
        for line in m["body"].splitlines():
            words = shlex.split(line.split("#", 1)[0])
            if words and words[0] in ("pytest", "mltestkit"):
                commands.append(words)
    return files, commands


def _run(pytester, words: list[str]):
    module = "mltestkit" if words[0] == "mltestkit" else "pytest"
    extra = ["-p", "no:cacheprovider"] if module == "pytest" else []
    return pytester.run(sys.executable, "-m", module, *words[1:], *extra)


def test_the_page_names_its_files_and_commands():
    files, commands = _blocks()
    assert list(files) == ["tests/test_model.py"]
    assert [c[0] for c in commands] == ["pytest", "mltestkit", "mltestkit"]


def test_the_getting_started_page_runs_as_written(pytester):
    files, commands = _blocks()
    for name, body in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    outputs = []
    for words in commands:
        result = _run(pytester, words)
        assert result.ret == 0, f"{shlex.join(words)} failed:\n{result.stdout.str()}\n{result.stderr.str()}"
        outputs.append(result.stdout.str())
    shown = PAGE.read_text().split("The terminal ends with one line per check:", 1)[1].split("```")[1]
    for line in shown.strip().splitlines()[1:]:
        assert line in outputs[0], f"the page shows {line!r}; the run printed:\n{outputs[0]}"

    report = json.loads((pytester.path / "reports" / "ml-report.json").read_text())
    outcomes = {(c["test"].split("::")[-1], c["name"]): c["outcome"] for c in report["checks"]}
    assert outcomes == {
        ("test_good_enough", "roc_auc"): "passed",
        ("test_good_enough", "accuracy"): "passed",
        ("test_good_enough_for_small_and_large_tumours", "accuracy"): "passed",
    }
    slices = next(c for c in report["checks"] if c["kind"] == "slice")
    assert sorted(m["slice"]["size"] for m in slices["metrics"]) == ["large", "small"]
    card = (pytester.path / "reports" / "MODEL_CARD.md").read_text()
    assert "roc_auc" in card and "size" in card

    # the page's experiment: a stricter requirement that 228 rows cannot show
    old, new = re.search(r"Change `(min=[\d.]+)` to `(min=[\d.]+)`", PAGE.read_text()).groups()
    test_file = pytester.path / "tests" / "test_model.py"
    text = test_file.read_text()
    assert text.count(old) == 1
    test_file.write_text(text.replace(old, new))
    result = _run(pytester, ["pytest", "--ml", "--ml-report", "reports/strict.json"])
    assert result.ret == 1
    strict = json.loads((pytester.path / "reports" / "strict.json").read_text())
    accuracy = next(c for c in strict["checks"] if c["name"] == "accuracy" and c["kind"] == "metric")
    assert accuracy["outcome"] == "inconclusive" and accuracy["fails_test"]
    assert accuracy["metrics"][0]["n"] == 228
    assert accuracy["metrics"][0]["ci"]["low"] < float(new[4:]) < accuracy["metrics"][0]["value"]
    assert "rows" in accuracy["message"]
