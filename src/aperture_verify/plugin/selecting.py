"""Part of a plan: which collected tests run, what is said about the rest, carried-over results.

The selection itself (``--phases``, ``--from-phase``, ``--to-phase``,
``--workflows``, ``--resume``) is resolved in ``options``; here it is applied
to the collected items and told to the user once, on the controller.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.execution.resume import PreviousRun, Resume, plan_resume
from aperture_verify.plan.fingerprint import plan_fingerprint
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plan.selection import Selection, select
from aperture_verify.plugin.collection import WORKFLOW_FIXTURE, phase_of_item
from aperture_verify.plugin.context import RunContext
from aperture_verify.plugin.options import flag, get_plan, option, origin, path_option


@dataclass(frozen=True)
class RunSelection:
    """What this run executes: the selection flags, narrowed by ``--resume``."""

    selection: Selection
    resume: Resume | None = None
    dry_run: bool = False


SELECTION_KEY = pytest.StashKey[RunSelection]()


def get_selection(config: pytest.Config) -> RunSelection:
    """The run's selection, resolved once per process; a bad value is a usage error.

    A worker takes the controller's (``workerinput``): it must not read the
    previous run's file again, nor decide anything differently.
    """
    if SELECTION_KEY in config.stash:
        return config.stash[SELECTION_KEY]
    plan = get_plan(config)
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        labels = worker["aperture"]["selected"]
        found = RunSelection(Selection(plan, frozenset(labels)))
        config.stash[SELECTION_KEY] = found
        return found
    try:
        selection = select(
            plan,
            **{
                name: (text, origin(config, ini))
                for name, ini in (
                    ("phases", "aperture_phases"),
                    ("from_phase", "aperture_from_phase"),
                    ("to_phase", "aperture_to_phase"),
                    ("workflows", "aperture_workflows"),
                )
                if (text := option(config, ini))
            },
        )
        resume = None
        if flag(config, "aperture_resume"):
            reports = path_option(config, "aperture_reports_dir", "reports")
            previous = PreviousRun.read(reports / "results.json")
            resume = plan_resume(plan, plan_fingerprint(plan), previous)
            selection = selection.narrowed(resume.to_run, "--resume")
    except PlanError as e:
        raise pytest.UsageError(str(e)) from None
    if not selection.labels:
        raise pytest.UsageError(
            f"{' and '.join(selection.reasons)}: together they leave no workflow of plan "
            f"'{plan.name}' to run; widen the selection"
        )
    found = RunSelection(selection, resume, flag(config, "aperture_dry_run"))
    config.stash[SELECTION_KEY] = found
    return found


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
        if run.resume.rejudged:
            tr.write_line(f"aperture: {run.resume.rejudged}")
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
    ctx.carried_checks = run.resume.carried_checks
