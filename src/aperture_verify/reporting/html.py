"""The HTML report's content: the run summary, the per-workflow details, table cells.

Everything here returns markup strings for pytest-html 4 to place: the summary
goes into ``pytest_html_results_summary``'s prefix, a workflow's details into
the report's ``extras`` (format "html"), the extra columns into the results
table hooks. All text from the plan or the server is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from aperture_verify.common.durations import format_duration
from aperture_verify.execution.results import CheckResult, Outcome, WorkflowResult
from aperture_verify.history.sparkline import sparkline_svg
from aperture_verify.reporting.run import RunSummary
from aperture_verify.reporting.timeline import COLOURS, render_timeline

STYLE = """
<style>
.aperture { color: #222; }
.aperture h3 { margin: 14px 0 6px; }
.aperture table.av { border-collapse: collapse; margin: 4px 0 10px; font-size: 13px; }
.aperture table.av th, .aperture table.av td { border: 1px solid #ccc; padding: 3px 8px;
  text-align: left; vertical-align: top; }
.aperture table.av th { background: #eef1f4; }
.aperture .verdict-passed { color: #2d7a47; font-weight: bold; }
.aperture .verdict-failed { color: #c0392b; font-weight: bold; }
.aperture .verdict-interrupted { color: #b86e00; font-weight: bold; }
.aperture .verdict-empty { color: #666; font-weight: bold; }
.aperture .met { color: #2d7a47; } .aperture .not-met { color: #c0392b; font-weight: bold; }
.aperture .num { text-align: right; }
.aperture dl.av { display: grid; grid-template-columns: max-content auto; gap: 2px 14px;
  margin: 6px 0; }
.aperture dl.av dt { font-weight: bold; } .aperture dl.av dd { margin: 0; }
.aperture .server-error { color: #c0392b; white-space: pre-wrap; }
.aperture ul.failed-checks { color: #c0392b; margin: 4px 0; }
.aperture .timeline { overflow-x: auto; margin: 8px 0 16px; }
.aperture ul.warnings { color: #8a5a00; margin: 4px 0; }
.aperture .warn { color: #8a5a00; font-weight: bold; }
.aperture .carried { color: #4a6fa5; font-style: italic; }
</style>
"""

_STEP_CHECK = re.compile(r'^step "(?P<step>.*)"(?: (?P<what>\S+))?$')


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "-"


def summary_html(run: RunSummary) -> str:
    """The block on top of the report: plan, server, when, per phase counts, timeline."""
    plan = run.plan
    server = escape(run.server_url) + (" (the bundled emulator)" if plan.server.is_emulator else "")
    took = format_duration(run.duration) if run.duration is not None else "-"
    rows = [
        (
            "Plan",
            f"{escape(plan.name)} <small>({escape(plan.source.name)}, "
            f"on_failure = {escape(plan.on_failure)})</small>",
        ),
        ("Server", server),
        (
            "API profile",
            f"{escape(run.api)} · dialect {escape(plan.server.dialect)}"
            f" · environment {escape(plan.server.environment)}"
            f" · space {escape(plan.server.space)}",
        ),
        ("Started", escape(_when(run.started_at))),
        ("Run time", escape(took)),
        (
            "Verdict",
            f'<span class="verdict-{run.verdict}">{run.verdict.upper()}</span>'
            + (f" (exit status {run.exit_status})" if run.exit_status is not None else ""),
        ),
    ]
    if run.ci.get("url") or run.ci.get("number"):
        build = escape(run.ci.get("number", "build"))
        if run.ci.get("url"):
            build = f'<a href="{escape(run.ci["url"])}">{build}</a>'
        rows.append(("CI build", build))
    if run.login_error:
        rows.append(("Login", f'<span class="server-error">{escape(run.login_error)}</span>'))
    for outage in run.outages:  # ridden out at the login check, before any workflow
        rows.append(("Server outage", f'<span class="warn">{escape(outage.describe())}</span>'))
    out = [
        STYLE,
        '<div class="aperture aperture-summary" id="aperture-summary">',
        '<h3>Run</h3><dl class="av">',
    ]
    out += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows]
    out.append("</dl>")
    out.append(
        '<table class="av phases"><thead><tr><th>#</th><th>Phase</th><th>Workflows</th>'
        "<th>Passed</th><th>Failed</th><th>Skipped</th><th>Interrupted</th></tr>"
        "</thead><tbody>"
    )
    for index, c in enumerate(run.phase_counts(), 1):
        out.append(
            f'<tr data-phase="{escape(c.name)}"><td>{index}</td><td>{escape(c.name)}</td>'
            f'<td class="num">{c.total}</td><td class="num">{c.passed}</td>'
            f'<td class="num{" not-met" if c.failed else ""}">{c.failed}</td>'
            f'<td class="num">{c.skipped}</td><td class="num">{c.interrupted}</td></tr>'
        )
    out.append("</tbody></table>")
    failed = [r for r in run.results if r.outcome is Outcome.FAILED]
    if failed:
        out.append('<h3>What failed</h3><ul class="failed-checks">')
        out += [
            f"<li><b>{escape(r.label)}</b> ({escape(r.phase)}): "
            f"{escape(r.message or 'failed')}</li>"
            for r in failed
        ]
        out.append("</ul>")
    warned = [r for r in run.results if r.warnings]
    if warned:
        out.append(f'<h3>Warnings ({run.warnings})</h3><ul class="warnings">')
        out += [
            f"<li><b>{escape(r.label)}</b> ({escape(r.phase)}): {escape(w.message)}</li>"
            for r in warned
            for w in r.warnings
        ]
        out.append("</ul>")
    phases = [p.name for p in run.plan.phases]
    fresh = [r for r in run.results if r.carried_over_from is None]
    carried = [r for r in run.results if r.carried_over_from is not None]
    out.append('<h3>Timeline</h3><div class="timeline">')
    out.append(render_timeline(fresh, phases))
    out.append("</div>")
    if carried:
        # Their jobs ran in an earlier run, hours before maybe: their own axis, apart.
        runs = sorted({r.carried_over_from.run_id for r in carried if r.carried_over_from})
        out.append(
            '<h3>Carried over from an earlier run</h3><p class="carried">Passed in run '
            f"{escape(', '.join(runs))} and not run again; their bars are that run's jobs, on "
            'its own time axis.</p><div class="timeline timeline-carried">'
        )
        out.append(render_timeline(carried, phases, carried=True))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


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


def details_html(r: WorkflowResult, trend: Sequence[float] = ()) -> str:
    """One workflow's details: what ran, against which limits, each expectation met or not.

    *trend* is the workflow's durations in past runs (oldest first), drawn as a
    sparkline with this run's duration marked.
    """
    out = ['<div class="aperture aperture-details" data-label="' + escape(r.label) + '">']
    job: str = escape(r.job_id or "-")
    if r.job_id and r.job_url:
        job = f'<a href="{escape(r.job_url)}" target="_blank">{job}</a>'
    ok = _duration_ok(r)
    duration = escape(duration_text(r))
    if ok is not None:
        duration = f'<span class="{"met" if ok else "not-met"}">{duration}</span>'
    rows = [
        ("Workflow", escape(r.label)),
        ("Phase", escape(r.phase)),
        (
            "Outcome",
            f'<span class="verdict-{r.outcome.value}">{r.outcome.value.upper()}</span>'
            + (f" ({escape(r.failure_kind.label)})" if r.failure_kind else ""),
        ),
        ("State", escape(r.state or "-")),
        ("Duration", duration),
        ("Job", job),
    ]
    if trend:
        title = f"{r.label}: last {len(trend)} runs" + (
            f", this run {format_duration(r.duration)}" if r.duration is not None else ""
        )
        spark = sparkline_svg(trend, current=r.duration, warned=bool(r.warnings), title=title)
        rows.append(("Recent durations", spark))
    if r.warnings:
        rows.append(
            (
                "Warnings",
                '<ul class="warnings">'
                + "".join(f"<li>{escape(w.message)}</li>" for w in r.warnings)
                + "</ul>",
            )
        )
    if r.carried_over_from is not None:
        origin = r.carried_over_from
        rows.insert(
            3,
            (
                "Carried over",
                f'<span class="carried">from run {escape(origin.run_id)} (started '
                f"{escape(_when(origin.started_at))}): passed there, not run again</span>",
            ),
        )
    if r.submitted_at or r.started_at or r.finished_at:
        rows.append(
            (
                "Times (server)",
                escape(
                    f"submitted {_clock(r.submitted_at)} · started {_clock(r.started_at)} · "
                    f"finished {_clock(r.finished_at)}"
                ),
            )
        )
    if r.polls:
        rows.append(("Polls", str(r.polls)))
    if r.outages:
        rows.append(
            (
                "Server outages",
                "<br>".join(
                    f'<span class="outage">{escape(o.describe())}</span>' for o in r.outages
                ),
            )
        )
    if r.message and r.outcome is not Outcome.PASSED:
        label = "Why skipped" if r.outcome is Outcome.SKIPPED else "Message"
        rows.append((label, f'<span class="message">{escape(r.message)}</span>'))
    if r.server_error:
        rows.append(("Server error", f'<span class="server-error">{escape(r.server_error)}</span>'))
    out.append('<dl class="av">')
    out += [f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows]
    out.append("</dl>")
    if r.steps or any(_STEP_CHECK.match(c.name) for c in r.checks):
        out.append(steps_table(r))
    failed = r.failed_checks
    if failed:
        out.append('<b>Failed checks</b><ul class="failed-checks">')
        out += [
            f"<li>{escape(c.name)} = {escape(c.actual)}, expected {escape(c.expected)}</li>"
            for c in failed
        ]
        out.append("</ul>")
    if r.checks:
        out.append(
            '<table class="av checks"><thead><tr><th>Check</th><th>Expected</th>'
            "<th>Actual</th><th></th></tr></thead><tbody>"
        )
        out += [
            f"<tr><td>{escape(c.name)}</td><td>{escape(c.expected)}</td>"
            f"<td>{escape(c.actual)}</td><td>{_mark(c.ok)}</td></tr>"
            for c in r.checks
        ]
        out.append("</tbody></table>")
    out.append("</div>")
    return "".join(out)


def steps_table(r: WorkflowResult) -> str:
    """The job's steps with row counts, each step's expectations marked met / not met."""
    by_step: dict[str, list[tuple[str, CheckResult]]] = {}
    for c in r.checks:
        m = _STEP_CHECK.match(c.name)
        if m:
            by_step.setdefault(m.group("step"), []).append((m.group("what") or "present", c))
    out = [
        '<table class="av steps"><thead><tr><th>Step</th><th>Type</th><th>State</th>'
        "<th>rowsIn</th><th>rowsOut</th><th>passed</th><th>failed</th>"
        "<th>Expectations</th></tr></thead><tbody>"
    ]
    names = [s.name for s in r.steps] + [n for n in by_step if n not in {s.name for s in r.steps}]
    steps = {s.name: s for s in r.steps}
    for name in names:
        s = steps.get(name)
        cells = (
            [s.type, s.state]
            + [_num(v) for v in (s.rows_in, s.rows_out, s.passed_rows, s.failed_rows)]
            if s is not None
            else ["-", "missing", "", "", "", ""]
        )
        expectations = (
            "<br>".join(
                f"{escape(what if what == 'present' else f'{what} {c.expected}')}: "
                f"{escape(c.actual)} {_mark(c.ok)}"
                for what, c in by_step.get(name, [])
            )
            or "-"
        )
        out.append(
            f"<tr><td>{escape(name)}</td>"
            + "".join(f"<td>{escape(str(v))}</td>" for v in cells)
            + f"<td>{expectations}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _mark(ok: bool) -> str:
    return '<span class="met">✔ met</span>' if ok else '<span class="not-met">✘ not met</span>'


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
            f'<td class="col-phase">{escape(phase or "")}</td>',
            '<td class="col-state"></td>',
            '<td class="col-jobduration"></td>',
        ]
    took = format_duration(result.duration) if result.duration is not None else ""
    colour = COLOURS[result.outcome]
    state = escape(result.state or "")
    if result.carried_over_from is not None:
        state += ' <span class="carried">(carried over)</span>'
    return [
        f'<td class="col-phase">{escape(result.phase)}</td>',
        f'<td class="col-state" style="color:{colour}">{state}</td>',
        f'<td class="col-jobduration">{escape(took)}</td>',
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
