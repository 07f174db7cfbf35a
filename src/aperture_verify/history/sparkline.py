"""A small inline-SVG sparkline of a workflow's recent durations, this run highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from aperture_verify.common.templating import Markup, render

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
) -> Markup | str:
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
    dot = None
    if current is not None:
        x, y = coords[-1]
        dot = (f"{x:.1f}", f"{y:.1f}", "#e0a100" if warned else "#1f6fd1")
    return render(
        "sparkline.svg.jinja",
        width=width,
        height=height,
        title=title,
        line=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        dot=dot,
    )
