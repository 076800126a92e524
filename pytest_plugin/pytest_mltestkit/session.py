"""The run-wide part of the plugin, registered only with ``--ml``: one object per process role.

* :class:`Central` -- a run without pytest-xdist: it runs the tests and writes the report.
* :class:`Worker` -- an xdist worker: it attaches each test's checks to its reports (plain
  data, which crosses to the controller) and writes nothing.
* :class:`Controller` -- the xdist controller: it runs no test; it collects what the workers
  sent, prints the summary and writes the report.

:func:`role` picks the class once, in ``pytest_configure``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from .settings import MARKERS, RECORD_KEY, Settings


class Collected:
    """Checks, test outcomes and fingerprints gathered from test reports, in arrival order.

    A check's ``index`` is its position among the checks of its test, counted as they arrive,
    at a constant cost per check.
    """

    def __init__(self) -> None:
        self.checks: list[dict[str, Any]] = []
        self.tests: dict[str, dict[str, Any]] = {}
        self.fingerprints: dict[str, dict[str, Any]] = {}
        self.lost: list[str] = []
        self.per_test: Counter[str] = Counter()

    def add(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        score = list(getattr(report, "ml_score", []) or [])
        for check in getattr(report, "ml_checks", None) or []:
            entry = {"test": nodeid, "index": self.per_test[nodeid], **check}
            self.per_test[nodeid] += 1
            if score:
                entry["score"] = score
            self.checks.append(entry)
        self.fingerprints.update(getattr(report, "ml_fingerprints", None) or {})
        crashed = report.when == "???"  # pytest-xdist: the worker died while running this test
        if crashed:
            self.lost.append(nodeid)
        if report.when == "call" or not report.passed or crashed:
            markers = getattr(report, "ml_markers", None)
            if markers is None and nodeid in self.tests:
                markers = self.tests[nodeid].get("markers", [])
            path, line = (report.location[0], report.location[1]) if report.location else (None, None)
            self.tests[nodeid] = {
                "test": nodeid,
                "outcome": "crashed" if crashed else report.outcome,
                "file": path,
                "line": None if line is None else int(line) + 1,
                "markers": list(markers or []),
                "duration": round(float(report.duration or 0.0), 6),
            }


class _Role:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings


class RunsTests(_Role):
    """Hooks of a process that runs tests: soft failures, and each test's checks on its reports."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        result = yield
        if RECORD_KEY in item.stash:
            from .recorder import raise_soft_failures

            raise_soft_failures(item.stash[RECORD_KEY])
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        if call.excinfo is not None and report.failed:
            from mltestkit.errors import MLTestKitError

            if call.excinfo.errisinstance(MLTestKitError):
                report.longrepr = without_our_frames(item, call.excinfo)
        record = item.stash.get(RECORD_KEY, None)
        if record is not None:
            report.ml_checks = record.checks[record.sent :]
            record.sent = len(record.checks)
            report.ml_fingerprints = dict(record.fingerprints)
        marker = item.get_closest_marker("ml")
        if marker is not None and marker.kwargs.get("score"):
            score = marker.kwargs["score"]
            report.ml_score = [score] if isinstance(score, str) else list(score)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            report.ml_markers = sorted(m.name for m in item.iter_markers() if m.name in MARKERS)
        return report


