"""End to end: ``--resume`` runs what did not pass and carries the rest over.

Each test runs a plan against the emulator, then resumes it; the emulator's
job log (``emu.jobs``, in order of submission) is the proof of what the
resumed run executed, and in which order.
"""

from __future__ import annotations

import json
import os
import signal
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from aperture_verify.execution.exitcodes import EXIT_EXECUTION_FAILURE
from phase_project import (
    HANG_GUARD,
    NIGHTLY,
    USAGE_ERROR,
    Project,
    assert_no_job_active,
    assert_phase_order,
    workflow,
)

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = NIGHTLY


def add_all(project: Project, duration: float = 0.3) -> None:
    for labels in PHASES.values():
        for label in labels:
            project.emulator.add_workflow(workflow(label, duration))


def results(project: Project) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (project.pytester.path / "reports" / "results.json").read_text()
    )
    return data


def junit_cases(project: Project) -> dict[str, ET.Element]:
    tree = ET.parse(project.pytester.path / "reports" / "junit.xml")
    return {case.get("name", ""): case for case in tree.iter("testcase")}


def props(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def failing_in_phase_three(project: Project, workers: str) -> dict[str, Any]:
    """Run the plan with W5 failing; return the run's results.json."""
    add_all(project)
    project.emulator.add_workflow(workflow("W5", 0.3, outcome="FAILED", error="dataset missing"))
    project.write(PHASES)
    first = project.run("-n", workers)
    assert first.ret == EXIT_EXECUTION_FAILURE, first.stdout.str()
    return results(project)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_resume_runs_the_failed_workflow_and_the_later_phases(
    project: Project, workers: str
) -> None:
    before = failing_in_phase_three(project, workers)
    emu = project.emulator
    first_jobs = {j.label: j for j in emu.jobs}
    assert sorted(first_jobs) == ["W1", "W2", "W3", "W4", "W5", "W6"]
    emu.add_workflow(workflow("W5", 0.3))  # the operator fixed the source
    done = len(emu.jobs)

    second = project.run("-n", workers, "--resume")

    output = second.stdout.str()
    assert second.ret == 0, output
    resumed = emu.jobs[done:]
    assert [j.label for j in resumed] == ["W5", "W7"], "exactly the failed one, then phase 4"
    assert_phase_order(resumed, {"enrich": ["W5"], "publish": ["W7"]})
    assert_no_job_active(emu.jobs)
    assert f"resuming run {before['run_id']}" in output
    assert "carried over from run" in output

    after = results(project)
    assert after["run_id"] != before["run_id"]
    assert after["resumed_from"]["run_id"] == before["run_id"]
    assert after["plan"]["fingerprint"] == before["plan"]["fingerprint"]
    assert after["verdict"] == "passed" and after["exit_status"] == 0
    workflows = {w["label"]: w for w in after["workflows"]}
    assert list(workflows) == [f"W{i}" for i in range(1, 8)], "the whole plan, in plan order"
    assert all(w["outcome"] == "passed" for w in workflows.values())
    carried = {label for label, w in workflows.items() if w["carried_over"]}
    assert carried == {"W1", "W2", "W3", "W4", "W6"}
    for label in carried:
        assert workflows[label]["carried_over_from"]["run_id"] == before["run_id"]
        assert workflows[label]["job_id"] == first_jobs[label].job_id
    assert workflows["W5"]["job_id"] == resumed[0].job_id

    cases = junit_cases(project)
    assert sorted(cases) == [f"W{i}" for i in range(1, 8)]
    for label, case in cases.items():
        assert case.find("failure") is None and case.find("skipped") is None, label
        assert case.get("classname") == f"main.{workflows[label]['phase']}"
    w2 = props(cases["W2"])
    assert w2["carried_over_from"].startswith(before["run_id"])
    assert before["started_at"] in w2["carried_over_from"]
    assert w2["job_id"] == first_jobs["W2"].job_id
    assert w2["job_started_at"] and w2["job_finished_at"]
    assert "carried_over_from" not in props(cases["W5"])

    html = (project.pytester.path / "reports" / "report.html").read_text()
    assert "carried over" in html and "timeline-carried" in html

    # The resumed run passed: resuming it again makes no sense, and runs nothing.
    done = len(emu.jobs)
    third = project.run("-n", workers, "--resume")
    assert third.ret == USAGE_ERROR
    third.stderr.fnmatch_lines(["ERROR: --resume: *passed: nothing to resume*"])
    assert len(emu.jobs) == done


@pytest.mark.parametrize(
    ("workers", "between"),
    [("0", ["-k", "nosuchworkflow"]), ("2", ["test_phases/test_typo.py"])],
    ids=["empty-run", "missing-module"],
)
def test_runs_that_executed_nothing_do_not_hide_the_run_to_resume(
    project: Project, workers: str, between: list[str]
) -> None:
    """A run that executed nothing (-k matched nothing: exit 5; a mistyped phase module:
    exit 4) in between keeps the failed nightly for --resume: only W5 and later run."""
    before = failing_in_phase_three(project, workers)
    emu = project.emulator
    emu.add_workflow(workflow("W5", 0.3))
    done = len(emu.jobs)
    middle = project.run("-n", workers, *between)
    assert middle.ret in (pytest.ExitCode.NO_TESTS_COLLECTED, USAGE_ERROR), middle.stdout.str()
    assert len(emu.jobs) == done, "the run in between executed a job"
    assert results(project)["previous_run"]["run_id"] == before["run_id"]

    resumed = project.run("--resume", "-n", workers)

    assert resumed.ret == 0, resumed.stdout.str()
    assert [j.label for j in emu.jobs[done:]] == ["W5", "W7"]
    after = {w["label"]: w for w in results(project)["workflows"]}
    assert after["W1"]["carried_over_from"]["run_id"] == before["run_id"]


def test_a_resumed_run_can_be_resumed(project: Project) -> None:
    before = failing_in_phase_three(project, "0")
    emu = project.emulator
    emu.add_workflow(workflow("W5", 0.3))
    emu.add_workflow(workflow("W7", 0.3, outcome="FAILED", error="still broken"))
    second = project.run("--resume")
    assert second.ret == EXIT_EXECUTION_FAILURE
    middle = results(project)
    emu.add_workflow(workflow("W7", 0.3))
    done = len(emu.jobs)

    third = project.run("--resume", "-n", "2")

    assert third.ret == 0, third.stdout.str()
    assert [j.label for j in emu.jobs[done:]] == ["W7"]
    after = {w["label"]: w for w in results(project)["workflows"]}
    # Carried over from the run each workflow really ran in.
    assert after["W1"]["carried_over_from"]["run_id"] == before["run_id"]
    assert after["W5"]["carried_over_from"]["run_id"] == middle["run_id"]
    assert not after["W7"]["carried_over"]


def test_an_interrupted_run_is_resumed(project: Project) -> None:
    emu = project.emulator
    phases = {"first": ["W1"], "second": ["W2", "W3"], "third": ["W4"]}
    emu.add_workflow(workflow("W1", 0.3))
    emu.add_workflow(workflow("W2", 30.0))
    emu.add_workflow(workflow("W3", 0.3))
    emu.add_workflow(workflow("W4", 0.3))
    project.write(phases, defaults='min_duration = "0s"\nmax_duration = "60s"')
    run = project.start("-n", "2")
    try:
        emu.wait_until(
            lambda: (
                any(j.label == "W2" and j.state == "RUNNING" for j in emu.jobs)
                and any(j.label == "W3" and j.state == "COMPLETED" for j in emu.jobs)
            ),
            timeout=HANG_GUARD,
        )
        os.kill(run.pid, signal.SIGTERM)  # a scheduler stopping the run mid-phase
        status = run.wait().ret
    finally:
        run.kill()
    assert status == pytest.ExitCode.INTERRUPTED, run.output()
    before = {w["label"]: w["outcome"] for w in results(project)["workflows"]}
    # W3 ended on the server; whether the run saw it before SIGTERM is a race.
    assert before["W3"] in ("passed", "interrupted")
    assert {k: v for k, v in before.items() if k != "W3"} == {
        "W1": "passed", "W2": "interrupted", "W4": "skipped"
    }  # fmt: skip
    again = ["W2"] if before["W3"] == "passed" else ["W2", "W3"]
    emu.add_workflow(workflow("W2", 0.3))
    done = len(emu.jobs)

    resumed = project.run("--resume", "-n", "2")

    assert resumed.ret == 0, resumed.stdout.str()
    jobs = emu.jobs[done:]
    assert sorted(j.label for j in jobs[:-1]) == again and jobs[-1].label == "W4"
    assert_phase_order(jobs, {"second": again, "third": ["W4"]})
    after = {w["label"]: w for w in results(project)["workflows"]}
    assert {k for k, w in after.items() if w["carried_over"]} == {"W1", "W2", "W3"} - set(again)
    assert all(w["outcome"] == "passed" for w in after.values())


def test_resume_is_refused_when_the_plan_changed(project: Project) -> None:
    failing_in_phase_three(project, "0")
    emu = project.emulator
    emu.clear_requests()
    # W1..W4 and W6 passed in 0.3 s: a limit of 0.2 s fails them now
    project.write(PHASES, defaults='min_duration = "0s"\nmax_duration = "0.2s"')

    result = project.run("--resume")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: --resume: plan 'main' changed since run *: workflow 'W1' would fail now under "
        "its changed max_duration: duration = 0.3s (too long), expected 0s..0.2s; run without "
        "--resume to run the whole plan"
    ])  # fmt: skip
    assert len([ln for ln in result.stderr.lines if ln.startswith("ERROR")]) == 1
    assert "Traceback" not in result.stderr.str()
    assert emu.requests == [], "nothing may reach the server"
    # max_parallel and on_failure do not change what a passed workflow proved
    project.write(PHASES, max_parallel=2, on_failure="continue")
    emu.add_workflow(workflow("W5", 0.3))
    again = project.run("--resume")
    assert again.ret == 0, again.stdout.str()
    assert "judged again" not in again.stdout.str(), "the fingerprint did not change"


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_raised_limit_is_resumed_judging_the_carried_over_results_again(
    project: Project, workers: str
) -> None:
    before = failing_in_phase_three(project, workers)
    emu = project.emulator
    emu.add_workflow(workflow("W5", 0.3))
    # the operator raises the limit (W5 was stuck) and adds a warn limit W2's 0.3 s passes
    project.write(
        PHASES,
        defaults='min_duration = "0s"\nmax_duration = "25s"',
        extra='[workflows.W2]\nwarn_max_duration = "0.2s"',
    )
    done = len(emu.jobs)

    second = project.run("-n", workers, "--resume")

    output = second.stdout.str()
    assert second.ret == 0, output
    assert [j.label for j in emu.jobs[done:]] == ["W5", "W7"]
    said = (
        f"aperture: plan 'main' changed since run {before['run_id']}; judged again under "
        "today's expectations, the carried-over results still pass: W1 (max_duration); "
        "W2 (max_duration, warn_max_duration); W3 (max_duration); W4 (max_duration); "
        "W6 (max_duration)"
    )
    assert output.count(said) == 1, output
    after = {w["label"]: w for w in results(project)["workflows"]}
    assert {k for k, w in after.items() if w["carried_over"]} == {"W1", "W2", "W3", "W4", "W6"}
    assert after["W1"]["max_duration"] == 25.0
    assert [(c["name"], c["expected"], c["actual"]) for c in after["W1"]["checks"]] == [
        ("state", "COMPLETED", "COMPLETED"),
        ("duration", "0s..25s", "0.3s"),
    ]
    assert [w["message"] for w in after["W2"]["warnings"]] == [
        "W2 took 0.3s, above warn_max_duration 0.2s"
    ]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_carried_over_phase_keeps_its_check_in_junit(project: Project, workers: str) -> None:
    add_all(project)
    project.emulator.add_workflow(workflow("W5", 0.3, outcome="FAILED", error="dataset missing"))
    project.write(PHASES)
    module = project.path / "test_phases" / "test_ingest.py"
    module.write_text(module.read_text() + CHECK_PASSES)
    first = project.run("-n", workers)
    assert first.ret == EXIT_EXECUTION_FAILURE, first.stdout.str()
    before = results(project)
    first_cases = junit_cases(project)
    assert len(first_cases) == 8 and "test_loaded_rows_agree" in first_cases
    project.emulator.add_workflow(workflow("W5", 0.3))

    second = project.run("-n", workers, "--resume")

    assert second.ret == 0, second.stdout.str()
    cases = junit_cases(project)
    assert sorted(cases) == sorted(first_cases), "every case of the previous run is there"
    check = cases["test_loaded_rows_agree"]
    assert check.get("classname") == "main.ingest"
    assert [c.tag for c in check if c.tag in ("failure", "error", "skipped")] == []
    started = before["started_at"]
    assert props(check) == {
        "phase": "ingest",
        "carried_over_from": f"{before['run_id']} (started {started})",
    }
    assert props(cases["W1"])["carried_over_from"] == props(check)["carried_over_from"]
    root = ET.parse(project.pytester.path / "reports" / "junit.xml").getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None and suite.get("tests") == "8" and suite.get("failures") == "0"
    assert results(project)["phase_checks"] == [
        {"phase": "ingest", "test": "test_loaded_rows_agree", "outcome": "passed",
         "carried_over_from": {"run_id": before["run_id"], "started_at": started}},
    ]  # fmt: skip


