"""Run one workflow of a plan and judge it: readiness, execute, wait, check.

Failures are raised as ``WorkflowFailed`` carrying their kind (login,
readiness, execution); the pytest side turns one into a test failure with
that message and no traceback.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.models import Job, Workflow
from aperture_verify.client.rideout import (
    DEFAULT_OUTAGE_BUDGET,
    OutageRecord,
    ServerUnreachableError,
)
from aperture_verify.common.durations import format_duration
from aperture_verify.errors import (
    ApertureError,
    AuthenticationError,
    ClientError,
    JobLostError,
    WorkflowNotReadyError,
)
from aperture_verify.execution.expectations import check_job
from aperture_verify.execution.polling import PollSchedule
from aperture_verify.execution.readiness import listed_as, readiness_problem
from aperture_verify.execution.results import FailureKind, Outcome, Transition, WorkflowResult
from aperture_verify.execution.warning_rules import warnings_for
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
    *on_job_started* / *on_job_ended* / *job_active* let the caller track
    active jobs (to cancel them when the run is interrupted). While a workflow is started and
    watched, an outage of up to *outage_budget* seconds is ridden out (never
    cancelling the job); *on_outage* hears of each outage as it begins and
    ends (its record's ``ended_at`` is set then).
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
        job_active: Callable[[str], bool] | None = None,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        on_outage: Callable[[OutageRecord], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        usual: Mapping[str, Usual] | None = None,
        warnings_fail: bool = False,
    ) -> None:
        self.client = client
        self.catalog = list(catalog) if catalog is not None else None
        self._listed: set[str] = set()  # spaces this runner listed itself (per-space routes)
        self.poll = poll or PollSchedule()
        self.job_url = job_url
        self.deadline_grace = deadline_grace
        self._on_started = on_job_started or (lambda _job_id, _label: None)
        self._on_ended = on_job_ended or (lambda _job_id: None)
        self._job_active = job_active or (lambda _job_id: True)
        self.outage_budget = outage_budget
        self._on_outage = on_outage or (lambda _record: None)
        self._clock = clock
        self._sleep = sleep
        self.usual = dict(usual or {})  # label -> its bands from the run history
        self.warnings_fail = warnings_fail

    # -- readiness -------------------------------------------------------

    def workflows(self, spaces: Sequence[str] | None = None) -> list[Workflow]:
        """The server's catalog (of *spaces*, when it is listed per space), fetched once;
        a refusal is a login failure, any other failure to list it a readiness failure
        (``WorkflowFailed``)."""
        per_space = self.client.profile.workflows_per_space
        missing = [sp for sp in spaces or () if sp not in self._listed] if per_space else []
        if self.catalog is None or (self._listed and missing):
            try:
                found = self.client.list_workflows(missing or spaces)
                self.catalog = (self.catalog or []) + found
                self._listed.update(missing or spaces or ())
            except AuthenticationError as e:
                raise WorkflowFailed(FailureKind.LOGIN, str(e)) from e
            except ClientError as e:
                raise WorkflowFailed(FailureKind.READINESS, str(e)) from e
        return self.catalog

    def check_ready(self, spec: WorkflowSpec) -> Workflow:
        """The workflow exists in its space and can run with the version asked for."""
        catalog = self.workflows([spec.space])
        problem = readiness_problem(spec, catalog)
        if problem is not None:
            raise WorkflowFailed(FailureKind.READINESS, problem)
        return listed_as(spec, catalog)[0]

    # -- execution -------------------------------------------------------

    def run(self, spec: WorkflowSpec, result: WorkflowResult) -> WorkflowResult:
        """Check readiness, execute, wait for the end and check; fill *result*.

        Raises ``WorkflowFailed`` on any failure, after *result* has recorded it.
        """
        result.min_duration = spec.min_duration
        result.max_duration = spec.max_duration
        try:
            with self._riding_out(result, "readiness"):
                listed = self.check_ready(spec)
            with self._riding_out(result, "execute"):
                job = self._execute(spec, listed.label)  # as the server spells it
            result.record_job(job)
            if self.job_url:
                result.job_url = self.job_url.format(job_id=job.id)
            with self._riding_out(result, "polling"):
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

    @contextlib.contextmanager
    def _riding_out(self, result: WorkflowResult, during: str) -> Iterator[None]:
        def begun(record: OutageRecord) -> None:
            result.outages.append(record)
            self._on_outage(record)

        with self.client.riding_out(
            self.outage_budget, during, on_begin=begun, on_end=self._on_outage
        ):
            yield

    def _execute(self, spec: WorkflowSpec, label: str) -> Job:
        try:
            job = self.client.execute(
                label,
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
        except ServerUnreachableError as e:
            raise WorkflowFailed(
                FailureKind.UNREACHABLE,
                f"could not start {spec.label}: {e}; if an execute reached the server, a job "
                f"of it may be running: check Data Studio ({self._where()})",
            ) from e
        except ClientError as e:
            raise WorkflowFailed(FailureKind.EXECUTION, f"could not start the job: {e}") from e
        self._on_started(job.id, spec.label)
        return job

    def _wait(self, spec: WorkflowSpec, job: Job, result: WorkflowResult) -> Job:
        """Poll until the job is terminal; cancel it past the deadline."""
        start = self._clock()
        deadline = start + spec.max_duration + self.deadline_grace
        result.transitions.append(Transition(job.state, _now()))
        try:
            while not self._ended(job):
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
                except ServerUnreachableError as e:
                    # Not cancelled: nothing says the job is unwell, and the server
                    # cannot be reached to cancel it anyway. Nor is it left for the
                    # end of the run to cancel.
                    self._on_ended(job.id)
                    seen = result.transitions[-1]
                    raise WorkflowFailed(
                        FailureKind.UNREACHABLE,
                        f"{e}; job {job.id} was last seen {job.state} at "
                        f"{seen.seen_at.astimezone().strftime('%H:%M:%S')}; it may still be "
                        f"running: check it in Data Studio ({self._where(job.id)}); "
                        "it was not cancelled",
                    ) from e
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
            # once: if the controller's end of the run got to it first, not again
            if self._job_active(job.id):
                self._cancel(job, result, once=True)
            raise
        result.recorded_at = _now()
        self._on_ended(job.id)
        return job

    def _ended(self, job: Job) -> bool:
        """Final by its state, or -- a state the profile does not know (an
        administrator stopped it, say) -- by the end time the server gave it; such
        a job is then judged like any other, its state named in the failure."""
        profile = self.client.profile
        if profile.is_terminal(job.state):
            return True
        return not profile.is_known(job.state) and job.finished_at is not None

    def _where(self, job_id: str | None = None) -> str:
        if job_id is not None and self.job_url:
            return self.job_url.format(job_id=job_id)
        return self.client.base_url

    def _cancel(self, job: Job, result: WorkflowResult, *, once: bool = False) -> bool:
        """Cancel *job* on the server; a failure to cancel is logged and returns ``False``.

        A job that could not be cancelled stays marked active, so the end of the
        session tries again. *once*: one attempt, no retry (the run is being interrupted).
        """
        try:
            cancelled = self.client.cancel_job(job.id, once=once)
        except ClientError as e:
            log.warning("could not cancel job %s: %s", job.id, e)
            if once:  # attempted once, as promised: the end of the run does not try again
                self._on_ended(job.id)
            return False
        self._on_ended(job.id)
        result.record_job(cancelled)
        result.transitions.append(Transition(cancelled.state, _now()))
        return True
