"""What a run's emulator log says: the figures, the table, the targets."""

from __future__ import annotations

import contextlib
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from processes import Run
from scenarios import GB, MB, Scenario

from aperture_verify.client.models import Job, Workflow
from aperture_verify.client.profile import DEFAULT_PROFILE
from aperture_verify.emulator import (
    JobRecord,
    RecordedRequest,
)
from aperture_verify.execution.results import WorkflowResult
from aperture_verify.execution.runner import WorkflowRunner
from aperture_verify.plan.model import WorkflowSpec


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
        "demo: wall <= critical path + 2 s (issue 19)",
        lambda f: (
            f.wall <= f.critical_path + 2.0,
            f"{f.wall:.2f} s vs {f.critical_path:.2f} + 2 = {f.critical_path + 2:.2f} s",
        ),
    )
    add(
        "demo",
        "demo: wind-down (last job ended -> pytest exited) <= 0.3 s (issue 19)",
        lambda f: (f.winddown <= 0.3, f"{f.winddown:.2f} s"),
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
        "200-job plan: wall <= 1.25 x critical path (issue 19)",
        lambda f: (f.ratio <= 1.25, f"{f.ratio:.3f} x ({f.wall:.1f} / {f.critical_path:.1f} s)"),
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
    polls = runner_poll_times(3600.0)
    beyond = [t for t in polls if t > 600.0]
    rate = len(beyond) / (polls[-1] - 600.0)
    found.append(
        Target(
            "jobs beyond 10 min: < 1 request per 10 s (WorkflowRunner on a fake clock; "
            "tests/execution/test_polling.py)",
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


def runner_poll_times(duration: float) -> list[float]:
    """When ``WorkflowRunner`` polls a job that runs *duration* s: its own loop and
    schedule, on a fake clock, against a stand-in client (no server, no waiting)."""
    clock = [0.0]
    polls: list[float] = []
    t0 = datetime.fromtimestamp(0, UTC)

    class Client:
        profile = DEFAULT_PROFILE

        def execute(self, label: str, **kw: object) -> Job:
            return self.get_job("j")

        def get_job(self, job_id: str) -> Job:
            polls.append(clock[0])
            if clock[0] < duration:
                return Job(job_id, "RUNNING", "W", t0, t0)
            return Job(job_id, "COMPLETED", "W", t0, t0, t0 + timedelta(seconds=duration))

        @contextlib.contextmanager
        def riding_out(self, budget: float, during: str, **kw: object) -> Iterator[None]:
            yield  # this server never goes away

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    workflow = Workflow("W", "W", "Demo", published=True, has_draft=False)
    runner = WorkflowRunner(
        Client(),  # type: ignore[arg-type]
        catalog=[workflow],
        clock=lambda: clock[0],
        sleep=sleep,
    )
    spec = WorkflowSpec("W", "p", "Demo", max_duration=2 * duration)
    runner.run(spec, WorkflowResult("W", "p"))
    return polls[1:]  # the first is the execute's answer
