"""On the controller (or the only process): collect verdicts, end the session in order."""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import pytest

from aperture_verify.client.models import Job
from aperture_verify.errors import ApertureError
from aperture_verify.execution.exitcodes import exit_status_for
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.plugin.context import RunContext
from aperture_verify.plugin.history import RunHistory
from aperture_verify.plugin.reports import ReportPlugin

log = logging.getLogger(__name__)


class RunRecorder:
    """Records each workflow's verdict in the ledger as its report arrives."""

    def __init__(self, config: pytest.Config, ctx: RunContext) -> None:
        self.config = config
        self.ctx = ctx
        self.cancelled: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "aperture", None)
        check = getattr(report, "aperture_check", None)
        if check is not None:
            self.ctx.ledger.record_check_failure(check["phase"], check["name"])
        if data is not None:
            self.ctx.ledger.record(WorkflowResult.from_dict(data))
        elif str(report.when) == "???" and report.failed:  # an xdist worker died running it
            spec = self._spec_for(report)
            if spec is not None:
                result = WorkflowResult(spec.label, spec.phase, outcome=Outcome.FAILED)
                result.failure_kind = FailureKind.CRASH
                result.message = str(report.longrepr)
                # Its job may still run on the server: cancel it now, before the
                # scheduler lets the next phase start, so the barrier really holds.
                for job_id, _label, job in self.ctx.cancel_unfinished_jobs(spec.label):
                    self.cancelled.append(job_id)
                    result.record_job(job)  # its times, as the server has them
                    result.message += f"; its job {job_id} was cancelled"
                self.ctx.ledger.record(result)
            # xdist reports a crash with when="???", which JUnit would file as a set-up
            # <error>; it is the test's own failure, so it is reported as one.
            report.when = "call"

    def _spec_for(self, report: pytest.TestReport) -> Any:
        label = getattr(report, "aperture_label", None) or self.ctx.labels_by_nodeid.get(
            report.nodeid
        )
        return next((s for s in self.ctx.plan.workflows if s.label == label), None)

    def finish(self, session: pytest.Session, exitstatus: int) -> None:
        """Leave no job running on the server, and record the interrupted ones.

        Also refines pytest's "tests failed" into the kind of failure (exitcodes.py).
        """
        if self.ctx.dry_run_status is not None:
            session.exitstatus = self.ctx.dry_run_status
            return
        if self.ctx.login_error is None and self.ctx.url != "emulator":
            for job_id, label, job in self.ctx.cancel_unfinished_jobs():
                self.cancelled.append(job_id)
                self._record_interrupted(label, job_id, job)
            if int(exitstatus) == int(pytest.ExitCode.INTERRUPTED):
                self._record_jobs_the_workers_ended()
        status = exit_status_for(int(exitstatus), self.ctx.ledger.results())
        if status != exitstatus:
            session.exitstatus = status

    def _record_interrupted(self, label: str, job_id: str, job: Job) -> None:
        """An interrupted workflow without a verdict, with its job's times (the summary
        shows when it ran, not "- → -")."""
        spec = next((w for w in self.ctx.plan.workflows if w.label == label), None)
        if spec is None or self.ctx.ledger.get(label) is not None:
            return
        result = WorkflowResult(label, spec.phase, outcome=Outcome.INTERRUPTED)
        result.record_job(job)
        done = "was cancelled" if job.state == "CANCELLED" else f"ended {job.state}"
        result.message = f"the run was interrupted; job {job_id} {done}"
        self.ctx.ledger.record(result)

    def _record_jobs_the_workers_ended(self) -> None:
        """After Ctrl-C under xdist each worker cancels its own job and is gone before
        its report: the job is asked of the server, once, for its times."""
        for job_id, label in self.ctx.ended_jobs():
            if self.ctx.ledger.get(label) is not None:
                continue
            try:
                job = self.ctx.client.get_job(job_id)
            except ApertureError as e:
                log.warning("could not read job %s: %s", job_id, e)
                continue
            self._record_interrupted(label, job_id, job)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.ctx.dry_run_status is not None:
            return
        from aperture_verify.plugin.terminal import write_terminal_summary

        write_terminal_summary(terminalreporter, self.ctx)
        if self.cancelled:
            terminalreporter.write_line(
                f"aperture: cancelled {len(self.cancelled)} unfinished job(s) on the server: "
                + ", ".join(self.cancelled),
                yellow=True,
            )


class EndOfSession:
    """The controller's end of the run, one step after the other.

    pytest's own writers (LogXML's junit.xml, pytest-html's report.html) run
    inside this wrapper; what must come before or after them is written here
    in order rather than left to hook registration order.
    """

    def __init__(
        self, recorder: RunRecorder, reports: ReportPlugin | None, history: RunHistory
    ) -> None:
        self.recorder = recorder
        self.reports = reports
        self.history = history

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        # 1. No job left running on the server; the interrupted ones recorded;
        #    the exit status refined. The reports must see all of that.
        self.recorder.finish(session, exitstatus)
        # 2. Workflows that never ran reported as skipped (to LogXML and
        #    pytest-html too, which are yet to write); results.json written.
        if self.reports is None:  # a dry run: no report
            return (yield)
        self.reports.before_writers(session)
        try:
            # 3. pytest writes junit.xml and report.html.
            return (yield)
        finally:
            # 4. junit.xml rewritten for Jenkins.
            self.reports.after_writers()
            # 5. The run recorded in the history, from its results.json document
            #    (never fails the run; a problem is one line in the summary).
            if self.reports.results_doc is not None:
                self.history.record(self.reports.results_doc)
            # 6. [history page] history.html beside report.html, from the history just written.
            self.reports.write_history_page()
