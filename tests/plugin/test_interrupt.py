"""Ctrl-C and SIGTERM in the middle of a phase: nothing lost, nothing orphaned.

A real ``python -m pytest`` runs a plan in its own session (process group),
with and without xdist. Once the emulator shows the second phase's jobs
RUNNING, the test interrupts it as a terminal (SIGINT to the process group) or
a scheduler (SIGTERM to pytest's process) would, then checks that every job
the run started has ended on the server, that the three reports were written
with what finished and what was interrupted, and that the exit status is
pytest's "interrupted" (2).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from aperture_verify.reporting.junit import schema_path
from phase_project import HANG_GUARD, RUN_ARGS, Project, assert_no_job_active, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = {"first": ["W1"], "second": ["W2", "W3"], "third": ["W4"]}
LONG = 30.0  # the second phase's jobs would run this long: only the interruption ends them

# pytest as a terminal starts it: Ctrl-C raises KeyboardInterrupt, even when these tests
# run under a process that ignores SIGINT (as a background job of a shell script does,
# and its children inherit that).
AS_FROM_A_TERMINAL = (
    "import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def start(project: Project, workers: str) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the run in a new session; its output goes to files in the project folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"))
    }
    assert env.get("APERTURE_API_KEY"), "the run needs the emulator's API key"
    folder = project.pytester.path
    with (folder / "stdout.txt").open("wb") as out, (folder / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                AS_FROM_A_TERMINAL,
                "test_phases",
                *RUN_ARGS,
                "-n",
                workers,
            ],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return proc, folder


def ended(
    proc: subprocess.Popen[bytes], folder: Path, signum: int | None = None
) -> tuple[int | None, str]:
    """Send *signum* (none: the test failed before) and wait for the run to end; killed
    if it does not. Its exit status and its output."""
    status = None
    try:
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C: the terminal signals the whole group
        elif signum is not None:
            os.kill(proc.pid, signum)  # a scheduler stopping the run signals pytest only
        if signum is not None:
            status = proc.wait(timeout=HANG_GUARD)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = (folder / "stdout.txt").read_text() + (folder / "stderr.txt").read_text()
    return status, output


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_phase_cancels_its_jobs_and_writes_the_reports(
    project: Project, workers: str, signum: signal.Signals
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1", 0.3))
    emu.add_workflow(workflow("W2", LONG))
    emu.add_workflow(workflow("W3", LONG))
    emu.add_workflow(workflow("W4", 0.3))
    project.write(PHASES, defaults='min_duration = "0s"\nmax_duration = "60s"')
    with (project.path / "test_phases" / "test_first.py").open("a") as module:
        module.write("\n\ndef test_first_check():\n    pass\n")  # a phase check
    side_by_side = 2 if workers == "2" else 1
    proc, folder = start(project, workers)
    try:
        emu.wait_until(
            lambda: (
                len([j for j in emu.jobs if j.label in ("W2", "W3") and j.state == "RUNNING"])
                == side_by_side
            ),
            timeout=HANG_GUARD,
        )
    except BaseException:
        ended(proc, folder)
        raise
    status, output = ended(proc, folder, signum)

    assert status == pytest.ExitCode.INTERRUPTED, output
    jobs = {j.label: j for j in emu.jobs}
    assert_no_job_active(list(jobs.values()))
    assert "W4" not in jobs, "the next phase started after the interruption"
    running = [label for label in ("W2", "W3") if label in jobs]
    assert len(running) == side_by_side
    assert all(jobs[label].state == "CANCELLED" for label in running), output
    assert jobs["W1"].state == "COMPLETED"

    reports = folder / "reports"
    for name in ("report.html", "junit.xml"):
        assert (reports / name).is_file(), f"{name} missing after the interruption\n{output}"
    ET.parse(reports / "junit.xml")  # complete, well-formed XML
    assert_junit_after_interruption(reports / "junit.xml", {j: jobs[j].job_id for j in running})
    # The terminal's tally: each interrupted workflow counted as interrupted, and its row's
    # state in the column of the others' (W1's row: "PASSED" padded to "INTERRUPTED").
    assert f"· 5 tests: 2 passed, {side_by_side} interrupted, {4 - 1 - side_by_side} skipped" in (
        output
    ), output
    rows = {line.split()[0]: line for line in output.splitlines() if line.startswith("  W")}
    assert rows["W1"].index("COMPLETED") == rows[running[0]].index("CANCELLED"), output
    html = (reports / "report.html").read_text()
    assert all(label in html for label in PHASES["second"])
    assert (reports / "results.json").is_file(), (
        f"results.json missing after the interruption\n{output}"
    )
    data = json.loads((reports / "results.json").read_text())
    outcomes = {w["label"]: w["outcome"] for w in data["workflows"]}
    assert outcomes["W1"] == "passed"
    assert all(outcomes[label] == "interrupted" for label in running), outcomes
    # An interrupted job that had started keeps its times, whoever recorded it: the only
    # process, the controller after SIGTERM, or after Ctrl-C under xdist (each worker
    # cancels its own job and is gone) the controller asking the server for the job.
    for entry in data["workflows"]:
        if entry["label"] in running:
            assert entry["job_id"] == jobs[entry["label"]].job_id, entry
            assert entry["started_at"] and entry["state"] == "CANCELLED", entry
            assert entry["finished_at"], entry
    assert outcomes["W4"] == "skipped"
    assert data["exit_status"] == pytest.ExitCode.INTERRUPTED


def valid_junit_cases(folder: Path) -> tuple[ET.Element, dict[tuple[Any, Any], ET.Element]]:
    """The run's junit.xml, validated against the schema: its suite and its cases by
    (classname, name)."""
    path = folder / "reports" / "junit.xml"
    xmlschema.XMLSchema11(str(schema_path())).validate(str(path))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    return suite, {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}


def assert_junit_after_interruption(path: Path, running: dict[str, str]) -> None:
    """One case per selected workflow and phase check, none nameless; each workflow
    whose job the interruption cancelled an error saying so, the others skipped."""
    xmlschema.XMLSchema11(str(schema_path())).validate(str(path))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = [(c.get("classname"), c.get("name")) for c in suite.iter("testcase")]
    workflows = [(f"main.{phase}", label) for phase, labels in PHASES.items() for label in labels]
    assert sorted(cases) == sorted([*workflows, ("main.first", "test_first_check")]), cases
    verdicts = {}
    for case in suite.iter("testcase"):
        tags = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        assert len(tags) <= 1, (case.get("name"), tags)
        verdicts[case.get("name")] = tags[0] if tags else "passed"
        if case.get("name") in running:
            error = case.find("error")
            assert error is not None, ET.tostring(case, encoding="unicode")
            job_id = running[str(case.get("name"))]
            message = str(error.get("message"))
            assert "interrupted" in message and f"job {job_id} was cancelled" in message, message
    not_run = [label for label in PHASES["second"] + PHASES["third"] if label not in running]
    assert verdicts == {
        "W1": "passed",
        "test_first_check": "passed",
        **dict.fromkeys(running, "error"),
        **dict.fromkeys(not_run, "skipped"),
    }
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {
        "tests": "5",
        "failures": "0",
        "errors": str(len(running)),
        "skipped": str(len(not_run)),
    }


SLOW_CHECK = """

