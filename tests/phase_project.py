"""Helpers to build a throw-away suite project (plans.toml + phase modules) for pytester."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pytest

from aperture_verify.emulator import Emulator, JobRecord, StepScript, WorkflowScript
from aperture_verify.execution.results import WorkflowResult

API_KEY = "test-key-3f9a"

#: The nightly chain of the brief: Workflow 1; then 2, 3 and 4 side by side; then 5 and 6;
#: then 7 (its phases in plan order, which is also their modules' alphabetical order).
NIGHTLY = {
    "ingest": ["W1"],
    "cleanse": ["W2", "W3", "W4"],
    "enrich": ["W5", "W6"],
    "publish": ["W7"],
}
USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)

#: Seconds a subprocess run (or a wait on one) may take before the test calls it a
#: hang. Generous on purpose: a loaded CI machine must never trip it, a real hang
#: must (and then fails the test instead of blocking the suite).
HANG_GUARD = 300.0

#: Given to every throw-away run: no cache folder, and without the hypothesis plugin
#: (a dev dependency of this repository, not of the suite, that every process of
#: every run would otherwise import at session end: seconds of CPU per run).
RUN_ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")

PHASE_MODULE = """
import pytest
pytestmark = pytest.mark.phase("{phase}")

def test_workflow(workflow, verify):
    verify(workflow)
"""


def workflow(label: str, duration: float = 0.4, **kw: object) -> WorkflowScript:
    steps = kw.pop(
        "steps",
        (
            StepScript("Load", type="SOURCE", rows_out=100),
            StepScript(
                "Validate",
                type="VALIDATE",
                rows_in=100,
                rows_out=100,
                passed_rows=100,
                failed_rows=0,
            ),
        ),
    )
    return WorkflowScript(label, space="Demo", duration=duration, steps=steps, **kw)  # type: ignore[arg-type]


@dataclass
class Project:
    pytester: pytest.Pytester
    emulator: Emulator
    #: Another folder than the pytester's, for several projects in one test.
    folder: Path | None = None

    @property
    def path(self) -> Path:
        return self.folder or self.pytester.path

    def write(
        self,
        phases: Mapping[str, Sequence[str]],
        *,
        on_failure: str = "stop",
        max_parallel: int = 8,
        extra: str = "",
        defaults: str = 'min_duration = "0s"\nmax_duration = "20s"',
        modules: bool = True,
        server: str = "",
    ) -> None:
        names = ", ".join(f'"{p}"' for p in phases)
        text = [
            'default_plan = "main"',
            "[server]",
            f'url = "{self.emulator.url}"',
            'api = "v2"',
            'space = "Demo"',
            server,
            "[defaults]",
            defaults,
            "[plans.main]",
            f"phases = [{names}]",
            f'on_failure = "{on_failure}"',
            f"max_parallel = {max_parallel}",
        ]
        for phase, labels in phases.items():
            text.append(f"[phases.{phase}]")
            text.append("workflows = [" + ", ".join(f'"{w}"' for w in labels) + "]")
        text.append(extra)
        self.path.mkdir(parents=True, exist_ok=True)
        self.path.joinpath("plans.toml").write_text("\n".join(text) + "\n")
        # The project's own ini file: pytest must not take up a pyproject.toml or
        # pytest.ini that happens to lie in a folder above the temporary directory.
        ini = self.path / "pytest.ini"
        if not ini.exists():
            ini.write_text("[pytest]\n")
        if modules:
            folder = self.path / "test_phases"
            folder.mkdir(exist_ok=True)
            for phase in phases:
                (folder / f"test_{phase}.py").write_text(PHASE_MODULE.format(phase=phase))

    def run(self, *args: str, timeout: float = HANG_GUARD) -> pytest.RunResult:
        """Run the project in a subprocess; past *timeout* seconds the run is a hang."""
        assert self.folder is None, "runpytest_subprocess runs in the pytester's folder: start()"
        return self.pytester.runpytest_subprocess(
            "test_phases",
            *RUN_ARGS,
            "-o",
            "console_output_style=classic",
            *args,
            timeout=timeout,
        )

    def start(self, *args: str, env: Mapping[str, str] = {}, log: str = "out.txt") -> Started:
        """Start the project's run in the background (several may run side by side);
        *env* is added to the environment, the output goes to the file *log*."""
        return Started(self.path, ["test_phases", *RUN_ARGS, *args], env, log)

    def jobs(self) -> list[JobRecord]:
        return self.emulator.jobs

    def results(self) -> dict[str, dict[str, Any]]:
        """The workflows of reports/results.json, by external label."""
        data = json.loads((self.path / "reports" / "results.json").read_text())
        return {w["label"]: w for w in data["workflows"]}


class Started:
    """A pytest run of a project folder, in its own process group, its output to a file.

    The environment is the test's own (the ``project`` fixture's API key...) less
    what the outer pytest and xdist set for themselves.
    """

    def __init__(
        self, folder: Path, args: Sequence[str], extra: Mapping[str, str], log: str
    ) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"))
        }
        env["APERTURE_API_KEY"] = API_KEY
        for name in ("APERTURE_URL", "APERTURE_API", "APERTURE_PLAN"):
            env.pop(name, None)
        env.update(extra)
        self.folder = folder
        self.log = folder / log
        self.began = time.monotonic()
        self._log: IO[bytes] = self.log.open("wb")
        command = [sys.executable, "-m", "pytest", *args, "-o", "console_output_style=classic"]
        self.process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = HANG_GUARD) -> pytest.RunResult:
        """The run's result; past *timeout* seconds (from its start) it is killed: a hang."""
        left = max(0.0, timeout - (time.monotonic() - self.began))
        try:
            status = self.process.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"the run in {self.folder} hung (over {timeout:g}s):\n{self.output()[-3000:]}"
            ) from None
        finally:
            self._log.close()
        lines = self.output().splitlines()
        return pytest.RunResult(status, lines, [], time.monotonic() - self.began)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


