"""Jobs that misbehave, at the suite level: stuck, forgotten, in an unknown state,
started by an execute whose answer was lost, or orphaned by a worker that died.

Each test runs a throw-away project in a subprocess against the emulator (with
a timeout: a hang fails the test) and checks the verdict, the exit status, the
failure policy and the emulator's record of jobs.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator import Fault
from aperture_verify.execution.exitcodes import EXIT_EXECUTION_FAILURE, EXIT_WORKER_CRASH
from emulator_support import EmulatorFactory
from phase_project import (
    API_KEY,
    Project,
    WhenRunning,
    assert_cancelled_by_its_own_wait,
    workflow,
)

# every test here runs pytest in a subprocess, and must leave no job behind
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("nothing_left_running")]

PHASES = {"first": ["W1"], "second": ["W2"]}


def setup(
    project: Project, duration: float = 1.0, on_failure: str = "stop", extra: str = ""
) -> None:
    project.emulator.add_workflow(workflow("W1", duration))
    project.emulator.add_workflow(workflow("W2", 0.3))
    project.write(PHASES, on_failure=on_failure, extra=extra)


@pytest.mark.parametrize("on_failure", ["stop", "continue"])
def test_a_stuck_job_is_cancelled_at_its_deadline_and_the_next_phase_follows_the_policy(
    project: Project, on_failure: str
) -> None:
    setup(project, on_failure=on_failure, extra='[workflows."W1"]\nmax_duration = "1s"\n')
    project.emulator.inject(Fault(workflow="W1", stuck=True))
    result = project.run("-n", "2", "-o", "aperture_deadline_grace=0.5s")
    assert result.ret == EXIT_EXECUTION_FAILURE
    results = project.results()
    w1 = results["W1"]
    assert w1["outcome"] == "failed" and w1["failure_kind"] == "execution"
    assert "did not finish within max_duration 1s (+0.5s grace)" in w1["message"]
    assert "was cancelled on the server" in w1["message"]
    jobs = {j.label: j for j in project.jobs()}
    assert_cancelled_by_its_own_wait(jobs["W1"], w1, limit=1.5)
    if on_failure == "stop":
        result.assert_outcomes(failed=1, skipped=1)
        assert "W2" not in jobs
        assert results["W2"]["outcome"] == "skipped"
    else:
        result.assert_outcomes(failed=1, passed=1)
        assert jobs["W2"].state == "COMPLETED"
        assert jobs["W2"].submitted_at >= jobs["W1"].finished_at  # type: ignore[operator]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_server_that_forgets_a_running_job_fails_that_workflow(
    project: Project, workers: str
) -> None:
    setup(project, duration=20.0)
    restart = WhenRunning(project.emulator, "W1", project.emulator.forget_jobs)
    result = project.run("-n", workers)
    restart.join()
    result.assert_outcomes(failed=1, skipped=1)
    assert result.ret == EXIT_EXECUTION_FAILURE
    w1 = project.results()["W1"]
    assert w1["failure_kind"] == "execution"
    assert "the server no longer knows job" in w1["message"]
    assert "(restarted?)" in w1["message"] and "404" in w1["message"]
    assert project.jobs() == [], 'W2 ran although on_failure = "stop"'


def test_an_unknown_state_is_waited_on_and_logged_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator_factory: EmulatorFactory
) -> None:
    # The server calls its running state PROCESSING; the plan's profile does not know it.
    monkeypatch.setenv("APERTURE_API_KEY", API_KEY)
    server_profile = dataclasses.replace(ApiProfile(), running_states=("PROCESSING",))
    emu = emulator_factory(None, api_keys=(API_KEY,), profile=server_profile)
    project = Project(pytester, emu)
    setup(project, duration=1.5)
    # one process, one client: W1 and W2 both see PROCESSING, one warning in all
    result = project.run("-n", "0", "-rP")
    jobs = emu.jobs
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    out = result.stdout.str()
    warning = "which the API profile does not know; treating it as still running"
    lines = [line for line in out.splitlines() if warning in line]
    assert len(lines) == 1, lines
    assert "'PROCESSING'" in lines[0]
    w1 = project.results()["W1"]
    assert w1["polls"] >= 3, "W1 should have been polled while PROCESSING"
    assert [t["state"] for t in w1["transitions"]][-1] == "COMPLETED"
    assert {j.state for j in jobs} == {"COMPLETED"}


@pytest.mark.parametrize(
    ("kind", "workers"),
    [
        ({"drop_after_processing": True}, "2"),
        ({"drop": True}, "0"),
        ({"status": 502}, "2"),
        ({"status": 504}, "0"),
    ],
    ids=["dropped-after-the-job-started-n2", "dropped-before-n0", "502-n2", "504-n0"],
)
def test_an_ambiguous_execute_starts_no_duplicate_job(
    project: Project, kind: dict[str, Any], workers: str
) -> None:
    # the kinds take turns at -n 0 and -n 2: the reconciliation is the client's
    setup(project)
    fault = project.emulator.inject(
        Fault("POST /api/v1/workflows/execute", workflow="W1", times=1, **kind)
    )
    result = project.run("-n", workers)
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    assert fault.hits == 1
    jobs = project.jobs()
    assert sorted(j.label for j in jobs) == ["W1", "W2"]
    executes = [
        r
        for r in project.emulator.requests
        if r.path == "/api/v1/workflows/execute" and r.workflow_label == "W1"
    ]
    reconciled = [
        r
        for r in project.emulator.requests
        if r.path == "/api/v1/jobs" and r.query.get("externalLabel") == "W1"
    ]
    assert reconciled, "the client did not look for the job before deciding"
    if kind.get("drop_after_processing"):
        assert len(executes) == 1, "the job was started: execute must not be sent again"
    else:
        assert len(executes) == 2, "nothing was started: execute should be sent again"
    assert project.results()["W1"]["job_id"] == jobs[0].job_id


DIE_WHILE_RUNNING = """
import os
import threading
import pytest

