"""Riding out a server outage, end to end: the emulator goes away, the run carries on.

Each case writes a project whose phases put a workflow in every stage of its
life — before the login check, during an execute, while a job is polled, and
across a job's deadline — schedules outages on its emulator, runs pytest on it
in a subprocess and proves from the emulator's own job and request log that the
plan passed with exactly one job per workflow and no cancel (one label is not
ASCII). Outages come in the three kinds a real server shows (503, a refused
connection, a reset connection).

The cases wait out real outages of 15 s and 60 s, so they run side by side,
each against its own emulator, in one test (one subtest per case): the suite
waits about as long as the longest case, not as long as all of them.
"""

from __future__ import annotations

import json
import os
import signal
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.emulator import Emulator, Outage
from aperture_verify.execution.exitcodes import (
    EXIT_EXECUTION_FAILURE,
    EXIT_LOGIN_FAILURE,
    EXIT_SERVER_UNREACHABLE,
)
from emulator_support import EmulatorFactory
from phase_project import API_KEY, HANG_GUARD, Project, assert_no_job_active, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

CANCEL = "POST /api/v1/jobs/*/cancel"
STAGES = {"login": ["A"], "execute": ["B"], "polling": ["C", "Größe"], "deadline": ["E"]}
KINDS = ("503", "refused", "reset")


def outage(kind: str, duration: float, **kw: Any) -> Outage:
    # a reset during execute is the harsh kind: the server acted, the answer was lost
    processed = kind == "reset" and kw.get("after") == "first_execute"
    return Outage(kind, duration=duration, processed=processed, **kw)


def four_stages(
    project: Project, kind: str, duration: float, stages: tuple[str, ...] = tuple(STAGES)
) -> list[Outage]:
    """The four-stage project, and the outages of *stages* (scheduled on the emulator)."""
    emu = project.emulator
    for label in ("A", "B"):
        emu.add_workflow(workflow(label, 0.5))
    emu.add_workflow(workflow("C", 4.0))
    emu.add_workflow(workflow("Größe", 4.0))
    emu.add_workflow(workflow("E", 2.0))
    project.write(
        STAGES,
        defaults='min_duration = "0s"\nmax_duration = "30s"',
        extra='[workflows.E]\nmax_duration = "3s"',
    )
    when: dict[str, dict[str, Any]] = {
        "login": {"after": "first_request"},
        "execute": {"after": "first_execute", "workflow": "B"},
        "polling": {"after": "job_start", "workflow": "C", "delay": 1.0},
        "deadline": {"after": "job_start", "workflow": "E", "delay": 0.5},
    }
    return [emu.add_outage(outage(kind, duration, **when[stage])) for stage in stages]


def cancels(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "POST" and r.path.endswith("/cancel")]


def results_json(project: Project) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.path / "reports" / "results.json").read_text())
    return data


@dataclass(frozen=True)
class Case:
    kind: str
    duration: float
    workers: str
    stages: tuple[str, ...]

    @property
    def id(self) -> str:
        where = "every-stage" if len(self.stages) == len(STAGES) else "+".join(self.stages)
        return f"{self.kind}-{self.duration:g}s-n{self.workers}-{where}"


# Every kind at 15 s in all four stages of one run, under -n 0 and -n 2. At 60 s every
# kind in every stage too, one run per stage (four 60 s outages back to back would make
# one run last over four minutes), the worker counts in turn.
CASES = [
    *(Case(kind, 15.0, workers, tuple(STAGES)) for workers in ("0", "2") for kind in KINDS),
    *(
        Case(kind, 60.0, {"503": "2", "refused": "0", "reset": "2"}[kind], (stage,))
        for kind in KINDS
        for stage in STAGES
    ),
]


