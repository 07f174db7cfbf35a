"""The run's reports from the pytest side: report.html (pytest-html), junit.xml
(pytest's LogXML), results.json.

``ReportPlugin`` holds the controller-side hooks (registered by hooks.py on
the xdist controller, or in the only process without xdist). Workers send
their reports, each workflow's result attached as ``report.aperture``; the
controller attaches the HTML details and notes each case's JUnit name. At the
end of the session (``controller.EndOfSession`` calls it in order) it reports
the workflows that never ran as skipped, with the reason, writes results.json
and, once pytest wrote junit.xml, rewrites that for Jenkins. Nothing here runs
on a worker.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.common.secrets import is_secret_key, redact, safe_url
from aperture_verify.execution.results import Outcome, WorkflowResult
from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plugin.context import RunContext
from aperture_verify.plugin.history import RunHistory
from aperture_verify.plugin.options import option
from aperture_verify.reporting import html as html_report
from aperture_verify.reporting import junit
from aperture_verify.reporting.history_page import HISTORY_FILE, chart_link, write_history_page
from aperture_verify.reporting.live import LiveReport, usual_durations
from aperture_verify.reporting.results_json import write_results
from aperture_verify.reporting.run import (
    RunSummary,
    TestTally,
    ci_build,
    in_plan_order,
    run_time_line,
)

__all__ = ["RESULTS_FILE", "ReportPlugin"]

RESULTS_FILE = "results.json"


class ReportPlugin:
    """Controller-side hooks that make the three reports."""

    def __init__(self, config: pytest.Config, ctx: RunContext, history: RunHistory) -> None:
        self.config = config
        self.ctx = ctx
        self.history = history
        self.results_doc: dict[str, Any] | None = None  # results.json, once written
        self.started_at = datetime.now(UTC)
        self.finished_at: datetime | None = None
        self.labels = {w.label: w for w in ctx.plan.workflows}
        self.started: set[str] = set()  # labels whose test began (a report arrived)
        self.verdicts: set[str] = set()  # labels whose verdict came with a report
        self.module_phase: dict[str, str] = {}  # module path -> phase, for phase checks
        self.case_names: dict[str, junit.CaseName] = {}  # test nodeid -> its JUnit case name
        self.carried_reported = False
        self.tally = TestTally()  # every test's outcome, for the run time line
        xmlpath = config.option.xmlpath
        self.junit_path = junit.xml_path(xmlpath) if xmlpath else None
        htmlpath = getattr(config.option, "htmlpath", None)  # resolved as pytest-html does
        self.html_path = (
            Path.cwd() / Path(os.path.expandvars(htmlpath)).expanduser() if htmlpath else None
        )
        reports_dir = Path(option(config, "aperture_reports_dir") or "reports")
        self.reports_dir = (
            reports_dir if reports_dir.is_absolute() else (config.rootpath / reports_dir)
        )
        self.live: LiveReport | None = None  # report.html and results.json while running

    # -- what the run contains ---------------------------------------------------

    @property
    def secrets(self) -> list[str]:
        creds = self.ctx.credentials
        return [s for s in (creds.api_key, creds.password) if s]

    def spec_for(self, report: Any) -> WorkflowSpec | None:
        """The workflow a test report is of: the label the report carries, or the one
        collected for its node id (never parsed from the id: pytest escapes it)."""
        label = getattr(report, "aperture_label", None) or self.ctx.labels_by_nodeid.get(
            report.nodeid
        )
        return self.labels.get(label) if label is not None else None

    def _collected(self) -> None:
        for nodeid, label in self.ctx.labels_by_nodeid.items():
            spec = self.labels.get(label)
            if spec is not None:
                self.module_phase[nodeid.split("::")[0]] = spec.phase
        if self.live is not None:  # [live report] -k/-m and the phase modules given narrow it
            self.live.expect(set(self.ctx.labels_by_nodeid.values()))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._collected()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._collected()

    def result_of(self, label: str) -> WorkflowResult | None:
        return self.ctx.ledger.get(label)

    def summary(self) -> RunSummary:
        return RunSummary(
            plan=self.ctx.plan,
            server_url=safe_url(self.ctx.url),
            started_at=self.started_at,
            finished_at=self.finished_at,
            results=in_plan_order(self.ctx.plan, self.ctx.ledger.results()),
            exit_status=None,
            ci=ci_build(os.environ),
            run_id=self.ctx.run_id,
            login_error=(
                redact(self.ctx.login_error, self.secrets) if self.ctx.login_error else None
            ),
            resumed_from=self.ctx.resumed_from,
            check_failures=self.ctx.ledger.check_failures(),
            outages=list(self.ctx.login_outages),
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
        if self.html_path is None or self.config.getoption("collectonly"):
            return
        # pytest-html's own running report (generate_report_on_test) keeps report.html
        own = self.config.getini("generate_report_on_test")
        carried = {r.label for r in self.ctx.ledger.results() if r.carried_over_from}
        selected = self.ctx.selected
        expected = [
            w
            for w in self.ctx.plan.workflows
            if (selected is None or w.label in selected) and w.label not in carried
        ]
        workers = getattr(self.config.option, "numprocesses", 0)
        slots = min(self.ctx.plan.max_parallel, workers if isinstance(workers, int) else 1)
        self.live = LiveReport(
            self.ctx.plan,
            expected,
            None if own else self.html_path,
            self.reports_dir / RESULTS_FILE,
            server_url=safe_url(self.ctx.url),
            run_id=self.ctx.run_id,
            slots=max(1, slots),
            usual=usual_durations(self.history.usual, self.history.trend),
            links={w.label: link for w in expected if (link := self.history_link(w.label))},
            secrets=self.secrets,
            started_at=self.started_at,
        )
        self.live.start()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        label = self.ctx.labels_by_nodeid.get(nodeid)
        if self.live is not None and label is not None:  # [live report]
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
        self.tally.add(
            report.nodeid,
            report.when,
            "carried over" if carried and report.when == "call" else report.outcome,
            xfail=hasattr(report, "wasxfail"),
        )
        spec = self.spec_for(report)
        if spec is None:
            self._name_phase_check(report)
            return
        self.started.add(spec.label)
        self.case_names[report.nodeid] = junit.case_names(
            self.ctx.plan.name, spec.phase, spec.label
        )
        data = getattr(report, "aperture", None)
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
        if phase is not None:
            self.case_names[report.nodeid] = junit.check_case_names(
                self.ctx.plan.name, phase, report.nodeid
            )

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = f"{self.ctx.plan.name} · aperture-verify"

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
        summary_block = html_report.summary_html(run, self.ctx.run_line, self.history_link())
        prefix.append(redact(summary_block, self.secrets))

    # -- carried over (--resume) -------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Before the first test: the workflows an earlier run passed, in plan order."""
        if not self.config.getoption("collectonly"):
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
            for r in in_plan_order(self.ctx.plan, self.ctx.ledger.results())
            if r.carried_over_from is not None
        ]
        if not carried:
            return
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        hook = self.config.pluginmanager.subset_hook_caller(
            "pytest_runtest_logreport", remove_plugins=[tr] if tr is not None else []
        )
        for result in carried:
            nodeid = f"carried-over/{result.phase}::{result.label}"
            self.ctx.labels_by_nodeid[nodeid] = result.label
            for report in _carried_reports(nodeid, result):
                hook(report=report)

    # -- end of the run ----------------------------------------------------------

    def before_writers(self, session: pytest.Session) -> None:
        """Before LogXML and pytest-html write: fill the gaps, write results.json."""
        self.finished_at = datetime.now(UTC)
        if self.live is not None:  # [live report] stops before the final reports are written
            self.live.close()
        if self.config.getoption("collectonly"):
            return
        self._report_carried_over()  # when the run stopped before its test loop
        self._report_not_run(session)
        run = self.summary()
        run.exit_status = int(session.exitstatus)
        self.ctx.run_line = run_time_line(run.duration, self.tally)
        self.results_doc = write_results(self.reports_dir / RESULTS_FILE, run)
        self._metadata()  # workers' metadata may have been merged in since the start

    def after_writers(self) -> None:
        """Once LogXML wrote junit.xml: the cases named and completed for Jenkins."""
        if self.junit_path is None or not self.junit_path.is_file():
            return
        cases = {
            junit.case_names(self.ctx.plan.name, r.phase, r.label): r
            for r in self.ctx.ledger.results()
        }
        junit.finish_file(
            self.junit_path,
            self.ctx.plan.name,
            self.case_names,
            cases,
            self.secrets,
            prefix=self.config.option.junitprefix,
        )

    def write_history_page(self) -> None:
        """[history page] history.html beside report.html, once the run is recorded."""
        if self.html_path is None or self.history.path is None or not self.history.recorded:
            return
        problem = write_history_page(
            self.history.path, self.ctx.plan, self.html_path.parent / HISTORY_FILE
        )
        if problem is not None:
            self.history.problem = problem  # one line in the terminal summary

    def _report_not_run(self, session: pytest.Session) -> None:
        """Every selected workflow without a result is reported skipped, with the reason.

        That covers ``-x``/``--maxfail``, an interruption and a crash of the run
        before a phase started, also under xdist, so Jenkins' counts stay stable.
        """
        # The selected workflow tests; when nothing was collected, the whole plan.
        selected = self.ctx.selected
        collected = [self.labels[x] for x in self.ctx.labels_by_nodeid.values() if x in self.labels]
        expected = list(dict.fromkeys(collected)) or [
            w for w in self.ctx.plan.workflows if selected is None or w.label in selected
        ]
        # A workflow the recorder found running at an interruption has a result (its job
        # was cancelled) but no report: it needs one too, or JUnit would miss its case.
        missing = [s for s in expected if s.label not in self.verdicts]
        if not missing:
            return
        why = session.shouldfail or session.shouldstop
        if why:
            reason = f"the run stopped early ({why})"
        elif int(session.exitstatus) == int(pytest.ExitCode.INTERRUPTED):
            reason = "the run was interrupted"
        else:
            reason = "the run ended before it"
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        # The terminal keeps pytest's own account; the reports and the ledger get these.
        hook = self.config.pluginmanager.subset_hook_caller(
            "pytest_runtest_logreport", remove_plugins=[tr] if tr is not None else []
        )
        nodeid_of = {label: n for n, label in self.ctx.labels_by_nodeid.items()}
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
            self.ctx.labels_by_nodeid.setdefault(nodeid, spec.label)  # its JUnit case is named
            for report in _skipped_reports(nodeid, result):
                hook(report=report)


