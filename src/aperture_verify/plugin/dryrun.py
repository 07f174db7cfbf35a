"""``--dry-run``: log in, check every selected workflow is ready, print the plan; run nothing.

The exit status is 0 (ready), 10 (login failure) or 11 (a workflow is not
ready). A dry run writes no report and leaves the reports folder as it was:
its results.json still describes the last real run (which ``--resume`` reads),
and no junit.xml or report.html of a run that did not happen can reach Jenkins.
"""

from __future__ import annotations

from typing import Any

from aperture_verify.common.columns import pad
from aperture_verify.common.durations import format_duration
from aperture_verify.execution.exitcodes import EXIT_LOGIN_FAILURE, EXIT_READINESS_FAILURE
from aperture_verify.execution.preflight import preflight
from aperture_verify.execution.results import FailureKind
from aperture_verify.execution.runner import WorkflowRunner
from aperture_verify.plan.model import Range, WorkflowSpec
from aperture_verify.plan.selection import Selection
from aperture_verify.plugin.connection import Connection
from aperture_verify.plugin.settings import RunSettings
from aperture_verify.plugin.terminal import by_phase


def dry_run(tr: Any, settings: RunSettings, conn: Connection, collected: set[str]) -> int:
    """Print the ordered plan with each workflow a real run would execute and its
    readiness; the exit status.

    *collected*: the workflows collected, after ``-k``, ``-m`` and the phase
    modules given, exactly as a real run selects them.
    """
    chosen = settings.selection
    selection = Selection(chosen.plan, chosen.labels & frozenset(collected), chosen.reasons)
    plan = selection.plan
    workers = settings.auto_workers
    write = tr.write_line
    tr.write_sep("=", f"aperture: DRY RUN of plan '{plan.name}': nothing is executed")
    write(
        f"plan '{plan.name}' ({plan.source.name}): {len(selection.phases)} phase(s), "
        f"{len(selection.labels)} workflow(s); on_failure = {plan.on_failure}, "
        f"max_parallel = {plan.max_parallel}; -n auto would start {workers} worker(s)"
    )
    if conn.login_error is not None or conn.client is None:
        write(f"LOGIN FAILED: {conn.login_error}", red=True, bold=True)
        write(f"dry run: exit status {EXIT_LOGIN_FAILURE} (login failure); no report written")
        return EXIT_LOGIN_FAILURE
    runner = WorkflowRunner(conn.client, catalog=conn.catalog, job_url=plan.server.job_url)
    problems = {p.spec.label: p for p in preflight(runner, selection.workflows)}
    index = 0
    for phase in plan.phases:
        specs = [w for w in phase.workflows if w.label in selection.labels]
        if not specs:
            continue
        index += 1
        write(f"phase {index} '{phase.name}':")
        for spec in specs:
            problem = problems.get(spec.label)
            if problem is None:
                write(f"  {pad(spec.label, 28)} ready      {expectations(spec)}", green=True)
            else:
                write(f"  {pad(spec.label, 28)} NOT READY  {problem.message}", red=True)
    resume = settings.resume
    carried = {r.label for r in resume.carried} if resume is not None else set()
    if resume is not None:
        write(f"carried over from run {resume.previous.run_id}: {by_phase(plan, carried)}")
    out = {w.label for w in selection.deselected} - carried
    if out:
        write(f"not run (deselected): {by_phase(plan, out)}")
    if any(p.kind is FailureKind.LOGIN for p in problems.values()):
        status, what = EXIT_LOGIN_FAILURE, "login failure"
    elif problems:
        status, what = EXIT_READINESS_FAILURE, f"{len(problems)} workflow(s) not ready"
    else:
        status, what = 0, f"{len(selection.labels)} workflow(s) ready"
    write(f"dry run: {what}; exit status {status}; nothing executed, no report written")
    return status


def expectations(spec: WorkflowSpec) -> str:
    """One line: space, versions, final state, duration limits, parameters and steps."""
    parts = [
        f"space {spec.space}",
        f"version {spec.version}, dependencies {spec.dependencies}"
        + (", refresh sources" if spec.refresh_sources else ""),
        f"{spec.state} in {format_duration(spec.min_duration)}.."
        f"{format_duration(spec.max_duration)}",
    ]
    if spec.parameters:
        parts.append("parameters " + ", ".join(f"{k}={v}" for k, v in spec.parameters))
    if spec.sources:
        parts.append("sources " + ", ".join(f"{k}→{v}" for k, v in spec.sources))
    for step in spec.steps:
        checks = ([f"state {step.state}"] if step.state else []) + [
            f"{name} {_range(r)}" for name, r in step.rows
        ]
        parts.append(f'step "{step.step}": ' + (", ".join(checks) or "present"))
    return " · ".join(parts)


def _range(r: Range) -> str:
    if r.min is not None and r.min == r.max:
        return f"= {r.min}"
    if r.min is not None and r.max is not None:
        return f"{r.min}..{r.max}"
    if r.min is not None:
        return f"≥ {r.min}"
    return f"≤ {r.max}" if r.max is not None else "any"
