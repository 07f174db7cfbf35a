"""The HTML report's content: the run summary, the per-workflow details, table cells.

Everything here returns markup for pytest-html 4 to place through its own
hooks: the summary goes into ``pytest_html_results_summary``'s prefix, a
workflow's details into the report's ``extras`` (format "html"), the extra
columns into the results table hooks. The markup comes from the Jinja2
templates in ``templates/`` (autoescaped); the few fragments built here use
``Markup.format``, which escapes its arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aperture_verify.common.durations import format_duration
from aperture_verify.common.templating import Markup, css, render
from aperture_verify.execution.results import CheckResult, Outcome, WorkflowResult
from aperture_verify.history.sparkline import sparkline_svg
from aperture_verify.reporting.run import RunSummary
from aperture_verify.reporting.timeline import COLOURS, render_timeline

_STEP_CHECK = re.compile(r'^step "(?P<step>.*)"(?: (?P<what>\S+))?$')


def when(value: datetime | None) -> str:
    """``2026-01-05 02:00:00 UTC``, or ``-``."""
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "-"


def run_facts(run: RunSummary) -> list[tuple[str, Markup | str]]:
    """The run's facts (plan, server, profile, times, verdict, CI build, outages)."""
    plan = run.plan
    took = format_duration(run.duration) if run.duration is not None else "-"
    facts: list[tuple[str, Markup | str]] = [
        (
            "Plan",
            Markup("{} <small>({}, on_failure = {})</small>").format(
                plan.name, plan.source.name, plan.on_failure
            ),
        ),
        ("Server", run.server_url + (" (the bundled emulator)" if plan.server.is_emulator else "")),
        (
            "API profile",
            f"{run.api} · dialect {plan.server.dialect} · environment "
            f"{plan.server.environment} · space {plan.server.space}",
        ),
        ("Started", when(run.started_at)),
        ("Run time", took),
        (
            "Verdict",
            Markup('<span class="verdict-{}">{}</span>').format(run.verdict, run.verdict.upper())
            + (f" (exit status {run.exit_status})" if run.exit_status is not None else ""),
        ),
    ]
    if run.ci.get("url") or run.ci.get("number"):
        build = run.ci.get("number", "build")
        facts.append(
            (
                "CI build",
                Markup('<a href="{}">{}</a>').format(run.ci["url"], build)
                if run.ci.get("url")
                else build,
            )
        )
    if run.login_error:
        facts.append(
            ("Login", Markup('<span class="server-error">{}</span>').format(run.login_error))
        )
    for outage in run.outages:  # ridden out at the login check, before any workflow
        facts.append(
            ("Server outage", Markup('<span class="warn">{}</span>').format(outage.describe()))
        )
    return facts


def summary_html(
    run: RunSummary, run_line: str | None = None, history_link: str | None = None
) -> Markup:
    """The block on top of the report: verdict, failures, timeline, per phase counts, facts.

    *run_line* (``run time 12.8s · 8 tests: ...``) stands where pytest-html's own
    count would; *history_link* points at the history page, when there is one.
    """
    phases = [p.name for p in run.plan.phases]
    fresh = [r for r in run.results if r.carried_over_from is None]
    carried = [r for r in run.results if r.carried_over_from is not None]
    return render(
        "summary.html.jinja",
        css=Markup(css("report.css")),
        page_css=Markup(css("pytest-html-page.css")),
        run=run,
        run_line=run_line,
        failed=[r for r in run.results if r.outcome is Outcome.FAILED],
        warned=[r for r in run.results if r.warnings],
        timeline=render_timeline(fresh, phases),
        # Their jobs ran in an earlier run, hours before maybe: their own axis, apart.
        carried_timeline=render_timeline(carried, phases, carried=True) if carried else None,
        carried_runs=sorted({r.carried_over_from.run_id for r in carried if r.carried_over_from}),
        facts=run_facts(run),
        history_link=history_link,
    )


def duration_text(r: WorkflowResult) -> str:
    """``2.1s (limits 0.5s..1m00s)``, or just the limits when the job never ran."""
    limits = ""
    if r.min_duration is not None or r.max_duration is not None:
        low = format_duration(r.min_duration) if r.min_duration is not None else "0s"
        high = format_duration(r.max_duration) if r.max_duration is not None else "∞"
        limits = f"limits {low}..{high}"
    if r.duration is None:
        return f"- ({limits})" if limits else "-"
    took = format_duration(r.duration)
    return f"{took} ({limits})" if limits else took


def _duration_ok(r: WorkflowResult) -> bool | None:
    if r.duration is None:
        return None
    low = r.min_duration if r.min_duration is not None else 0.0
    high = r.max_duration if r.max_duration is not None else float("inf")
    return low <= r.duration <= high


