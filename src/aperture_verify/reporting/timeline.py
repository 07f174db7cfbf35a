"""The run's timeline as inline SVG: one bar per job on a shared time axis, by phase.

Bars use the server's own clock: ``startedAt`` → ``finishedAt`` solid, and
``submittedAt`` → ``startedAt`` as a lighter lead-in (time spent queued). Each
phase is a band of rows; a dashed line marks where a phase's last job ended,
so the barrier between phases and the parallelism inside one are visible at a
glance. The SVG needs no script, font or network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from aperture_verify.common.durations import format_duration
from aperture_verify.common.templating import Markup, render
from aperture_verify.execution.results import Outcome, WorkflowResult

COLOURS = {
    Outcome.PASSED: "#3a9a5b",
    Outcome.FAILED: "#d64541",
    Outcome.INTERRUPTED: "#e08a1e",
    Outcome.SKIPPED: "#9aa0a6",
}

WARN_COLOUR = "#f0b400"  # amber: a warning on a workflow that passed
RUNNING = "#1f6fd1"  # blue: a workflow under way (the live page)
CARRIED = "#4a6fa5"  # carried over from an earlier run: passed there, not run again

WIDTH = 1000
GUTTER = 190  # room for the workflow labels
RIGHT = 20
ROW = 22
PHASE_HEADER = 20
AXIS = 30
LEGEND = 26
_STEPS = (
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
)


def _span(r: WorkflowResult) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(lead-in start, bar start, bar end) of a result, any of them unknown."""
    start = r.started_at
    end = r.finished_at
    if start is not None and end is None and r.outcome is not Outcome.PASSED:
        end = r.recorded_at  # cancelled or interrupted: draw up to when the suite gave up
    return r.submitted_at, start, end