pytestmark = pytest.mark.phase("{phase}")


def test_workflow(workflow, verify, data_studio):
    if workflow.label == "W2":
        def die_once_running():
            while not [j for j in data_studio.list_jobs("W2") if j.state == "RUNNING"]:
                threading.Event().wait(0.05)
            os._exit(3)

        threading.Thread(target=die_once_running, daemon=True).start()
    verify(workflow)
"""


def test_a_worker_dying_mid_job_is_reported_failed_and_its_job_cancelled(
    project: Project,
) -> None:
    phases = {"first": ["W1"], "second": ["W2", "W3"], "third": ["W4"]}
    for label, duration in (("W1", 0.3), ("W2", 20.0), ("W3", 0.5), ("W4", 0.3)):
        project.emulator.add_workflow(workflow(label, duration))
    project.write(phases, on_failure="continue")
    (project.pytester.path / "test_phases" / "test_second.py").write_text(
        DIE_WHILE_RUNNING.format(phase="second")
    )
    result = project.run("-n", "2")
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == EXIT_WORKER_CRASH
    jobs = {j.label: j for j in project.jobs()}
    assert jobs["W2"].state == "CANCELLED", "the dead worker's job was left running"
    result.stdout.fnmatch_lines([f"*cancelled 1 unfinished job(s)*{jobs['W2'].job_id}*"])
    # the barrier held: phase three started after W2's job ended (it was cancelled at once)
    assert jobs["W4"].submitted_at >= jobs["W3"].finished_at  # type: ignore[operator]
    assert jobs["W4"].submitted_at >= jobs["W2"].finished_at  # type: ignore[operator]

    reports = project.pytester.path / "reports"
    w2 = project.results()["W2"]
    assert w2["outcome"] == "failed" and w2["failure_kind"] == "crash"
    assert "crashed" in w2["message"]
    cases = {c.get("name"): c for c in ET.parse(reports / "junit.xml").iter("testcase")}
    (w2_case,) = [c for name, c in cases.items() if name and "W2" in name]
    # a crash is the test's own failure, not a set-up <error>
    failure = w2_case.find("failure")
    assert failure is not None, ET.tostring(w2_case, encoding="unicode")
    assert "crashed" in (failure.get("message") or "") + (failure.text or "")
    html = (reports / "report.html").read_text()
    assert "W2" in html and "crashed" in html
    data = json.loads((reports / "results.json").read_text())
    assert data["exit_status"] == EXIT_WORKER_CRASH