def test_first_slow_check():
    import pathlib, time
    pathlib.Path("check-started").touch()
    time.sleep(60)  # only the interruption ends it
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_phase_check_cut_short_is_one_error_case(project: Project, workers: str) -> None:
    emu = project.emulator
    for label in ("W1", "W2", "W3", "W4"):
        emu.add_workflow(workflow(label, 0.3))
    project.write(PHASES, defaults='min_duration = "0s"\nmax_duration = "60s"')
    with (project.path / "test_phases" / "test_first.py").open("a") as module:
        module.write(SLOW_CHECK)
    proc, folder = start(project, workers)
    try:
        emu.wait_until(lambda: (folder / "check-started").exists(), timeout=HANG_GUARD)
    except BaseException:
        ended(proc, folder)
        raise
    status, output = ended(proc, folder, signal.SIGTERM)
    assert status == pytest.ExitCode.INTERRUPTED, output
    suite, cases = valid_junit_cases(folder)
    assert len(cases) == len(list(suite.iter("testcase"))) == 5, list(cases)
    check = cases[("main.first", "test_first_slow_check")]
    assert [c.tag for c in check if c.tag in ("skipped", "failure", "error")] == ["error"]
    error = check.find("error")
    assert error is not None
    assert error.get("message") == "the run was interrupted while it ran", error.get("message")
    counts = [suite.get(k) for k in ("tests", "failures", "errors", "skipped")]
    assert counts == ["5", "0", "1", "3"], output
    assert "· 5 tests: 1 passed, 1 interrupted, 3 skipped" in output, output


ONE_BY_ONE = {"first": ["W1"], "second": ["W2"], "third": ["W3"]}


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("phase", ["second", "third"], ids=["own-phase", "later-phase"])
def test_a_phase_check_the_interruption_kept_from_running_is_reported_skipped(
    project: Project, workers: str, phase: str
) -> None:
    """SIGTERM while W2 runs: the check of W2's phase (not started, it runs after the
    phase's workflows) or of the next phase is in every report, skipped, as W3 is."""
    emu = project.emulator
    emu.add_workflow(workflow("W1", 0.3))
    emu.add_workflow(workflow("W2", LONG))
    emu.add_workflow(workflow("W3", 0.3))
    project.write(ONE_BY_ONE, defaults='min_duration = "0s"\nmax_duration = "60s"')
    with (project.path / "test_phases" / f"test_{phase}.py").open("a") as module:
        module.write("\n\ndef test_rows_agree():\n    pass\n")
    proc, folder = start(project, workers)
    try:
        emu.wait_until(
            lambda: any(j.label == "W2" and j.state == "RUNNING" for j in emu.jobs),
            timeout=HANG_GUARD,
        )
    except BaseException:
        ended(proc, folder)
        raise
    status, output = ended(proc, folder, signal.SIGTERM)

    assert status == pytest.ExitCode.INTERRUPTED, output
    assert "· 4 tests: 1 passed, 1 interrupted, 2 skipped" in output, output
    suite, cases = valid_junit_cases(folder)
    assert len(cases) == len(list(suite.iter("testcase"))) == 4, list(cases)
    check = cases[(f"main.{phase}", "test_rows_agree")]
    assert [c.tag for c in check if c.tag in ("skipped", "failure", "error")] == ["skipped"]
    skipped = check.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not run: the run was interrupted", skipped.get("message")
    counts = [suite.get(k) for k in ("tests", "failures", "errors", "skipped")]
    assert counts == ["4", "0", "1", "2"], output
    data = json.loads((folder / "reports" / "results.json").read_text())
    assert data["phase_checks"] == [
        {"phase": phase, "test": "test_rows_agree", "outcome": "skipped",
         "carried_over_from": None},
    ]  # fmt: skip
    assert {w["label"]: w["outcome"] for w in data["workflows"]} == {
        "W1": "passed", "W2": "interrupted", "W3": "skipped"
    }  # fmt: skip