def tick_step(span: float, max_ticks: int = 10) -> float:
    """A round tick interval giving at most *max_ticks* ticks over *span* seconds."""
    for step in _STEPS:
        if span / step <= max_ticks:
            return step
    return _STEPS[-1] * (span // (_STEPS[-1] * max_ticks) + 1)


def render_timeline(
    results: Sequence[WorkflowResult],
    phases: Sequence[str],
    *,
    carried: bool = False,
    now: datetime | None = None,
    running: Mapping[str, tuple[str, datetime]] | None = None,
    pending: Sequence[tuple[str, str]] = (),
    links: Mapping[str, str] | None = None,
) -> Markup:
    """The SVG markup for *results* grouped into *phases* (in run order).

    *carried*: the results were carried over from an earlier run; their bars are
    drawn hatched in blue (class ``bar-carried``), on that run's own time axis.
    While the run goes on (the live page): *running* maps the label of each
    workflow under way to when it started, drawn as a bar growing to *now*
    (a blue line), with its phase; *pending* lists the (phase, label) not started yet; *links*
    maps a label to the address of its history chart.
    """
    links = links or {}
    done = {r.label for r in results}
    ongoing = {k: v for k, v in (running or {}).items() if k not in done}
    times = [t for r in results for t in _span(r) if t is not None]
    times += [start for _, start in ongoing.values()]
    if now is not None and ongoing:
        times.append(now)
    rows_by_phase: dict[str, list[tuple[str, WorkflowResult | datetime | None]]] = {}
    for r in results:
        rows_by_phase.setdefault(r.phase, []).append((r.label, r))
    for label, (phase, start) in ongoing.items():
        rows_by_phase.setdefault(phase, []).append((label, start))
    for phase, label in pending:
        rows_by_phase.setdefault(phase, []).append((label, None))
    grouped = [(p, rows_by_phase[p]) for p in phases if rows_by_phase.get(p)]
    height = AXIS + sum(PHASE_HEADER + ROW * len(rs) for _, rs in grouped) + LEGEND + 6
    if times:
        t0 = min(times)
        span = max((max(times) - t0).total_seconds(), 0.001)
    else:
        t0, span = None, 1.0
    scale = (WIDTH - GUTTER - RIGHT) / span

    def x(t: datetime) -> float:
        assert t0 is not None
        return round(GUTTER + (t - t0).total_seconds() * scale, 1)

    step = tick_step(span)
    ticks = [
        {"x": round(GUTTER + i * step * scale, 1), "text": format_duration(i * step)}
        for i in range(int(span // step) + 1)
    ]
    bands = []
    barriers = []
    y = AXIS
    for index, (phase, entries) in enumerate(grouped):
        band_height = PHASE_HEADER + ROW * len(entries)
        rows = []
        ends: list[datetime] = []
        for row_index, (label, entry) in enumerate(entries):
            ry = y + PHASE_HEADER + row_index * ROW
            row: dict[str, object] = {
                "y": ry, "label": label, "text": _clip(label, 26), "link": links.get(label),
                "note": None,
            }  # fmt: skip
            rows.append(row)
            if not isinstance(entry, WorkflowResult):  # under way, or not started yet
                if entry is None or t0 is None or now is None:
                    row["note"] = "pending"
                    continue
                row.update(
                    kind="running", colour=RUNNING, x=x(entry), open=True, warnings=None,
                    width=max(x(now) - x(entry), 2), queued=None,
                    tip=f"{label} ({phase}): running since {entry.strftime('%H:%M:%S')}",
                )  # fmt: skip
                continue
            r = entry
            submitted, begin, end = _span(r)
            colour = CARRIED if carried else COLOURS[r.outcome]
            if t0 is None or begin is None:
                row["note"] = "skipped" if r.outcome is Outcome.SKIPPED else "no job ran"
                continue
            start = begin
            right = x(end) if end is not None else WIDTH - RIGHT
            if end is not None:
                ends.append(end)
            row.update(
                kind="carried" if carried else r.outcome.value,
                colour=colour,
                x=x(start),
                width=round(max(right - x(start), 2), 1),
                open=end is None,
                tip=_tooltip(r),
                queued=(x(submitted), round(max(x(start) - x(submitted), 1), 1))
                if submitted is not None and submitted < start
                else None,
                warnings="\n".join(w.message for w in r.warnings) or None,
                warn_points=_diamond(right, ry + 11),
            )
        bands.append(
            {
                "phase": phase, "index": phases.index(phase) + 1, "y": y, "height": band_height,
                "fill": "#f4f6f8" if index % 2 == 0 else "#ffffff", "rows": rows,
            }
        )  # fmt: skip
        if ends and t0 is not None and index < len(grouped) - 1:
            barriers.append({"x": x(max(ends)), "phase": phase})
        y += band_height
    legend = [(o.value, c) for o, c in COLOURS.items()]
    if ongoing:
        legend.append(("running", RUNNING))
    return render(
        "timeline.svg.jinja",
        width=WIDTH, height=height, gutter=GUTTER, right=RIGHT, axis=AXIS,
        legend_height=LEGEND, carried=carried,
        jobs=sum(1 for r in results if r.started_at is not None),
        ticks=ticks,
        origin=f"{t0.strftime('%H:%M:%S')} {t0.tzname() or ''}".strip() if t0 else None,
        bands=bands, barriers=barriers, rows_end=y,
        now_x=x(now) if now is not None and t0 is not None and ongoing else None,
        legend=legend, warn_colour=WARN_COLOUR, carried_colour=CARRIED,
    )  # fmt: skip


def _diamond(cx: float, cy: float) -> str:
    """The points of the amber diamond drawn at the end of a warned workflow's bar."""
    return f"{cx:.1f},{cy - 7} {cx + 7:.1f},{cy} {cx:.1f},{cy + 7} {cx - 7:.1f},{cy}"


def _tooltip(r: WorkflowResult) -> str:
    lines = [f"{r.label} ({r.phase}): {r.outcome.value}, state {r.state or '-'}"]
    if r.duration is not None:
        lines.append(f"ran {format_duration(r.duration)}")
    for name, t in (
        ("submitted", r.submitted_at),
        ("started", r.started_at),
        ("finished", r.finished_at),
    ):
        if t is not None:
            lines.append(f"{name} {t.strftime('%H:%M:%S.%f')[:-3]}")
    if r.job_id:
        lines.append(f"job {r.job_id}")
    if r.carried_over_from is not None:
        lines.append(f"carried over from run {r.carried_over_from.run_id}")
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