def _skipped_reports(nodeid: str, result: WorkflowResult) -> list[pytest.TestReport]:
    """A skipped set-up and its teardown, as pytest would report a skipped test."""
    now = time.time()
    path = nodeid.split("::")[0]
    location = (path, None, nodeid.split("::")[-1])
    setup = pytest.TestReport(
        nodeid,
        location,
        {},
        "skipped",
        (path, 0, f"Skipped: {result.message}"),
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


def _carried_reports(nodeid: str, result: WorkflowResult) -> list[pytest.TestReport]:
    """A passed set-up, call and teardown carrying *result*, as pytest would report them."""
    now = time.time()
    path = nodeid.split("::")[0]
    location = (path, None, nodeid.split("::")[-1])
    reports = []
    for when in ("setup", "call", "teardown"):
        report = pytest.TestReport(
            nodeid, location, {}, "passed", None, when, duration=0.0, start=now, stop=now,
            user_properties=[("phase", result.phase)] if when == "call" else [],
        )  # fmt: skip
        if when == "call":
            report.aperture = result.to_dict()  # type: ignore[attr-defined]
        reports.append(report)
    return reports


def _extra(content: str, format_type: str, name: str | None = None) -> dict[str, Any]:
    """A pytest-html extra as a plain dict (what ``pytest_html.extras`` builds)."""
    return {
        "name": name,
        "format_type": format_type,
        "content": content,
        "mime_type": None,
        "extension": None,
    }
