"""Server and network faults at the suite level: a plan run under each fault, over real HTTP.

Each test writes a two-phase project (W1, then W2), injects a fault into the
emulator, runs pytest on it in a subprocess with a timeout (a hang fails the
test) and checks the verdict, the message, the exit status, whether the next
phase ran as the failure policy says, and the emulator's own record of jobs.
The client-level behaviour (one call under one fault) is in test_client_http.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from aperture_verify.emulator import Fault
from aperture_verify.execution.exitcodes import (
    EXIT_EXECUTION_FAILURE,
    EXIT_LOGIN_FAILURE,
    EXIT_SERVER_UNREACHABLE,
)
from phase_project import Project, workflow

# every test here runs pytest in a subprocess, and must leave no job behind
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("nothing_left_running")]

PHASES = {"first": ["W1"], "second": ["W2"]}
POLL = "GET /api/v1/jobs/*"  # reading one job; cancel is a POST and is not hit


def setup(project: Project, duration: float = 1.0, server: str = "") -> None:
    project.emulator.add_workflow(workflow("W1", duration))
    project.emulator.add_workflow(workflow("W2", 0.3))
    project.write(PHASES, server=server)


def polls_of_w1(project: Project) -> int:
    (w1,) = [j for j in project.jobs() if j.label == "W1"]
    return sum(
        1 for r in project.emulator.requests if r.method == "GET" and r.path.endswith(w1.job_id)
    )


# -- transient faults: retried, the verdict is unaffected ---------------------------------


# Each fault kind runs once, the kinds taking turns at -n 0 and -n 2 (the retrying is
# the client's, the same in a worker as in a single process): both modes are covered
# without running every kind twice.
@pytest.mark.parametrize(
    ("kind", "workers"),
    [
        ({"status": 503, "times": 3}, "0"),
        ({"status": 502, "times": 3}, "2"),
        ({"status": 504, "times": 3}, "0"),
        ({"drop": True, "times": 2}, "2"),
    ],
    ids=["503-burst-n0", "502-burst-n2", "504-burst-n0", "dropped-connections-n2"],
)
def test_a_transient_burst_while_polling_leaves_the_verdict_alone(
    project: Project, kind: dict[str, Any], workers: str
) -> None:
    setup(project)
    injected = project.emulator.inject(Fault(POLL, workflow="W1", **kind))
    result = project.run("-n", workers)
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    assert injected.hits == kind["times"], "the fault never fired: the test proves nothing"
    jobs = project.jobs()
    assert sorted(j.label for j in jobs) == ["W1", "W2"]
    assert {j.state for j in jobs} == {"COMPLETED"}
    assert project.results()["W1"]["outcome"] == "passed"


@pytest.mark.parametrize(
    ("kind", "last", "workers"),
    [({"status": 503}, "503 Service Unavailable", "0"), ({"drop": True}, "connection", "2")],
    ids=["503-for-ever-n0", "dropped-for-ever-n2"],
)
def test_a_burst_longer_than_the_outage_budget_fails_as_server_unreachable_and_says_so(
    project: Project, kind: dict[str, Any], last: str, workers: str
) -> None:
    setup(project, duration=6.0, server='outage_budget = "2s"')
    project.emulator.inject(Fault(POLL, workflow="W1", times=None, **kind))
    result = project.run("-n", workers, "-rs")
    result.assert_outcomes(failed=1, skipped=1)
    assert result.ret == EXIT_SERVER_UNREACHABLE
    out = result.stdout.str()
    assert "server unreachable: the server could not be reached for" in out
    assert "outage budget 2s" in out
    assert last in out
    assert "Traceback" not in out
    w1 = project.results()["W1"]
    assert w1["outcome"] == "failed" and w1["failure_kind"] == "unreachable"
    assert "it may still be running: check it in Data Studio" in w1["message"]
    result.stdout.fnmatch_lines(["*SKIPPED*not run: W1 (phase 'first') failed*"])
    (job,) = project.jobs()  # W2 never started: on_failure = "stop"
    assert not job.cancelled, "a job the suite could not see must be left alone"
    project.emulator.wait_until(lambda: project.jobs()[0].state == "COMPLETED", timeout=30)


def test_429_retry_after_is_honoured(project: Project) -> None:
    setup(project)
    injected = project.emulator.inject(
        Fault(POLL, workflow="W1", status=429, retry_after=1, times=1)
    )
    result = project.run("-n", "2")
    result.assert_outcomes(passed=2)
    assert injected.hits == 1
    (w1,) = [j for j in project.jobs() if j.label == "W1"]
    polls = [
        r for r in project.emulator.requests if r.method == "GET" and r.path.endswith(w1.job_id)
    ]
    refused = next(i for i, r in enumerate(polls) if r.status == 429)
    gap = polls[refused + 1].at - polls[refused].at
    assert gap >= 1.0, f"asked again {gap:.2f}s after a 429 with Retry-After: 1"


def test_a_read_that_never_answers_times_out_and_is_retried(project: Project) -> None:
    setup(project, server='read_timeout = "0.5s"')
    # The answer would come after 120 s: only the read timeout can get the run past it.
    injected = project.emulator.inject(Fault(POLL, workflow="W1", latency=120.0, times=1))
    result = project.run("-n", "2")
    result.assert_outcomes(passed=2)
    assert injected.hits == 1
    (w1,) = [j for j in project.jobs() if j.label == "W1"]
    polls = [
        r for r in project.emulator.requests if r.method == "GET" and r.path.endswith(w1.job_id)
    ]
    # the poll the fault held: still unanswered (or answered only after the latency)
    hung = next(i for i, r in enumerate(polls) if r.elapsed is None or r.elapsed >= 120.0)
    assert hung + 1 < len(polls), "the unanswered poll was not followed by another"
    # the next poll did not wait for the answer: the read timeout cut the first one off
    assert polls[hung + 1].at - polls[hung].at < 120.0


def test_reads_that_never_answer_end_in_server_unreachable_naming_the_timeout(
    project: Project,
) -> None:
    setup(project, duration=6.0, server='read_timeout = "0.3s"\noutage_budget = "1s"')
    project.emulator.inject(Fault(POLL, workflow="W1", latency=5.0, times=None))
    result = project.run("-n", "2")
    result.assert_outcomes(failed=1, skipped=1)
    assert result.ret == EXIT_SERVER_UNREACHABLE
    message = project.results()["W1"]["message"]
    assert "no answer within 0.3s (read timeout)" in message
    assert "could not be reached for" in message
    assert message.endswith("it was not cancelled")
    (job,) = project.jobs()
    assert not job.cancelled
    project.emulator.wait_until(lambda: project.jobs()[0].state == "COMPLETED", timeout=30)


def test_a_cancel_that_fails_is_said_and_tried_again_at_the_end_of_the_run(
    project: Project,
) -> None:
    setup(project, duration=20.0)
    # an answer the client cannot recover from: the job is cancelled...
    project.emulator.inject(Fault(POLL, workflow="W1", status=500, times=None))
    # ...but the worker's cancel is refused; the controller's, later, succeeds
    project.emulator.inject(Fault("POST /api/v1/jobs/*/cancel", status=500, times=1))
    result = project.run("-n", "2")
    result.assert_outcomes(failed=1, skipped=1)
    message = project.results()["W1"]["message"]
    assert "lost contact while waiting for job" in message
    assert "cancelling it failed too: it may still be running" in message
    assert "the job was cancelled" not in message
    (job,) = project.jobs()
    result.stdout.fnmatch_lines([f"*cancelled 1 unfinished job(s) on the server: {job.job_id}*"])
    assert job.state == "CANCELLED"


# -- responses the client cannot read -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "what", "workers"),
    [
        ("<html><body>Please sign in</body></html>", "text/html", "is not JSON (text/html)", "2"),
        ({"status": "ok"}, None, "jobId", "0"),
        (["RUNNING"], None, "object", "2"),
    ],
    ids=["html-page-n2", "json-without-job-fields-n0", "json-array-n2"],
)
def test_an_unreadable_job_answer_fails_the_workflow_naming_the_url(
    project: Project, body: object, content_type: str | None, what: str, workers: str
) -> None:
    setup(project, duration=20.0)
    project.emulator.inject(
        Fault(POLL, workflow="W1", body=body, content_type=content_type, times=None)
    )
    result = project.run("-n", workers)
    result.assert_outcomes(failed=1, skipped=1)
    assert result.ret == EXIT_EXECUTION_FAILURE
    (job,) = project.jobs()
    message = project.results()["W1"]["message"]
    assert f"{project.emulator.url}/api/v1/jobs/{job.job_id}" in message
    assert what in message
    out = result.stdout.str()
    assert "KeyError" not in out and "Traceback" not in out
    assert job.state == "CANCELLED"


def test_a_server_that_is_not_data_studio_is_a_login_failure_naming_the_url(
    project: Project,
) -> None:
    setup(project)
    project.emulator.inject(
        Fault(
            "GET /api/v1/workflows",
            body="<html>It works!</html>",
            content_type="text/html",
            times=None,
        )
    )
    result = project.run("-n", "2")
    assert result.ret == EXIT_LOGIN_FAILURE
    result.stdout.fnmatch_lines(
        [
            f"*LOGIN FAILED*{project.emulator.url}/api/v1/workflows*not JSON*"
            "is the URL a Data Studio API server?*"
        ]
    )
    assert project.jobs() == []
