"""``results.json``: the run's results as data, for trends and for resuming a plan.

The format is versioned (``"version": 1``) and documented in docs/reports.md
("results.json, version 1").
A later version may add keys; a reader should ignore keys it does not know.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aperture_verify.common.files import write_atomic
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.execution.results import WorkflowResult
from aperture_verify.plan.fingerprint import plan_fingerprint, workflow_specs
from aperture_verify.plan.model import Plan
from aperture_verify.reporting.run import RunSummary

FORMAT_VERSION = 1


def plan_entry(plan: Plan) -> dict[str, Any]:
    """The document's ``plan`` (the same all through a run: the live report keeps it)."""
    return {
        "name": plan.name,
        "fingerprint": plan_fingerprint(plan),
        "on_failure": plan.on_failure,
        "max_parallel": plan.max_parallel,
        "phases": [
            {"name": p.name, "workflows": [w.label for w in p.workflows]} for p in plan.phases
        ],
        # each workflow's expectations: what --resume judges a carried-over result by
        "specs": workflow_specs(plan),
    }


def build_results(run: RunSummary, plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document for *run* (plain data, no credential); *plan*: its ``plan_entry``."""
    server = run.plan.server
    return {
        "version": FORMAT_VERSION,
        "run_id": run.run_id or None,
        "resumed_from": (
            {"run_id": run.resumed_from[0], "started_at": format_timestamp(run.resumed_from[1])}
            if run.resumed_from
            else None
        ),
        "plan": plan if plan is not None else plan_entry(run.plan),
        "server": {
            "url": run.server_url,
            "emulator": server.is_emulator,
            "api": server.api,
            "dialect": server.dialect,
            "environment": server.environment,
            "space": server.space,
        },
        "started_at": format_timestamp(run.started_at),
        "finished_at": format_timestamp(run.finished_at),
        "duration": _round(run.duration),
        "exit_status": run.exit_status,
        "verdict": run.verdict,
        "error": None,  # set only in the reports of a usage error (usage_error.py)
        "login_error": run.login_error,
        "warnings": run.warnings,
        "ci": run.ci or None,
        "phases": [
            {
                "name": c.name,
                "total": c.total,
                "passed": c.passed,
                "failed": c.failed,
                "skipped": c.skipped,
                "interrupted": c.interrupted,
            }
            for c in run.phase_counts()
        ],
        "outages": [o.to_dict() for o in run.outages],
        "phase_checks_failed": [
            {"phase": phase, "test": name} for name, phase in run.check_failures.items()
        ],
        "phase_checks": [c.to_dict() for c in run.phase_checks],
        "workflows": [workflow_entry(r) for r in run.results],
    }


def workflow_entry(r: WorkflowResult) -> dict[str, Any]:
    """One workflow's entry: the result's own dict, durations rounded to milliseconds."""
    entry = r.to_dict()
    for key in ("duration", "min_duration", "max_duration"):
        entry[key] = _round(entry[key])
    return entry


def write_results(path: Path, run: RunSummary) -> dict[str, Any]:
    """Write *run* to *path* atomically (a reader never sees half a file); the document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = build_results(run)
    if doc["verdict"] in NOT_A_RUN:
        doc["previous_run"] = last_real_run(path, this_run=doc["run_id"])  # for --resume
    write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return doc


#: Verdicts of a run that executed nothing (a usage error, nothing selected): its
#: results.json carries the last real run in "previous_run", for --resume.
NOT_A_RUN = ("error", "empty")


def last_real_run(path: Path, this_run: str | None = None) -> dict[str, Any] | None:
    """The last real run's results.json document at *path*, carried through the runs
    since that executed nothing, and through the live document of *this_run* (the
    run now ending, which wrote it); None when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("verdict") in NOT_A_RUN or (this_run and data.get("run_id") == this_run):
        previous = data.get("previous_run")
        return previous if isinstance(previous, dict) else None
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