def check_case(
    case: Case, project: Project, outages: list[Outage], result: pytest.RunResult
) -> None:
    out = result.stdout.str()
    assert result.ret == 0, out[-3000:]
    result.assert_outcomes(passed=5)

    emu = project.emulator
    jobs = emu.jobs
    assert sorted(j.label for j in jobs) == ["A", "B", "C", "E", "Größe"], "one job per workflow"
    assert all(j.state == "COMPLETED" and not j.cancelled for j in jobs), jobs
    assert cancels(emu) == [], "a healthy job was cancelled"
    for o in outages:
        assert o.begins is not None, f"the outage {o.after} never began: the test proves nothing"
        if case.kind != "refused":
            assert o.hits > 0, f"the outage {o.after} answered nothing"

    # each waiting workflow recorded its outage, as long as the server's window
    workflows = project.results()
    for stage, label, during in (
        ("execute", "B", "execute"),
        ("polling", "C", "polling"),
        ("deadline", "E", "polling"),
    ):
        if stage not in case.stages:
            assert workflows[label]["outages"] == [], f"{label} saw an outage of another stage"
            continue
        (seen,) = workflows[label]["outages"]
        assert seen["during"] == during
        assert seen["ended_at"] is not None and seen["requests"] >= 1
        assert seen["duration"] >= case.duration - 6.0, seen
    # the outage ridden out at the login check, before any workflow, is the run's own
    run_outages = results_json(project)["outages"]
    if "login" in case.stages:
        (seen,) = run_outages
        assert seen["during"] == "login" and seen["ended_at"] is not None, seen
        assert seen["duration"] >= case.duration - 6.0, seen
        html = (project.path / "reports" / "report.html").read_text(encoding="utf-8")
        assert "<dt>Server outage</dt>" in html
    else:
        assert run_outages == []
    e = workflows["E"]
    assert e["duration"] < 3.0 and e["outcome"] == "passed", "judged on the server's clock"
    assert "aperture: server unreachable since" in out
    assert "aperture: server reachable again at" in out


@pytest.mark.long_wait
def test_an_outage_in_every_stage_passes_with_one_job_each_and_no_cancel(
    tmp_path: Path, pytester: pytest.Pytester, emulator_factory: EmulatorFactory, subtests: Any
) -> None:
    with ExitStack() as stack:
        runs = []
        for case in CASES:
            emu = emulator_factory(None, api_keys=(API_KEY,))
            stack.callback(emu.end_outages)
            each = Project(pytester, emu, folder=tmp_path / case.id)
            outages = four_stages(each, case.kind, case.duration, case.stages)
            started = each.start("-n", case.workers, "--deadline-grace=1s")
            stack.callback(started.kill)
            runs.append((case, each, outages, started))
        for case, each, outages, started in runs:
            result = started.wait(timeout=case.duration * len(case.stages) + HANG_GUARD)
            with subtests.test(case=case.id):
                check_case(case, each, outages, result)
                each.emulator.end_outages()
                assert_no_job_active(each.emulator.jobs)


