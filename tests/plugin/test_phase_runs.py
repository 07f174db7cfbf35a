"""End to end: the plugin runs plans over real HTTP against the emulator, in order.

Each test writes a small project (plans.toml and phase modules), runs pytest on
it in a subprocess, with or without xdist, and checks the order from the
emulator's own record of when each job was submitted, started and ended.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aperture_verify.emulator import Emulator, Fault
from aperture_verify.execution.exitcodes import (
    EXIT_EXECUTION_FAILURE,
    EXIT_LOGIN_FAILURE,
    EXIT_READINESS_FAILURE,
    EXIT_WORKER_CRASH,
)
from phase_project import (
    HANG_GUARD,
    RUN_ARGS,
    Project,
    assert_cancelled_by_its_own_wait,
    assert_phase_order,
    overlapping,
    workflow,
)

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = {
    "first": ["W1"],
    "second": ["W2", "W3", "W4"],
    "third": ["W5", "W6"],
    "fourth": ["W7"],
}


def add_phase_check(project: Project, phase: str, code: str) -> None:
    """Append hand-written phase checks to a phase module of *project*."""
    module = project.pytester.path / "test_phases" / f"test_{phase}.py"
    module.write_text(module.read_text() + code)


def add_all(project: Project, duration: float = 0.4) -> None:
    for labels in PHASES.values():
        for label in labels:
            project.emulator.add_workflow(workflow(label, duration))


class SideBySide(threading.Thread):
    """Holds *labels*' jobs RUNNING until two of them run at once, then lets them end.

    Whether two short jobs happen to overlap depends on how busy the machine is (a
    late worker may start after the first job ended); jobs that cannot end until
    they overlap make "a phase runs side by side" a fact the scheduler must bring
    about. If it does not, the held job runs into its deadline and is cancelled.
    """

    def __init__(self, emulator: Emulator, labels: list[str]) -> None:
        super().__init__(name="side by side", daemon=True)
        self.emulator, self.labels = emulator, labels
        self.seen_together = False
        self.run_ended = threading.Event()
        for label in labels:
            emulator.inject(Fault(workflow=label, stuck=True))
        self.start()

    def running(self) -> list[str]:
        return [
            j.job_id for j in self.emulator.jobs if j.label in self.labels and j.state == "RUNNING"
        ]

    def run(self) -> None:
        self.emulator.wait_until(
            lambda: len(self.running()) >= 2 or self.run_ended.is_set(), timeout=HANG_GUARD
        )
        held = self.running()
        self.seen_together = len(held) >= 2
        for job_id in held:
            self.emulator.release(job_id)

    def result(self) -> bool:
        """After the run: whether two of the held jobs were ever RUNNING at once."""
        self.run_ended.set()
        self.join(HANG_GUARD)
        return self.seen_together


@pytest.mark.parametrize("workers", ["0", "2", "4"])
def test_phases_run_in_plan_order_at_any_worker_count(project: Project, workers: str) -> None:
    add_all(project)
    # alphabetical module order (first, fourth, second, third) is not the plan's
    project.write(PHASES)
    # under xdist two of the second phase's jobs are held until they run at once, however
    # a loaded machine spreads their starts (no long durations to make an overlap likely)
    held = None if workers == "0" else SideBySide(project.emulator, PHASES["second"][:2])
    result = project.run("-n", workers)
    result.assert_outcomes(passed=7)
    assert result.ret == 0
    out = result.stdout.str()
    assert "collecting:" not in out, "xdist's status line is left half-way"
    result.stdout.fnmatch_lines(["run time *s · 7 tests: 7 passed"])
    jobs = project.jobs()
    assert sorted(j.label for j in jobs) == [f"W{i}" for i in range(1, 8)]
    assert_phase_order(jobs, PHASES)
    second = [j for j in jobs if j.label in PHASES["second"]]
    if held is None:
        assert not overlapping(second), "without xdist a phase runs one after another"
    else:
        assert held.result(), "a phase's workflows should run side by side"
        assert overlapping(second)


def test_auto_workers_follow_the_widest_phase(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    result = project.run("-n", "auto")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["*3 workers*"])
    assert_phase_order(project.jobs(), PHASES)


#: A project's conftest.py: each worker writes its process id; the controller, before
#: xdist's own end of the session (which asks every worker still there to exit), waits
#: up to 60 s for the workers' processes to be gone and writes down which are.
WORKER_EXITS = """
import os, time, pytest

def _gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True

