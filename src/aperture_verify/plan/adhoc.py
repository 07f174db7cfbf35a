"""An ad-hoc plan from the command line: ``--run "W1; W2, W3, W4; W5, W6; W7"``.

The chain becomes a plan named ``adhoc`` (``adhoc-run`` when plans.toml
already has a plan of that name) with one phase per ``;``-separated group,
named ``phase-1``, ``phase-2``... It is added to the raw plans file before
validation, so it is checked like any plan and each workflow gets its
expectations the usual way: its ``[workflows."<label>"]`` table when
plans.toml has one, ``[defaults]`` otherwise, and the ``[server]`` of the file.
Without a plans file the chain runs against the server of the environment
(``APERTURE_URL``, ``--server-url``, ``--dialect``) with the built-in defaults.
``--min-duration`` and ``--max-duration`` (*expect*) are written into each
chain workflow's table, over what plans.toml says: the command line wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ADHOC_PLAN = "adhoc"


def add_adhoc_plan(
    parsed: Mapping[str, object],
    chain: Sequence[Sequence[str]],
    expect: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    """*parsed* (a plans file, or ``{}``) with the chain's plan added, and its name.

    Malformed ``[phases]``/``[plans]`` tables are left for the loader to report.
    """
    raw: dict[str, Any] = dict(parsed)
    given_phases, given_plans = raw.get("phases", {}), raw.get("plans", {})
    if not isinstance(given_phases, dict) or not isinstance(given_plans, dict):
        return raw, ADHOC_PLAN
    phases, plans = dict(given_phases), dict(given_plans)
    name = ADHOC_PLAN if ADHOC_PLAN not in plans else f"{ADHOC_PLAN}-run"
    prefix = "phase" if not any(p.startswith("phase-") for p in phases) else f"{name}-phase"
    names = []
    for index, labels in enumerate(chain, 1):
        phase = f"{prefix}-{index}"
        phases[phase] = {"workflows": list(labels)}
        names.append(phase)
    widest = max((len(g) for g in chain), default=1)
    # Like Experian's scheduling script: a phase's workflows all start together.
    plans[name] = {"phases": names, "on_failure": "stop", "max_parallel": max(1, widest)}
    raw["phases"], raw["plans"] = phases, plans
    given_workflows = raw.get("workflows", {})
    if expect and isinstance(given_workflows, dict):
        workflows = dict(given_workflows)
        for label in (label for labels in chain for label in labels):
            table = workflows.get(label, {})
            if isinstance(table, dict):
                workflows[label] = {**table, **expect}
        raw["workflows"] = workflows
    return raw, name