@pytest.mark.parametrize(("kind", "workers"), [("503", "2"), ("refused", "0")])
def test_an_outage_longer_than_the_budget_fails_as_server_unreachable(
    project: Project, kind: str, workers: str
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1", 4.0))
    emu.add_workflow(workflow("W2", 0.3))
    project.write({"first": ["W1"], "second": ["W2"]})
    emu.add_outage(Outage(kind, duration=None, after="job_start", workflow="W1", delay=0.5))
    result = project.run("-n", workers, "--outage-budget=12s", "-rs", timeout=240)
    emu.end_outages()
    out = result.stdout.str()
    assert result.ret == EXIT_SERVER_UNREACHABLE, out
    result.assert_outcomes(failed=1, skipped=1)
    (job,) = emu.jobs
    assert not job.cancelled and cancels(emu) == [], "the job must be left alone"

    w1 = project.results()["W1"]
    assert w1["failure_kind"] == "unreachable"
    message = w1["message"]
    assert message.startswith("server unreachable: ")
    assert "the server could not be reached for" in message
    assert f"job {job.job_id} was last seen RUNNING" in message
    assert "it may still be running: check it in Data Studio" in message
    assert "outage budget 12s" in message
    (seen,) = w1["outages"]
    assert seen["ended_at"] is None and seen["during"] == "polling"
    assert results_json(project)["exit_status"] == EXIT_SERVER_UNREACHABLE
    assert "Traceback" not in out

    reports = project.pytester.path / "reports"
    junit = ET.parse(reports / "junit.xml").getroot()
    (case,) = [c for c in junit.iter("testcase") if c.get("name") == "W1"]
    assert "server unreachable" in "".join(case.itertext())
    html = (reports / "report.html").read_text(encoding="utf-8")
    assert "server unreachable" in html and "never answered again" in html


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_budget_shorter_than_the_interval_is_used_to_its_end(
    project: Project, workers: str
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1", 4.0))
    project.write({"first": ["W1"]})
    # 20 s of 503 against a budget of 6 s: the ride-out interval (5-6.25 s) would
    # overshoot it, so the last attempt must be cut to come at the budget's end
    window = emu.add_outage(Outage("503", duration=20.0, after="job_start", delay=0.5))
    result = project.run("-n", workers, "--outage-budget=6s", timeout=120)
    out = result.stdout.str()
    assert result.ret == EXIT_SERVER_UNREACHABLE, out
    failed = [r.at for r in emu.requests if r.outage == "503"]
    assert 5.9 <= failed[-1] - failed[0] <= 7.0, failed
    message = project.results()["W1"]["message"]
    assert "the server could not be reached for 6s (since " in message, message
    assert f"{len(failed)} failed requests; outage budget 6s)" in message, (message, failed)
    assert window.hits == len(failed)
    (job,) = emu.jobs
    assert not job.cancelled


def test_a_job_still_running_when_contact_returns_past_its_deadline_is_cancelled_then(
    project: Project,
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1", 1.0, stuck=True))
    project.write({"first": ["W1"]}, extra='[workflows.W1]\nmax_duration = "2s"')
    # longer than the ordinary retries and than the deadline with its grace (3 s): the
    # deadline passes while the run rides the outage out
    window = emu.add_outage(Outage("503", duration=8.0, after="job_start", delay=0.5))
    result = project.run("-n", "0", "--deadline-grace=1s", timeout=180)
    assert result.ret == EXIT_EXECUTION_FAILURE, result.stdout.str()
    (job,) = emu.jobs
    assert job.cancelled
    (cancel,) = [r for r in emu.requests if r.path.endswith("/cancel")]
    assert window.ends is not None and cancel.at >= window.ends, "cancelled before contact"
    assert "did not finish within max_duration 2s" in project.results()["W1"]["message"]


def test_a_run_started_while_the_server_is_down_waits_at_most_wait_for_server(
    project: Project,
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1"))
    project.write({"first": ["W1"]})
    emu.add_outage(Outage("refused", duration=None))
    emu.wait_until(lambda: not emu.listening, timeout=10)
    result = project.run("-n", "2", "--wait-for-server=3s", timeout=120)
    assert result.ret == EXIT_LOGIN_FAILURE
    result.stdout.fnmatch_lines(["*LOGIN FAILED*the server could not be reached for*"])
    assert "Traceback" not in result.stdout.str()
    assert emu.jobs == []
    (seen,) = results_json(project)["outages"]  # the run's own, never ended
    assert seen["during"] == "login" and seen["ended_at"] is None, seen


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sigterm_during_an_outage_ends_promptly_with_the_reports(
    project: Project, workers: str
) -> None:
    emu = project.emulator
    # W1 runs until cancelled; the one cancel the run attempts falls in the outage, so the
    # job is left running on the server, as the run says (no waiting for it to end, after)
    emu.add_workflow(workflow("W1", 30.0, stuck=True))
    emu.add_workflow(workflow("W2", 0.3))
    project.write({"first": ["W1"], "second": ["W2"]}, defaults='max_duration = "60s"')
    window = emu.add_outage(Outage("503", duration=None, after="job_start", delay=0.5))
    run = project.start("-n", workers)
    try:
        # deep in the outage: the ordinary retries are spent and the run is riding it out
        emu.wait_until(lambda: window.hits >= 7, timeout=120)
        os.kill(run.pid, signal.SIGTERM)
        interrupted = time.monotonic()
        status = run.wait(timeout=HANG_GUARD).ret
        took = time.monotonic() - interrupted
    finally:
        run.kill()
    folder = project.path
    output = run.output()
    assert status == pytest.ExitCode.INTERRUPTED, output
    assert len(emu.jobs) == 1
    assert len(cancels(emu)) == 1, f"cancel attempted once, not {cancels(emu)}"
    data = results_json(project)
    outcomes = {w["label"]: w["outcome"] for w in data["workflows"]}
    assert outcomes == {"W1": "interrupted", "W2": "skipped"}, outcomes
    assert (folder / "reports" / "junit.xml").is_file()
    assert (folder / "reports" / "report.html").is_file()
    emu.end_outages()
    print(f"ended {took:.1f}s after SIGTERM")  # shown with -s; the bench measures speed


@pytest.fixture(autouse=True)
def _outages_end_and_jobs_settle(project: Project) -> Any:
    """After each test its project's outages end, and every job not stuck on purpose
    ends (the run may have left one alone, as it says)."""
    yield
    project.emulator.end_outages()
    emu = project.emulator

    def healthy_jobs_ended() -> bool:
        return all(j.state not in ("QUEUED", "RUNNING") for j in emu.jobs if not j.stuck)

    emu.wait_until(healthy_jobs_ended, timeout=60)  # a job left alone by the run, say
    assert_no_job_active([j for j in emu.jobs if not j.stuck])
