"""Running the suite and the baseline as child processes, with their peak memory."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scenarios import API_KEY, Scenario, make_emulator, write_project

from aperture_verify.common.timestamps import parse_timestamp
from aperture_verify.emulator import (
    Emulator,
    JobRecord,
    RecordedRequest,
)

BLOCK_DEV_PLUGINS = ("-p", "no:hypothesispytest")


def child_env(keep_bytecode_setting: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["APERTURE_API_KEY"] = API_KEY
    for name in (
        "APERTURE_URL",
        "APERTURE_API",
        "APERTURE_PLAN",
        "PYTEST_ADDOPTS",
        "PYTEST_XDIST_AUTO_NUM_WORKERS",
    ):
        env.pop(name, None)
    if not keep_bytecode_setting:
        # With it set, pytest cannot cache the modules it rewrites, and every process
        # re-compiles them on every run; a default Python installation does not set it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# -- memory of a process tree --------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_rss(root: int) -> int:
    """Sum of the RSS (bytes) of *root* and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()  # after "pid (comm) "
        pid = int(name)
        parent[pid] = int(fields[1])  # ppid, field 4
        rss[pid] = int(fields[21]) * _PAGE  # rss in pages, field 24
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree)


class PeakRss:
    """Samples ``tree_rss(pid)`` in a thread; ``peak`` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)


# -- one run -----------------------------------------------------------------------------


@dataclass
class Run:
    """What one invocation (suite or baseline) produced."""

    wall: float
    status: int
    peak_rss: int
    jobs: list[JobRecord]
    requests: list[RecordedRequest]
    recorded: dict[str, datetime] = field(default_factory=dict)  # job id -> recorded_at
    output: str = ""
    began_at: float = 0.0  # time.time() when the process was started
    ended_at: float = 0.0  # time.time() when it had exited
    cpu: float = 0.0  # user + system seconds of the process and the children it waited for
    load: float = 0.0  # 1-minute load average of the machine when the run ended

    @property
    def ok(self) -> bool:
        return self.status == 0 and all(j.state == "COMPLETED" for j in self.jobs)


def execute(command: list[str], cwd: Path, env: dict[str, str], emu: Emulator) -> Run:
    began, began_at = time.monotonic(), time.time()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakRss(proc.pid) as rss:
            _pid, raw, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - began
        proc.returncode = status = os.waitstatus_to_exitcode(raw)
        ended_at = time.time()
        out.seek(0)
        output = out.read()
    emu.check()
    return Run(
        wall,
        status,
        rss.peak,
        emu.jobs,
        emu.requests,
        output=output,
        began_at=began_at,
        ended_at=ended_at,
        cpu=usage.ru_utime + usage.ru_stime,
        load=os.getloadavg()[0],
    )


def run_suite(
    scenario: Scenario, root: Path, env: dict[str, str], extra: Sequence[str] = ()
) -> Run:
    with make_emulator(scenario) as emu:
        write_project(root, scenario, emu.url)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "test_phases",
            "-n",
            str(scenario.workers),
            "-p",
            "no:cacheprovider",
            "-q",
            *extra,
        ]
        run = execute(command, root, env, emu)
    results = root / "reports" / "results.json"
    if results.is_file():
        data = json.loads(results.read_text(encoding="utf-8"))
        for entry in data.get("workflows", []):
            if entry.get("job_id") and entry.get("recorded_at"):
                run.recorded[entry["job_id"]] = parse_timestamp(entry["recorded_at"])
    return run


def baseline_script(scenario: Scenario, python: str, extra: Sequence[str] = ()) -> str:
    """The shell loop: one pytest invocation per phase module, in plan order."""
    lines = ["set -e"]
    options = "".join(" " + shlex.quote(a) for a in extra)
    for phase in scenario.phases:
        lines.append(
            f"{shlex.quote(python)} -m pytest test_phases/test_{phase.name}.py "
            f"-n {scenario.phase_workers(phase)} -p no:cacheprovider -q{options}"
        )
    return "\n".join(lines)


def run_baseline(
    scenario: Scenario, root: Path, env: dict[str, str], extra: Sequence[str] = ()
) -> Run:
    with make_emulator(scenario) as emu:
        write_project(root, scenario, emu.url)
        script = baseline_script(scenario, sys.executable, extra)
        return execute(["bash", "-c", script], root, env, emu)


# -- figures -----------------------------------------------------------------------------
