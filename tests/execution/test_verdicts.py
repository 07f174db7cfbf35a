"""Checks, exit statuses, results round-trip and the run ledger, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aperture_verify.client.models import Job, Step
from aperture_verify.execution.exitcodes import exit_status_for
from aperture_verify.execution.expectations import check_job, describe_range
from aperture_verify.execution.results import (
    CheckResult,
    FailureKind,
    Outcome,
    Transition,
    WorkflowResult,
)
from aperture_verify.plan.model import Range, StepExpectation, WorkflowSpec
from aperture_verify.plugin.rundir import RunLedger

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


def job(state: str = "COMPLETED", seconds: float = 30.0, **kw: object) -> Job:
    steps = kw.pop("steps", (Step("Export", "EXPORT", "COMPLETED", rows_in=10, rows_out=10),))
    return Job(
        "j1",
        state,
        "W",
        submitted_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=seconds),
        steps=steps,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("bounds", "text"),
    [
        (Range(1, 1), "= 1"),
        (Range(1, 5), "1..5"),
        (Range(min=3), "≥ 3"),
        (Range(max=0), "≤ 0"),
        (Range(), "any"),
    ],
)
def test_ranges_read_like_the_failure_messages(bounds: Range, text: str) -> None:
    assert describe_range(bounds) == text


def test_a_job_within_every_limit_passes_every_check() -> None:
    spec = WorkflowSpec(
        "W",
        "p",
        "S",
        min_duration=10,
        max_duration=60,
        steps=(StepExpectation("Export", state="COMPLETED", rows=(("rowsOut", Range(min=10)),)),),
    )
    checks = check_job(spec, job())
    assert [c.name for c in checks] == [
        "state",
        "duration",
        'step "Export" state',
        'step "Export" rowsOut',
    ]
    assert all(c.ok for c in checks)


@pytest.mark.parametrize(("seconds", "word"), [(5.0, "suspiciously short"), (90.0, "too long")])
def test_duration_outside_its_limits_says_which_way(seconds: float, word: str) -> None:
    spec = WorkflowSpec("W", "p", "S", min_duration=10, max_duration=60)
    (_, duration) = check_job(spec, job(seconds=seconds))
    assert not duration.ok and word in duration.actual and duration.expected == "10s..1m00s"


def test_unreported_rows_and_missing_times_fail_instead_of_passing() -> None:
    spec = WorkflowSpec(
        "W", "p", "S", steps=(StepExpectation("Export", rows=(("failedRows", Range(max=0)),)),)
    )
    j = Job(
        "j",
        "COMPLETED",
        "W",
        started_at=T0,
        finished_at=None,
        steps=(Step("Export", "EXPORT", "COMPLETED"),),
    )
    checks = {c.name: c for c in check_job(spec, j)}
    assert not checks["duration"].ok and "unknown" in checks["duration"].actual
    assert not checks['step "Export" failedRows'].ok
    assert checks['step "Export" failedRows'].actual == "not reported"


def result(
    label: str, phase: str, outcome: Outcome, kind: FailureKind | None = None
) -> WorkflowResult:
    return WorkflowResult(label, phase, outcome=outcome, failure_kind=kind)


def test_the_earliest_failure_kind_decides_the_exit_status() -> None:
    passed = result("A", "p", Outcome.PASSED)
    execution = result("B", "p", Outcome.FAILED, FailureKind.EXECUTION)
    readiness = result("C", "p", Outcome.FAILED, FailureKind.READINESS)
    crash = result("D", "p", Outcome.FAILED, FailureKind.CRASH)
    login = result("E", "p", Outcome.FAILED, FailureKind.LOGIN)
    assert exit_status_for(0, [passed]) == 0
    assert exit_status_for(1, [passed]) == 1  # a hand-written phase check failed
    assert exit_status_for(1, [passed, crash, execution]) == 12
    assert exit_status_for(1, [execution, readiness]) == 11
    assert exit_status_for(1, [crash, readiness, login]) == 10
    assert exit_status_for(1, [crash]) == 13
    assert exit_status_for(2, [login]) == 2  # an interruption stays an interruption
    assert exit_status_for(4, []) == 4


def test_a_result_survives_the_trip_through_a_report() -> None:
    r = WorkflowResult(
        "W 3",
        "cleanse",
        outcome=Outcome.FAILED,
        failure_kind=FailureKind.EXECUTION,
        message="m",
        job_id="j",
        job_url="https://x/j",
        state="FAILED",
        server_error="boom",
        submitted_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2),
        recorded_at=T0 + timedelta(seconds=2.2),
        duration=2.0,
        min_duration=1,
        max_duration=9,
        steps=[Step("S", "T", "FAILED", 1, 2, 3, 4)],
        checks=[CheckResult("state", "COMPLETED", "FAILED", False)],
        transitions=[Transition("QUEUED", T0)],
        polls=4,
    )
    assert WorkflowResult.from_dict(r.to_dict()) == r


def test_a_reader_sees_each_write_of_the_ledger(tmp_path: Path) -> None:
    writer = RunLedger(tmp_path, writer=True)
    reader = RunLedger(tmp_path, writer=False)
    assert reader.results() == []
    writer.record(result("A", "one", Outcome.PASSED))
    assert [r.label for r in reader.results()] == ["A"]
    writer.record(result("B", "two", Outcome.FAILED, FailureKind.EXECUTION))
    failed = reader.first_failure({"one", "two"})
    assert failed is not None and failed.label == "B"
    assert reader.first_failure({"one"}) is None
    writer.record(result("B", "two", Outcome.PASSED))  # a rerun replaces, not duplicates
    assert [(r.label, r.outcome) for r in reader.results()] == [
        ("A", Outcome.PASSED),
        ("B", Outcome.PASSED),
    ]
