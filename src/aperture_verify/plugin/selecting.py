"""Part of a plan: which collected tests run, what is said about the rest, carried-over results.

The selection itself (``--phases``, ``--from-phase``, ``--to-phase``,
``--workflows``, ``--resume``) is resolved in ``options``; here it is applied
to the collected items and told to the user once, on the controller.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plugin.collection import WORKFLOW_FIXTURE, phase_of_item
from aperture_verify.plugin.context import RunContext
from aperture_verify.plugin.options import RunSelection


def workflow_of(item: pytest.Item) -> WorkflowSpec | None:
    spec = getattr(item, "callspec", None)
    workflow = spec.params.get(WORKFLOW_FIXTURE) if spec is not None else None
    return workflow if isinstance(workflow, WorkflowSpec) else None


def split_items(
    items: list[pytest.Item], labels: Collection[str], phases: Collection[str], pdir: Path
) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, deselected): a workflow test runs when its workflow is selected; a phase
    check when a selected workflow of its phase runs; other tests are left alone."""
    keep: list[pytest.Item] = []
    out: list[pytest.Item] = []
    for item in items:
        spec = workflow_of(item)
        if spec is not None:
            (keep if spec.label in labels else out).append(item)
            continue
        phase = phase_of_item(item, pdir)
        (keep if phase is None or phase in phases else out).append(item)
    return keep, out


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


def announce(tr: Any, run: RunSelection) -> None:
    """Say once what this run leaves out, and what it carries over."""
    selection = run.selection
    plan = selection.plan
    total = len(plan.workflows)
    carried: set[str] = set()
    if run.resume is not None:
        previous = run.resume.previous
        carried = {r.label for r in run.resume.carried}
        when = previous.started_at.strftime("%Y-%m-%d %H:%M:%S %Z") if previous.started_at else "?"
        tr.write_line(
            f"aperture: resuming run {previous.run_id} (started {when}, {previous.verdict}) "
            f"from phase '{run.resume.first_phase}'; carried over, not run again: "
            + (by_phase(plan, carried) or "nothing")
        )
    others = {w.label for w in selection.deselected} - carried
    if others:
        reasons = " ".join(r for r in selection.reasons if r != "--resume")
        tr.write_line(
            f"aperture: runs {len(selection.labels)} of {total} workflows; deselected by "
            f"{reasons or '--resume'}: {by_phase(plan, others)}"
        )


def record_carried_over(ctx: RunContext, run: RunSelection) -> None:
    """Put the carried-over results in the ledger: phase checks and the reports see them."""
    if run.resume is None:
        return
    for result in run.resume.carried:
        ctx.ledger.record(result)
    previous = run.resume.previous
    ctx.resumed_from = (previous.run_id, previous.started_at)
