"""The run's reports from the pytest side: report.html (pytest-html), junit.xml
(pytest's LogXML), results.json.

``ReportPlugin`` holds the controller-side hooks (registered by the
``Controller``, on the xdist controller or in the only process without xdist). Workers send
their reports, each workflow's result attached as ``report.aperture``; the
controller attaches the HTML details and notes each case's JUnit name. At the
end of the session (``Controller.pytest_sessionfinish`` calls it in order) it reports
the workflows and phase checks that never ran as skipped, with the reason, and
those cut short as interrupted, writes results.json
and, once pytest wrote junit.xml, rewrites that for Jenkins. Nothing here runs
on a worker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, Literal, Protocol

import pytest

from aperture_verify.common.redaction import is_secret_key, redact, safe_url
from aperture_verify.execution.results import Outcome, PhaseCheck, WorkflowResult
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plugin.connection import Connection
from aperture_verify.plugin.past_runs import RunHistory
from aperture_verify.plugin.rundir import RunLedger
from aperture_verify.plugin.settings import RunSettings
from aperture_verify.reporting import html as html_report
from aperture_verify.reporting import junit
from aperture_verify.reporting.carried import carried_reports, note_phase_check
from aperture_verify.reporting.history_page import HISTORY_FILE, chart_link, write_history_page
from aperture_verify.reporting.live import LiveReport, usual_durations
from aperture_verify.reporting.results_json import write_results
from aperture_verify.reporting.run import (
    RunSummary,
    ci_build,
    in_plan_order,
)
from aperture_verify.reporting.tally import TestTally, run_time_line

__all__ = ["RESULTS_FILE", "ReportPlugin"]

RESULTS_FILE = "results.json"


class RunRecord(Protocol):
    """What the reports read of the controller."""

    settings: RunSettings
    plan: Plan
    ledger: RunLedger
    labels_by_nodeid: dict[str, str]
    connection: Connection
    run_id: str
    history: RunHistory

    @property
    def resumed_from(self) -> tuple[str, datetime | None] | None: ...


class ReportPlugin:
    """Controller-side hooks that make the three reports."""

    def __init__(self, config: pytest.Config, run: RunRecord) -> None:
        self.config = config
        self.run = run
        self.settings = run.settings
        self.history = run.history
        self.run_line: str | None = None  # "run time 12.8s · 8 tests: 8 passed", at the end
        self.results_doc: dict[str, Any] | None = None  # results.json, once written
        self.started_at = datetime.now(UTC)
        self.finished_at: datetime | None = None
        self.labels = {w.label: w for w in run.plan.workflows}
        self.started: set[str] = set()  # labels whose test began (a report arrived)
        self.verdicts: set[str] = set()  # labels whose verdict came with a report
        self.module_phase: dict[str, str] = {}  # module path -> phase, for phase checks
        self.case_names: dict[str, junit.CaseName] = {}  # test nodeid -> its JUnit case name
        self.phase_checks: dict[str, PhaseCheck] = {}  # phase check nodeid -> how it ended
        self.unfinished_checks: set[str] = set()  # phase checks set up, not torn down
        self.interrupted_checks: dict[str, str] = {}  # those cut short -> their message
        self.carried_reported = False
        self.tally = TestTally()  # every test's outcome, for the run time line
        self.junit_path = self.settings.junit_path
        self.html_path = self.settings.html_path
        self.reports_dir = self.settings.reports_dir
        self.live: LiveReport | None = None  # report.html and results.json while running
        self.workers = 0  # xdist workers ready (none: the run is in this process)
        self.live_usual = False  # the live report has the history's usual durations

    # -- what the run contains ---------------------------------------------------

    @property
    def secrets(self) -> list[str]:
        return self.run.connection.secrets

    def spec_for(self, report: Any) -> WorkflowSpec | None:
        """The workflow a test report is of: the label the report carries, or the one
        collected for its node id (never parsed from the id: pytest escapes it)."""
        label = getattr(report, "aperture_label", None) or self.run.labels_by_nodeid.get(
            report.nodeid
        )
        return self.labels.get(label) if label is not None else None

    def collected(self) -> None:
        """The controller heard of a collection: each phase module's phase, for its checks."""
        for nodeid, label in self.run.labels_by_nodeid.items():
            spec = self.labels.get(label)
            if spec is not None:
                self.module_phase[nodeid.split("::")[0]] = spec.phase
        if self.live is not None:  # [live report] -k/-m and the phase modules given narrow it
            self.live.expect(set(self.run.labels_by_nodeid.values()))

    def result_of(self, label: str) -> WorkflowResult | None:
        return self.run.ledger.get(label)

    @property
    def carried_checks(self) -> tuple[PhaseCheck, ...]:  # --resume's, with their phases
        return self.settings.resume.carried_checks if self.settings.resume else ()

    def summary(self) -> RunSummary:
        run, conn = self.run, self.run.connection
        return RunSummary(
            plan=run.plan,
            server_url=safe_url(conn.url),
            started_at=self.started_at,
            finished_at=self.finished_at,
            results=in_plan_order(run.plan, run.ledger.results()),
            exit_status=None,
            ci=ci_build(os.environ),
            run_id=run.run_id,
            login_error=(redact(conn.login_error, self.secrets) if conn.login_error else None),
            resumed_from=run.resumed_from,
            check_failures=run.ledger.check_failures(),
            outages=list(conn.login_outages),
            phase_checks=[*self.carried_checks, *self.phase_checks.values()],
        )

    # -- environment table -------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started_at = datetime.now(UTC)
        self._metadata()
        self._start_live()  # [live report]

    # -- live report -------------------------------------------------------------

    def history_link(self, label: str | None = None) -> str | None:
        """The history page's address beside report.html (a workflow's chart with
        *label*), when the run keeps a history."""
        if self.history.path is None or self.history.problem is not None:
            return None
        return chart_link(label) if label is not None else HISTORY_FILE

    def _start_live(self) -> None:
        if self.html_path is None or self.settings.collect_only:
            return
        carried = {r.label for r in self.run.ledger.results() if r.carried_over_from}
        selected = self.settings.selection.labels
        expected = [
            w for w in self.run.plan.workflows if w.label in selected and w.label not in carried
        ]
        self.live = LiveReport(
            self.run.plan,
            expected,
            self.html_path,
            self.reports_dir / RESULTS_FILE,
            server_url=safe_url(self.run.connection.url),
            run_id=self.run.run_id,
            slots=1,  # until xdist's workers are ready
            usual=usual_durations(self.history.usual, self.history.trend),
            links={w.label: link for w in expected if (link := self.history_link(w.label))},
            secrets=self.secrets,
            started_at=self.started_at,
        )
        self.live.start()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node: Any) -> None:
        """[live report] One more xdist worker: as many workflows can run at once."""
        self.workers += 1
        if self.live is not None:
            self.live.set_slots(min(self.run.plan.max_parallel, self.workers))

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        label = self.run.labels_by_nodeid.get(nodeid)
        if self.live is not None and label is not None:  # [live report]
            if not self.live_usual:  # the history is read by the time a test starts
                self.live_usual = True
                self.live.set_usual(usual_durations(self.history.usual, self.history.trend))
            self.live.workflow_started(label)

    def _metadata(self) -> None:
        """Run facts into pytest-metadata's dict; secret-looking entries out of it."""
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pytest-html without pytest-metadata: no environment table
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None:
            return
        for key, value in html_report.environment(self.summary()).items():
            metadata[key] = escape(value)  # pytest-html inserts the values as HTML
        self._redact(metadata)

    def _redact(self, metadata: dict[str, Any]) -> None:
        secrets = self.secrets
        for key in list(metadata):
            value = metadata[key]
            if is_secret_key(key) or (
                isinstance(value, str) and secrets and redact(value, secrets) != value
            ):
                del metadata[key]
            elif isinstance(value, dict):
                self._redact(value)

    # -- per test ----------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        carried = report.nodeid.startswith("carried-over/")
        data = getattr(report, "aperture", None)
        outcome: str = report.outcome
        if carried and report.when == "call":
            outcome = "carried over"
        elif getattr(report, "aperture_interrupted", False) or (
            data is not None and data.get("outcome") == Outcome.INTERRUPTED.value
        ):
            outcome = "interrupted"  # an interrupted workflow, not a skipped or errored test
        self.tally.add(report.nodeid, report.when, outcome, xfail=hasattr(report, "wasxfail"))
        spec = self.spec_for(report)
        if spec is None:
            self._name_phase_check(report)
            return
        self.started.add(spec.label)
        self.case_names[report.nodeid] = junit.case_names(
            self.run.plan.name, spec.phase, spec.label
        )
        if data is not None or report.when == "call":  # a worker crash reports a bare call
            self.verdicts.add(spec.label)
        crashed = self.result_of(spec.label) if data is None and report.when == "call" else None
        if self.live is not None and crashed is not None:  # [live report] its verdict
            self.live.workflow_ended(crashed)
        if data is not None:
            # pytest-html reads the extras of every report of a test when its
            # teardown report arrives, after this hook: the details land there.
            result = WorkflowResult.from_dict(data)
            extras: list[dict[str, Any]] = list(getattr(report, "extras", []))
            if self.live is not None:  # [live report]
                self.live.workflow_ended(result)
            trend = self.history.trend.get(spec.label, [])
            details = html_report.details_html(result, trend, self.history_link(spec.label))
            extras.append(_extra(redact(details, self.secrets), "html"))
            if result.job_url:
                extras.append(_extra(result.job_url, "url", name="job"))
            report.extras = extras  # type: ignore[attr-defined]

    def _name_phase_check(self, report: pytest.TestReport) -> None:
        """A phase module's own checks go under their phase in Jenkins' tree too."""
        phase = self.module_phase.get(report.nodeid.split("::")[0])
        if phase is None or report.nodeid.startswith("carried-over/"):
            return
        self.case_names[report.nodeid] = junit.check_case_names(
            self.run.plan.name, phase, report.nodeid
        )
        if report.when == "teardown":
            self.unfinished_checks.discard(report.nodeid)
        else:
            self.unfinished_checks.add(report.nodeid)
        # how it ended, for results.json (a later --resume carries a passed one over, and
        # runs the phase of one that failed or was interrupted again)
        cut_short = getattr(report, "aperture_interrupted", False)
        outcome = Outcome.INTERRUPTED.value if cut_short else report.outcome
        note_phase_check(self.phase_checks, report.nodeid, phase, outcome)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = f"{self.run.plan.name} · aperture-verify"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = html_report.TABLE_HEADER

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        spec = self.spec_for(report)
        data = getattr(report, "aperture", None)
        result = (
            WorkflowResult.from_dict(data)
            if data is not None
            else (self.result_of(spec.label) if spec is not None else None)
        )
        phase = spec.phase if spec else self.module_phase.get(report.nodeid.split("::")[0])
        cells[2:2] = html_report.table_cells(result, phase)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        run = self.summary()
        run.exit_status = int(session.exitstatus)
        summary_block = html_report.summary_html(run, self.run_line, self.history_link())
        prefix.append(redact(summary_block, self.secrets))

    # -- carried over (--resume) -------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Before the first test: the workflows an earlier run passed, in plan order."""
        if not self.settings.collect_only:
            self._report_carried_over()

    def _report_carried_over(self) -> None:
        """One passed case per carried-over workflow, for the HTML and JUnit reports.

        The terminal keeps pytest's own account (they were deselected there) and
        prints them in its summary, marked "carried over".
        """
        if self.carried_reported:
            return
        self.carried_reported = True
        carried = [
            r
            for r in in_plan_order(self.run.plan, self.run.ledger.results())
            if r.carried_over_from is not None
        ]
        checks = self.carried_checks
        if not carried and not checks:
            return
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        hook = self.config.pluginmanager.subset_hook_caller(
            "pytest_runtest_logreport", remove_plugins=[tr] if tr is not None else []
        )
        for result in carried:
            nodeid = f"carried-over/{result.phase}::{result.label}"
            self.run.labels_by_nodeid[nodeid] = result.label
            for report in carried_reports(nodeid, result):
                hook(report=report)
        for check in checks:  # a carried-over phase's own checks: JUnit keeps every case
            nodeid = f"carried-over/{check.phase}::{check.test}"
            self.module_phase[nodeid.split("::")[0]] = check.phase
            name = junit.check_case_names(self.run.plan.name, check.phase, nodeid)
            self.case_names[nodeid] = name
            for report in carried_reports(nodeid, None, check.phase):
                hook(report=report)

    # -- end of the run ----------------------------------------------------------

    def before_writers(self, session: pytest.Session, collected: Sequence[str] = ()) -> None:
        """Before LogXML and pytest-html write: fill the gaps, write results.json.

        *collected*: the node ids of the run's collected tests (no barrier items), for
        the phase checks that never ran."""
        self.finished_at = datetime.now(UTC)
        if self.live is not None:  # [live report] stops before the final reports are written
            self.live.close()
        if self.settings.collect_only:
            return
        self._report_carried_over()  # when the run stopped before its test loop
        self._report_not_run(session)
        self._report_unfinished_checks()
        self._report_unrun_checks(session, collected)
        run = self.summary()
        run.exit_status = int(session.exitstatus)
        self.run_line = run_time_line(run.duration, self.tally)
        self.results_doc = write_results(self.reports_dir / RESULTS_FILE, run)
        self._metadata()  # workers' metadata may have been merged in since the start

    def after_writers(self) -> None:
        """Once LogXML wrote junit.xml: the cases named and completed for Jenkins."""
        if self.junit_path is None or not self.junit_path.is_file():
            return
        cases = {
            junit.case_names(self.run.plan.name, r.phase, r.label): r
            for r in self.run.ledger.results()
        }
        checks = {
            junit.check_case_names(self.run.plan.name, c.phase, c.test): c
            for c in self.carried_checks
        }
        junit.finish_file(
            self.junit_path,
            self.run.plan.name,
            self.case_names,
            cases,
            self.secrets,
            prefix=self.settings.junit_prefix,
            checks=checks,
            interrupted_checks={
                self.case_names[n]: m
                for n, m in self.interrupted_checks.items()
                if n in self.case_names
            },
        )

    def write_history_page(self) -> None:
        """[history page] history.html beside report.html, once the run is recorded."""
        if self.html_path is None or self.history.path is None or not self.history.recorded:
            return
        problem = write_history_page(
            self.history.path,
            self.run.plan,
            self.html_path.parent / HISTORY_FILE,
            self.history.server,
        )
        if problem is not None:
            self.history.problem = problem  # one line in the terminal summary

    def _report_not_run(self, session: pytest.Session) -> None:
        """Every selected workflow without a verdict is reported: skipped, with the reason,
        or interrupted (an error) when its test had begun or its job was cancelled.

        That covers ``-x``/``--maxfail``, an interruption and a crash of the run
        before a phase started, also under xdist, so Jenkins' counts stay stable.
        """
        # The selected workflow tests; when nothing was collected, the whole plan.
        selected = self.settings.selection.labels
        labels_by_nodeid = self.run.labels_by_nodeid
        collected = [self.labels[x] for x in labels_by_nodeid.values() if x in self.labels]
        expected = list(dict.fromkeys(collected)) or [
            w for w in self.run.plan.workflows if w.label in selected
        ]
        # A workflow the recorder found running at an interruption has a result (its job
        # was cancelled) but no report: it needs one too, or JUnit would miss its case.
        missing = [s for s in expected if s.label not in self.verdicts]
        if not missing:
            return
        reason = _why_not_run(session)
        # The terminal keeps pytest's own account; the reports and the ledger get these.
        hook = self._reports_hook()
        nodeid_of = {label: n for n, label in labels_by_nodeid.items()}
        for spec in missing:
            known = self.result_of(spec.label)  # e.g. its job cancelled at the interruption
            result = WorkflowResult(spec.label, spec.phase, outcome=Outcome.SKIPPED)
            if known is not None:
                result = known
            elif spec.label in self.started:
                result.outcome = Outcome.INTERRUPTED
                result.message = f"not finished: {reason} while it ran"
            else:
                result.message = f"not run: {reason}"
            result.min_duration, result.max_duration = spec.min_duration, spec.max_duration
            nodeid = nodeid_of.get(spec.label) or f"{spec.phase}::{spec.label}"
            labels_by_nodeid.setdefault(nodeid, spec.label)  # its JUnit case is named
            for report in _reports_of(nodeid, result):
                hook(report=report)

    def check_given_out(self, nodeid: str) -> None:
        """A phase check a worker was given when the run was interrupted: cut short,
        unless one of its reports arrived (then its teardown tells)."""
        if self._unreported_check(nodeid):
            self.unfinished_checks.add(nodeid)

    def _report_unfinished_checks(self) -> None:
        """A phase check the run stopped while it ran (set up, never torn down) is
        reported as an interrupted error, as a workflow is: without it, junit.xml would
        lose its case (or, under xdist, keep a nameless one)."""
        hook = self._reports_hook()
        for nodeid in sorted(self.unfinished_checks):
            message = "the run was interrupted while it ran"
            self.interrupted_checks[nodeid] = message
            for report in _interrupted_check_reports(nodeid, message):
                hook(report=report)

    def _report_unrun_checks(self, session: pytest.Session, collected: Sequence[str]) -> None:
        """A collected phase check that never reported anything (the run ended before it)
        is reported skipped with the reason, as a workflow that never ran is: every
        collected check keeps its case in junit.xml, results.json and the count."""
        labels = self.run.labels_by_nodeid
        unrun = [
            n for n in dict.fromkeys(collected) if n not in labels and self._unreported_check(n)
        ]
        if not unrun:
            return
        reason = _why_not_run(session)
        hook = self._reports_hook()
        for nodeid in unrun:
            for report in _skipped_check_reports(nodeid, f"not run: {reason}"):
                hook(report=report)

    def _unreported_check(self, nodeid: str) -> bool:
        """Whether *nodeid*, not a workflow's test, is a phase check no report was seen of."""
        return nodeid not in self.case_names and nodeid.split("::")[0] in self.module_phase

    def _reports_hook(self) -> Any:
        """``pytest_runtest_logreport`` of every plugin but the terminal's, which keeps
        pytest's own account: the reports, the ledger and the tally get a made-up report."""
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        return self.config.pluginmanager.subset_hook_caller(
            "pytest_runtest_logreport", remove_plugins=[tr] if tr is not None else []
        )


