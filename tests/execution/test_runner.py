"""The workflow runner against the emulator, in-process: readiness, execute, wait, check."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.emulator import Emulator
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runner import WorkflowFailed, WorkflowRunner
from aperture_verify.plan.model import Range, StepExpectation, WorkflowSpec


@pytest.fixture
def client(emulator: Emulator) -> Iterator[DataStudioClient]:
    with DataStudioClient(emulator.url, Credentials(api_key="test-api-key")) as c:
        yield c


def spec(label: str, **kw: object) -> WorkflowSpec:
    values: dict[str, object] = {"min_duration": 0.0, "max_duration": 10.0}
    values.update(kw)
    return WorkflowSpec(label, phase="p", space="Demo", **values)  # type: ignore[arg-type]


def run(runner: WorkflowRunner, s: WorkflowSpec) -> tuple[WorkflowResult, WorkflowFailed | None]:
    result = WorkflowResult(s.label, s.phase)
    try:
        runner.run(s, result)
    except WorkflowFailed as e:
        return result, e
    return result, None


def test_a_good_workflow_passes_with_its_job_recorded(client: DataStudioClient) -> None:
    started: list[tuple[str, str]] = []
    ended: list[str] = []
    runner = WorkflowRunner(
        client,
        on_job_started=lambda j, label: started.append((j, label)),
        on_job_ended=ended.append,
    )
    result, failure = run(
        runner,
        spec(
            "Quick",
            steps=(
                StepExpectation(
                    "Validate", state="COMPLETED", rows=(("failedRows", Range(max=10)),)
                ),
            ),
        ),
    )
    assert failure is None
    assert result.outcome is Outcome.PASSED
    assert result.state == "COMPLETED"
    assert result.duration is not None and 0.25 <= result.duration <= 1.0
    assert [t.state for t in result.transitions][-1] == "COMPLETED"
    assert result.transitions[0].state == "QUEUED"
    assert all(c.ok for c in result.checks) and len(result.checks) == 4
    assert started == [(result.job_id, "Quick")] and ended == [result.job_id]
    assert 1 <= result.polls <= 6  # a 0.35 s job, polled every 0.3 s at first
    assert result.recorded_at is not None and result.finished_at is not None
    assert result.recorded_at >= result.finished_at


def test_every_failed_check_is_listed(client: DataStudioClient) -> None:
    runner = WorkflowRunner(client)
    result, failure = run(
        runner,
        spec(
            "Quick",
            min_duration=5.0,
            steps=(
                StepExpectation(
                    "Validate", rows=(("failedRows", Range(max=0)), ("passedRows", Range(min=1000)))
                ),
                StepExpectation("Export"),
            ),
        ),
    )
    assert failure is not None and failure.kind is FailureKind.EXECUTION
    text = str(failure)
    assert "Quick: duration = 0." in text and "(suspiciously short), expected 5s..10s" in text
    assert 'Quick: step "Validate" failedRows = 10, expected ≤ 0' in text
    assert 'Quick: step "Validate" passedRows = 990, expected ≥ 1000' in text
    assert 'Quick: step "Export" = missing' in text
    assert result.outcome is Outcome.FAILED and len(result.failed_checks) == 4


def test_a_failed_job_is_an_execution_failure_with_the_server_message(
    client: DataStudioClient,
) -> None:
    result, failure = run(WorkflowRunner(client), spec("Fails"))
    assert failure is not None and failure.kind is FailureKind.EXECUTION
    assert "state = FAILED, expected COMPLETED" in str(failure)
    assert "(server: boom)" in str(failure)
    assert result.server_error == "boom"


def test_an_expected_failure_passes(client: DataStudioClient) -> None:
    _, failure = run(WorkflowRunner(client), spec("Fails", state="FAILED"))
    assert failure is None


def test_unknown_workflow_and_unpublished_workflow_are_readiness_failures(
    client: DataStudioClient,
    emulator: Emulator,
) -> None:
    runner = WorkflowRunner(client, catalog=client.list_workflows())
    _, failure = run(runner, spec("Nope"))
    assert failure is not None and failure.kind is FailureKind.READINESS
    assert "no workflow with external label 'Nope' in space 'Demo'" in str(failure)
    _, failure = run(runner, spec("Draft"))
    assert failure is not None and failure.kind is FailureKind.READINESS
    assert "no published version" in str(failure)
    _, failure = run(runner, spec("Draft", version="PreferDraft"))
    assert failure is None
    assert [j.label for j in emulator.jobs] == ["Draft"]


def test_readiness_names_the_space_a_workflow_really_is_in(client: DataStudioClient) -> None:
    _, failure = run(WorkflowRunner(client), WorkflowSpec("Quick", phase="p", space="Other"))
    assert failure is not None and failure.kind is FailureKind.READINESS
    assert "exists in space(s) Demo" in str(failure)


def test_past_the_deadline_the_job_is_cancelled_on_the_server(
    client: DataStudioClient,
    emulator: Emulator,
) -> None:
    runner = WorkflowRunner(client, deadline_grace=0.2)
    result, failure = run(runner, spec("Slow", max_duration=0.5))
    assert failure is not None and failure.kind is FailureKind.EXECUTION
    assert "did not finish within max_duration 0.5s (+0.2s grace)" in str(failure)
    assert "was cancelled on the server" in str(failure)
    (job,) = emulator.jobs
    assert job.state == "CANCELLED"
    assert result.state == "CANCELLED"


def test_a_server_that_forgot_the_job_fails_the_workflow_without_hanging(
    client: DataStudioClient,
    emulator: Emulator,
) -> None:
    def restart() -> None:
        emulator.wait_until(lambda: any(j.state == "RUNNING" for j in emulator.jobs), 5.0)
        emulator.forget_jobs()

    thread = threading.Thread(target=restart)
    thread.start()
    _, failure = run(WorkflowRunner(client), spec("Slow", max_duration=60.0))
    thread.join()
    assert failure is not None and failure.kind is FailureKind.EXECUTION
    assert "no longer knows" in str(failure)


def test_refused_credentials_are_a_login_failure(emulator: Emulator) -> None:
    with DataStudioClient(emulator.url, Credentials(api_key="wrong")) as bad:
        _, failure = run(WorkflowRunner(bad), spec("Quick"))
    assert failure is not None and failure.kind is FailureKind.LOGIN
    assert "wrong" not in str(failure)
    assert emulator.jobs == []
