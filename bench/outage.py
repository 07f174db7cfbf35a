"""How many requests the suite sends while the server is down (issue 14).

One phase of four workflows whose jobs outlast a 60-second outage; the outage
begins 5 s after the first job starts, when every workflow is polling. One
run per kind of outage (503, refused connections, reset connections), the
three side by side, each against its own emulator. Counted:

* from the emulator's request log (503 and reset: every request reaches it),
  the requests that arrived during the window, per waiting workflow, and
  those after its first ``SETTLE`` seconds, as a rate per 5 s;
* from ``results.json`` (all kinds; the only count for refused connections,
  which never reach the server), the failed requests each workflow recorded
  for its outage.

Target: at most one request per 5 s per waiting workflow after the first
seconds.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from processes import execute
from scenarios import Phase, Scenario, make_emulator, write_project

from aperture_verify.emulator import Outage

KINDS = ("503", "refused", "reset")
SETTLE = 10.0  # the ordinary retries, then the first paced attempts: "the first seconds"
WORKFLOWS = 4


@dataclass
class OutageFigures:
    kind: str
    window: float  # seconds the outage lasted
    status: int
    passed: bool
    logged: int | None  # requests the emulator received during the window (None: refused)
    late_rate: float | None  # per waiting workflow, per 5 s, after SETTLE
    recorded: list[int]  # failed requests each workflow recorded for its outage


def _scenario(window: float) -> Scenario:
    duration = window + 20.0
    phase = Phase("wait", tuple((f"O{i}", duration) for i in range(1, WORKFLOWS + 1)))
    return Scenario(
        "outage", f"{WORKFLOWS} workflows polling through a {window:g} s outage", (phase,), 8
    )


def _one(
    kind: str, window: float, root: Path, env: dict[str, str], extra: tuple[str, ...]
) -> OutageFigures:
    scenario = _scenario(window)
    with make_emulator(scenario) as emu:
        outage = emu.add_outage(
            Outage(kind, duration=window, after="job_start", workflow="O1", delay=5.0)
        )
        write_project(root, scenario, emu.url)
        command = [sys.executable, "-m", "pytest", "test_phases", "-n", str(WORKFLOWS)]
        run = execute([*command, "-p", "no:cacheprovider", "-q", *extra], root, env, emu)
    assert outage.begins is not None
    begins, ends = outage.begins, outage.begins + window
    in_window = [r for r in run.requests if begins <= r.at < ends]
    late = [r for r in in_window if r.at >= begins + SETTLE]
    logged = None if kind == "refused" else len(in_window)
    late_rate = None
    if kind != "refused":
        late_rate = len(late) / WORKFLOWS / ((window - SETTLE) / 5.0)
    recorded: list[int] = []
    results = root / "reports" / "results.json"
    if results.is_file():
        for entry in json.loads(results.read_text(encoding="utf-8"))["workflows"]:
            recorded.extend(o["requests"] for o in entry.get("outages", []))
    return OutageFigures(kind, window, run.status, run.ok, logged, late_rate, recorded)


def measure(
    base: Path, env: dict[str, str], extra: tuple[str, ...], window: float
) -> list[OutageFigures]:
    with ThreadPoolExecutor(len(KINDS)) as pool:
        futures = [pool.submit(_one, k, window, base / f"outage-{k}", env, extra) for k in KINDS]
        return [f.result() for f in futures]


def report(figures: list[OutageFigures]) -> tuple[str, bool]:
    """The table, and whether every run passed and met the target."""
    lines = [
        "| outage | window | run | requests received in the window | after the first "
        f"{SETTLE:g} s, per waiting workflow per 5 s | failed requests each workflow recorded |",
        "|---|---|---|---|---|---|",
    ]
    ok = True
    verdicts: list[str] = []
    for f in figures:
        rate = "n/a (never reach the server)" if f.late_rate is None else f"{f.late_rate:.2f}"
        logged = "-" if f.logged is None else str(f.logged)
        lines.append(
            f"| {f.kind} | {f.window:g} s | {'passed' if f.passed else f'FAILED ({f.status})'} "
            f"| {logged} | {rate} | {', '.join(map(str, sorted(f.recorded))) or '-'} |"
        )
        ok = ok and f.passed and len(f.recorded) == WORKFLOWS
        if f.late_rate is not None:
            met = f.late_rate <= 1.0
            ok = ok and met
            verdicts.append(
                f"- {'MET' if met else 'NOT MET'}: {f.kind}: <= 1 request per 5 s per waiting "
                f"workflow after the first seconds -- {f.late_rate:.2f}"
            )
    return "\n".join([*lines, "", *verdicts]), ok