def _why_not_run(session: pytest.Session) -> str:
    """Why a test of the run never ran: ``-x``/``--maxfail``, an interruption, or an end."""
    why = session.shouldfail or session.shouldstop
    if why:
        return f"the run stopped early ({why})"
    if int(session.exitstatus) == int(pytest.ExitCode.INTERRUPTED):
        return "the run was interrupted"
    return "the run ended before it"


def _skipped_check_reports(nodeid: str, message: str) -> list[pytest.TestReport]:
    """A set-up skipped with *message* and its teardown, for a phase check never run."""
    path = nodeid.split("::")[0]
    return _check_reports(nodeid, "skipped", (path, 0, f"Skipped: {message}"))


def _interrupted_check_reports(nodeid: str, message: str) -> list[pytest.TestReport]:
    """A failed set-up (an error) and its teardown for a phase check cut short."""
    setup, teardown = _check_reports(nodeid, "failed", f"interrupted: {message}")
    setup.aperture_interrupted = True  # type: ignore[attr-defined]  # for the tally
    return [setup, teardown]


def _check_reports(
    nodeid: str, outcome: Literal["failed", "skipped"], longrepr: Any
) -> list[pytest.TestReport]:
    """A made-up set-up report with *outcome* and a passed teardown, for a phase check."""
    now = time.time()
    location = (nodeid.split("::")[0], None, nodeid.split("::")[-1])
    setup = pytest.TestReport(
        nodeid, location, {}, outcome, longrepr, "setup", duration=0.0, start=now, stop=now
    )
    teardown = pytest.TestReport(
        nodeid, location, {}, "passed", None, "teardown", duration=0.0, start=now, stop=now
    )
    return [setup, teardown]


