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
host clock the suite uses) are described in docs/development.md (Benchmark). Durations are
drawn with a fixed seed, so every run benchmarks the same plans.

Peak memory is read from ``/proc`` (Linux): the sum of the resident set sizes
of the pytest process and all its descendants, sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import outage
from figures import Figures, detail, measure, table, targets
from processes import BLOCK_DEV_PLUGINS, child_env, run_baseline, run_suite
from scenarios import Phase, Scenario, scenarios


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
        help="run only this scenario (demo, small, large, long, outage); repeatable",
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
    names = [*(s.name for s in chosen), "outage"]
    unknown = [n for n in args.scenario if n not in names]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(names)}")
    with_outage = not args.scenario or "outage" in args.scenario
    if args.scenario:
        chosen = [s for s in chosen if s.name in args.scenario]
    env = child_env(args.keep_bytecode_setting)
    extra: tuple[str, ...] = () if args.keep_dev_plugins else BLOCK_DEV_PLUGINS
    began = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    if extra:
        print(f"pytest runs get {' '.join(extra)} (see docs/development.md, Benchmark)", flush=True)
    if "PYTHONDONTWRITEBYTECODE" in os.environ and not args.keep_bytecode_setting:
        print(
            "note: PYTHONDONTWRITEBYTECODE is set in this shell; it is removed for the runs "
            "(see docs/development.md, Benchmark)",
            flush=True,
        )
    base = Path(tempfile.mkdtemp(prefix="aperture-bench-"))
    figures: list[Figures] = []
    outage_ok = True
    outage_table = ""
    try:
        warm_up(base, env, extra)
        for sc in chosen:
            print(f"\nrunning {sc.name}: {sc.title} ...", flush=True)
            suite = run_suite(sc, base / sc.name / "suite", env, extra)
            baseline = run_baseline(sc, base / sc.name / "baseline", env, extra)
            f = measure(sc, suite, baseline)
            figures.append(f)
            print(detail(f), flush=True)
        if with_outage:
            window = 20.0 if args.quick else 60.0
            print(f"\nrunning outage: 3 kinds of {window:g} s outage, side by side ...", flush=True)
            outage_table, outage_ok = outage.report(outage.measure(base, env, extra, window))
            print(outage_table, flush=True)
    finally:
        if args.keep:
            print(f"projects kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    if figures:
        print("\n" + table(figures))
        print()
        for t in targets(figures):
            verdict = "n/a" if t.met is None else ("MET" if t.met else "NOT MET")
            print(f"- {verdict}: {t.text} -- {t.figure}")
    if outage_table:
        print("\nRequests during a server outage (issue 14):\n\n" + outage_table)
    print(f"\nmachine: {machine()}")
    print(
        f"benchmark time: {time.monotonic() - began:.0f} s"
        + (" (--quick: smaller plans; the targets are for the full run)" if args.quick else "")
    )
    return 0 if all(f.ok for f in figures) and outage_ok else 1


if __name__ == "__main__":
    sys.exit(main())