def pytest_configure(config):
    if hasattr(config, "workerinput"):
        worker = config.workerinput["workerid"]
        (config.rootpath / f"{worker}.pid").write_text(str(os.getpid()))

@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        return
    pids = {p.stem: int(p.read_text()) for p in session.config.rootpath.glob("gw*.pid")}
    deadline = time.monotonic() + 60
    while not all(map(_gone, pids.values())) and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = sorted(name for name, pid in pids.items() if _gone(pid))
    (session.config.rootpath / "gone.txt").write_text(" ".join(gone))
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_each_worker_process_exits_once_its_work_is_over_not_at_the_end(
    project: Project,
) -> None:
    """xdist asks its workers' processes to exit only at the end of the run; the
    controller lets each go as soon as its session ended (the idle ones during the last
    phase), so the end of a run does not wait for every process to exit at once."""
    add_all(project)
    project.write(PHASES)
    project.pytester.path.joinpath("conftest.py").write_text(WORKER_EXITS)
    result = project.run("-n", "3")
    result.assert_outcomes(passed=7)
    assert project.pytester.path.joinpath("gone.txt").read_text() == "gw0 gw1 gw2"


def test_max_parallel_caps_a_phase(project: Project) -> None:
    add_all(project)
    project.write(PHASES, max_parallel=1)
    result = project.run("-n", "3")
    result.assert_outcomes(passed=7)
    second = [j for j in project.jobs() if j.label in PHASES["second"]]
    assert not overlapping(second)


def test_failure_stops_later_phases_and_they_are_reported_skipped(project: Project) -> None:
    add_all(project)
    project.emulator.add_workflow(
        workflow("W3", 0.3, outcome="FAILED", error="Step 'Lookup' failed: dataset missing")
    )
    project.write(PHASES)
    result = project.run("-n", "2", "-rs")
    result.assert_outcomes(passed=3, failed=1, skipped=3)
    assert result.ret == EXIT_EXECUTION_FAILURE
    result.stdout.fnmatch_lines(["*W3*state = FAILED, expected COMPLETED*"])
    result.stdout.fnmatch_lines(["*SKIPPED*not run: W3 (phase 'second') failed*"])
    # one run time, one count (skipped ones counted) in the terminal and the HTML report
    (line,) = [x for x in result.outlines if x.startswith("run time ")]
    assert line.endswith(" · 7 tests: 3 passed, 1 failed, 3 skipped"), line
    html = (project.pytester.path / "reports" / "report.html").read_text(encoding="utf-8")
    assert f'<p class="run-line">R{line[1:]}.</p>' in html
    took = line.removeprefix("run time ").split(" ")[0]
    assert f"<dt>Run time</dt><dd>{took}</dd>" in html
    # pytest-html's own count (skipped tests left out) is hidden by the report's style
    assert ".summary .run-count { display: none; }" in html
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2", "W3", "W4"]
    assert_phase_order(project.jobs(), PHASES)


def test_continue_runs_later_phases_after_a_failure(project: Project) -> None:
    add_all(project)
    project.emulator.add_workflow(workflow("W1", 0.3, outcome="FAILED", error="boom"))
    project.write(PHASES, on_failure="continue")
    result = project.run("-n", "2")
    result.assert_outcomes(passed=6, failed=1)
    assert_phase_order(project.jobs(), PHASES)


