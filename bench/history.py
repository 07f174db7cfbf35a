#!/usr/bin/env python
"""Benchmark of the run history (issue 12): recording a run, bands and sparklines, false warnings.

Usage::

    .venv/bin/python bench/history.py            # a few minutes (most of it filling the store)
    .venv/bin/python bench/history.py --quick    # smaller store, a smoke test

Three figures, each through the code a run uses:

* **record**: ``RunHistory.record`` of a 200-workflow run's results.json document
  (3 steps, 4 row counts each) into a store already holding that plan's 200
  kept runs, so retention deletes one run in the same transaction: open, one
  transaction, close. Median and max of 30 runs. Target ≤ 50 ms.
* **bands + sparklines**: a store of 10,000 runs of a 50-workflow plan
  (``history_keep = 10000``); ``RunHistory.load`` (open, read the plan's last
  runs, a band per workflow and per step row count) and one sparkline per
  workflow, as the HTML report draws them. Median and max of 10. Target ≤ 1 s.
  Also shown, for scale: the same with ``anomaly_window = 1000`` (the last
  3,000 runs read).
* **false warnings**: 100 simulated nights of ±15 % noise on a steady
  workflow, over 200 seeds, with the default band: the share of judged
  workflow-nights that warned (uniform noise of ±15 %, and Gaussian noise of
  15 % standard deviation), and the share of nights on which a 7-workflow plan
  (the demo's size) got at least one false warning. Target ≤ 2 % per workflow.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aperture_verify.history.bands import DURATION_RULE, ROWS_RULE, BandRule, band
from aperture_verify.history.records import run_from_results
from aperture_verify.history.sparkline import sparkline_svg
from aperture_verify.history.store import HistoryStore
from aperture_verify.plan import Plan, load_plan_text
from aperture_verify.plugin.past_runs import RunHistory

RECORD_TARGET = 0.050
LOAD_TARGET = 1.0
FALSE_WARNING_TARGET = 0.02
METRICS = ("rowsIn", "rowsOut", "passedRows", "failedRows")


def plan_of(workflows: int, keep: int, window: int = 20) -> Plan:
    labels = [f"Workflow {i}" for i in range(workflows)]
    text = "\n".join(
        [
            f"history_keep = {keep}",
            '[server]\nurl = "https://ads.example.com"',
            f"[defaults]\nanomaly_window = {window}",
            '[plans.nightly]\nphases = ["all"]',
            "[phases.all]\nworkflows = [" + ", ".join(f'"{w}"' for w in labels) + "]",
        ]
    )
    return load_plan_text(text, "bench-plans.toml", environ={}, base_dir=Path("/nonexistent"))


def results_doc(plan: Plan, night: int, rng: random.Random) -> dict[str, Any]:
    start = datetime(2026, 1, 1, 4, tzinfo=UTC) + timedelta(days=night)
    iso = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    workflows = []
    for w in plan.workflows:
        rows = int(5000 * rng.uniform(0.9, 1.1))
        workflows.append(
            {
                "label": w.label,
                "phase": w.phase,
                "outcome": "passed",
                "job_id": f"job-{night}-{w.label}",
                "state": "COMPLETED",
                "duration": round(30 * rng.uniform(0.85, 1.15), 3),
                "steps": [
                    {"name": s, "type": "T", "state": "COMPLETED"} | {m: rows for m in METRICS}
                    for s in ("Load", "Validate", "Export")
                ],
            }
        )
    return {
        "version": 1,
        "run_id": f"{night:032x}",
        "plan": {"name": plan.name},
        "server": {"url": "https://ads.example.com"},
        "started_at": iso,
        "finished_at": iso,
        "exit_status": 0,
        "verdict": "passed",
        "workflows": workflows,
    }


def timed(fn: Callable[[], object], times: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of *times* calls of *fn*."""
    wall, cpu = [], []
    for _ in range(times):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def bench_record(folder: Path, quick: bool) -> tuple[float, float, float]:
    plan = plan_of(200, keep=200)
    rng = random.Random(1)
    path = folder / "record.sqlite"
    with HistoryStore.open(path) as store:  # the plan's 200 kept runs
        for night in range(200):
            store.record(run_from_results(results_doc(plan, night, rng)), 200)
    docs = iter([results_doc(plan, 1000 + n, rng) for n in range(31)])
    history = RunHistory(path, plan)
    samples, cpu = timed(lambda: history.record(next(docs)), 10 if quick else 30)
    assert history.problem is None, history.problem
    return statistics.median(samples), max(samples), statistics.median(cpu)


