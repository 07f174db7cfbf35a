"""Jobs and their state machine, on the real clock.

Nothing ticks: a job stores the times of its transitions when it is submitted
(QUEUED for ``queue_time``, then RUNNING for the jittered ``duration``, then
its outcome), and every read computes the state and step progress at "now".
So a ``JobRecord`` carries the true transition times, not the times someone
happened to look.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aperture_verify.client.models import Step
from aperture_verify.client.profile import DEFAULT_PROFILE, ApiProfile
from aperture_verify.emulator.scenario import StepScript, WorkflowScript


@dataclass(frozen=True)
class JobRecord:
    """A job as the emulator sees it at one moment, with exact transition times (UTC)."""

    job_id: str
    label: str
    space: str
    name: str
    state: str
    parameters: Mapping[str, Any] = field(hash=False)
    body: Mapping[str, Any] = field(hash=False)
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancelled: bool
    error: str | None
    steps: tuple[Step, ...]
    version: str  # "published" or "draft": which version the execute ran
    stuck: bool

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, once the job has finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def utc(ts: float) -> datetime:
    """A POSIX timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class _Job:
    job_id: str
    script: WorkflowScript
    body: dict[str, Any]
    parameters: dict[str, Any]
    version: str
    submitted: float
    start: float
    end: float  # when RUNNING would end; ignored while stuck
    stuck: bool
    cancelled_at: float | None = None


class JobStore:
    """Every job the emulator has started, until ``forget()``. Thread-safe."""

    def __init__(
        self,
        profile: ApiProfile = DEFAULT_PROFILE,
        *,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.profile = profile
        self._clock = clock
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}

    def submit(
        self,
        script: WorkflowScript,
        *,
        body: Mapping[str, Any],
        parameters: Mapping[str, Any],
        version: str = "published",
        stuck: bool = False,
    ) -> JobRecord:
        """Start a job of *script* now; it is QUEUED first."""
        with self._lock:
            now = self._clock()
            offset = self._rng.uniform(-script.jitter, script.jitter) if script.jitter else 0.0
            start = now + script.queue_time
            job = _Job(
                job_id=str(uuid.uuid4()),
                script=script,
                body=dict(body),
                parameters=dict(parameters),
                version=version,
                submitted=now,
                start=start,
                end=start + max(0.0, script.duration + offset),
                stuck=stuck or script.stuck,
            )
            self._jobs[job.job_id] = job
            return self._record(job, now)

    def release(self, job_id: str) -> bool:
        """End a stuck job now, as its script says (COMPLETED, or FAILED with its error).

        ``False`` when there is no such job, or it is not stuck (any more).
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.stuck or job.cancelled_at is not None:
                return False
            job.stuck = False
            job.end = max(job.start, self._clock())
            return True

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else self._record(job, self._clock())

    def label_of(self, job_id: str) -> str | None:
        """The external label of the workflow a job belongs to, if the job is known."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.script.label

    def all(self, label: str | None = None, state: str | None = None) -> list[JobRecord]:
        """Jobs in order of submission, optionally only one workflow's or one state's."""
        with self._lock:
            now = self._clock()
            records = [
                self._record(job, now)
                for job in self._jobs.values()
                if label is None or job.script.label == label
            ]
        return [r for r in records if state is None or r.state == state]

    def cancel(self, job_id: str) -> tuple[str, JobRecord | None]:
        """``("cancelled", job)``, ``("terminal", job)`` or ``("unknown", None)``."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return "unknown", None
            now = self._clock()
            record = self._record(job, now)
            if record.state in self.profile.terminal_states:
                return "terminal", record
            job.cancelled_at = now
            return "cancelled", self._record(job, now)

    def forget(self) -> None:
        with self._lock:
            self._jobs.clear()

    # --- computing a job's view at one moment --------------------------------

    def _record(self, job: _Job, now: float) -> JobRecord:
        p = self.profile
        script = job.script
        finished: float | None = None
        error = None
        at = now  # the moment whose step progress is shown
        if job.cancelled_at is not None:
            state, finished, at = p.cancelled_states[0], job.cancelled_at, job.cancelled_at
        elif now < job.start:
            state = p.queued_states[0]
        elif job.stuck or now < job.end:
            state = p.running_states[0]
        elif script.outcome == "FAILED":
            state, finished, error = p.failed_states[0], job.end, script.error
        else:
            state, finished = p.completed_states[0], job.end
        started = job.start if at >= job.start else None
        return JobRecord(
            job_id=job.job_id,
            label=script.label,
            space=script.space,
            name=script.display_name,
            state=state,
            parameters=dict(job.parameters),
            body=dict(job.body),
            submitted_at=utc(job.submitted),
            started_at=None if started is None else utc(started),
            finished_at=None if finished is None else utc(finished),
            cancelled=job.cancelled_at is not None,
            error=error,
            steps=self._steps(job, at, state),
            version=job.version,
            stuck=job.stuck,
        )

    def _steps(self, job: _Job, at: float, state: str) -> tuple[Step, ...]:
        p = self.profile
        scripts = job.script.steps
        n = len(scripts)
        if not n:
            return ()
        if state in p.completed_states or state in p.failed_states:
            failing = _failing_step(scripts, p.failed_states[0]) if state in p.failed_states else -1
            return tuple(
                _shown(s, p.failed_states[0] if i == failing else s.state, 1.0, started=True)
                for i, s in enumerate(scripts)
            )
        cancelled = state in p.cancelled_states
        unfinished = p.cancelled_states[0] if cancelled else None
        if at < job.start:
            return tuple(
                _shown(s, unfinished or p.queued_states[0], 0.0, started=False) for s in scripts
            )
        # step i of n finishes at start + duration * (i + 1) / n
        duration = job.end - job.start
        elapsed = at - job.start
        steps: list[Step] = []
        for i, s in enumerate(scripts):
            done_at = duration * (i + 1) / n
            begin_at = duration * i / n
            last_of_stuck = job.stuck and i == n - 1
            if elapsed >= done_at and not last_of_stuck:
                steps.append(_shown(s, s.state, 1.0, started=True))
            elif elapsed >= begin_at:
                span = done_at - begin_at
                progress = min((elapsed - begin_at) / span, 0.99) if span > 0 else 0.99
                steps.append(_shown(s, unfinished or p.running_states[0], progress, started=True))
            else:
                steps.append(_shown(s, unfinished or p.queued_states[0], 0.0, started=False))
        return tuple(steps)


def _failing_step(scripts: tuple[StepScript, ...], failed: str) -> int:
    """Index of the step a FAILED job shows as FAILED, or -1 if the script has one.

    A step scripted FAILED already carries the blame; otherwise it is the last
    step not scripted COMPLETED, or else the last step.
    """
    if any(s.state == failed for s in scripts):
        return -1
    for i in range(len(scripts) - 1, -1, -1):
        if scripts[i].state != "COMPLETED":
            return i
    return len(scripts) - 1


def _shown(s: StepScript, state: str, progress: float, *, started: bool) -> Step:
    """A step as shown: rows out (and passed/failed) scaled by its progress.

    Rows in are shown in full once the step has started, as in the contract's
    example of a running step, and 0 before.
    """

    def scaled(rows: int | None) -> int | None:
        return None if rows is None else int(rows * progress)

    return Step(
        name=s.name,
        type=s.type,
        state=state,
        rows_in=s.rows_in if started else 0,
        rows_out=scaled(s.rows_out),
        passed_rows=scaled(s.passed_rows),
        failed_rows=scaled(s.failed_rows),
    )