def _detail_rows(
    r: WorkflowResult, trend: Sequence[float], chart_link: str | None
) -> list[tuple[str, Markup | str]]:
    job: Markup | str = r.job_id or "-"
    if r.job_id and r.job_url:
        job = Markup('<a href="{}" target="_blank">{}</a>').format(r.job_url, r.job_id)
    ok = _duration_ok(r)
    duration: Markup | str = duration_text(r)
    if ok is not None:
        duration = Markup('<span class="{}">{}</span>').format("met" if ok else "not-met", duration)
    outcome = Markup('<span class="verdict-{}">{}</span>').format(
        r.outcome.value, r.outcome.value.upper()
    ) + (f" ({r.failure_kind.label})" if r.failure_kind else "")
    rows: list[tuple[str, Markup | str]] = [
        ("Workflow", r.label),
        ("Phase", r.phase),
        ("Outcome", outcome),
        ("State", r.state or "-"),
        ("Duration", duration),
        ("Job", job),
    ]
    if trend:
        title = f"{r.label}: last {len(trend)} runs" + (
            f", this run {format_duration(r.duration)}" if r.duration is not None else ""
        )
        spark = sparkline_svg(trend, current=r.duration, warned=bool(r.warnings), title=title)
        if chart_link:
            spark += Markup(' <a class="history-link" href="{}">history</a>').format(chart_link)
        rows.append(("Recent durations", spark))
    elif chart_link:
        rows.append(
            ("History", Markup('<a class="history-link" href="{0}">{0}</a>').format(chart_link))
        )
    if r.warnings:
        items = Markup("").join(Markup("<li>{}</li>").format(w.message) for w in r.warnings)
        rows.append(("Warnings", Markup('<ul class="warnings">{}</ul>').format(items)))
    if r.carried_over_from is not None:
        origin = r.carried_over_from
        rows.insert(
            3,
            (
                "Carried over",
                Markup(
                    '<span class="carried">from run {} (started {}): passed there, '
                    "not run again</span>"
                ).format(origin.run_id, when(origin.started_at)),
            ),
        )
    if r.submitted_at or r.started_at or r.finished_at:
        rows.append(
            (
                "Times (server)",
                f"submitted {_clock(r.submitted_at)} · started {_clock(r.started_at)} · "
                f"finished {_clock(r.finished_at)}",
            )
        )
    if r.polls:
        rows.append(("Polls", str(r.polls)))
    if r.outages:
        rows.append(
            (
                "Server outages",
                Markup("<br>").join(
                    Markup('<span class="outage">{}</span>').format(o.describe()) for o in r.outages
                ),
            )
        )
    if r.message and r.outcome is not Outcome.PASSED:
        label = "Why skipped" if r.outcome is Outcome.SKIPPED else "Message"
        rows.append((label, Markup('<span class="message">{}</span>').format(r.message)))
    if r.server_error:
        rows.append(
            ("Server error", Markup('<span class="server-error">{}</span>').format(r.server_error))
        )
    return rows


@dataclass(frozen=True)
class _StepRow:
    name: str
    cells: list[str]
    expectations: list[tuple[str, CheckResult]]


def _step_rows(r: WorkflowResult) -> list[_StepRow]:
    """The job's steps with row counts, and each step's expectations (met / not met)."""
    by_step: dict[str, list[tuple[str, CheckResult]]] = {}
    for c in r.checks:
        m = _STEP_CHECK.match(c.name)
        if m:
            what = m.group("what") or "present"
            text = what if what == "present" else f"{what} {c.expected}"
            by_step.setdefault(m.group("step"), []).append((text, c))
    steps = {s.name: s for s in r.steps}
    names = [s.name for s in r.steps] + [n for n in by_step if n not in steps]
    rows = []
    for name in names:
        s = steps.get(name)
        cells = (
            [s.type, s.state]
            + [_num(v) for v in (s.rows_in, s.rows_out, s.passed_rows, s.failed_rows)]
            if s is not None
            else ["-", "missing", "", "", "", ""]
        )
        rows.append(_StepRow(name, [str(c) for c in cells], by_step.get(name, [])))
    return rows


def details_html(
    r: WorkflowResult, trend: Sequence[float] = (), chart_link: str | None = None
) -> Markup:
    """One workflow's details: what ran, against which limits, each expectation met or not.

    *trend* is the workflow's durations in past runs (oldest first), drawn as a
    sparkline with this run's duration marked; *chart_link* the address of its
    chart on the history page.
    """
    has_steps = bool(r.steps) or any(_STEP_CHECK.match(c.name) for c in r.checks)
    return render(
        "details.html.jinja",
        r=r,
        rows=_detail_rows(r, trend, chart_link),
        steps=_step_rows(r) if has_steps else [],
    )


def _num(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _clock(value: datetime | None) -> str:
    return value.strftime("%H:%M:%S.%f")[:-3] if value else "-"


# -- results table -------------------------------------------------------------

TABLE_HEADER = [
    '<th class="sortable" data-column-type="phase">Phase</th>',
    '<th class="sortable" data-column-type="state">State</th>',
    '<th class="sortable" data-column-type="jobduration">Job duration</th>',
]


def table_cells(result: WorkflowResult | None, phase: str | None) -> list[str]:
    """The extra cells of one results-table row (empty ones for a non-workflow test)."""
    if result is None:
        return [
            Markup('<td class="col-phase">{}</td>').format(phase or ""),
            '<td class="col-state"></td>',
            '<td class="col-jobduration"></td>',
        ]
    took = format_duration(result.duration) if result.duration is not None else ""
    state = Markup("{}").format(result.state or "")
    if result.carried_over_from is not None:
        state += Markup(' <span class="carried">(carried over)</span>')
    return [
        Markup('<td class="col-phase">{}</td>').format(result.phase),
        Markup('<td class="col-state" style="color:{}">{}</td>').format(
            COLOURS[result.outcome], state
        ),
        Markup('<td class="col-jobduration">{}</td>').format(took),
    ]


def environment(run: RunSummary) -> dict[str, Any]:
    """Run metadata for the report's environment table (no credential)."""
    env: dict[str, Any] = {
        "Plan": run.plan.name,
        "Server": run.server_url + (" (emulator)" if run.plan.server.is_emulator else ""),
        "API profile": (
            f"{run.api} (dialect {run.plan.server.dialect}, "
            f"environment {run.plan.server.environment})"
        ),
        "Space": run.plan.server.space,
    }
    if run.ci.get("url"):
        env["CI build URL"] = run.ci["url"]
    if run.ci.get("number"):
        env["CI build number"] = run.ci["number"]
    return env
