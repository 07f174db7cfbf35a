"""The run's summary in the terminal: per phase, each job with its times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aperture_verify.common.columns import pad
from aperture_verify.common.durations import format_duration
from aperture_verify.common.timestamps import local_time
from aperture_verify.execution.results import Outcome
from aperture_verify.plugin.context import RunContext
from aperture_verify.plugin.options import flag


def write_terminal_summary(tr: Any, ctx: RunContext) -> None:
    results = {r.label: r for r in ctx.ledger.results()}
    if not results:
        return
    utc = flag(tr.config, "aperture_utc")
    zone = local_time(datetime.now(UTC), utc=utc, date=False).rsplit(" ", 1)[-1]
    tr.write_sep("=", f"aperture: plan '{ctx.plan.name}' (times in {zone})")  # issue 21
    collected = set(ctx.labels_by_nodeid.values())  # after -k, -m and the phase modules given
    for index, phase in enumerate(ctx.plan.phases, 1):
        tr.write_line(f"phase {index} '{phase.name}':")
        for spec in phase.workflows:
            r = results.get(spec.label)
            if r is None:
                chosen = spec.label in collected and (
                    ctx.selected is None or spec.label in ctx.selected
                )
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
    if ctx.run_line:
        tr.write_line(ctx.run_line)
    # The exit status and its kind are in the log's last line (plugin/notifying.py).


def _clock(value: datetime, utc: bool) -> str:
    """``05:09:59.274``: the zone is named once, in the summary's title."""
    return local_time(value, utc=utc, date=False, millis=True).rsplit(" ", 1)[0]