def without_our_frames(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """The failure as pytest shows it, ending at the test's own call into mltestkit (``--full-trace`` shows all).

    The exception's traceback is cut after the last frame outside the mltestkit package, so the
    test's line and the error's message are what a reader sees, not the library's internals.
    """
    import mltestkit

    ours = Path(mltestkit.__file__).resolve().parent
    tb: TracebackType | None = excinfo.tb
    last_theirs: TracebackType | None = None
    while tb is not None and ours not in Path(tb.tb_frame.f_code.co_filename).resolve().parents:
        last_theirs, tb = tb, tb.tb_next
    if last_theirs is None or tb is None or item.config.getoption("fulltrace", False):
        return item.repr_failure(excinfo)
    last_theirs.tb_next = None
    return item.repr_failure(pytest.ExceptionInfo.from_exception(excinfo.value))


class WritesReport(_Role):
    """Hooks of the process that writes the report: collect, complete the report, write, print."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        super().__init__(config, settings)
        self.collected = Collected()
        self.workers = 0
        self.report: dict[str, Any] | None = None
        self.write_error: str | None = None
        self.output_lines: list[tuple[str, bool]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.collected.add(report)
        checks = getattr(report, "ml_checks", None)
        junit = self.junit()
        if checks and junit is not None:  # figures as <testsuite> properties, which every junit family keeps
            from mltestkit.render.junit import properties

            for name, value in properties(report.nodeid, checks):
                junit.add_global_property(name, value)

    def junit(self) -> Any:
        """pytest's JUnit XML writer when ``--junitxml`` is given (the object behind ``record_testsuite_property``)."""
        from _pytest.junitxml import xml_key

        return self.config.stash.get(xml_key, None)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from mltestkit.errors import ReportError
        from mltestkit.report import build_report, provenance, write_report
        from mltestkit.report.score import score_report

        got = self.collected
        prov = provenance(
            seed=self.settings.seed,
            gate_rule=self.settings.rule,
            confidence=self.settings.confidence,
            fingerprints=dict(sorted(got.fingerprints.items())),
            command=list(self.config.invocation_params.args),
            cwd=self.config.rootpath,
        )
        prov["workers"] = self.workers
        self.report = build_report(
            sorted(got.checks, key=lambda c: (c["test"], c["index"])),
            provenance=prov,
            tests=sorted(got.tests.values(), key=lambda t: t["test"]),
            lost_tests=got.lost,
        )
        if self.settings.baseline and not self._compare_with_baseline():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.report["ml_test_score"] = score_report(self.report)
        self.config.hook.pytest_mltestkit_report(report=self.report, config=self.config)
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
        from mltestkit.render.outputs import attach_baseline, comparison_lines, regressions

        from .recorder import error_text

        assert self.report is not None and self.settings.baseline
        path = self.config.invocation_params.dir / self.settings.baseline
        try:
            comparison = attach_baseline(self.report, path, self.settings.margins)
        except Exception as exc:  # a bad baseline must not turn into an INTERNALERROR
            self.output_lines.append((f"baseline comparison failed: {error_text(exc)}", True))
            return False
        bad = bool(regressions(comparison))
        self.output_lines += [(line, bad) for line in comparison_lines(comparison)]
        return not bad

    def _write_outputs(self) -> bool:
        """Write the model card and the HTML page; ``False`` (with a message) if that fails."""
        from mltestkit.render.outputs import outputs_line, write_outputs

        from .recorder import error_text

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
            self.output_lines.append(
                (f"could not write the model card or HTML report: {error_text(exc)}", True)
            )
            return False
        self.output_lines.append((outputs_line(paths, here), False))
        return True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        from mltestkit.render.terminal import summary_lines
        from mltestkit.render.text import outcome_counts

        tr = terminalreporter
        checks = self.report["checks"]
        if checks or self.write_error or self.output_lines:
            tr.write_sep("=", "mltestkit")
        for line in summary_lines(checks):
            tr.write_line(line)
        if checks:
            tr.write_line(
                f"{self.report['summary']['checks']} ML checks: {outcome_counts(self.report['summary'])} "
                f"(rule {self.settings.rule}, {self.settings.confidence:.0%} intervals)"
            )
        if self.collected.lost:
            tr.write_line(f"lost with a crashed worker: {', '.join(self.collected.lost)}", red=True)
        if self.write_error:
            tr.write_line(self.write_error, red=True)
        elif self.settings.report:
            tr.write_line(f"ML report: {self.settings.report}")
        for text, red in self.output_lines:
            tr.write_line(text, red=red)


class Central(RunsTests, WritesReport):
    """A run without pytest-xdist: runs the tests and writes the report."""


class Worker(RunsTests):
    """A pytest-xdist worker: sends each test's checks with its reports; writes nothing."""


class Controller(WritesReport):
    """The pytest-xdist controller: collects the workers' checks and writes the report."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node: Any) -> None:
        self.workers += 1


#: The name the role object is registered under.
NAME = "mltestkit-session"


def role(config: pytest.Config) -> type[_Role]:
    """The class for this process: :class:`Worker`, :class:`Controller` or :class:`Central`."""
    if hasattr(config, "workerinput"):
        return Worker
    distributed = (
        config.getoption("dist", "no") != "no"
        and bool(config.getoption("tx", None))
        and not config.getoption("collectonly")
    )
    return Controller if distributed else Central
