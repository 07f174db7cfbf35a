"""Helpers shared by the client tests (their fixtures are in client/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.models import Job
from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator import Emulator, RecordedRequest, StepScript, WorkflowScript

KEY = "k1"
FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, budget=5.0, seed=0)
P = ApiProfile()
JOB_ROUTE = "GET /api/v1/jobs/*"
EXECUTE_ROUTE = "POST /api/v1/workflows/execute"

MakeClient = Callable[..., DataStudioClient]


def quick(label: str = "Workflow 1", **kwargs: object) -> WorkflowScript:
    fields: dict[str, object] = {
        "space": "Demo",
        "duration": 0.05,
        "queue_time": 0.0,
        "steps": (StepScript("Load", type="SOURCE", rows_out=10),),
    }
    fields.update(kwargs)
    return WorkflowScript(label, **fields)  # type: ignore[arg-type]


def calls(
    emulator: Emulator, method: str | None = None, path: str | None = None
) -> list[RecordedRequest]:
    return [
        r
        for r in emulator.requests
        if (method is None or r.method == method) and (path is None or r.path == path)
    ]


def header(request: RecordedRequest, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


def finished(emulator: Emulator, client: DataStudioClient, job_id: str) -> Job:
    """The job once the server reports it COMPLETED (waits with a deadline)."""

    def done() -> Job | None:
        job = client.get_job(job_id)
        return job if job.state == "COMPLETED" else None

    job = emulator.wait_until(done)
    assert job is not None  # wait_until returns only a truthy value
    return job


def job_json(state: str, job_id: str = "j-x") -> dict[str, object]:
    return {
        "jobId": job_id,
        "state": state,
        "workflow": {"externalLabel": "Workflow 1", "name": "Workflow 1", "space": "Demo"},
        "submittedAt": "2026-11-28T01:02:03.456Z",
        "startedAt": None,
        "finishedAt": None,
        "error": None,
        "steps": [],
    }
