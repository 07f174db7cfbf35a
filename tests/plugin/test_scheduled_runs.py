"""Runs as a scheduler starts them (issue 22): one at a time, stopped at any moment.

Real ``python -m pytest`` processes run a throw-away project against one
emulator: a second run of the plan while the first is in its phase is refused
before it sends anything; a run killed outright leaves its lock and its run
folder, which the next run takes over and removes; SIGTERM while the run waits
for a server that is down at the start ends it with exit status 2 and reports
that say so.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.emulator import Emulator, Scenario
from aperture_verify.emulator.outage_windows import Outage
from aperture_verify.execution.exitcodes import EXIT_ALREADY_RUNNING
from phase_project import API_KEY, HANG_GUARD, Project, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

SECOND_KEY = "second-run-key-77c1"
PHASES = {"first": ["W1"], "second": ["W2"]}
LONG = 60.0  # W1 runs this long: only the test ends it


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(workflows=(workflow("W1", LONG), workflow("W2", 0.3)))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """An emulator that takes two API keys: the second run uses the other, so that its
    requests, if any, can be told from the first run's."""
    return {"api_keys": (API_KEY, SECOND_KEY), "check": False}


@pytest.fixture
def two_keys(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> Project:
    """A project on that emulator."""
    monkeypatch.setenv("APERTURE_API_KEY", API_KEY)
    for name in ("APERTURE_URL", "APERTURE_API", "APERTURE_PLAN", "APERTURE_NO_LOCK"):
        monkeypatch.delenv(name, raising=False)
    project = Project(pytester, emulator)
    project.write(PHASES, defaults='min_duration = "0s"\nmax_duration = "90s"')
    return project


def sent_with(emu: Emulator, key: str) -> int:
    """How many requests the emulator received carrying *key*."""
    return sum(1 for r in emu.requests if any(key in v for v in r.headers.values()))


def running(emu: Emulator, label: str) -> bool:
    return any(j.label == label and j.state == "RUNNING" for j in emu.jobs)


def live_run_id(reports: Path) -> str | None:
    """The run id of a live results.json ("verdict": "running"), else None."""
    try:
        doc = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc.get("run_id") if doc.get("verdict") == "running" else None


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_second_run_of_the_plan_is_refused_at_once_and_sends_nothing(
    two_keys: Project, tmp_path: Path, workers: str
) -> None:
    project, emu = two_keys, two_keys.emulator
    reports = project.path / "reports"
    reports.mkdir()
    (reports / "results.json").write_text('{"sentinel": true}')
    first = project.start("-n", "0", env={"TMPDIR": str(tmp_path)}, log="first.txt")
    try:
        emu.wait_until(lambda: running(emu, "W1"), timeout=HANG_GUARD)
        emu.wait_until(lambda: live_run_id(reports) is not None, timeout=HANG_GUARD)
        first_run = live_run_id(reports)  # the running run's live results.json
        second = project.start(
            "-n", workers, env={"APERTURE_API_KEY": SECOND_KEY}, log="second.txt"
        )
        result = second.wait()
        output = second.output()
        assert result.ret == EXIT_ALREADY_RUNNING, output
        lines = [line for line in output.splitlines() if "another run of plan" in line]
        assert len(lines) == 1, output
        assert lines[0].startswith("AlreadyRunning: another run of plan 'main' against ")
        assert f"process {first.pid}, started 20" in lines[0]
        assert "against http://127.0.0.1:" in lines[0] and "host " in lines[0]
        assert "Traceback" not in output
        assert sent_with(emu, SECOND_KEY) == 0, "the refused run sent requests"
        assert sent_with(emu, API_KEY) > 0  # the count can see a run's requests
        # the running run's reports (its live results.json) are untouched
        assert live_run_id(reports) == first_run
        assert first.process.poll() is None, "the first run ended: the test proves nothing"
    finally:
        if first.process.poll() is None:
            os.kill(first.pid, signal.SIGTERM)
        status = first.wait().ret
    assert status == pytest.ExitCode.INTERRUPTED, first.output()
    assert not list((project.path / ".aperture" / "locks").glob("*.lock")), "lock not released"


def test_a_killed_run_s_lock_and_run_folder_are_taken_over_by_the_next_run(
    two_keys: Project, tmp_path: Path
) -> None:
    project, emu = two_keys, two_keys.emulator
    first = project.start("-n", "0", env={"TMPDIR": str(tmp_path)}, log="first.txt")
    try:
        emu.wait_until(lambda: running(emu, "W1"), timeout=HANG_GUARD)
    finally:
        first.kill()  # SIGKILL: nothing of the run's own clean-up happens
    assert len(list(tmp_path.glob("aperture-run-*"))) == 1
    assert len(list((project.path / ".aperture" / "locks").glob("*.lock"))) == 1

    second = project.start(
        "-n", "2", "--workflows", "W2", env={"TMPDIR": str(tmp_path)}, log="second.txt"
    )
    result = second.wait()
    output = second.output()
    assert result.ret == 0, output
    assert f"process {first.pid}, started 20" in output
    assert "): its process is gone" in output
    assert "removed 1 run folder(s) left by killed runs" in output
    assert list(tmp_path.glob("aperture-run-*")) == []
    assert not list((project.path / ".aperture" / "locks").glob("*.lock"))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sigterm_while_waiting_for_a_server_down_at_the_start(
    two_keys: Project, tmp_path: Path, workers: str
) -> None:
    project, emu = two_keys, two_keys.emulator
    down = emu.add_outage(Outage("503", duration=None, after="start"))
    reports = project.path / "reports"
    reports.mkdir()
    (reports / "results.json").write_text('{"verdict": "passed", "sentinel": true}')
    run = project.start(
        "-n", workers, "--wait-for-server=5m", env={"TMPDIR": str(tmp_path)}, log="run.txt"
    )
    try:
        emu.wait_until(lambda: down.hits >= 1, timeout=HANG_GUARD)
        os.kill(run.pid, signal.SIGTERM)
        result = run.wait()
    finally:
        run.kill()
        emu.end_outages()
    output = run.output()
    assert result.ret == pytest.ExitCode.INTERRUPTED, output
    assert result.duration < HANG_GUARD
    data = json.loads((reports / "results.json").read_text())
    assert data["exit_status"] == 2 and data["verdict"] == "error", data
    assert "interrupted during the start-up" in data["error"]
    assert data["previous_run"] == {"verdict": "passed", "sentinel": True}
    assert "interrupted" in (reports / "junit.xml").read_text()
    assert "exit status 2" in (reports / "report.html").read_text()
    assert list(tmp_path.glob("aperture-run-*")) == [], "the run folder was left behind"
    assert emu.jobs == []


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_key_from_a_file_others_can_read_with_spaces_runs_with_two_warnings(
    two_keys: Project, tmp_path: Path, workers: str
) -> None:
    project, emu = two_keys, two_keys.emulator
    emu.add_workflow(workflow("W1", 0.2))  # short this time
    key_file = tmp_path / "api-key.txt"
    key_file.write_text(f" {SECOND_KEY} \n")
    key_file.chmod(0o644)
    run = project.start(
        "-n", workers, env={"APERTURE_API_KEY": "", "APERTURE_API_KEY_FILE": str(key_file)}
    )
    result = run.wait()
    output = run.output()
    assert result.ret == 0, output
    warnings = [line for line in output.splitlines() if line.startswith("aperture: WARNING")]
    assert warnings == [
        f"aperture: WARNING: APERTURE_API_KEY_FILE: {key_file} can be read by other users "
        f"(mode 0644); restrict it: chmod 600 {key_file}",
        "aperture: WARNING: APERTURE_API_KEY_FILE: the value had surrounding whitespace "
        "(1 leading, 1 trailing character(s)); it was stripped - remove it at the source",
    ]
    assert sent_with(emu, SECOND_KEY) > 0 and sent_with(emu, API_KEY) == 0
    for report in (project.path / "reports").iterdir():
        assert SECOND_KEY not in report.read_text(encoding="utf-8"), report
    assert SECOND_KEY not in output
