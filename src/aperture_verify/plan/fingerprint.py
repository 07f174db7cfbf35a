"""A plan's fingerprint: what its workflows are and must do, as a short hash.

A resumed run carries over what passed in an earlier run only when the plan is
the same: the same phases, in the same order, with the same workflows and the
same expectations. ``on_failure``, ``max_parallel`` and the server are left
out: changing them does not change what a passed workflow proved.

``workflow_specs`` is each workflow's part of it as plain data, kept in
results.json, so that a resumed run can tell *what* changed: a changed
expectation is judged again against the recorded result (``execution.resume``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from aperture_verify.plan.model import Plan, WorkflowSpec


def spec_data(spec: WorkflowSpec) -> dict[str, Any]:
    """*spec* as JSON data (tuples as lists), as results.json keeps it."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(spec), ensure_ascii=False))
    return data


def workflow_specs(plan: Plan) -> dict[str, dict[str, Any]]:
    """Every workflow of *plan* as JSON data, by label, in plan order."""
    return {spec.label: spec_data(spec) for spec in plan.workflows}


def plan_fingerprint(plan: Plan) -> str:
    """``sha256:`` and 16 hex digits over the plan's phases, workflows and expectations."""
    data: list[Any] = [
        [phase.name, [asdict(spec) for spec in phase.workflows]] for phase in plan.phases
    ]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
