"""Decoding through a profile, value by value: epoch seconds and milliseconds, step states.

Each timestamp format is decoded from a number whose time is known, so reading
seconds as milliseconds (or the other way) is seen; the step states come from a
profile whose steps name their states unlike its jobs, so a step decoded with the
job's names is seen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aperture_verify.client.decode import Decoder
from aperture_verify.client.profile import ApiProfile
from aperture_verify.errors import ProtocolError

#: 2023-11-14T22:13:20Z
EPOCH = 1_700_000_000
T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)

#: Jobs and steps name their states differently (as a server whose steps run on another
#: engine would): DONE/BROKEN/SKIPPED for steps, SUCCEEDED/ERROR/KILLED for jobs.
TWO_NAMINGS = ApiProfile(
    queued_states=("PENDING",),
    running_states=("ACTIVE",),
    completed_states=("SUCCEEDED",),
    failed_states=("ERROR",),
    cancelled_states=("KILLED",),
    step_queued_states=("WAITING",),
    step_running_states=("BUSY",),
    step_completed_states=("DONE",),
    step_failed_states=("BROKEN",),
    step_cancelled_states=("SKIPPED",),
)


def body(state: str = "COMPLETED", **fields: Any) -> dict[str, Any]:
    return {"jobId": "j1", "state": state, "workflow": {"externalLabel": "W"}, **fields}


def decoder(profile: ApiProfile) -> Decoder:
    return Decoder(profile, "GET", "http://ads.example.com/api/v1/jobs/j1")


def test_epoch_seconds_are_seconds() -> None:
    d = decoder(ApiProfile(timestamp_format="epoch_s"))
    job = d.job(body(submittedAt=EPOCH - 5, startedAt=EPOCH, finishedAt=EPOCH + 90))
    assert job.submitted_at == datetime(2023, 11, 14, 22, 13, 15, tzinfo=UTC)
    assert job.started_at == T0
    assert job.finished_at == datetime(2023, 11, 14, 22, 14, 50, tzinfo=UTC)
    assert job.duration == 90.0
    fraction = d.job(body(startedAt=EPOCH, finishedAt=EPOCH + 1.25))
    assert fraction.duration == 1.25


def test_epoch_milliseconds_are_milliseconds() -> None:
    d = decoder(ApiProfile(timestamp_format="epoch_ms"))
    job = d.job(body(startedAt=EPOCH * 1000, finishedAt=EPOCH * 1000 + 90_250))
    assert job.started_at == T0
    assert job.finished_at == datetime(2023, 11, 14, 22, 14, 50, 250_000, tzinfo=UTC)
    assert job.duration == 90.25
    assert job.submitted_at is None  # absent: unknown, not the epoch


def test_iso_text_is_the_default() -> None:
    job = decoder(ApiProfile()).job(
        body(startedAt="2023-11-14T22:13:20Z", finishedAt="2023-11-14T22:14:50.250+00:00")
    )
    assert (job.started_at, job.duration) == (T0, 90.25)


@pytest.mark.parametrize(
    ("fmt", "value", "problem"),
    [
        ("epoch_s", "1700000000", "'startedAt' is a string, expected epoch_s (a number)"),
        ("epoch_ms", True, "'startedAt' is a boolean, expected epoch_ms (a number)"),
        ("epoch_s", 10**20, "'startedAt' is 100000000000000000000, not a time in epoch_s"),
        ("iso", 1700000000, "'startedAt' is a number, expected a string"),
        ("iso", "yesterday", "'startedAt' is 'yesterday', not an ISO-8601 time"),
    ],
)
def test_a_time_of_the_wrong_kind_names_the_field(fmt: str, value: object, problem: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decoder(ApiProfile(timestamp_format=fmt)).job(body(startedAt=value))
    text = str(caught.value)
    assert text.startswith("GET http://ads.example.com/api/v1/jobs/j1: unexpected response: ")
    assert f"job j1 {problem}" in text


@pytest.mark.parametrize(
    ("step_state", "category"),
    [
        ("WAITING", "QUEUED"),
        ("BUSY", "RUNNING"),
        ("DONE", "COMPLETED"),
        ("BROKEN", "FAILED"),
        ("SKIPPED", "CANCELLED"),
        # the suite's own names are understood everywhere
        ("COMPLETED", "COMPLETED"),
        # a job's name is not a step's: kept as the server said it
        ("SUCCEEDED", "SUCCEEDED"),
        ("ERROR", "ERROR"),
        ("", ""),
    ],
)
def test_step_states_are_read_with_the_step_names(step_state: str, category: str) -> None:
    job = decoder(TWO_NAMINGS).job(
        body("SUCCEEDED", steps=[{"name": "Load", "type": "SOURCE", "state": step_state}])
    )
    assert job.state == "COMPLETED"
    (step,) = job.steps
    assert step.state == category


@pytest.mark.parametrize(
    ("job_state", "category"),
    [
        ("PENDING", "QUEUED"),
        ("ACTIVE", "RUNNING"),
        ("SUCCEEDED", "COMPLETED"),
        ("ERROR", "FAILED"),
        ("KILLED", "CANCELLED"),
        ("DONE", "DONE"),  # a step's name is not a job's
        ("FAILED", "FAILED"),
    ],
)
def test_job_states_are_read_with_the_job_names(job_state: str, category: str) -> None:
    assert decoder(TWO_NAMINGS).job(body(job_state)).state == category


def test_without_step_names_steps_use_the_job_names() -> None:
    profile = ApiProfile(completed_states=("SUCCEEDED",), failed_states=("ERROR",))
    job = decoder(profile).job(
        body(
            "SUCCEEDED",
            steps=[
                {"name": "Load", "state": "SUCCEEDED", "rowsIn": 3, "rowsOut": 2},
                {"name": "Check", "state": "ERROR", "passedRows": 1, "failedRows": 1},
            ],
        )
    )
    load, check = job.steps
    assert (load.state, load.type, load.rows_in, load.rows_out) == ("COMPLETED", "", 3, 2)
    assert (check.state, check.passed_rows, check.failed_rows) == ("FAILED", 1, 1)
    assert (load.passed_rows, check.rows_in) == (None, None)
