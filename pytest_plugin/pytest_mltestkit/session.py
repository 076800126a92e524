"""The run-wide part of the plugin, registered only with ``--ml``.

Each process attaches the checks of a test to its reports (plain data, so they cross
pytest-xdist); only the controller (or a run without xdist) collects them, prints the
summary and writes the report.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from .plugin import MARKERS, Settings


class MLSession:
    NAME = "mltestkit-session"

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.is_worker = hasattr(config, "workerinput")
        self.checks: list[dict[str, Any]] = []
        self.tests: dict[str, dict[str, Any]] = {}
        self.fingerprints: dict[str, dict[str, Any]] = {}
        self.lost: list[str] = []
        self.workers = 0
        self.report: dict[str, Any] | None = None
        self.write_error: str | None = None
        self.output_lines: list[tuple[str, bool]] = []
        # figures become JUnit <property> elements only where the junit family has a place for them
        self.junit_properties = bool(getattr(config.option, "xmlpath", None)) and str(
            config.getini("junit_family")
        ) in ("xunit1", "legacy")

    # ------------------------------------------------------------------ every process
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        result = yield
        from .fixtures import RECORD_KEY, raise_soft_failures

        if RECORD_KEY in item.stash:
            raise_soft_failures(item.stash[RECORD_KEY])
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        from .fixtures import RECORD_KEY

        record = item.stash.get(RECORD_KEY, None)
        if record is not None:
            report.ml_checks = record.checks[record.sent :]
            record.sent = len(record.checks)
            report.ml_fingerprints = dict(record.fingerprints)
            if report.when == "teardown" and self.junit_properties:
                from mltestkit.render.junit import properties

                report.user_properties.extend(properties(record.checks))
        marker = item.get_closest_marker("ml")
        if marker is not None and marker.kwargs.get("score"):
            score = marker.kwargs["score"]
            report.ml_score = [score] if isinstance(score, str) else list(score)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            report.ml_markers = sorted(m.name for m in item.iter_markers() if m.name in MARKERS)
        return report

    # ------------------------------------------------------------------ controller only
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        nodeid = report.nodeid
        score = list(getattr(report, "ml_score", []) or [])
        for check in getattr(report, "ml_checks", None) or []:
            entry = {"test": nodeid, "index": sum(1 for c in self.checks if c["test"] == nodeid), **check}
            if score:
                entry["score"] = score
            self.checks.append(entry)
        for name, fp in (getattr(report, "ml_fingerprints", None) or {}).items():
            self.fingerprints[name] = fp
        if report.when == "???":  # pytest-xdist: the worker died while running this test
            self.lost.append(nodeid)
        if report.when == "call" or not report.passed or report.when == "???":
            markers = getattr(report, "ml_markers", None)
            if markers is None and nodeid in self.tests:
                markers = self.tests[nodeid].get("markers", [])
            path, line = (report.location[0], report.location[1]) if report.location else (None, None)
            self.tests[nodeid] = {
                "test": nodeid,
                "outcome": "crashed" if report.when == "???" else report.outcome,
                "file": path,
                "line": None if line is None else int(line) + 1,
                "markers": list(markers or []),
                "duration": round(float(report.duration or 0.0), 6),
            }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node: Any) -> None:
        self.workers += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        from mltestkit.errors import ReportError
        from mltestkit.report import build_report, provenance, write_report

        checks = sorted(self.checks, key=lambda c: (c["test"], c["index"]))
        tests = sorted(self.tests.values(), key=lambda t: t["test"])
        prov = provenance(
            seed=self.settings.seed,
            gate_rule=self.settings.rule,
            confidence=self.settings.confidence,
            fingerprints=dict(sorted(self.fingerprints.items())),
            command=list(self.config.invocation_params.args),
            cwd=self.config.rootpath,
        )
        prov["workers"] = self.workers
        self.report = build_report(checks, provenance=prov, tests=tests, lost_tests=self.lost)
        self.config.hook.pytest_mltestkit_report(report=self.report, config=self.config)
        if self.settings.baseline and not self._compare_with_baseline():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        from mltestkit.report.score import score_report

        self.report["ml_test_score"] = score_report(self.report)
        if self.settings.report:
            path = self.config.invocation_params.dir / self.settings.report
            try:
                write_report(self.report, path)
            except (OSError, ValueError, ReportError) as exc:
                self.write_error = f"could not write the ML report to {path}: {exc}"
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if (self.settings.model_card or self.settings.html) and not self._write_outputs():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _compare_with_baseline(self) -> bool:
        """Add the baseline comparison to the report; ``False`` on a regression or an unusable baseline."""
        from mltestkit.render.outputs import attach_baseline, comparison_lines

        assert self.report is not None and self.settings.baseline
        path = self.config.invocation_params.dir / self.settings.baseline
        try:
            comparison = attach_baseline(self.report, path, self.settings.margins)
        except Exception as exc:  # a bad baseline must not turn into an INTERNALERROR
            self.output_lines.append((f"baseline comparison failed: {_text(exc)}", True))
            return False
        bad = comparison["regressions"] > 0
        self.output_lines += [(line, bad) for line in comparison_lines(comparison)]
        return not bad

    def _write_outputs(self) -> bool:
        """Write the model card and the HTML page; ``False`` (with a message) if that fails."""
        from mltestkit.render.outputs import write_outputs

        assert self.report is not None
        here = self.config.invocation_params.dir
        try:
            paths = write_outputs(
                self.report,
                model_card=here / self.settings.model_card if self.settings.model_card else None,
                html=here / self.settings.html if self.settings.html else None,
                meta=here / "model_card.yaml",
            )
        except Exception as exc:  # a rendering problem must not turn into an INTERNALERROR
            self.output_lines.append((f"could not write the model card or HTML report: {_text(exc)}", True))
            return False
        self.output_lines += [(f"ML output: {p}", False) for p in paths]
        return True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.report is None:
            return
        from mltestkit.render.terminal import summary_lines

        tr = terminalreporter
        checks = self.report["checks"]
        if checks or self.write_error or self.output_lines:
            tr.write_sep("=", "mltestkit")
        for line in summary_lines(checks):
            tr.write_line(line)
        s = self.report["summary"]
        if checks:
            counts = ", ".join(
                f"{s[k]} {k}" for k in ("passed", "failed", "inconclusive", "error", "skipped") if s[k]
            )
            tr.write_line(
                f"{s['checks']} ML checks: {counts} (rule {self.settings.rule}, {self.settings.confidence:.0%} intervals)"
            )
        if self.lost:
            tr.write_line(f"lost with a crashed worker: {', '.join(self.lost)}", red=True)
        if self.write_error:
            tr.write_line(self.write_error, red=True)
        elif self.settings.report:
            tr.write_line(f"ML report: {self.settings.report}")
        for text, red in self.output_lines:
            tr.write_line(text, red=red)


def _text(exc: Exception) -> str:
    from mltestkit.errors import MLTestKitError

    return str(exc) if isinstance(exc, MLTestKitError) else f"{type(exc).__name__}: {exc}"
