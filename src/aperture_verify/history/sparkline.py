"""A small inline-SVG sparkline of a workflow's recent durations, this run highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 120
HEIGHT = 24
PAD = 3.0


def sparkline_svg(
    values: Sequence[float],
    *,
    current: float | None = None,
    warned: bool = False,
    title: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """An ``<svg>`` of *values* (oldest first) followed by *current*, which is marked.

    Empty when there is nothing to draw. The drawing scales to the values'
    range from zero, so a flat history is a flat line and a slow night stands up.
    """
    points = [*values, *([current] if current is not None else [])]
    if not points:
        return ""
    top = max(points) or 1.0
    n = len(points)
    step = (width - 2 * PAD) / max(1, n - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD + i * step, height - PAD - (v / top) * (height - 2 * PAD)

    coords = [xy(i, v) for i, v in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg class="aperture-spark" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title, quote=True)}">',
        f"<title>{escape(title)}</title>" if title else "",
        f'<polyline points="{line}" fill="none" stroke="#8a94a6" stroke-width="1.2"/>',
    ]
    if current is not None:
        x, y = coords[-1]
        colour = "#e0a100" if warned else "#1f6fd1"
        parts.append(f'<circle class="current" cx="{x:.1f}" cy="{y:.1f}" r="2.8" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)
