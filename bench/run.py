#!/usr/bin/env python
"""Performance benchmark of aperture-verify against the bundled emulator (issue 6).

Usage::

    .venv/bin/python bench/run.py                 # every scenario, about 6.5 minutes
    .venv/bin/python bench/run.py --quick         # smaller plans, 1-2 minutes
    .venv/bin/python bench/run.py --scenario demo # one scenario (repeatable)

For each scenario it starts an ``Emulator`` in this process on 127.0.0.1,
writes a throw-away project (``pytest.ini``, ``plans.toml`` pointing at the
emulator, one phase module per phase) in a temporary directory and runs

* the **suite**: ``python -m pytest test_phases -n W -p no:cacheprovider -q``, once;
* the **baseline**: the same suite invoked once per phase module, in a shell
  loop (``for m in test_phases/test_<phase>.py ...; do python -m pytest $m -n W_phase ...;
  done``), which is how one orders phases without this suite's barrier.

Each run gets a fresh emulator, so its job records and request log are that
run's alone. The figures (all from the emulator's clock, which is the same
host clock the suite uses) are described in the README's Benchmark section. Durations are
drawn with a fixed seed, so every run benchmarks the same plans.

Peak memory is read from ``/proc`` (Linux): the sum of the resident set sizes
of the pytest process and all its descendants, sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aperture_verify.common.timestamps import parse_timestamp
from aperture_verify.emulator import (
    Emulator,
    JobRecord,
    RecordedRequest,
    StepScript,
    WorkflowScript,
)
from aperture_verify.execution.polling import PollSchedule

API_KEY = "bench-key-loopback-only"
SEED = 20240606
GB = 1_000_000_000
MB = 1_000_000

PHASE_MODULE = """import pytest

pytestmark = pytest.mark.phase("{phase}")


def test_workflow(workflow, verify):
    verify(workflow)
