"""Run one workflow of a plan and judge it: readiness, execute, wait, check.

Failures are raised as ``WorkflowFailed`` carrying their kind (login,
readiness, execution); the pytest side turns one into a test failure with
that message and no traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.models import Job, Workflow
from aperture_verify.common.durations import format_duration
from aperture_verify.errors import (
    ApertureError,
    AuthenticationError,
    ClientError,
    JobLostError,
    WorkflowNotReadyError,
)
from aperture_verify.execution.checks import check_job
from aperture_verify.execution.polling import PollSchedule
from aperture_verify.execution.results import FailureKind, Outcome, Transition, WorkflowResult
from aperture_verify.execution.warnings import warnings_for
from aperture_verify.history.bands import Usual
from aperture_verify.plan.model import WorkflowSpec

log = logging.getLogger(__name__)

#: Added to a workflow's max_duration before the suite gives up and cancels the job.
DEADLINE_GRACE = 5.0

_CHECK_IT = "it may still be running; check it in Data Studio"


class WorkflowFailed(ApertureError):
    """A workflow did not pass; ``kind`` says which stage failed.

    ``str()`` is ``<kind>: <message>``, the line the test fails with.
    """

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(f"{kind.label}: {message}")
        self.kind = kind


def _now() -> datetime:
    return datetime.now(UTC)


class WorkflowRunner:
    """Executes workflows on one server and produces ``WorkflowResult`` verdicts.

    *catalog* is the server's workflow list fetched once per run by the
    controller; readiness is checked against it without a request per test.
    *on_job_started* / *on_job_ended* let the caller track active jobs (to
    cancel them when the run is interrupted).
    """

    def __init__(
        self,
        client: DataStudioClient,
        *,
        catalog: Sequence[Workflow] | None = None,
        poll: PollSchedule | None = None,
        job_url: str | None = None,
        deadline_grace: float = DEADLINE_GRACE,
        on_job_started: Callable[[str, str], None] | None = None,
        on_job_ended: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        usual: Mapping[str, Usual] | None = None,
        warnings_fail: bool = False,
    ) -> None:
        self.client = client
        self.catalog = list(catalog) if catalog is not None else None
        self.poll = poll or PollSchedule()
        self.job_url = job_url
        self.deadline_grace = deadline_grace
        self._on_started = on_job_started or (lambda _job_id, _label: None)
        self._on_ended = on_job_ended or (lambda _job_id: None)
        self._clock = clock
        self._sleep = sleep
        self.usual = dict(usual or {})  # label -> its bands from the run history
        self.warnings_fail = warnings_fail

    # -- readiness -------------------------------------------------------

    def check_ready(self, spec: WorkflowSpec) -> Workflow:
        """The workflow exists in its space and can run with the version asked for."""
        if self.catalog is None:
            try:
                self.catalog = self.client.list_workflows()
            except AuthenticationError as e:
                raise WorkflowFailed(FailureKind.LOGIN, str(e)) from e
            except ClientError as e:
                raise WorkflowFailed(FailureKind.READINESS, str(e)) from e
        in_space = [w for w in self.catalog if w.label == spec.label and w.space == spec.space]
        if not in_space:
            elsewhere = sorted({w.space for w in self.catalog if w.label == spec.label})
            hint = (
                f"it exists in space(s) {', '.join(elsewhere)}; set space in plans.toml"
                if elsewhere
                else "check the external label in Data Studio and in plans.toml"
            )
            raise WorkflowFailed(
                FailureKind.READINESS,
                f"no workflow with external label '{spec.label}' in space '{spec.space}'; {hint}",
            )
        workflow = in_space[0]
        if spec.version == "PublishedOnly" and not workflow.published:
            raise WorkflowFailed(
                FailureKind.READINESS,
                f"workflow '{spec.label}' has no published version and the plan asks for "
                'version = "PublishedOnly"; publish it or set version = "PreferDraft"',
            )
        return workflow

    # -- execution -------------------------------------------------------

    def run(self, spec: WorkflowSpec, result: WorkflowResult) -> WorkflowResult:
        """Check readiness, execute, wait for the end and check; fill *result*.

        Raises ``WorkflowFailed`` on any failure, after *result* has recorded it.
        """
        result.min_duration = spec.min_duration
        result.max_duration = spec.max_duration
        try:
            self.check_ready(spec)
            job = self._execute(spec)
            result.record_job(job)
            if self.job_url:
                result.job_url = self.job_url.format(job_id=job.id)
            job = self._wait(spec, job, result)
            result.checks = check_job(spec, job)
            failed = result.failed_checks
            if failed:
                lines = "; ".join(c.describe(spec.label) for c in failed)
                extra = f" (server: {job.error})" if job.error else ""
                raise WorkflowFailed(FailureKind.EXECUTION, lines + extra)
            result.warnings = warnings_for(spec, job, self.usual.get(spec.label))
            if result.warnings and self.warnings_fail:
                reasons = "; ".join(w.message for w in result.warnings)
                raise WorkflowFailed(FailureKind.EXECUTION, f"{reasons} (--warnings-fail)")
        except WorkflowFailed as e:
            result.outcome = Outcome.FAILED
            result.failure_kind = e.kind
            result.message = str(e)
            raise
        result.outcome = Outcome.PASSED
        return result

    def _execute(self, spec: WorkflowSpec) -> Job:
        try:
            job = self.client.execute(
                spec.label,
                space=spec.space,
                version=spec.version,
                dependencies=spec.dependencies,
                refresh_sources=spec.refresh_sources,
                parameters=dict(spec.parameters) or None,
                sources=dict(spec.sources) or None,
            )
        except AuthenticationError as e:
            raise WorkflowFailed(FailureKind.LOGIN, str(e)) from e
        except WorkflowNotReadyError as e:
            raise WorkflowFailed(FailureKind.READINESS, str(e)) from e
        except ClientError as e:
            raise WorkflowFailed(FailureKind.EXECUTION, f"could not start the job: {e}") from e
        self._on_started(job.id, spec.label)
        return job

    def _wait(self, spec: WorkflowSpec, job: Job, result: WorkflowResult) -> Job:
        """Poll until the job is terminal; cancel it past the deadline."""
        profile = self.client.profile
        start = self._clock()
        deadline = start + spec.max_duration + self.deadline_grace
        result.transitions.append(Transition(job.state, _now()))
        try:
            while not profile.is_terminal(job.state):
                now = self._clock()
                if now >= deadline:
                    cancelled = self._cancel(job, result)
                    raise WorkflowFailed(
                        FailureKind.EXECUTION,
                        f"{spec.label} did not finish within max_duration "
                        f"{format_duration(spec.max_duration)} "
                        f"(+{format_duration(self.deadline_grace)} grace); last state "
                        f"{job.state}; "
                        + (
                            f"job {job.id} was cancelled on the server"
                            if cancelled
                            else f"cancelling job {job.id} failed: {_CHECK_IT}"
                        ),
                    )
                self._sleep(self.poll.interval(now - start, deadline - now))
                try:
                    job = self.client.get_job(job.id)
                except JobLostError as e:
                    self._on_ended(job.id)
                    raise WorkflowFailed(FailureKind.EXECUTION, str(e)) from e
                except AuthenticationError as e:
                    raise WorkflowFailed(FailureKind.LOGIN, str(e)) from e
                except ClientError as e:
                    cancelled = self._cancel(job, result)
                    raise WorkflowFailed(
                        FailureKind.EXECUTION,
                        f"lost contact while waiting for job {job.id}: {e}; "
                        + (
                            "the job was cancelled"
                            if cancelled
                            else f"cancelling it failed too: {_CHECK_IT}"
                        ),
                    ) from e
                result.polls += 1
                result.record_job(job)
                if job.state != result.transitions[-1].state:
                    result.transitions.append(Transition(job.state, _now()))
        except KeyboardInterrupt:
            self._cancel(job, result)
            raise
        result.recorded_at = _now()
        self._on_ended(job.id)
        return job

    def _cancel(self, job: Job, result: WorkflowResult) -> bool:
        """Cancel *job* on the server; a failure to cancel is logged and returns ``False``.

        A job that could not be cancelled stays marked active, so the end of the
        session tries again.
        """
        try:
            cancelled = self.client.cancel_job(job.id)
        except ClientError as e:
            log.warning("could not cancel job %s: %s", job.id, e)
            return False
        self._on_ended(job.id)
        result.record_job(cancelled)
        result.transitions.append(Transition(cancelled.state, _now()))
        return True
