"""What the controller says in the terminal: the run's first lines and its summary."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from aperture_verify.common.columns import pad
from aperture_verify.common.durations import format_duration
from aperture_verify.common.timestamps import local_time
from aperture_verify.execution.results import Outcome, WorkflowResult
from aperture_verify.plan.model import Plan
from aperture_verify.plugin.connection import Connection
from aperture_verify.plugin.safety import transport_warnings
from aperture_verify.plugin.settings import RunSettings


def write_start(tr: Any, settings: RunSettings, conn: Connection) -> None:
    """The plan and its server, and what is unsafe about how the run reaches it."""
    plan = settings.plan
    phases = " → ".join(f"{p.name}({len(p.workflows)})" for p in plan.phases)
    where = f"emulator at {conn.url}" if plan.server.is_emulator else conn.url
    tr.write_line(f"aperture: plan '{plan.name}' on {where} [{plan.server.api}]: {phases}")
    for warning in transport_warnings(plan):
        tr.write_line(f"aperture: WARNING: {warning}", yellow=True, bold=True)
    for note in settings.credentials.notes:  # issue 22/25: stripped, a key file others read
        tr.write_line(f"aperture: WARNING: {note}", yellow=True)


def write_login(tr: Any, conn: Connection, preflight_failures: dict[str, str]) -> None:
    """A failed login, or the workflows the preflight found not ready."""
    if conn.login_error:
        tr.write_line(f"aperture: LOGIN FAILED: {conn.login_error}", red=True, bold=True)
    for label, why in preflight_failures.items():
        tr.write_line(f"aperture: PREFLIGHT: {label}: {why}", red=True, bold=True)


def by_phase(plan: Plan, labels: Collection[str]) -> str:
    """``ingest (all 1); cleanse (Workflow 3)``: the workflows of *labels*, by phase."""
    parts = []
    for phase in plan.phases:
        mine = [w.label for w in phase.workflows if w.label in labels]
        if mine and len(mine) == len(phase.workflows):
            parts.append(f"{phase.name} (all {len(mine)})")
        elif mine:
            parts.append(f"{phase.name} ({', '.join(mine)})")
    return "; ".join(parts)


def announce_selection(tr: Any, settings: RunSettings) -> None:
    """Say once what this run leaves out, and what it carries over."""
    selection = settings.selection
    plan = selection.plan
    total = len(plan.workflows)
    carried: set[str] = set()
    resume = settings.resume
    if resume is not None:
        previous = resume.previous
        carried = {r.label for r in resume.carried}
        when = previous.started_at.strftime("%Y-%m-%d %H:%M:%S %Z") if previous.started_at else "?"
        tr.write_line(
            f"aperture: resuming run {previous.run_id} (started {when}, {previous.verdict}) "
            f"from phase '{resume.first_phase}'; carried over, not run again: "
            + (by_phase(plan, carried) or "nothing")
        )
        if resume.rejudged:  # the plan changed since: what was judged again, said once
            tr.write_line(f"aperture: {resume.rejudged}")
    others = {w.label for w in selection.deselected} - carried
    if others:
        reasons = " ".join(r for r in selection.reasons if r != "--resume")
        tr.write_line(
            f"aperture: runs {len(selection.labels)} of {total} workflows; deselected by "
            f"{reasons or '--resume'}: {by_phase(plan, others)}"
        )


def write_summary(
    tr: Any,
    plan: Plan,
    recorded: Iterable[WorkflowResult],
    *,
    collected: Collection[str],
    selected: Collection[str],
    run_line: str | None,
    utc: bool = False,
) -> None:
    """Per phase, each workflow with its verdict and its job's times.

    *collected*: the labels collected after ``-k``, ``-m`` and the phase modules
    given; *selected*: those the selection flags chose.
    """
    results = {r.label: r for r in recorded}
    if not results:
        return
    zone = local_time(datetime.now(UTC), utc=utc, date=False).rsplit(" ", 1)[-1]
    tr.write_sep("=", f"aperture: plan '{plan.name}' (times in {zone})")  # issue 21
    for index, phase in enumerate(plan.phases, 1):
        tr.write_line(f"phase {index} '{phase.name}':")
        for spec in phase.workflows:
            r = results.get(spec.label)
            if r is None:
                chosen = spec.label in collected and spec.label in selected
                tr.write_line(f"  {pad(spec.label, 28)} {'not run' if chosen else 'deselected'}")
                continue
            start = _clock(r.started_at, utc) if r.started_at else "-"
            end = _clock(r.finished_at, utc) if r.finished_at else "-"
            took = format_duration(r.duration) if r.duration is not None else "-"
            warn = r.outcome is Outcome.PASSED and bool(r.warnings)
            mark = "WARN" if warn else r.outcome.value.upper()
            line = (
                f"  {pad(spec.label, 28)} {mark:<8} {r.state or '-':<10} {start} → {end}  {took:>7}"
            )
            markup = (
                {"green": True}
                if r.outcome is Outcome.PASSED and not warn
                else ({"yellow": True} if r.outcome is Outcome.SKIPPED or warn else {"red": True})
            )
            if r.carried_over_from is not None:
                line += f"  carried over from run {r.carried_over_from.run_id}"
                markup = {"cyan": True}
            tr.write_line(line, **markup)
            if r.outcome is not Outcome.PASSED and r.message:
                tr.write_line(f"      {r.message}")
            for w in r.warnings if warn else ():
                tr.write_line(f"      warning: {w.message}", yellow=True)
    count = sum(len(r.warnings) for r in results.values())
    if count:
        tr.write_line(
            f"{count} warning(s): the workflows passed (--warnings-fail makes them fail)",
            yellow=True,
        )
    if run_line:
        tr.write_line(run_line)
    # The exit status and its kind are in the log's last line (notifying.write_last_lines).


def _clock(value: datetime, utc: bool) -> str:
    """``05:09:59.274``: the zone is named once, in the summary's title (issue 21)."""
    return local_time(value, utc=utc, date=False, millis=True).rsplit(" ", 1)[0]