def bench_load(folder: Path, quick: bool, window: int) -> tuple[float, float, float, int]:
    runs = 1000 if quick else 10_000
    plan = plan_of(50, keep=runs, window=window)
    path = folder / "load.sqlite"
    if not path.exists():
        rng = random.Random(2)
        with HistoryStore.open(path) as store:
            for night in range(runs):
                store.record(run_from_results(results_doc(plan, night, rng)), runs)

    def load_and_draw() -> int:
        history = RunHistory(path, plan)
        history.load()
        assert history.problem is None, history.problem
        svgs = [
            sparkline_svg(trend, current=trend[-1], title=label)
            for label, trend in history.trend.items()
        ]
        return len(history.usual) + len(svgs)

    drawn = load_and_draw()
    samples, cpu = timed(load_and_draw, 10)
    return statistics.median(samples), max(samples), statistics.median(cpu), drawn


def false_warnings(rule: BandRule, gaussian: bool, seeds: int) -> tuple[float, float]:
    """(share of judged workflow-nights warned, share of 7-workflow nights with a warning)."""
    warned = judged = 0
    per_night: dict[tuple[int, int], bool] = {}
    for seed in range(seeds):
        rng = random.Random(seed)
        history: list[float] = []
        for night in range(100):
            noise = rng.gauss(0, 0.15) if gaussian else rng.uniform(-0.15, 0.15)
            value = 120.0 * (1 + noise)
            b = band(history, rule=rule)
            if b is not None:
                judged += 1
                hit = not b.contains(value)
                warned += hit
                key = (seed // 7, night)  # seven workflows make a plan's night
                per_night[key] = per_night.get(key, False) or hit
            history.append(value)
    return warned / judged, sum(per_night.values()) / max(1, len(per_night))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller store: a smoke test")
    args = parser.parse_args(argv)
    met = True

    def verdict(ok: bool) -> str:
        nonlocal met
        met = met and ok
        return "MET" if ok else "NOT MET"

    with tempfile.TemporaryDirectory(prefix="aperture-bench-history-") as tmp:
        folder = Path(tmp)
        print(f"load average at the start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
        median, worst, cpu = bench_record(folder, args.quick)
        print(
            f"{verdict(median <= RECORD_TARGET)}: record a 200-workflow run <= 50 ms -- "
            f"median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms "
            f"(CPU {cpu * 1000:.1f} ms)"
        )
        median, worst, cpu, drawn = bench_load(folder, args.quick, window=20)
        runs = "1,000 (--quick)" if args.quick else "10,000"
        print(
            f"{verdict(median <= LOAD_TARGET)}: bands + sparklines from {runs} stored runs "
            f"<= 1 s -- median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms "
            f"(CPU {cpu * 1000:.0f} ms; 50 workflows, {drawn} bands and sparklines)"
        )
        median, worst, cpu, _ = bench_load(folder, args.quick, window=1000)
        print(
            f"info: the same with anomaly_window = 1000 (3,000 runs read) -- "
            f"median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)"
        )
        seeds = 50 if args.quick else 210
    for name, rule in (("durations", DURATION_RULE), ("row counts", ROWS_RULE)):
        for gaussian in (False, True):
            rate, nights = false_warnings(rule, gaussian, seeds)
            noise = "Gaussian, sd 15 %" if gaussian else "uniform ±15 %"
            print(
                f"{verdict(rate <= FALSE_WARNING_TARGET)}: false warnings, {name}, {noise}, "
                f"100 nights x {seeds} seeds <= 2 % -- {rate * 100:.2f} % of workflow-nights; "
                f"{nights * 100:.1f} % of nights of a 7-workflow plan had one"
            )
    if not met:
        print("a target was not met (reported, not an error: the machine may be busy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
