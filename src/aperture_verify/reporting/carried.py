"""What a resumed run reports without running it: carried-over workflows and phase checks.

``--resume`` carries over what passed in an earlier run. The reports (pytest-html,
LogXML) learn of a test only from its reports, so each carried-over workflow, and
each hand-written check of a phase carried over whole, gets the passed set-up,
call and teardown reports pytest would have made. ``note_phase_check`` keeps how
each phase check of the run ended, for results.json: a later ``--resume`` reads
there which checks it carries over.
"""

from __future__ import annotations

import time

import pytest

from aperture_verify.execution.results import PhaseCheck, WorkflowResult

#: A phase check's outcome is the worst of its reports; "interrupted": the run stopped
#: while it ran (set up, never torn down).
_RANK = ("passed", "skipped", "failed", "interrupted")


def note_phase_check(checks: dict[str, PhaseCheck], nodeid: str, phase: str, outcome: str) -> None:
    """Fold one report's *outcome* of the phase check *nodeid* into *checks*."""
    known = checks.get(nodeid)
    if outcome not in _RANK:
        return
    if known is None or _RANK.index(outcome) > _RANK.index(known.outcome):
        checks[nodeid] = PhaseCheck(phase, nodeid.split("::", 1)[-1], outcome)


def carried_reports(
    nodeid: str, result: WorkflowResult | None, phase: str = ""
) -> list[pytest.TestReport]:
    """A passed set-up, call and teardown carrying *result* (a phase check: none),
    as pytest would report them."""
    now = time.time()
    path = nodeid.split("::")[0]
    location = (path, None, nodeid.split("::")[-1])
    phase = result.phase if result is not None else phase
    reports = []
    for when in ("setup", "call", "teardown"):
        report = pytest.TestReport(
            nodeid, location, {}, "passed", None, when, duration=0.0, start=now, stop=now,
            user_properties=[("phase", phase)] if when == "call" else [],
        )  # fmt: skip
        if when == "call" and result is not None:
            report.aperture = result.to_dict()  # type: ignore[attr-defined]
        reports.append(report)
    return reports
