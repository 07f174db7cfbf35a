"""The history page: how each workflow of a plan did over its last runs, in one file.

Per plan, a strip of the last runs' verdicts; per workflow, an inline-SVG
chart of its duration over those runs with the anomaly band shaded (the band
as it stood before each run: median ± k·MAD of the passing runs before it),
the plan's ``min_duration``/``max_duration`` and warn limits drawn, warnings
and failures marked; likewise each step row count the plan puts limits on.
Self-contained (no script, font or network), so it reads in a browser and as
an e-mail attachment. Read through the store's public functions only.

The store does not keep the plan's limits: the caller passes them (``Limits``
per workflow; the run's controller has the plan, ``aperture-history report``
may not, and then draws the bands alone).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aperture_verify.common.durations import format_duration
from aperture_verify.common.templating import Markup, css, render
from aperture_verify.history.bands import (
    DEFAULT_MIN_RUNS,
    DEFAULT_WINDOW,
    DURATION_RULE,
    ROWS_RULE,
    Band,
    BandRule,
    band,
)
from aperture_verify.history.store import HistoryStore, WorkflowRun

__all__ = ["HISTORY_FILE", "Limits", "RowLimits", "chart", "chart_link", "history_page"]

#: The page's name beside report.html.
HISTORY_FILE = "history.html"
#: Runs drawn per plan and workflow by default.
DEFAULT_LAST = 30

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 22


@dataclass(frozen=True)
class RowLimits:
    """The plan's bounds on one step row count (``None``: none)."""

    min: float | None = None
    max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None


@dataclass(frozen=True)
class Limits:
    """What the plan says of one workflow: duration limits, warn limits, its band rule."""

    min_duration: float | None = None
    max_duration: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None
    anomaly: bool = True
    min_runs: int = DEFAULT_MIN_RUNS
    window: int = DEFAULT_WINDOW
    rows: Mapping[tuple[str, str], RowLimits] = field(default_factory=dict)


def chart_anchor(label: str) -> str:
    """A stable HTML id for a workflow's chart: readable, unique by a short hash."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")[:40] or "workflow"
    return f"w-{slug}-{hashlib.sha1(label.encode('utf-8')).hexdigest()[:8]}"


def chart_link(label: str) -> str:
    """The address of *label*'s chart, relative to report.html."""
    return f"{HISTORY_FILE}#{chart_anchor(label)}"


@dataclass(frozen=True)
class Point:
    """One run of a workflow on a chart."""

    started_at: str
    outcome: str
    value: float | None


def chart(
    points: Sequence[Point],
    *,
    low: float | None = None,
    high: float | None = None,
    warn_low: float | None = None,
    warn_high: float | None = None,
    anomaly: bool = True,
    min_runs: int = DEFAULT_MIN_RUNS,
    window: int = DEFAULT_WINDOW,
    rule: BandRule = DURATION_RULE,
    unit: str = "s",
) -> dict[str, Any]:
    """The geometry of one chart: points, the band before each run, limit lines.

    A run is *warned* when its value is outside a warn limit, or outside the
    band of the passing runs before it (as the run itself judged it).
    """
    values = [p.value for p in points if p.value is not None]
    bands: list[Band | None] = []
    passing: list[float] = []
    for p in points:
        bands.append(
            band(passing, min_runs=min_runs, window=window, rule=rule) if anomaly else None
        )
        if p.outcome == "passed" and p.value is not None:
            passing.append(p.value)
    scale_top = max([*values, *[b.high for b in bands if b is not None], 0.0])
    # A limit far above the values would flatten them: drawn only when near.
    lines: list[dict[str, Any]] = []
    for kind, value, name in (
        ("limit", low, "min"),
        ("limit", high, "max"),
        ("warn", warn_low, "warn min"),
        ("warn", warn_high, "warn max"),
    ):
        if value is None or (name == "min" and value <= 0):
            continue
        near = value <= 3 * (scale_top or value)
        lines.append({"kind": kind, "name": name, "value": value, "drawn": near})
        if near:
            scale_top = max(scale_top, value)
    top = (scale_top or 1.0) * 1.1
    n = len(points)
    step = (WIDTH - LEFT - RIGHT) / max(1, n - 1) if n > 1 else 0.0

    def x(i: int) -> float:
        return round(LEFT + i * step if n > 1 else (LEFT + WIDTH - RIGHT) / 2, 1)

    def y(v: float) -> float:
        return round(HEIGHT - BOTTOM - (v / top) * (HEIGHT - TOP - BOTTOM), 1)

    marks = []
    for i, (p, b) in enumerate(zip(points, bands, strict=True)):
        if p.value is None:
            marks.append({"x": x(i), "y": None, "class": "no-value", "title": _tip(p, b, unit)})
            continue
        outside_band = b is not None and not b.contains(p.value)
        outside_warn = (warn_low is not None and p.value < warn_low) or (
            warn_high is not None and p.value > warn_high
        )
        kind = (
            "failed"
            if p.outcome == "failed"
            else "warned"
            if p.outcome == "passed" and (outside_band or outside_warn)
            else p.outcome
        )
        marks.append({"x": x(i), "y": y(p.value), "class": kind, "title": _tip(p, b, unit)})
    # The band as a shaded area from run to run (gaps where it was not known yet).
    areas = []
    run: list[tuple[float, Band]] = []
    for i, b in enumerate([*bands, None]):
        if b is not None:
            run.append((x(i), b))
            continue
        if run:
            upper = " ".join(f"{bx},{y(bb.high)}" for bx, bb in run)
            lower = " ".join(f"{bx},{y(bb.low)}" for bx, bb in reversed(run))
            if len(run) == 1:  # one run: a short bar around it
                bx, bb = run[0]
                upper = f"{bx - 4},{y(bb.high)} {bx + 4},{y(bb.high)}"
                lower = f"{bx + 4},{y(bb.low)} {bx - 4},{y(bb.low)}"
            areas.append(f"{upper} {lower}")
            run = []
    ticks = [
        {"y": y(v), "text": _value(v, unit)} for v in (0.0, top / 2 / 1.1, top / 1.1) if top > 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "line": " ".join(f"{m['x']},{m['y']}" for m in marks if m["y"] is not None),
        "marks": marks,
        "areas": areas,
        "lines": [
            {
                **line,
                "y": y(float(line["value"])) if line["drawn"] else None,
                "text": f"{line['name']} {_value(float(line['value']), unit)}",
            }
            for line in lines
        ],
        "ticks": ticks,
        "first": points[0].started_at[:10] if points else "",
        "last": points[-1].started_at[:10] if points else "",
        "warned": sum(1 for m in marks if m["class"] == "warned"),
        "failed": sum(1 for m in marks if m["class"] == "failed"),
    }


