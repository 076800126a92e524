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

#: The outcome of the test that was running when the run was interrupted.
INTERRUPTED = "interrupted"


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
        self.seen: set[str] = set()

    def add(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        self.add_checks(
            nodeid,
            getattr(report, "ml_checks", None) or [],
            getattr(report, "ml_fingerprints", None) or {},
            list(getattr(report, "ml_score", []) or []),
        )
        crashed = report.when == "???"  # pytest-xdist: the worker died while running this test
        if crashed:
            self.lost.append(nodeid)
        if report.when == "call" or not report.passed or crashed:
            markers = getattr(report, "ml_markers", None)
            self.add_test(
                nodeid, "crashed" if crashed else report.outcome, report.location, markers, report.duration
            )

    def add_checks(
        self, nodeid: str, checks: list[dict[str, Any]], fingerprints: dict[str, Any], score: list[str]
    ) -> None:
        self.seen.add(nodeid)
        for check in checks:
            entry = {"test": nodeid, "index": self.per_test[nodeid], **check}
            self.per_test[nodeid] += 1
            if score:
                entry["score"] = score
            self.checks.append(entry)
        self.fingerprints.update(fingerprints)

    def add_test(
        self,
        nodeid: str,
        outcome: str,
        location: tuple[str, int | None, str] | None,
        markers: list[str] | None,
        duration: float | None,
    ) -> None:
        if markers is None and nodeid in self.tests:
            markers = self.tests[nodeid].get("markers", [])
        path, line = (location[0], location[1]) if location else (None, None)
        self.tests[nodeid] = {
            "test": nodeid,
            "outcome": outcome,
            "file": path,
            "line": None if line is None else int(line) + 1,
            "markers": list(markers or []),
            "duration": round(float(duration or 0.0), 6),
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
            report.ml_score = [score] if isinstance(score, str) else [str(s) for s in score]
        if report.when == "call" or (report.when == "setup" and not report.passed):
            report.ml_markers = sorted(m.name for m in item.iter_markers() if m.name in MARKERS)
        return report


def without_our_frames(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """The failure as pytest shows it, ending at the test's own call into mltestkit (``--full-trace`` shows all).

    The shown traceback is a copy of the exception's, cut after the last frame outside the
    mltestkit package, so the test's line and the error's message are what a reader sees, not the
    library's internals. The exception keeps its whole traceback (``--pdb`` walks every frame).
    """
    import mltestkit

    ours = Path(mltestkit.__file__).resolve().parent
    tb: TracebackType | None = excinfo.tb
    theirs: list[TracebackType] = []
    while tb is not None and ours not in Path(tb.tb_frame.f_code.co_filename).resolve().parents:
        theirs.append(tb)
        tb = tb.tb_next
    if not theirs or tb is None or item.config.getoption("fulltrace", False):
        return item.repr_failure(excinfo)
    shown: TracebackType | None = None
    for t in reversed(theirs):
        shown = TracebackType(shown, t.tb_frame, t.tb_lasti, t.tb_lineno)
    assert shown is not None
    value = excinfo.value
    return item.repr_failure(pytest.ExceptionInfo.from_exc_info((type(value), value, shown)))


class WritesReport(_Role):
    """Hooks of the process that writes the report: collect, complete the report, write, print."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        super().__init__(config, settings)
        self.collected = Collected()
        self.workers = 0
        self.report: dict[str, Any] | None = None
        self.write_error: str | None = None
        self.output_lines: list[tuple[str, bool]] = []
        self.expected: list[str] | None = None
        self.collection_errors: list[str] = []
        self.interrupted: str | None = None
        self.writes = not config.getoption("collectonly")
        self.paths = [
            config.invocation_params.dir / p
            for p in (settings.report, settings.model_card, settings.html)
            if p and self.writes
        ]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from mltestkit.files import claim

        for path in self.paths:
            holder = claim(path)
            if holder is not None:
                text = (
                    f"another pytest session (process {holder}) is writing {path} too; "
                    "the session that ends last overwrites the other's file"
                )
                self.output_lines.append((text, True))
                terminal = self.config.pluginmanager.get_plugin("terminalreporter")
                if terminal is not None:
                    terminal.write_line(f"mltestkit: {text}", yellow=True)

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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(report.nodeid or ".")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expected = [item.nodeid for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.expected is None:
            self.expected = list(ids)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = str(excinfo.value) or type(excinfo.value).__name__

    def incomplete(self, session: pytest.Session) -> list[str]:
        """Why the report does not hold every test of the run (empty when it does)."""
        got, reasons = self.collected, []
        if self.interrupted is not None:
            reasons.append(f"interrupted: {self.interrupted}")
        if self.collection_errors:
            n = len(self.collection_errors)
            reasons.append(f"{n} collection error{'s' if n > 1 else ''}: {', '.join(self.collection_errors)}")
        if got.lost:
            reasons.append(f"{len(got.lost)} lost with a crashed worker: {', '.join(got.lost)}")
        never = [t for t in self.expected or [] if t not in got.seen]
        if never:
            stop = session.shouldfail or session.shouldstop
            why = f" (the run stopped: {stop})" if isinstance(stop, str) and stop else ""
            reasons.append(f"{len(never)} collected test{'s' if len(never) > 1 else ''} never ran{why}")
        return reasons

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from mltestkit.files import release

        try:
            self._finish(session)
        finally:
            for path in self.paths:
                release(path)

    def _finish(self, session: pytest.Session) -> None:
        from mltestkit.errors import ReportError
        from mltestkit.report import build_report, provenance, write_report
        from mltestkit.report.score import score_report

        if not self.writes:
            return
        got = self.collected
        incomplete = self.incomplete(session)
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
            incomplete=incomplete,
        )
        if incomplete and not got.seen:
            kept = [str(p) for p in self.paths if p.exists()]
            self.write_error = f"ML report not written: no test ran ({'; '.join(incomplete)})" + (
                f"; {', '.join(kept)} left as {'they were' if len(kept) > 1 else 'it was'}" if kept else ""
            )
            return
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
            comparison = attach_baseline(
                self.report, path, self.settings.margins, allow_missing=self.settings.allow_missing
            )
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
        for reason in self.report["summary"].get("incomplete_reasons", []):
            tr.write_line(f"ML report incomplete: {reason}", red=True)
        if self.write_error:
            tr.write_line(self.write_error, red=True)
        elif self.settings.report:
            tr.write_line(f"ML report: {self.settings.report}")
        for text, red in self.output_lines:
            tr.write_line(text, red=red)


class Central(RunsTests, WritesReport):
    """A run without pytest-xdist: runs the tests and writes the report."""

    running: pytest.Item | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.running = item

    def pytest_runtest_logfinish(self) -> None:
        self.running = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Keep what the interrupted test recorded before the interrupt (it gets no report of its own)."""
        super().pytest_keyboard_interrupt(excinfo)
        item, self.running = self.running, None
        record = item.stash.get(RECORD_KEY, None) if item is not None else None
        if item is None or record is None:
            return
        self.collected.add_checks(item.nodeid, record.checks[record.sent :], dict(record.fingerprints), [])
        record.sent = len(record.checks)
        markers = sorted(m.name for m in item.iter_markers() if m.name in MARKERS)
        self.collected.add_test(item.nodeid, INTERRUPTED, item.location, markers, None)


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