def test_keyword_subset_keeps_the_order(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    result = project.run("-n", "3", "-k", "W1 or W3 or W4 or W7")
    result.assert_outcomes(passed=4)
    assert sorted(j.label for j in project.jobs()) == ["W1", "W3", "W4", "W7"]
    assert_phase_order(project.jobs(), PHASES)


def test_one_phase_module_runs_that_phase_alone(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    result = project.pytester.runpytest_subprocess(
        "test_phases/test_third.py", *RUN_ARGS, "-n", "2", timeout=HANG_GUARD
    )
    result.assert_outcomes(passed=2)
    assert sorted(j.label for j in project.jobs()) == ["W5", "W6"]


def test_worker_crash_fails_that_workflow_and_the_barrier_holds(project: Project) -> None:
    add_all(project)
    project.write(PHASES, on_failure="continue")
    project.pytester.makeconftest(
        """
        import os
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_call(item):
            if item.name == "test_workflow[W2]" and os.environ.get("PYTEST_XDIST_WORKER"):
                os._exit(3)
        """
    )
    result = project.run("-n", "2")
    result.assert_outcomes(passed=6, failed=1)
    assert result.ret == EXIT_WORKER_CRASH
    result.stdout.fnmatch_lines(["*crashed while running*W2*"])
    assert_phase_order(project.jobs(), PHASES)


def test_phase_checks_see_the_phase_results_after_its_workflows(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    add_phase_check(
        project,
        "second",
        """
def test_all_three_completed(phase_results):
    assert sorted(phase_results) == ["W2", "W3", "W4"]
    assert {r.state for r in phase_results.values()} == {"COMPLETED"}
""",
    )
    result = project.run("-n", "3", "-v")
    result.assert_outcomes(passed=8)


def test_login_failure_stops_at_once_with_its_own_exit_status(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_all(project)
    project.write(PHASES)
    monkeypatch.setenv("APERTURE_API_KEY", "wrong-key")
    result = project.run("-n", "2")
    assert result.ret == EXIT_LOGIN_FAILURE
    result.assert_outcomes(failed=1, skipped=6)
    result.stdout.fnmatch_lines(["*LOGIN FAILED*401*"])
    assert project.jobs() == []
    assert "wrong-key" not in result.stdout.str() + result.stderr.str()


def test_unknown_workflow_is_a_readiness_failure(project: Project) -> None:
    """Found by the preflight: the other workflow of the phase is not run either."""
    add_all(project)
    phases = {"first": ["W1", "No Such Workflow"]}
    project.write(phases)
    result = project.run("-n", "2")
    assert result.ret == EXIT_READINESS_FAILURE
    result.assert_outcomes(skipped=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*readiness failure: no workflow with external label 'No Such Workflow'*"]
    )
    assert project.jobs() == []


def test_every_failed_check_is_listed_with_expected_and_actual(project: Project) -> None:
    add_all(project)
    project.write(
        {"first": ["W1"]},
        extra='[workflows."W1"]\nmin_duration = "10s"\n'
        'steps."Validate" = { failedRows = { max = 0 }, passedRows = 200 }\n'
        'steps."Export" = { rowsOut = { min = 1 } }\n',
    )
    result = project.run()
    assert result.ret == EXIT_EXECUTION_FAILURE
    out = result.stdout.str()
    assert "duration = 0.4s (suspiciously short), expected 10s..20s" in out
    assert 'step "Validate" passedRows = 100, expected = 200' in out
    assert 'step "Export" = missing' in out


def test_a_job_past_its_deadline_is_cancelled_on_the_server(project: Project) -> None:
    add_all(project)
    project.emulator.inject(Fault(workflow="W1", stuck=True))
    project.write({"first": ["W1"]}, extra='[workflows."W1"]\nmax_duration = "1s"\n')
    result = project.run("-o", "aperture_deadline_grace=0.5s")
    assert result.ret == EXIT_EXECUTION_FAILURE
    result.stdout.fnmatch_lines(["*did not finish within max_duration 1s*cancelled*"])
    (job,) = project.jobs()
    assert_cancelled_by_its_own_wait(job, project.results()["W1"], limit=1.5)


def test_a_phase_without_a_module_is_a_usage_error(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    (project.pytester.path / "test_phases" / "test_third.py").unlink()
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*phase 'third' has no module*test_third.py*"])
    assert project.jobs() == []


def test_a_bad_plan_is_one_line_and_nothing_runs(project: Project) -> None:
    add_all(project)
    project.write(PHASES, extra='[workflows."W1"]\nmax_duraton = "1m"\n')
    result = project.run("-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert len(errors) == 1 and "plans.toml" in errors[0] and "max_duraton" in errors[0]
    assert "Traceback" not in result.stderr.str()
    assert project.jobs() == []


def test_a_failed_phase_check_stops_the_later_phases_too(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    add_phase_check(
        project,
        "second",
        """
def test_rows_agree(phase_results):
    assert len(phase_results) == 4, "deliberately wrong"
""",
    )
    result = project.run("-n", "2", "-rs")
    result.assert_outcomes(passed=4, failed=1, skipped=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*not run: the phase check test_rows_agree (phase 'second') failed*"]
    )
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2", "W3", "W4"]


def test_plan_option_picks_another_plan_sharing_the_phases(project: Project) -> None:
    add_all(project)
    project.write(PHASES, extra='[plans.smoke]\nphases = ["fourth", "first"]\n')
    result = project.run("-n", "2", "--plan", "smoke", "-v")
    result.assert_outcomes(passed=2)
    jobs = project.jobs()
    assert [j.label for j in sorted(jobs, key=lambda j: j.submitted_at)] == ["W7", "W1"]
    assert_phase_order(jobs, {"fourth": ["W7"], "first": ["W1"]})
