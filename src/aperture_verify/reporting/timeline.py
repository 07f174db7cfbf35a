"""The run's timeline as inline SVG: one bar per job on a shared time axis, by phase.

Bars use the server's own clock: ``startedAt`` → ``finishedAt`` solid, and
``submittedAt`` → ``startedAt`` as a lighter lead-in (time spent queued). Each
phase is a band of rows; a dashed line marks where a phase's last job ended,
so the barrier between phases and the parallelism inside one are visible at a
glance. The SVG needs no script, font or network.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from aperture_verify.common.durations import format_duration
from aperture_verify.execution.results import Outcome, WorkflowResult

COLOURS = {
    Outcome.PASSED: "#3a9a5b",
    Outcome.FAILED: "#d64541",
    Outcome.INTERRUPTED: "#e08a1e",
    Outcome.SKIPPED: "#9aa0a6",
}

WARN_COLOUR = "#f0b400"  # amber: a warning on a workflow that passed
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
    results: Sequence[WorkflowResult], phases: Sequence[str], *, carried: bool = False
) -> str:
    """The SVG markup for *results* grouped into *phases* (in run order).

    *carried*: the results were carried over from an earlier run; their bars are
    drawn hatched in blue (class ``bar-carried``), on that run's own time axis.
    """
    times = [t for r in results for t in _span(r) if t is not None]
    grouped = [(p, [r for r in results if r.phase == p]) for p in phases]
    grouped = [(p, rs) for p, rs in grouped if rs]
    height = AXIS + sum(PHASE_HEADER + ROW * len(rs) for _, rs in grouped) + LEGEND + 6
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'class="aperture-timeline{" timeline-carried" if carried else ""}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" '
        f'role="img" aria-label="Timeline of the jobs by phase" '
        f'data-jobs="{sum(1 for r in results if r.started_at is not None)}" '
        f'font-family="sans-serif" font-size="12">'
    ]
    if times:
        t0 = min(times)
        span = max((max(times) - t0).total_seconds(), 0.001)
    else:
        t0, span = None, 1.0
    scale = (WIDTH - GUTTER - RIGHT) / span

    def x(t: datetime) -> float:
        assert t0 is not None
        return GUTTER + (t - t0).total_seconds() * scale

    out.extend(_axis(span, scale, height, t0))
    y = AXIS
    boundaries: list[tuple[float, str]] = []
    for index, (phase, rows) in enumerate(grouped):
        band = PHASE_HEADER + ROW * len(rows)
        fill = "#f4f6f8" if index % 2 == 0 else "#ffffff"
        out.append(f'<g class="phase" data-phase="{escape(phase)}">')
        out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{band}" fill="{fill}"/>')
        out.append(
            f'<text x="4" y="{y + 14}" font-weight="bold">phase {index + 1}: {escape(phase)}</text>'
        )
        ends: list[datetime] = []
        for row, r in enumerate(rows):
            ry = y + PHASE_HEADER + row * ROW
            out.append(f'<text x="14" y="{ry + 15}">{escape(_clip(r.label, 26))}</text>')
            submitted, start, end = _span(r)
            colour = CARRIED if carried else COLOURS[r.outcome]
            if t0 is None or start is None:
                why = "skipped" if r.outcome is Outcome.SKIPPED else "no job ran"
                out.append(
                    f'<text class="no-job" x="{GUTTER + 4}" y="{ry + 15}" '
                    f'fill="#666" font-style="italic">{why}</text>'
                )
                continue
            if submitted is not None and submitted < start:
                out.append(
                    f'<rect class="queued" x="{x(submitted):.1f}" y="{ry + 5}" '
                    f'width="{max(x(start) - x(submitted), 1):.1f}" height="12" '
                    f'fill="{colour}" fill-opacity="0.3"/>'
                )
            right = x(end) if end is not None else WIDTH - RIGHT
            if end is not None:
                ends.append(end)
            tip = _tooltip(r)
            out.append(
                f'<rect class="bar bar-{"carried" if carried else r.outcome.value}" '
                f'data-label="{escape(r.label)}" '
                f'x="{x(start):.1f}" y="{ry + 3}" width="{max(right - x(start), 2):.1f}" '
                f'height="16" rx="2" fill="{colour}"'
                + (' stroke="#333" stroke-dasharray="3 2"' if end is None else "")
                + (' fill-opacity="0.55" stroke="#2b4c7e"' if carried else "")
                + f"><title>{escape(tip)}</title></rect>"
            )
            if r.warnings:
                out.append(_warn_marker(r, right, ry))
        out.append("</g>")
        if ends and t0 is not None and index < len(grouped) - 1:
            boundaries.append((x(max(ends)), phase))
        y += band
    for bx, phase in boundaries:
        out.append(
            f'<line class="barrier" x1="{bx:.1f}" y1="{AXIS - 4}" x2="{bx:.1f}" '
            f'y2="{y}" stroke="#555" stroke-dasharray="4 3">'
            f"<title>end of phase {escape(phase)}</title></line>"
        )
    out.extend(_legend(y + 8) if not carried else _carried_legend(y + 8))
    out.append("</svg>")
    return "".join(out)


def _warn_marker(r: WorkflowResult, bx: float, ry: int) -> str:
    """An amber diamond at the end of a warned workflow's bar, its warnings as the tip."""
    cx, cy = bx, ry + 11
    points = f"{cx:.1f},{cy - 7} {cx + 7:.1f},{cy} {cx:.1f},{cy + 7} {cx - 7:.1f},{cy}"
    text = "\n".join(w.message for w in r.warnings)
    return (
        f'<polygon class="warn-marker" data-label="{escape(r.label)}" points="{points}" '
        f'fill="{WARN_COLOUR}" stroke="#8a5a00"><title>{escape(text)}</title></polygon>'
    )