def _reports_of(nodeid: str, result: WorkflowResult) -> list[pytest.TestReport]:
    """A test's set-up and teardown reports, as pytest would make them, for a workflow
    whose own reports never came: skipped at set-up for one that never ran; failed at
    set-up (an error, not a failure of its checks) for one the interruption cut short,
    so that no report calls an interrupted workflow skipped."""
    now = time.time()
    path = nodeid.split("::")[0]
    location = (path, None, nodeid.split("::")[-1])
    interrupted = result.outcome is Outcome.INTERRUPTED
    setup = pytest.TestReport(
        nodeid,
        location,
        {},
        "failed" if interrupted else "skipped",
        f"interrupted: {result.message}"
        if interrupted
        else (path, 0, f"Skipped: {result.message}"),
        "setup",
        duration=0.0,
        start=now,
        stop=now,
        user_properties=[("phase", result.phase)],
    )
    setup.aperture = result.to_dict()  # type: ignore[attr-defined]
    setup.aperture_label = result.label  # type: ignore[attr-defined]
    teardown = pytest.TestReport(
        nodeid, location, {}, "passed", None, "teardown", duration=0.0, start=now, stop=now
    )
    teardown.aperture_label = result.label  # type: ignore[attr-defined]
    return [setup, teardown]


def _extra(content: str, format_type: str, name: str | None = None) -> dict[str, Any]:
    """A pytest-html extra as a plain dict (what ``pytest_html.extras`` builds)."""
    return {
        "name": name,
        "format_type": format_type,
        "content": content,
        "mime_type": None,
        "extension": None,
    }
