"""The controller: the process that owns the run (the xdist controller, or the only process).

One ``Controller`` is registered per run. Its start-up (``start``) and its
end (``pytest_sessionfinish``) are each one sequence, written down in order:

start-up
    0. the run lock (``scheduled``), 1. the outage announcer (``announcer``),
    2. the emulator, if the plan asks for one (``connection``), 3. the login
    check, catalog and preflight (``connection``) and the history's bands
    (``past_runs``): under xdist in a thread, while the workers start (it ends
    before the first test is sent); otherwise at once, and a failed login or a
    dry run then runs without workers, 4. ``--resume``'s carried-over results
    into the ledger, 5. the reports (``reports``), unless a dry run, 6. the
    monitor's start ping (``notifying``).
end of the session
    1. no job left running on the server, the interrupted ones recorded, the
    exit status refined; 2. the workflows and phase checks that never ran
    reported skipped, results.json written; 3. pytest writes junit.xml and
    report.html; 4. junit.xml completed for Jenkins; 5. the run recorded in the
    history; 6. history.html written beside report.html; 7. the notifications
    and the end ping (``notifying``). The log's last line, the verdict, is
    written at ``pytest_unconfigure``.

Between the two it records each verdict as its report arrives, builds the
scheduler, tells each worker what it found (``Handoff``), and writes the
whole terminal summary. A dry run (``--dry-run``) is a mode of the
controller: collection happens as in a real run, then ``dryrun`` prints the
plan instead of the test loop.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Generator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.models import Job
from aperture_verify.errors import ApertureError, ClientError, PlanError
from aperture_verify.execution.exitcodes import exit_status_for
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runlock import RunLock
from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plugin import notifying, terminal
from aperture_verify.plugin.announcer import OutageAnnouncer, TerminalLines
from aperture_verify.plugin.connection import (
    Connection,
    Handoff,
    LoginOutcome,
    check_login,
    start_server,
)
from aperture_verify.plugin.past_runs import RunHistory
from aperture_verify.plugin.reports import ReportPlugin
from aperture_verify.plugin.rundir import OutageNotes, RunDirectory, RunLedger
from aperture_verify.plugin.safety import tls_metadata, transport_warnings
from aperture_verify.plugin.scheduled import stopped_before_start, take_run_lock
from aperture_verify.plugin.scheduler import ItemKey, PhaseScheduling
from aperture_verify.plugin.settings import RunSettings, run_in_this_process, uses_workers
from aperture_verify.plugin.signals import deferred, stop_signal_received

log = logging.getLogger(__name__)


class Controller:
    """The controller's state and hooks (see the module doc)."""

    def __init__(self, config: pytest.Config, settings: RunSettings) -> None:
        self.config = config
        self.settings = settings
        self.plan = settings.plan
        self.run_id = uuid.uuid4().hex
        self.run_dir = RunDirectory.create()
        self.ledger = RunLedger(self.run_dir.path, writer=True)
        self.history = RunHistory(settings.history_path, self.plan)
        self.connection = Connection(
            "emulator" if self.plan.server.is_emulator else self.plan.server.url,
            settings.credentials,
        )
        self.announcer: OutageAnnouncer | None = None
        self.reports: ReportPlugin | None = None  # unless a dry run
        #: A workflow test's node id -> its workflow label (pytest escapes non-ASCII in ids).
        self.labels_by_nodeid: dict[str, str] = {}
        self.preflight_failures: dict[str, str] = {}
        self.cancelled: list[str] = []
        self.dry_run_status: int | None = None
        self.session: pytest.Session | None = None
        self.outcome: LoginOutcome | None = None  # once the login check is over
        self._login: threading.Thread | None = None  # the login check, under xdist
        self._login_failure: BaseException | None = None
        self._login_said = False
        self.notifier = notifying.make_notifier(settings)  # issue 21
        self.lock: RunLock | None = None  # issue 22: one run of the plan per server
        self._session_finished = False  # pytest_sessionfinish reached
        self.scheduler: PhaseScheduling | None = None  # under xdist

    # -- start-up ------------------------------------------------------------------

    def start(self) -> None:
        """The run's start-up, in order (see the module doc). On an exception nothing is
        left behind: no run directory, no emulator, no thread."""
        settings = self.settings
        connects = not settings.collect_only
        try:
            # issue 22: the run lock, before the first request (exit 15 if held)
            self.lock = take_run_lock(
                self.plan, settings.lock_dir, executes=connects and not settings.dry_run
            )
            self.announcer = OutageAnnouncer(self.run_dir.path, TerminalLines())
            self.announcer.start()
            if connects:
                self.connection = start_server(self.plan, settings.credentials)
                if uses_workers(self.config) and not settings.dry_run:
                    # The workers start meanwhile; none gets a test before it is over.
                    self._login = threading.Thread(
                        target=self._check_login, name="aperture-login", daemon=True
                    )
                    self._login.start()
                else:
                    self._check_login()
                    if self._login_failure is not None:
                        raise self._login_failure
                    if self.connection.login_error is not None:
                        run_in_this_process(self.config)  # nothing can run
            if settings.dry_run:
                run_in_this_process(self.config)  # nothing is executed
            if settings.resume is not None:
                for result in settings.resume.carried:
                    self.ledger.record(result)
            if not settings.dry_run:
                self.reports = ReportPlugin(self.config, self)
                self.config.pluginmanager.register(self.reports, "aperture-reports")
            if self.notifier is not None:  # issue 21: the monitor's start ping
                self.notifier.start(self.run_id)
        except PlanError as e:
            self.close()
            raise pytest.UsageError(str(e)) from None
        except KeyboardInterrupt:  # issue 22: a signal during the start-up leaves reports
            self.close()
            if not settings.collect_only:
                stopped_before_start(self.plan.name, self._report_paths(), this_run=self.run_id)
            raise
        except BaseException:
            self.close()
            raise

    def _check_login(self) -> None:
        """The login check, the catalog, the preflight, the history's bands: the outcome
        kept and written for the workers (``login.json``)."""
        try:
            conn = self.connection
            check_login(
                conn,
                self.plan,
                wait_for_server=self.settings.wait_for_server,
                preflight=self.settings.preflight,
                on_outage=OutageNotes(self.run_dir.path),
            )
            if not self.settings.dry_run:
                self.history.load()
            self.outcome = LoginOutcome(
                login_error=conn.login_error,
                catalog=tuple(conn.catalog) if conn.catalog is not None else None,
                preflight_failures=dict(conn.preflight_failures),
                usual=dict(self.history.usual),
            )
            self.preflight_failures = dict(conn.preflight_failures)
            self.run_dir.write_login(self.outcome.to_dict())
        except BaseException as e:  # raised where the check is waited for
            self._login_failure = e

    def finish_login(self) -> None:
        """Wait for the login check (under xdist it runs while the workers start); say
        what it found, once."""
        if self._login is not None:
            self._login.join()
            self._login = None
        if self._login_failure is not None:
            failure, self._login_failure = self._login_failure, None
            raise failure
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if self._login_said or tr is None or self.outcome is None:
            return
        self._login_said = True
        terminal.write_login(tr, self.connection, self.preflight_failures)

    def _report_paths(self) -> tuple[Path, Path, Path]:
        """(results.json, junit.xml, report.html) of this run."""
        s = self.settings
        return (
            s.reports_dir / "results.json",
            s.junit_path or s.reports_dir / "junit.xml",
            s.html_path or s.reports_dir / "report.html",
        )

    def handoff(self) -> Handoff:
        """What every process that runs tests receives (a worker: in ``workerinput``)."""
        conn = self.connection
        return Handoff(
            run_dir=self.run_dir.path,
            url=conn.url,
            credentials=conn.credentials,
            run_id=self.run_id,
            outcome=self.outcome,
        )

    @property
    def resumed_from(self) -> tuple[str, datetime | None] | None:
        """(run id, start) of the run ``--resume`` carries results over from."""
        resume = self.settings.resume
        return (resume.previous.run_id, resume.previous.started_at) if resume else None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        tls_metadata(self.config, self.plan)
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            notifying.write_first_lines(tr, self.run_id, self.settings.utc, self.notifier)
            terminal.write_start(tr, self.settings, self.connection)
            if self._login is None:
                self.finish_login()
            terminal.announce_selection(tr, self.settings)

    # -- workers and their collection ------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["aperture"] = {
            "settings": self.settings.to_workerinput(),
            "run": self.handoff().to_workerinput(),
            "args": list(self.config.args),  # what this run collects (settings.resolve)
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """A worker whose session ended normally is let go at once. xdist asks its
        workers' processes to exit only at the end of the run, all together; a worker
        the scheduler shut down early (it had nothing left to run in the last phase)
        then exits while the last workflows run, and the run's end waits for fewer."""
        if error is None:
            node.gateway.exit()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> PhaseScheduling:
        def load_keys(node: Any, collection: Sequence[str]) -> dict[int, ItemKey]:
            found = self.run_dir.read_collection(node.gateway.id) or {}
            keys: dict[int, ItemKey] = {}
            for index, nodeid in enumerate(collection):
                entry = found[nodeid]
                stage = entry["stage"]
                keys[index] = ItemKey((int(stage[0]), int(stage[1])), entry["barrier"])
            return keys

        def collected(count: int) -> None:
            if self.session is not None:
                self.session.testscollected = count  # barrier items are not tests

        self.scheduler = PhaseScheduling(
            config, log, max_parallel=self.plan.max_parallel, load_keys=load_keys,
            on_collected=collected,
        )  # fmt: skip
        return self.scheduler

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Which workflow each collected test runs, from the worker's collection file.

        The first one waits for the login check: the scheduler sends no test before."""
        self.finish_login()
        found = self.run_dir.read_collection(node.gateway.id)
        if found is not None:
            self.collected({n: e["label"] for n, e in found.items() if e.get("label")})

    def collected(self, labels: dict[str, str]) -> None:
        """A worker's collection: node id -> label of each workflow test it will run."""
        self.labels_by_nodeid.update(labels)
        # Only the selected workflows' preflight failures stop the run (-k narrows it).
        chosen = set(self.labels_by_nodeid.values())
        self.preflight_failures = {k: v for k, v in self.preflight_failures.items() if k in chosen}
        if self.reports is not None:
            self.reports.collected()

    # -- the test loop ---------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """A dry run: the plan printed instead of the tests run."""
        if not self.settings.dry_run or self.settings.collect_only:
            return None
        from aperture_verify.plugin.dryrun import dry_run

        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        self.dry_run_status = dry_run(
            tr, self.settings, self.connection, set(self.labels_by_nodeid.values())
        )
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each verdict into the ledger as its report arrives."""
        data = getattr(report, "aperture", None)
        check = getattr(report, "aperture_check", None)
        if check is not None:
            self.ledger.record_check_failure(check["phase"], check["name"])
        if data is not None:
            self.ledger.record(WorkflowResult.from_dict(data))
        elif str(report.when) == "???" and report.failed:  # an xdist worker died running it
            spec = self.spec_for(report)
            if spec is not None:
                result = WorkflowResult(spec.label, spec.phase, outcome=Outcome.FAILED)
                result.failure_kind = FailureKind.CRASH
                result.message = str(report.longrepr)
                # Its job may still run on the server: cancel it now, before the
                # scheduler lets the next phase start, so the barrier really holds.
                for job_id, _label, job in self.cancel_unfinished_jobs(spec.label):
                    self.cancelled.append(job_id)
                    result.record_job(job)  # its times, as the server has them
                    result.message += f"; its job {job_id} was cancelled"
                self.ledger.record(result)
            # xdist reports a crash with when="???", which JUnit would file as a set-up
            # <error>; it is the test's own failure, so it is reported as one.
            report.when = "call"

    def spec_for(self, report: Any) -> WorkflowSpec | None:
        """The workflow a test report is of: the label the report carries, or the one
        collected for its node id (never parsed from the id: pytest escapes it)."""
        label = getattr(report, "aperture_label", None) or self.labels_by_nodeid.get(report.nodeid)
        return next((s for s in self.plan.workflows if s.label == label), None)

    # -- jobs on the server ------------------------------------------------------------

    def cancel_unfinished_jobs(self, label: str | None = None) -> list[tuple[str, str, Job]]:
        """Cancel the run's jobs still marked active (of *label* only, if given).

        During an outage each cancel is attempted once, so that the end of an
        interrupted run does not wait on a server that cannot be reached.
        Returns (job id, label, the job as the cancel left it) of each job cancelled.
        """
        client = self.connection.client
        if client is None:
            return []
        cancelled = []
        once = self.in_outage()
        for job_id, job_label in self.run_dir.unfinished_jobs():
            if label is not None and job_label != label:
                continue
            try:
                cancelled.append((job_id, job_label, client.cancel_job(job_id, once=once)))
            except ClientError as e:
                log.warning("could not cancel job %s: %s", job_id, e)
            self.run_dir.job_ended(job_id)
        return cancelled

    def in_outage(self) -> bool:
        """Whether some process of the run cannot reach the server now."""
        if self.announcer is None:
            return False
        self.announcer.poll()
        return self.announcer.in_outage

    def _record_interrupted(self, label: str, job_id: str, job: Job) -> None:
        """An interrupted workflow without a verdict, with its job's times (the summary
        shows when it ran, not "- → -")."""
        spec = next((w for w in self.plan.workflows if w.label == label), None)
        if spec is None or self.ledger.get(label) is not None:
            return
        result = WorkflowResult(label, spec.phase, outcome=Outcome.INTERRUPTED)
        result.record_job(job)
        done = "was cancelled" if job.state == "CANCELLED" else f"ended {job.state}"
        result.message = f"not finished: the run was interrupted while it ran; job {job_id} {done}"
        self.ledger.record(result)

    def _record_jobs_the_workers_ended(self) -> None:
        """After Ctrl-C under xdist each worker cancels its own job and is gone before
        its report: the job is asked of the server, once, for its times."""
        client = self.connection.client
        for job_id, label in self.run_dir.ended_jobs():
            if self.ledger.get(label) is not None or client is None:
                continue
            try:
                job = client.get_job(job_id)
            except ApertureError as e:
                log.warning("could not read job %s: %s", job_id, e)
                continue
            self._record_interrupted(label, job_id, job)

    # -- end of the session ----------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        """The end of the run (``_finish``). Issue 22: a stop signal while the reports
        are written is held back until they are complete; the run then ends with exit
        status 2."""
        self._session_finished = True
        with deferred() as received:
            yield from self._finish(session, exitstatus)
        if received:
            session.exitstatus = pytest.ExitCode.INTERRUPTED

    def _finish(self, session: pytest.Session, exitstatus: int) -> Generator[None, None, None]:
        """The end of the run, one step after the other.

        pytest's own writers (LogXML's junit.xml, pytest-html's report.html) run
        inside this wrapper; what must come before or after them is written
        here in order rather than left to hook registration order.
        """
        if self.dry_run_status is not None:
            session.exitstatus = self.dry_run_status
            return (yield)
        if int(exitstatus) == int(pytest.ExitCode.INTERRUPTED) and self._stopped_by_maxfail():
            exitstatus = int(pytest.ExitCode.TESTS_FAILED)  # refined in step 1 below
        # 0. The login check over, if no worker ever collected (an interrupted run does
        #    not wait for it: it may be riding out an outage).
        if self._login is None or int(exitstatus) != int(pytest.ExitCode.INTERRUPTED):
            self.finish_login()
        # 1. No job left running on the server; the interrupted ones recorded;
        #    the exit status refined (exitcodes.py). The reports must see all that.
        if self.connection.login_error is None and self.connection.client is not None:
            for job_id, label, job in self.cancel_unfinished_jobs():
                self.cancelled.append(job_id)
                self._record_interrupted(label, job_id, job)
            if int(exitstatus) == int(pytest.ExitCode.INTERRUPTED):
                self._record_jobs_the_workers_ended()
        status = exit_status_for(int(exitstatus), self.ledger.results())
        if status != exitstatus:
            session.exitstatus = status
        if self.reports is None:
            return (yield)
        # 2. Workflows and phase checks that never ran reported as skipped (to LogXML
        #    and pytest-html too, which are yet to write); results.json written. A phase
        #    check a worker was given, whose first report the interruption kept from
        #    reaching this process, counts as cut short (as one whose report did).
        if self.scheduler is not None and int(exitstatus) == int(pytest.ExitCode.INTERRUPTED):
            for nodeid in self.scheduler.given_out():
                if nodeid not in self.labels_by_nodeid:
                    self.reports.check_given_out(nodeid)
        self.reports.before_writers(session, self.collected_tests(session))
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
            # 7. issue 21: the run's notifications and the monitor's end ping, after every
            #    report (never fails the run: a failed send is a warning line and an entry
            #    in results.json's "notifications").
            notifying.finish_notifications(self.notifier, self.reports, self.history.path)

    def _stopped_by_maxfail(self) -> bool:
        """Whether ``-x`` / ``--maxfail`` stopped the run under xdist, which ends it as
        "interrupted" (2) where a ``-n 0`` run ends "tests failed" (1): xdist raises
        ``Interrupted`` with the workers' "stopping after N failures". No signal came."""
        if not self.settings.maxfail or stop_signal_received():
            return False
        reason = getattr(self.config.pluginmanager.get_plugin("dsession"), "shouldstop", None)
        return isinstance(reason, str) and reason.startswith("stopping after")

    def collected_tests(self, session: pytest.Session) -> list[str]:
        """The node ids of the run's collected tests, in run order, barrier items left out:
        the scheduler's collection under xdist (a worker's collection file, if the
        scheduler has none yet), the session's items in this process."""
        if self.scheduler is not None:
            tests = self.scheduler.tests()
            return tests if tests is not None else self.run_dir.collected_tests()
        return [item.nodeid for item in getattr(session, "items", ())]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The whole summary: the workflows by phase, cancelled jobs, warnings."""
        tr = terminalreporter
        if self.dry_run_status is None:
            terminal.write_summary(
                tr,
                self.plan,
                self.ledger.results(),
                collected=set(self.labels_by_nodeid.values()),
                selected=self.settings.selection.labels,
                run_line=self.reports.run_line if self.reports is not None else None,
                utc=self.settings.utc,
            )
            if self.cancelled:
                tr.write_line(
                    f"aperture: cancelled {len(self.cancelled)} unfinished job(s) on the "
                    "server: " + ", ".join(self.cancelled),
                    yellow=True,
                )
        for warning in transport_warnings(self.plan):
            tr.write_line(f"aperture: WARNING: {warning}", yellow=True, bold=True)
        if self.history.problem:
            tr.write_line(f"aperture: WARNING: {self.history.problem}", yellow=True)

    def pytest_unconfigure(self) -> None:
        if not self._session_finished and self.reports is not None:
            # Stopped before the session began (a signal while xdist starts the workers
            # and the login check waits for the server): pytest calls no sessionfinish,
            # so the reports must say so here, not keep the previous run's.
            stopped_before_start(
                self.plan.name,
                self._report_paths(),
                "the start-up (starting the workers, waiting for the server, login)",
                self.run_id,
            )
        if self.dry_run_status is None:  # issue 21: the log's last lines
            notifying.write_last_lines(
                self.config.pluginmanager.get_plugin("terminalreporter"),
                self.notifier,
                self.reports,
                int(self.session.exitstatus) if self.session is not None else None,
                utc=self.settings.utc,
                cwd=self.config.invocation_params.dir,
            )
        self.close()

    def close(self) -> None:
        # A login check still running (an interrupted start) is a daemon thread: it is
        # not waited for, and fails on the closed client if it gets that far.
        if self.announcer is not None:
            self.announcer.stop()
            self.announcer = None
        self.connection.close()
        self.run_dir.remove()
        if self.lock is not None:  # issue 22: after the reports
            self.lock.release()
            self.lock = None
