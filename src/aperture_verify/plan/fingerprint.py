"""A plan's fingerprint: what its workflows are and must do, as a short hash.

A resumed run carries over what passed in an earlier run only when the plan is
the same: the same phases, in the same order, with the same workflows and the
same expectations. ``on_failure``, ``max_parallel`` and the server are left
out: changing them does not change what a passed workflow proved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from aperture_verify.plan.model import Plan


def plan_fingerprint(plan: Plan) -> str:
    """``sha256:`` and 16 hex digits over the plan's phases, workflows and expectations."""
    data: list[Any] = [
        [phase.name, [asdict(spec) for spec in phase.workflows]] for phase in plan.phases
    ]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