def _axis(span: float, scale: float, height: int, t0: datetime | None) -> list[str]:
    step = tick_step(span)
    parts = [
        f'<line x1="{GUTTER}" y1="{AXIS - 6}" x2="{WIDTH - RIGHT}" y2="{AXIS - 6}" stroke="#888"/>'
    ]
    count = int(span // step)
    for i in range(count + 1):
        tx = GUTTER + i * step * scale
        parts.append(
            f'<line x1="{tx:.1f}" y1="{AXIS - 10}" x2="{tx:.1f}" '
            f'y2="{height - LEGEND}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{AXIS - 13}" text-anchor="middle" fill="#444">'
            f"+{escape(format_duration(i * step))}</text>"
        )
    if t0 is not None:
        parts.append(
            f'<text x="4" y="{AXIS - 13}" fill="#444">0 = '
            f"{t0.strftime('%H:%M:%S')} {escape(t0.tzname() or '')}</text>"
        )
    return parts


def _legend(y: int) -> list[str]:
    parts = []
    lx = GUTTER
    for outcome, colour in COLOURS.items():
        parts.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 16}" y="{y + 10}">{outcome.value}</text>')
        lx += 100
    parts.append(
        f'<rect x="{lx}" y="{y}" width="12" height="12" fill="#888" '
        f'fill-opacity="0.3"/><text x="{lx + 16}" y="{y + 10}">queued '
        f"(submitted, not started)</text>"
    )
    wx = lx + 200
    parts.append(
        f'<polygon points="{wx + 6},{y} {wx + 12},{y + 6} {wx + 6},{y + 12} {wx},{y + 6}" '
        f'fill="{WARN_COLOUR}" stroke="#8a5a00"/><text x="{wx + 16}" y="{y + 10}">warning</text>'
    )
    return parts


def _carried_legend(y: int) -> list[str]:
    return [
        f'<rect x="{GUTTER}" y="{y}" width="12" height="12" fill="{CARRIED}" fill-opacity="0.55" '
        f'stroke="#2b4c7e"/><text x="{GUTTER + 16}" y="{y + 10}">passed in an earlier run, '
        "carried over (not run again)</text>"
    ]


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
