"""The job state machine: QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED, with steps.

Over HTTP on the real clock for the whole life of a job, and on a fake clock
(``JobStore`` directly) where exact step progress is the point.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from aperture_verify.common.timestamps import parse_timestamp
from aperture_verify.emulator import Emulator, StepScript, WorkflowScript
from aperture_verify.emulator.state import JobStore, utc


def start(api: requests.Session, emu: Emulator, label: str) -> str:
    r = api.post(emu.url_for("/api/v1/workflows/execute"), json={"externalLabel": label}, timeout=5)
    assert r.status_code == 202, r.text
    job_id: str = r.json()["jobId"]
    return job_id


def fetch(api: requests.Session, emu: Emulator, job_id: str) -> dict[str, Any]:
    r = api.get(emu.url_for(f"/api/v1/jobs/{job_id}"), timeout=5)
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def parse(ts: str) -> datetime:
    return parse_timestamp(ts)


def test_a_job_is_queued_then_running_then_completed(
    emulator: Emulator, api: requests.Session
) -> None:
    before = datetime.now(UTC)
    job_id = start(api, emulator, "Quick")
    assert fetch(api, emulator, job_id)["state"] in ("QUEUED", "RUNNING")
    # RUNNING lasts 0.3s: seen by polling unless the machine stalls, so accept having missed it
    emulator.wait_until(lambda: fetch(api, emulator, job_id)["state"] in ("RUNNING", "COMPLETED"))
    emulator.wait_until(lambda: fetch(api, emulator, job_id)["state"] == "COMPLETED")
    job = fetch(api, emulator, job_id)
    assert job["error"] is None
    submitted, started, finished = (
        parse(job[k]) for k in ("submittedAt", "startedAt", "finishedAt")
    )
    record = emulator.job(job_id)
    # the JSON shows the record's true transition times, to the millisecond
    assert record.finished_at is not None and record.started_at is not None
    assert abs(finished - record.finished_at) < timedelta(milliseconds=1)
    assert before - timedelta(milliseconds=1) <= submitted <= started <= finished
    # datetimes hold microseconds, hence the tolerance
    queued = (record.started_at - record.submitted_at).total_seconds()
    assert queued == pytest.approx(0.05, abs=2e-6)
    assert record.duration == pytest.approx(0.3, abs=2e-6)  # no jitter in this workflow
    assert [s["state"] for s in job["steps"]] == ["COMPLETED", "COMPLETED"]
    assert job["steps"][1] == {
        "name": "Validate",
        "type": "VALIDATE",
        "state": "COMPLETED",
        "rowsIn": 1000,
        "rowsOut": 1000,
        "passedRows": 990,
        "failedRows": 10,
    }
    assert "passedRows" not in job["steps"][0]


def test_a_failing_job_reports_its_error_and_failed_step(
    emulator: Emulator, api: requests.Session
) -> None:
    job_id = start(api, emulator, "Fails")
    emulator.wait_until(lambda: fetch(api, emulator, job_id)["state"] == "FAILED")
    job = fetch(api, emulator, job_id)
    assert job["error"] == "boom" and job["finishedAt"] is not None
    assert [s["state"] for s in job["steps"]] == ["COMPLETED", "FAILED"]


def test_a_draft_run_follows_the_same_clock(emulator: Emulator, api: requests.Session) -> None:
    r = api.post(
        emulator.url_for("/api/v1/workflows/execute"),
        json={"externalLabel": "Draft", "versionToExecute": "PreferDraft"},
        timeout=5,
    )
    job_id = r.json()["jobId"]
    emulator.wait_until(lambda: emulator.job(job_id).state == "COMPLETED")
    assert emulator.job(job_id).steps == ()


def test_cancel_stops_unfinished_steps(emulator: Emulator, api: requests.Session) -> None:
    emulator.add_workflow(
        WorkflowScript(
            "Long",
            duration=20.0,
            queue_time=0.0,
            steps=(
                StepScript("A", rows_out=10),
                StepScript("B", rows_in=10, rows_out=10),
            ),
        )
    )
    job_id = start(api, emulator, "Long")
    emulator.wait_until(lambda: emulator.job(job_id).state == "RUNNING")
    r = api.post(emulator.url_for(f"/api/v1/jobs/{job_id}/cancel"), timeout=5)
    job = r.json()
    assert job["state"] == "CANCELLED"
    assert [s["state"] for s in job["steps"]] == ["CANCELLED", "CANCELLED"]
    record = emulator.job(job_id)
    assert record.cancelled and record.finished_at is not None
    assert record.started_at is not None and record.finished_at >= record.started_at
    # it stays cancelled: nothing "finishes" later
    assert fetch(api, emulator, job_id)["finishedAt"] == job["finishedAt"]


def test_a_job_cancelled_while_queued_never_started(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.add_workflow(WorkflowScript("Queued", queue_time=30.0, steps=(StepScript("A"),)))
    job_id = start(api, emulator, "Queued")
    job = api.post(emulator.url_for(f"/api/v1/jobs/{job_id}/cancel"), timeout=5).json()
    assert job["startedAt"] is None and job["state"] == "CANCELLED"
    assert job["steps"][0]["state"] == "CANCELLED"


def test_a_stuck_workflow_stays_running(emulator: Emulator, api: requests.Session) -> None:
    emulator.add_workflow(
        WorkflowScript(
            "Stuck",
            duration=0.0,
            queue_time=0.0,
            stuck=True,
            steps=(StepScript("A"), StepScript("B")),
        )
    )
    job_id = start(api, emulator, "Stuck")
    quick = start(api, emulator, "Quick")
    emulator.wait_until(lambda: emulator.job(quick).state == "COMPLETED")
    job = fetch(api, emulator, job_id)
    assert job["state"] == "RUNNING" and job["finishedAt"] is None
    assert [s["state"] for s in job["steps"]] == ["COMPLETED", "RUNNING"]
    assert emulator.job(job_id).stuck


def test_a_released_stuck_job_ends_then_as_its_script_says() -> None:
    clock = FakeClock()
    store = JobStore(clock=clock)
    script = WorkflowScript("S", duration=1.0, queue_time=0.0, stuck=True)
    failing = WorkflowScript("F", duration=1.0, queue_time=0.0, outcome="FAILED", error="x")
    held = store.submit(script, body={}, parameters={}).job_id
    held_failing = store.submit(failing, body={}, parameters={}, stuck=True).job_id
    clock.now += 60.0
    assert store.get(held).state == "RUNNING"  # type: ignore[union-attr]
    assert store.release(held) and store.release(held_failing)
    done = store.get(held)
    assert done is not None and done.state == "COMPLETED" and not done.stuck
    assert done.finished_at == utc(clock.now)  # now, not when its duration would have ended
    assert store.get(held_failing).state == "FAILED"  # type: ignore[union-attr]
    assert not store.release(held), "released twice"
    assert not store.release("no-such-job")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def durations(seed: int, wf: WorkflowScript, n: int = 50) -> list[float]:
    clock = FakeClock()
    store = JobStore(seed=seed, clock=clock)
    ids = [store.submit(wf, body={}, parameters={}).job_id for _ in range(n)]
    clock.now += 3600  # long after every job ended
    records = [store.get(job_id) for job_id in ids]
    return [r.duration for r in records if r is not None and r.duration is not None]


def test_jitter_stays_within_bounds_and_is_seeded() -> None:
    wf = WorkflowScript("J", duration=1.0, jitter=0.25)
    first = durations(7, wf)
    assert len(first) == 50
    assert all(0.75 <= d <= 1.25 for d in first)
    assert len(set(first)) > 40  # really jittered
    assert durations(7, wf) == first
    assert durations(8, wf) != first


def test_jitter_never_makes_a_negative_duration() -> None:
    found = durations(3, WorkflowScript("J", duration=0.1, jitter=5.0), n=30)
    assert len(found) == 30 and min(found) == 0.0


STEPS = (
    StepScript("Load", type="SOURCE", rows_out=1000),
    StepScript(
        "Validate", type="VALIDATE", rows_in=1000, rows_out=1000, passed_rows=900, failed_rows=100
    ),
    StepScript("Export", type="EXPORT", rows_in=900, rows_out=900),
    StepScript("Notify", state="SKIPPED"),
)


def test_steps_progress_as_the_job_runs() -> None:
    clock = FakeClock()
    store = JobStore(clock=clock)
    wf = WorkflowScript("W", duration=4.0, queue_time=1.0, steps=STEPS)
    job_id = store.submit(wf, body={}, parameters={}).job_id

    def view(at: float) -> list[tuple[str, int | None, int | None, int | None]]:
        clock.now = 1_000_000.0 + at
        job = store.get(job_id)
        assert job is not None
        return [(s.state, s.rows_in, s.rows_out, s.passed_rows) for s in job.steps]

    assert view(0.5) == [
        ("QUEUED", 0, 0, None),
        ("QUEUED", 0, 0, 0),
        ("QUEUED", 0, 0, None),
        ("QUEUED", 0, 0, None),
    ]
    # started at 1.0; step i of 4 ends at 1.0 + (i + 1)
    assert view(1.5) == [
        ("RUNNING", 0, 500, None),
        ("QUEUED", 0, 0, 0),
        ("QUEUED", 0, 0, None),
        ("QUEUED", 0, 0, None),
    ]
    assert view(2.25) == [
        ("COMPLETED", 0, 1000, None),
        ("RUNNING", 1000, 250, 225),
        ("QUEUED", 0, 0, None),
        ("QUEUED", 0, 0, None),
    ]
    assert view(4.5) == [
        ("COMPLETED", 0, 1000, None),
        ("COMPLETED", 1000, 1000, 900),
        ("COMPLETED", 900, 900, None),
        ("RUNNING", 0, 0, None),
    ]
    assert view(5.0) == [
        ("COMPLETED", 0, 1000, None),
        ("COMPLETED", 1000, 1000, 900),
        ("COMPLETED", 900, 900, None),
        ("SKIPPED", 0, 0, None),
    ]
    job = store.get(job_id)
    assert job is not None and job.state == "COMPLETED"
    assert job.started_at == datetime.fromtimestamp(1_000_001.0, UTC)
    assert job.finished_at == datetime.fromtimestamp(1_000_005.0, UTC)
    assert job.duration == 4.0


def test_a_failed_job_blames_the_last_step_not_scripted_completed() -> None:
    clock = FakeClock()
    store = JobStore(clock=clock)
    steps = STEPS[:3]
    failing = WorkflowScript("F", duration=1.0, outcome="FAILED", error="x", steps=steps)
    job_id = store.submit(failing, body={}, parameters={}).job_id
    clock.now += 2
    job = store.get(job_id)
    assert job is not None and job.error == "x"
    assert [s.state for s in job.steps] == ["COMPLETED", "COMPLETED", "FAILED"]
    # with a non-completed step scripted, that one is blamed
    scripted = (*steps[:2], StepScript("Export", state="WARNING"), StepScript("Last"))
    job_id = store.submit(
        WorkflowScript("G", duration=1.0, outcome="FAILED", error="x", steps=scripted),
        body={},
        parameters={},
    ).job_id
    clock.now += 2
    job = store.get(job_id)
    assert job is not None
    assert [s.state for s in job.steps] == ["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]


def test_a_step_scripted_failed_keeps_the_blame() -> None:
    clock = FakeClock()
    store = JobStore(clock=clock)
    steps = (
        StepScript("Load"),
        StepScript("Lookup", state="FAILED"),
        StepScript("Export", state="CANCELLED"),
    )
    wf = WorkflowScript("B", duration=1.0, outcome="FAILED", error="x", steps=steps)
    job_id = store.submit(wf, body={}, parameters={}).job_id
    clock.now += 2
    job = store.get(job_id)
    assert job is not None
    assert [s.state for s in job.steps] == ["COMPLETED", "FAILED", "CANCELLED"]


def test_cancel_keeps_finished_steps_and_partial_rows() -> None:
    clock = FakeClock()
    store = JobStore(clock=clock)
    wf = WorkflowScript("W", duration=4.0, queue_time=0.0, steps=STEPS)
    job_id = store.submit(wf, body={}, parameters={}).job_id
    clock.now += 1.5
    outcome, job = store.cancel(job_id)
    assert outcome == "cancelled" and job is not None
    assert [(s.state, s.rows_out) for s in job.steps] == [
        ("COMPLETED", 1000),
        ("CANCELLED", 500),
        ("CANCELLED", 0),
        ("CANCELLED", 0),
    ]
    clock.now += 10
    again = store.get(job_id)
    assert again == job  # frozen in time at the cancel
    assert store.cancel(job_id)[0] == "terminal"
    assert store.cancel("nope") == ("unknown", None)
