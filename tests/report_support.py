"""Synthetic workflow results for the report builder tests: a job run at given seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aperture_verify.client.models import Step
from aperture_verify.execution.results import (
    CheckResult,
    FailureKind,
    Outcome,
    Transition,
    WorkflowResult,
)

T0 = datetime(2026, 1, 5, 2, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ran(label: str, phase: str, start: float, end: float, **kw: object) -> WorkflowResult:
    r = WorkflowResult(
        label,
        phase,
        job_id=f"job-{label}",
        state="COMPLETED",
        submitted_at=at(start - 0.5),
        started_at=at(start),
        finished_at=at(end),
        duration=end - start,
        min_duration=0.5,
        max_duration=60.0,
        polls=3,
    )
    r.transitions = [Transition("QUEUED", at(start - 0.4)), Transition("COMPLETED", at(end))]
    for key, value in kw.items():
        setattr(r, key, value)
    return r


def failed_w3() -> WorkflowResult:
    return ran(
        "W3",
        "cleanse",
        2.0,
        3.0,
        outcome=Outcome.FAILED,
        failure_kind=FailureKind.EXECUTION,
        state="FAILED",
        server_error="Step 'Lookup' failed <dataset missing>",
        message="execution failure: W3: state = FAILED, expected COMPLETED",
        steps=[
            Step("Load", "SOURCE", "COMPLETED", rows_out=10),
            Step("Lookup", "LOOKUP", "FAILED", rows_in=10),
        ],
        checks=[
            CheckResult("state", "COMPLETED", "FAILED", False),
            CheckResult("duration", "0.5s..1m00s", "1.0s", True),
            CheckResult('step "Load" rowsOut', "≥ 5", "10", True),
            CheckResult('step "Export"', "present", "missing", False),
        ],
        job_url="https://ads.example.com/#/jobs/job-W3",
    )