def _value(v: float, unit: str) -> str:
    if unit == "s":
        return format_duration(v)
    return f"{v:,.0f}" if v == int(v) or abs(v) >= 100 else f"{v:,.1f}"


def _tip(p: Point, b: Band | None, unit: str) -> str:
    value = "-" if p.value is None else _value(p.value, unit)
    usual = "" if b is None else f" (usual {_value(b.low, unit)}..{_value(b.high, unit)})"
    return f"{p.started_at}: {p.outcome}, {value}{usual}"


def _workflow_charts(
    runs: Sequence[WorkflowRun], limits: Limits | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lim = limits or Limits()
    judged = functools.partial(
        chart, anomaly=lim.anomaly, min_runs=lim.min_runs, window=lim.window
    )  # as the runs were judged
    duration = judged(
        [Point(r.started_at, r.outcome, r.duration) for r in runs],
        low=lim.min_duration,
        high=lim.max_duration,
        warn_low=lim.warn_min,
        warn_high=lim.warn_max,
    )
    rows = []
    for (step, metric), rl in lim.rows.items():
        points = [
            Point(
                r.started_at,
                r.outcome,
                next((float(v) for s, m, v in r.rows if s == step and m == metric), None),
            )
            for r in runs
        ]
        rows.append(
            {
                "title": f'step "{step}" {metric}',
                "chart": judged(
                    points, low=rl.min, high=rl.max, warn_low=rl.warn_min,
                    warn_high=rl.warn_max, rule=ROWS_RULE, unit="rows",
                ),
            }
        )  # fmt: skip
    return duration, rows


def history_page(
    store: HistoryStore,
    plans: Sequence[str] | None = None,
    *,
    last: int = DEFAULT_LAST,
    limits: Mapping[str, Limits] | None = None,
    server: str | None = None,
    now: datetime | None = None,
) -> str:
    """The page for *plans* (every plan in the store when ``None``), one section per
    plan and server (only *server*'s runs when given: a run's own page)."""
    limits = limits or {}
    sections = []
    anchors: set[str] = set()
    for plan in plans if plans is not None else store.plans():
        servers = [server] if server is not None else store.servers(plan)
        for where in servers:
            runs = store.runs(plan, last, where)
            labels = list(store.workflow_history(plan, last, where))
            workflows = []
            for label in labels:
                duration, rows = _workflow_charts(
                    store.workflow_runs(plan, label, last, where), limits.get(label)
                )
                anchor = chart_anchor(label)  # the first section's is the one report.html links
                n = 1
                while anchor in anchors:
                    n += 1
                    anchor = f"{chart_anchor(label)}-{n}"
                anchors.add(anchor)
                workflows.append(
                    {"label": label, "anchor": anchor, "chart": duration, "rows": rows}
                )
            sections.append(
                {"plan": plan, "server": where if len(servers) > 1 or server else "",
                 "runs": runs, "workflows": workflows}
            )  # fmt: skip
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S %Z")
    return str(
        render(
            "history.html.jinja",
            css=Markup(css("report.css")),
            sections=sections,
            last=last,
            written=when,
            has_limits=bool(limits),
        )
    )
