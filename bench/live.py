#!/usr/bin/env python
"""Benchmark of the live report (issue 24): one rewrite of report.html and results.json.

Usage::

    .venv/bin/python bench/live.py            # a few seconds
    .venv/bin/python bench/live.py --quick    # fewer samples, a smoke test

A 200-workflow plan in 10 phases of 20, every workflow with a usual duration
from history, caught in the middle of its 4th phase: 60 workflows finished
(each with 3 steps and 6 checks, a few failed or warned), 20 running, 120
pending. One update is ``LiveReport.write()``, what the background writer
does after an event: the page (Jinja2, the timeline's 200 rows), the
results.json document, both written atomically. Median and max of 50 (10
with --quick); the HTML and JSON parts alone are shown for scale. Target:
median ≤ 50 ms an update.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aperture_verify.client.models import Step
from aperture_verify.common.templating import render
from aperture_verify.execution.results import (
    CheckResult,
    FailureKind,
    Outcome,
    WorkflowResult,
    WorkflowWarning,
)
from aperture_verify.plan import Plan, load_plan_text
from aperture_verify.reporting.live import LiveReport

UPDATE_TARGET = 0.050
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def plan_of(phases: int, per_phase: int) -> Plan:
    names = [f"phase_{p}" for p in range(phases)]
    text = [
        '[server]\nurl = "https://ads.example.com"',
        "[plans.nightly]\nphases = [" + ", ".join(f'"{n}"' for n in names) + "]",
    ]
    for p, name in enumerate(names):
        labels = ", ".join(f'"Workflow {p * per_phase + i}"' for i in range(per_phase))
        text.append(f"[phases.{name}]\nworkflows = [{labels}]")
    return load_plan_text("\n".join(text), "bench-plans.toml", environ={}, base_dir=Path("/x"))


def finished(label: str, phase: str, start: float, n: int) -> WorkflowResult:
    end = start + 60 + n % 7
    r = WorkflowResult(
        label, phase, job_id=f"job-{n}", state="COMPLETED",
        submitted_at=T0 + timedelta(seconds=start - 1), started_at=T0 + timedelta(seconds=start),
        finished_at=T0 + timedelta(seconds=end), duration=end - start,
        min_duration=0.0, max_duration=1800.0, polls=12,
    )  # fmt: skip
    r.steps = [Step(s, "T", "COMPLETED", rows_in=5000, rows_out=5000) for s in ("L", "V", "E")]
    r.checks = [CheckResult(f'step "{s}" rowsOut', "≥ 1", "5000", True) for s in "LVE"]
    r.checks += [CheckResult(c, "x", "x", True) for c in ("state", "duration", "steps")]
    if n % 17 == 0:
        r.outcome, r.failure_kind = Outcome.FAILED, FailureKind.EXECUTION
        r.message = f"execution failure: {label}: state = FAILED, expected COMPLETED"
    if n % 11 == 0:
        r.warnings = [WorkflowWarning("anomaly_duration", "slower than usual", r.duration, "60s")]
    return r


def live_report(folder: Path) -> LiveReport:
    plan = plan_of(10, 20)
    now = T0 + timedelta(seconds=3 * 80 + 30)
    report = LiveReport(
        plan, plan.workflows, folder / "report.html", folder / "results.json",
        server_url="https://ads.example.com/", run_id="bench", slots=20,
        usual={w.label: 63.0 for w in plan.workflows},
        links={w.label: f"history.html#w-{i}" for i, w in enumerate(plan.workflows)},
        secrets=["pw-123456-secret"], started_at=T0, now=lambda: now,
    )  # fmt: skip
    report.start(background=False)
    for n, w in enumerate(plan.workflows[:60]):
        report.workflow_ended(finished(w.label, w.phase, (n // 20) * 80, n))
    for w in plan.workflows[60:80]:
        report.workflow_started(w.label, T0 + timedelta(seconds=3 * 80))
    return report


def timed(fn: Callable[[], object], times: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds of *times* calls of *fn* (and their CPU seconds into *cpu*)."""
    samples = []
    for _ in range(times):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke test")
    args = parser.parse_args(argv)
    times = 10 if args.quick else 50
    with tempfile.TemporaryDirectory(prefix="aperture-bench-live-") as tmp:
        report = live_report(Path(tmp))
        print(f"load average at the start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
        report.write()  # templates compiled once, as in a run
        cpu: list[float] = []
        samples = timed(report.write, times, cpu)
        with report._lock:  # the parts alone, from the same state
            state = report._state
            view = report.view(state.started, state.results, state.phases_started)
        html = timed(lambda: render("live.html.jinja", **view), times)
        doc = timed(lambda: json.dumps(report.document(view), indent=2), times)
        page = (Path(tmp) / "report.html").stat().st_size
        median = statistics.median(samples)
        ok = median <= UPDATE_TARGET
        print(
            f"{'MET' if ok else 'NOT MET'}: one live update of a 200-workflow plan <= 50 ms -- "
            f"median {median * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms "
            f"(CPU {statistics.median(cpu) * 1000:.1f} ms; {times} updates; "
            f"report.html {page / 1024:.0f} KiB)"
        )
        print(
            f"info: of which the view + page alone {statistics.median(html) * 1000:.1f} ms "
            f"(render only), results.json document {statistics.median(doc) * 1000:.1f} ms"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