CHECK_PASSES = """

def test_loaded_rows_agree(phase_results):
    assert list(phase_results) == ["W1"]
"""


def test_resume_is_refused_without_a_usable_previous_run(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    reports = project.pytester.path / "reports"

    missing = project.run("--resume")
    assert missing.ret == USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: --resume: no previous run to resume: *results.json*"])

    reports.mkdir(exist_ok=True)
    (reports / "results.json").write_text('{"version": 1, "plan": ')
    broken = project.run("--resume")
    assert broken.ret == USAGE_ERROR
    broken.stderr.fnmatch_lines(["ERROR: --resume: *results.json is not valid JSON*"])

    (reports / "results.json").write_text(
        json.dumps({"version": 1, "run_id": "x", "plan": {"name": "nightly"}, "workflows": []})
    )
    other = project.run("--resume")
    assert other.ret == USAGE_ERROR
    other.stderr.fnmatch_lines(["ERROR: --resume: *is of plan 'nightly', not 'main'*"])
    assert project.jobs() == []


def test_resume_from_the_environment_and_the_ini(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_in_phase_three(project, "0")
    project.emulator.add_workflow(workflow("W5", 0.3))
    done = len(project.jobs())
    (project.pytester.path / "pytest.ini").write_text("[pytest]\naperture_resume = true\n")
    monkeypatch.setenv("APERTURE_RESUME", "0")  # the environment wins over the ini
    plain = project.run("--dry-run")
    assert plain.ret == 0 and "resuming run" not in plain.stdout.str()
    monkeypatch.setenv("APERTURE_RESUME", "maybe")
    wrong = project.run()
    assert wrong.ret == USAGE_ERROR
    wrong.stderr.fnmatch_lines(["ERROR: --resume / APERTURE_RESUME: 'maybe' is not true or false*"])
    monkeypatch.delenv("APERTURE_RESUME")
    resumed = project.run()  # the ini says resume
    assert resumed.ret == 0, resumed.stdout.str()
    assert [j.label for j in project.jobs()[done:]] == ["W5", "W7"]


CHECK_UNTIL_FIXED = """

def test_exports_reconcile(phase_results):
    import pathlib
    assert not pathlib.Path("exports-mismatch").exists(), "the exported rows do not reconcile"
"""


def test_a_failed_phase_check_in_the_last_phase_is_resumed_not_called_passed(
    project: Project,
) -> None:
    add_all(project)
    project.write(PHASES)
    module = project.path / "test_phases" / "test_publish.py"
    module.write_text(module.read_text() + CHECK_UNTIL_FIXED)
    (project.path / "exports-mismatch").touch()
    first = project.run("-n", "2")
    assert first.ret == 1, first.stdout.str()  # every workflow passed; the phase did not
    before = results(project)
    assert before["phase_checks_failed"] == [{"phase": "publish", "test": "test_exports_reconcile"}]
    (project.path / "exports-mismatch").unlink()  # the operator fixed the export
    done = len(project.emulator.jobs)

    second = project.run("-n", "2", "--resume")

    assert second.ret == 0, second.stdout.str()
    assert [j.label for j in project.emulator.jobs[done:]] == ["W7"], "the phase runs again"
    after = results(project)
    assert after["phase_checks_failed"] == []
    carried = {w["label"] for w in after["workflows"] if w["carried_over"]}
    assert carried == {f"W{i}" for i in range(1, 7)}


CHECK_UNTIL_RELEASED = """

def test_exports_reconcile():
    import pathlib, time
    pathlib.Path("check-started").touch()
    while not pathlib.Path("released").exists():  # until the interruption, on the first run
        time.sleep(0.1)
"""


@pytest.mark.parametrize(
    ("phase", "workers", "again"),
    [("publish", "2", ["W7"]), ("enrich", "0", ["W5", "W6", "W7"])],
    ids=["last-phase", "earlier-phase"],
)
def test_a_run_interrupted_in_a_phase_check_is_resumed_from_the_check_s_phase(
    project: Project, phase: str, workers: str, again: list[str]
) -> None:
    """SIGTERM while a phase check runs: results.json says the check was interrupted, and
    --resume runs its phase again (its workflows, then its check), as for a failed check."""
    add_all(project)
    project.write(PHASES)
    module = project.path / "test_phases" / f"test_{phase}.py"
    module.write_text(module.read_text() + CHECK_UNTIL_RELEASED)
    run = project.start("-n", workers)
    try:
        project.emulator.wait_until(
            lambda: (project.path / "check-started").exists(), timeout=HANG_GUARD
        )
        os.kill(run.pid, signal.SIGTERM)  # a scheduler stopping the run during the check
        status = run.wait().ret
    finally:
        run.kill()
    assert status == pytest.ExitCode.INTERRUPTED, run.output()
    before = results(project)
    assert before["phase_checks"] == [
        {"phase": phase, "test": "test_exports_reconcile", "outcome": "interrupted",
         "carried_over_from": None},
    ]  # fmt: skip
    (project.path / "released").touch()
    done = len(project.emulator.jobs)

    second = project.run("-n", workers, "--resume")

    assert second.ret == 0, second.stdout.str()
    assert [j.label for j in project.emulator.jobs[done:]] == again
    after = results(project)
    assert after["resumed_from"]["run_id"] == before["run_id"]
    assert after["phase_checks"] == [
        {"phase": phase, "test": "test_exports_reconcile", "outcome": "passed",
         "carried_over_from": None},
    ]  # fmt: skip
    carried = {w["label"] for w in after["workflows"] if w["carried_over"]}
    assert carried == {f"W{i}" for i in range(1, 8)} - set(again)