def assert_no_job_active(jobs: list[JobRecord]) -> None:
    """Every job the run started has ended on the server (none left QUEUED or RUNNING)."""
    active = [(j.label, j.state) for j in jobs if j.state not in TERMINAL]
    assert not active, f"jobs left active on the server: {active}"


def assert_cancelled_by_its_own_wait(
    job: JobRecord, entry: Mapping[str, Any], limit: float
) -> None:
    """*job* was cancelled by the wait of its own workflow when its deadline passed: the
    server's cancel came at least *limit* seconds after the execute, and no later than
    the moment the workflow's result (*entry*, from results.json) saw the job CANCELLED.
    A job left to the end-of-run sweep, or cancelled early, fails this."""
    assert job.state == "CANCELLED" and job.finished_at is not None, job
    waited = (job.finished_at - job.submitted_at).total_seconds()
    assert waited >= limit, f"cancelled {waited:.2f}s after the execute, before its deadline"
    transitions = WorkflowResult.from_dict(dict(entry)).transitions
    states = [t.state for t in transitions]
    assert states[-1:] == ["CANCELLED"], f"the workflow's wait never cancelled its job: {states}"
    # results.json keeps milliseconds: compare at that precision
    cancelled = job.finished_at.replace(microsecond=job.finished_at.microsecond // 1000 * 1000)
    assert cancelled <= transitions[-1].seen_at, (
        f"the server cancelled the job at {cancelled}, after the workflow's wait saw it "
        f"cancelled ({transitions[-1].seen_at}): something else (the end-of-run sweep?) did"
    )


def assert_one_job_per_workflow(jobs: list[JobRecord]) -> None:
    labels = [j.label for j in jobs]
    assert len(labels) == len(set(labels)), f"a workflow was started twice: {sorted(labels)}"


class WhenRunning(threading.Thread):
    """In the background: wait until a job of *label* is RUNNING on *emulator*, then *act*.

    ``join()`` re-raises what went wrong in the thread (say, the job never ran).
    """

    def __init__(
        self,
        emulator: Emulator,
        label: str,
        act: Callable[[], object],
        timeout: float = HANG_GUARD,
    ) -> None:
        super().__init__(name=f"when {label} runs", daemon=True)
        self.emulator, self.label, self.act, self.timeout = emulator, label, act, timeout
        self.acted_at: float | None = None  # time.time() when *act* ran
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.emulator.wait_until(
                lambda: any(
                    j.label == self.label and j.state == "RUNNING" for j in self.emulator.jobs
                ),
                timeout=self.timeout,
            )
            self.acted_at = time.time()
            self.act()
        except BaseException as e:  # handed to the test by join()
            self.error = e

    def join(self, timeout: float | None = None) -> None:
        super().join(self.timeout if timeout is None else timeout)
        if self.error is not None:
            raise self.error


def assert_phase_order(jobs: list[JobRecord], phases: Mapping[str, Sequence[str]]) -> None:
    """No job of phase N+1 started before every job of phase N ended (server's clock)."""
    by_label = {j.label: j for j in jobs}
    ordered = list(phases.values())
    for earlier, later in itertools.pairwise(ordered):
        ran_earlier = [by_label[w] for w in earlier if w in by_label]
        ran_later = [by_label[w] for w in later if w in by_label]
        if not ran_earlier or not ran_later:
            continue
        last_end = max(_end(j) for j in ran_earlier)
        first_start = min(j.submitted_at for j in ran_later)
        assert last_end <= first_start, (
            f"phase overlap: {[j.label for j in ran_later]} submitted at {first_start} "
            f"before {[j.label for j in ran_earlier]} ended at {last_end}"
        )


def _end(job: JobRecord) -> datetime:
    assert job.finished_at is not None, f"{job.label} never finished"
    return job.finished_at


def overlapping(jobs: list[JobRecord]) -> bool:
    """Whether at least two of *jobs* ran at the same time."""
    spans = sorted((j.started_at, _end(j)) for j in jobs if j.started_at)
    return any(b[0] < a[1] for a, b in itertools.pairwise(spans))


def executes(emulator: Emulator) -> list[str]:
    """The paths of every execute request the emulator received (none: nothing was run)."""
    return [r.path for r in emulator.requests if r.method == "POST" and r.path.endswith("execute")]


def assert_one_error_line(result: pytest.RunResult, *words: str) -> str:
    """Exit 4, exactly one ``ERROR`` line holding *words*, no traceback anywhere."""
    everything = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, everything
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert len(errors) == 1, result.stderr.lines
    assert "Traceback" not in everything, everything
    assert "INTERNALERROR" not in everything, everything
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]
