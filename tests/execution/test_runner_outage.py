"""The runner across an outage, on a fake clock: the server's clock judges, the job is left be.

A poll that rides out a long outage returns long after the job's deadline on the
suite's own clock; the job's duration is what the server says, and a job that
finished in time passes. A poll that gives up (server unreachable) neither cancels
the job nor leaves it for the end of the run to cancel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from aperture_verify.client.models import Job, Workflow
from aperture_verify.client.profile import DEFAULT_PROFILE
from aperture_verify.client.rideout import OutageRecord, ServerUnreachableError
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runner import WorkflowFailed, WorkflowRunner
from aperture_verify.plan.model import WorkflowSpec

T0 = datetime(2026, 11, 28, 4, tzinfo=UTC)
CATALOG = [Workflow("W", "W", "Demo", published=True, has_draft=False)]


@dataclass
class OutageClient:
    """A server whose first poll is answered only after *outage* seconds (ridden out), with
    the job finished *duration* s after it started, by the server's clock; or, with
    *unreachable*, never answered."""

    clock: list[float]
    outage: float
    duration: float
    unreachable: bool = False
    profile: object = DEFAULT_PROFILE
    base_url: str = "https://ads.example.com"
    calls: list[str] = field(default_factory=list)

    def execute(self, label: str, **kw: object) -> Job:
        self.calls.append("execute")
        return Job("j1", "RUNNING", "W", T0, T0)

    def get_job(self, job_id: str) -> Job:
        self.calls.append("get_job")
        self.clock[0] += self.outage  # the ride-out: the answer comes this much later
        if self.unreachable:
            record = OutageRecord(T0, "polling", self.outage, requests=12)
            raise ServerUnreachableError("the server could not be reached for 10m", record)
        return Job("j1", "COMPLETED", "W", T0, T0, T0 + timedelta(seconds=self.duration))

    def cancel_job(self, job_id: str, *, once: bool = False) -> Job:
        self.calls.append("cancel")
        return Job("j1", "CANCELLED", "W", T0, T0, T0)

    @contextlib.contextmanager
    def riding_out(self, budget: float, during: str, **kw: object) -> Iterator[None]:
        yield


def runner(client: OutageClient, ended: list[str]) -> WorkflowRunner:
    clock = client.clock

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    return WorkflowRunner(
        client,  # type: ignore[arg-type]
        catalog=CATALOG,
        clock=lambda: clock[0],
        sleep=sleep,
        deadline_grace=1.0,
        on_job_ended=ended.append,
    )


def test_a_job_that_finished_in_time_during_an_outage_passes() -> None:
    client = OutageClient([0.0], outage=80.0, duration=2.0)
    ended: list[str] = []
    spec = WorkflowSpec("W", "p", "Demo", max_duration=3.0)
    result = runner(client, ended).run(spec, WorkflowResult("W", "p"))
    assert client.clock[0] > 80.0  # past max_duration + grace on the suite's clock
    assert result.outcome == Outcome.PASSED and result.state == "COMPLETED"
    assert client.calls == ["execute", "get_job"]  # no cancel, one poll
    assert ended == ["j1"]
    duration = next(c for c in result.checks if c.name == "duration")
    assert (duration.ok, duration.actual) == (True, "2.0s")


def test_a_job_that_ran_too_long_by_the_server_s_clock_fails_without_a_cancel() -> None:
    client = OutageClient([0.0], outage=1.0, duration=4.5)
    ended: list[str] = []
    spec = WorkflowSpec("W", "p", "Demo", max_duration=3.0)
    with pytest.raises(WorkflowFailed) as caught:
        runner(client, ended).run(spec, WorkflowResult("W", "p"))
    assert caught.value.kind == FailureKind.EXECUTION
    assert "duration" in str(caught.value) and "4.5s (too long)" in str(caught.value)
    assert client.calls == ["execute", "get_job"]


def test_an_unreachable_server_leaves_the_job_uncancelled_and_not_active() -> None:
    client = OutageClient([0.0], outage=600.0, duration=2.0, unreachable=True)
    ended: list[str] = []
    result = WorkflowResult("W", "p")
    spec = WorkflowSpec("W", "p", "Demo", max_duration=3.0)
    with pytest.raises(WorkflowFailed) as caught:
        runner(client, ended).run(spec, result)
    assert caught.value.kind == FailureKind.UNREACHABLE
    message = str(caught.value)
    assert message.startswith(
        "server unreachable: the server could not be reached for 10m; job j1 was last seen RUNNING"
    )
    assert message.endswith("it was not cancelled")
    assert client.calls == ["execute", "get_job"]  # no cancel now...
    assert ended == ["j1"]  # ...nor at the end of the run: the job is no longer active
    assert result.outcome == Outcome.FAILED and result.failure_kind == FailureKind.UNREACHABLE