"""

STEPS = (
    StepScript("Load", type="SOURCE", rows_out=1000),
    StepScript(
        "Validate", type="VALIDATE", rows_in=1000, rows_out=1000, passed_rows=1000, failed_rows=0
    ),
)


# -- scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str
    workflows: tuple[tuple[str, float], ...]  # (external label, duration in seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    phases: tuple[Phase, ...]
    max_parallel: int

    @property
    def widest(self) -> int:
        return max(len(p.workflows) for p in self.phases)

    @property
    def workers(self) -> int:
        """W for ``-n W``: the widest phase capped by max_parallel (what ``-n auto`` picks)."""
        return min(self.widest, self.max_parallel)

    def phase_workers(self, phase: Phase) -> int:
        return min(len(phase.workflows), self.max_parallel)

    @property
    def jobs(self) -> int:
        return sum(len(p.workflows) for p in self.phases)

    @property
    def longest(self) -> float:
        return max(d for p in self.phases for _, d in p.workflows)

    def phase_of(self) -> dict[str, int]:
        return {label: i for i, p in enumerate(self.phases) for label, _ in p.workflows}


def _grid(
    rng: random.Random, phases: int, width: int, low: float, high: float
) -> tuple[Phase, ...]:
    return tuple(
        Phase(
            f"p{i + 1:02d}",
            tuple(
                (f"P{i + 1:02d} W{j + 1:02d}", round(rng.uniform(low, high), 2))
                for j in range(width)
            ),
        )
        for i in range(phases)
    )


def scenarios(quick: bool) -> list[Scenario]:
    """The four scenarios of issue 6; ``quick`` shrinks each to a smoke test."""
    rng = random.Random(SEED)
    demo_len = 1.0 if quick else 2.0
    demo = tuple(
        Phase(name, tuple((f"Workflow {n}", demo_len) for n in numbers))
        for name, numbers in (
            ("ingest", (1,)),
            ("cleanse", (2, 3, 4)),
            ("enrich", (5, 6)),
            ("publish", (7,)),
        )
    )
    small = _grid(rng, 3, 4, 0.5, 1.5) if quick else _grid(rng, 6, 4, 1.0, 3.0)
    large = _grid(rng, 3, 6, 1.0, 2.0) if quick else _grid(rng, 10, 20, 3.0, 6.0)
    long_len = 10.0 if quick else 60.0
    return [
        Scenario("demo", f"demo plan, {demo_len:g} s workflows (1; 3; 2; 1)", demo, 8),
        Scenario("small", f"{len(small)} phases x 4 workflows", small, 8),
        Scenario(
            "large",
            f"{len(large)} phases x {len(large[0].workflows)} workflows "
            f"({sum(len(p.workflows) for p in large)} jobs)",
            large,
            6 if quick else 20,
        ),
        Scenario(
            "long", f"one {long_len:g} s workflow", (Phase("only", (("Long", long_len),)),), 8
        ),
    ]


# -- the throw-away project ----------------------------------------------------------------


def write_project(root: Path, scenario: Scenario, url: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    max_duration = max(60.0, 2 * scenario.longest)
    lines = [
        'default_plan = "bench"',
        "[server]",
        f'url = "{url}"',
        'api = "v2"',
        'space = "Demo"',
        "[defaults]",
        'min_duration = "0s"',
        f'max_duration = "{max_duration:g}s"',
        "[plans.bench]",
        "phases = [" + ", ".join(f'"{p.name}"' for p in scenario.phases) + "]",
        'on_failure = "continue"',
        f"max_parallel = {scenario.max_parallel}",
    ]
    for phase in scenario.phases:
        lines.append(f"[phases.{phase.name}]")
        lines.append("workflows = [" + ", ".join(f'"{w}"' for w, _ in phase.workflows) + "]")
    (root / "plans.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = root / "test_phases"
    folder.mkdir(exist_ok=True)
    for phase in scenario.phases:
        (folder / f"test_{phase.name}.py").write_text(
            PHASE_MODULE.format(phase=phase.name), encoding="utf-8"
        )


def make_emulator(scenario: Scenario) -> Emulator:
    emu = Emulator(None, api_keys=(API_KEY,), seed=SEED)
    for phase in scenario.phases:
        for label, duration in phase.workflows:
            emu.add_workflow(
                WorkflowScript(label, space="Demo", duration=duration, queue_time=0.05, steps=STEPS)
            )
    return emu


#: Options added to every pytest invocation (suite and baseline alike). Hypothesis is a
#: dev dependency of this repository, not of the suite; its pytest plugin imports all of
#: hypothesis in every process at session end (about 0.2 s of CPU each, 4 s at -n 20), which
#: a user's installation does not pay. ``--keep-dev-plugins`` measures with it.
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


def _seconds(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds()


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _max(values: Sequence[float]) -> float:
    return max(values) if values else float("nan")


_ID = re.compile(r"/jobs/[^/]+")


def route(req: RecordedRequest) -> str:
    return f"{req.method} {_ID.sub('/jobs/<id>', req.path)}"


@dataclass
class Figures:
    scenario: Scenario
    jobs: int
    critical_path: float  # sum over phases of max(finished - started)
    critical_path_queued: float  # sum over phases of max(finished - submitted)
    wall: float
    boundaries: list[float]
    excess: list[float]  # per phase: (last end - first submit) - longest running time
    spread: list[float]  # per phase: last submit - first submit
    latency: list[float]
    latency_source: str
    latency_log: list[float]  # the same from the request log (last GET of the job)
    requests_total: int
    requests_per_job: list[int]
    routes: Counter[str]
    peak_rss: int
    cpu: float
    load: float
    startup: float  # process started -> first job submitted
    winddown: float  # last job ended -> process exited
    baseline_wall: float
    baseline_requests: int
    baseline_peak_rss: int
    ok: bool
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.wall / self.critical_path

    @property
    def vs_baseline(self) -> float:
        return self.wall / self.baseline_wall


def measure(scenario: Scenario, suite: Run, baseline: Run) -> Figures:
    phase_of = scenario.phase_of()
    problems = []
    for name, run in (("suite", suite), ("baseline", baseline)):
        if not run.ok:
            tail = "\n".join(run.output.strip().splitlines()[-15:])
            problems.append(f"{name} run exited {run.status}; last lines:\n{tail}")
        if len(run.jobs) != scenario.jobs:
            problems.append(f"{name} run started {len(run.jobs)} jobs, expected {scenario.jobs}")
    by_phase: list[list[JobRecord]] = [[] for _ in scenario.phases]
    for job in suite.jobs:
        by_phase[phase_of[job.label]].append(job)
    done = [[j for j in jobs if j.finished_at and j.started_at] for jobs in by_phase]
    critical = sum(max((j.duration or 0.0) for j in jobs) for jobs in done if jobs)
    critical_q = sum(
        max(_seconds(j.finished_at, j.submitted_at) for j in jobs if j.finished_at)
        for jobs in done
        if jobs
    )
    boundaries = []
    for earlier, later in zip(done, by_phase[1:], strict=False):
        if earlier and later:
            last_end = max(j.finished_at for j in earlier if j.finished_at)
            first_submit = min(j.submitted_at for j in later)
            boundaries.append(_seconds(first_submit, last_end))
    excess, spread = [], []
    for jobs in done:
        if jobs:
            first_submit = min(j.submitted_at for j in jobs)
            last_end = max(j.finished_at for j in jobs if j.finished_at)
            longest = max(j.duration or 0.0 for j in jobs)
            excess.append(_seconds(last_end, first_submit) - longest)
            spread.append(_seconds(max(j.submitted_at for j in jobs), first_submit))
    last_get: dict[str, float] = {}
    per_job: Counter[str] = Counter()
    ids = {j.job_id for j in suite.jobs}
    for req in suite.requests:
        match = _ID.search(req.path)
        job_id = match.group(0)[len("/jobs/") :] if match else None
        if job_id in ids:
            per_job[job_id] += 1
            if req.method == "GET":
                last_get[job_id] = max(last_get.get(job_id, 0.0), req.at)
        elif req.method == "POST" and req.path.endswith("/execute"):
            per_job[f"label:{req.workflow_label}"] += 1
    requests_per_job = [per_job[j.job_id] + per_job[f"label:{j.label}"] for j in suite.jobs]
    latency, latency_log = [], []
    for job in suite.jobs:
        if job.finished_at is None:
            continue
        if job.job_id in suite.recorded:
            latency.append(_seconds(suite.recorded[job.job_id], job.finished_at))
        if job.job_id in last_get:
            latency_log.append(last_get[job.job_id] - job.finished_at.timestamp())
    source = "results.json recorded_at"
    if not latency:
        latency, source = latency_log, "request log (last GET of the job)"
    return Figures(
        scenario=scenario,
        jobs=len(suite.jobs),
        critical_path=critical,
        critical_path_queued=critical_q,
        wall=suite.wall,
        boundaries=boundaries,
        excess=excess,
        spread=spread,
        latency=latency,
        latency_source=source,
        latency_log=latency_log,
        requests_total=len(suite.requests),
        requests_per_job=requests_per_job,
        routes=Counter(route(r) for r in suite.requests),
        peak_rss=suite.peak_rss,
        cpu=suite.cpu,
        load=suite.load,
        startup=min((j.submitted_at.timestamp() for j in suite.jobs), default=suite.ended_at)
        - suite.began_at,
        winddown=suite.ended_at
        - max(
            (j.finished_at.timestamp() for j in suite.jobs if j.finished_at), default=suite.began_at
        ),
        baseline_wall=baseline.wall,
        baseline_requests=len(baseline.requests),
        baseline_peak_rss=baseline.peak_rss,
        ok=not problems,
        problems=problems,
    )


# -- reporting ---------------------------------------------------------------------------


def _s(value: float) -> str:
    return f"{value:.2f} s"


def detail(f: Figures) -> str:
    sc = f.scenario
    per_job = f.requests_per_job or [0]
    lines = [
        f"## {sc.name}: {sc.title}  (-n {sc.workers}, max_parallel {sc.max_parallel})",
        f"  critical path        {_s(f.critical_path)} running time "
        f"({_s(f.critical_path_queued)} with queue time)",
        f"  wall (pytest run)    {_s(f.wall)}  = {f.ratio:.3f} x critical path, "
        f"{f.wall - f.critical_path:+.2f} s",
        f"                       of which start-up (pytest started -> first job submitted) "
        f"{_s(f.startup)}, wind-down (last job ended -> pytest exited) {_s(f.winddown)},",
        f"                       phase boundaries {_s(sum(f.boundaries))} in all, phases' excess "
        f"over their longest job {_s(sum(f.excess))} in all (queue time and dispatch spread; "
        f"submit spread per phase median {_s(_median(f.spread))}, max {_s(_max(f.spread))})",
        "  phase boundaries     "
        + (
            f"median {_s(_median(f.boundaries))}, max {_s(_max(f.boundaries))} "
            f"({len(f.boundaries)} boundaries)"
            if f.boundaries
            else "n/a (one phase)"
        ),
        f"  detection latency    median {_s(_median(f.latency))}, max {_s(_max(f.latency))}"
        f"  [{f.latency_source}; request log: median {_s(_median(f.latency_log))}, "
        f"max {_s(_max(f.latency_log))}]",
        f"  requests             {f.requests_total} in total; per job median "
        f"{_median(per_job):g}, max {max(per_job)}",
        "                       " + ", ".join(f"{k}: {v}" for k, v in sorted(f.routes.items())),
        f"  peak RSS (tree)      {f.peak_rss / MB:.0f} MB",
        f"  CPU time (tree)      {f.cpu:.1f} s user+system; machine load average "
        f"{f.load:.1f} at the end",
        f"  baseline             {_s(f.baseline_wall)} wall, {f.baseline_requests} requests, "
        f"{f.baseline_peak_rss / MB:.0f} MB; suite/baseline = {f.vs_baseline:.2f}",
    ]
    for problem in f.problems:
        lines.append("  PROBLEM: " + problem.replace("\n", "\n    "))
    return "\n".join(lines)


def table(figures: Sequence[Figures]) -> str:
    head = (
        "| scenario | jobs | -n | critical path | wall | wall / CP | start-up / wind-down "
        "| boundary median / max "
        "| latency median / max | requests total (per job median / max) | peak RSS "
        "| CPU | baseline wall | suite / baseline |"
    )
    rows = [head, _rule(head)]
    for f in figures:
        per_job = f.requests_per_job or [0]
        bounds = (
            f"{_median(f.boundaries):.2f} / {_max(f.boundaries):.2f} s"
            if f.boundaries
            else "n/a (1 phase)"
        )
        rows.append(
            f"| {f.scenario.name}: {f.scenario.title} | {f.jobs} | {f.scenario.workers} "
            f"| {f.critical_path:.2f} s | {f.wall:.2f} s | {f.ratio:.3f} "
            f"| {f.startup:.2f} / {f.winddown:.2f} s | {bounds} "
            f"| {_median(f.latency):.2f} / {_max(f.latency):.2f} s "
            f"| {f.requests_total} ({_median(per_job):g} / {max(per_job)}) "
            f"| {f.peak_rss / MB:.0f} MB | {f.cpu:.1f} s | {f.baseline_wall:.2f} s "
            f"| {f.vs_baseline:.2f} |"
        )
    return "\n".join(rows)


def _rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)


@dataclass(frozen=True)
class Target:
    text: str
    met: bool | None  # None: not measured in this run
    figure: str


def targets(figures: Sequence[Figures]) -> list[Target]:
    by = {f.scenario.name: f for f in figures}
    found: list[Target] = []

    def add(name: str, text: str, check: Callable[[Figures], tuple[bool, str]]) -> None:
        f = by.get(name)
        if f is None:
            found.append(Target(text, None, "scenario not run in this invocation"))
        else:
            met, figure = check(f)
            found.append(Target(text, met and f.ok, figure))

    add(
        "demo",
        "demo: wall <= critical path + 3 s",
        lambda f: (
            f.wall <= f.critical_path + 3.0,
            f"{f.wall:.2f} s vs {f.critical_path:.2f} + 3 = {f.critical_path + 3:.2f} s",
        ),
    )
    add(
        "demo",
        "demo: phase boundary overhead <= 0.25 s median",
        lambda f: (_median(f.boundaries) <= 0.25, f"{_median(f.boundaries):.3f} s"),
    )
    add(
        "large",
        "200-job plan: wall <= 1.15 x critical path",
        lambda f: (f.ratio <= 1.15, f"{f.ratio:.3f} x ({f.wall:.1f} / {f.critical_path:.1f} s)"),
    )
    add(
        "large",
        "200-job plan: peak RSS of the process tree <= 1.5 GB",
        lambda f: (f.peak_rss <= 1.5 * GB, f"{f.peak_rss / MB:.0f} MB"),
    )
    for name in ("demo", "small", "large"):
        add(
            name,
            f"{name}: detection latency <= 0.5 s median (jobs under a minute)",
            lambda f: (_median(f.latency) <= 0.5, f"{_median(f.latency):.3f} s"),
        )
    add(
        "long",
        "long job: detection latency <= 10 % of its running time",
        lambda f: (
            max(f.latency) <= 0.10 * f.critical_path,
            f"{max(f.latency):.2f} s = {100 * max(f.latency) / f.critical_path:.1f} % of "
            f"{f.critical_path:.1f} s",
        ),
    )
    add(
        "long",
        "long job: <= 40 requests for it",
        lambda f: (max(f.requests_per_job) <= 40, f"{max(f.requests_per_job)} requests"),
    )
    schedule = PollSchedule()
    polls = schedule.poll_times(3600.0)
    beyond = [t for t in polls if t > 600.0]
    rate = len(beyond) / (polls[-1] - 600.0)
    found.append(
        Target(
            "jobs beyond 10 min: < 1 request per 10 s (PollSchedule; tests/test_polling.py)",
            rate < 0.1,
            f"{rate:.3f} requests/s",
        )
    )
    for f in figures:
        text = f"{f.scenario.name}: faster than the per-phase baseline"
        figure = f"suite/baseline = {f.vs_baseline:.2f}"
        if len(f.scenario.phases) == 1:
            # one phase: the loop runs the very same command once, so it can only tie
            found.append(
                Target(
                    text,
                    None,
                    figure + " (one phase: the baseline is the same "
                    "command, a tie by construction)",
                )
            )
        else:
            found.append(Target(text, f.vs_baseline < 1.0 and f.ok, figure))
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram} RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def warm_up(base: Path, env: dict[str, str], extra: Sequence[str]) -> None:
    """One small unmeasured run, so no measured run pays first-run costs (imports from a
    cold disk cache, pytest's rewrite cache of plugin modules)."""
    sc = Scenario("warm-up", "warm-up", (Phase("warm", (("Warm", 0.2),)),), 2)
    run = run_suite(sc, base / "warm-up", env, extra)
    if not run.ok:
        print("warm-up run failed:\n" + run.output[-2000:], file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller plans (a smoke test)")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="run only this scenario (demo, small, large, long); repeatable",
    )
    parser.add_argument(
        "--keep-bytecode-setting",
        action="store_true",
        help="pass PYTHONDONTWRITEBYTECODE on to the runs if it is set",
    )
    parser.add_argument(
        "--keep-dev-plugins",
        action="store_true",
        help="do not block the hypothesis pytest plugin (a dev dependency)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    args = parser.parse_args(argv)
    chosen = scenarios(args.quick)
    names = [s.name for s in chosen]
    unknown = [n for n in args.scenario if n not in names]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(names)}")
    if args.scenario:
        chosen = [s for s in chosen if s.name in args.scenario]
    env = child_env(args.keep_bytecode_setting)
    extra: tuple[str, ...] = () if args.keep_dev_plugins else BLOCK_DEV_PLUGINS
    began = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    if extra:
        print(f"pytest runs get {' '.join(extra)} (see the README's Benchmark section)", flush=True)
    if "PYTHONDONTWRITEBYTECODE" in os.environ and not args.keep_bytecode_setting:
        print(
            "note: PYTHONDONTWRITEBYTECODE is set in this shell; it is removed for the runs "
            "(see the README's Benchmark section)",
            flush=True,
        )
    base = Path(tempfile.mkdtemp(prefix="aperture-bench-"))
    figures: list[Figures] = []
    try:
        warm_up(base, env, extra)
        for sc in chosen:
            print(f"\nrunning {sc.name}: {sc.title} ...", flush=True)
            suite = run_suite(sc, base / sc.name / "suite", env, extra)
            baseline = run_baseline(sc, base / sc.name / "baseline", env, extra)
            f = measure(sc, suite, baseline)
            figures.append(f)
            print(detail(f), flush=True)
    finally:
        if args.keep:
            print(f"projects kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print("\n" + table(figures))
    print()
    for t in targets(figures):
        verdict = "n/a" if t.met is None else ("MET" if t.met else "NOT MET")
        print(f"- {verdict}: {t.text} -- {t.figure}")
    print(f"\nmachine: {machine()}")
    print(
        f"benchmark time: {time.monotonic() - began:.0f} s"
        + (" (--quick: smaller plans; the targets are for the full run)" if args.quick else "")
    )
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
