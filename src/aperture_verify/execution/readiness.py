"""Readiness: can a workflow of the plan be executed as asked, judged by the server's catalog.

One rule, used twice: by the preflight, over every workflow of the plan before
the first execute, and by the runner for the workflow it is about to run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aperture_verify.client.models import Workflow
from aperture_verify.common.labels import same_label
from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plan.schema import suggest


def readiness_problem(spec: WorkflowSpec, catalog: Sequence[Workflow]) -> str | None:
    """Why *spec* cannot run as asked on a server listing *catalog*, or None."""
    in_space = listed_as(spec, catalog)
    if not in_space:
        elsewhere = sorted(
            {w.space for w in catalog if same_label(w.label, spec.label) and w.space}
        )
        hint = (
            f"it exists in space(s) {', '.join(elsewhere)}; set space in plans.toml"
            if elsewhere
            else suggest(
                spec.label, sorted({w.label for w in catalog if w.space in (spec.space, "")})
            )
            + "check the external label in Data Studio and in plans.toml"
        )
        return f"no workflow with external label '{spec.label}' in space '{spec.space}'; {hint}"
    listed = in_space[0]
    if spec.version == "PublishedOnly" and not listed.published:
        return (
            f"workflow '{spec.label}' has no published version and the plan asks for "
            'version = "PublishedOnly"; publish it or set version = "PreferDraft"'
        )
    for what, key, asked, known in (
        ("parameter", "parameters", [name for name, _ in spec.parameters], listed.parameters),
        ("Source step", "sources", [step for step, _ in spec.sources], listed.sources),
    ):
        unknown = [name for name in asked if known is not None and name not in known]
        if unknown:
            has = ", ".join(f"'{n}'" for n in sorted(known or ())) or "none"
            return (
                f"workflow '{spec.label}' has no {what} "
                + ", ".join(f"'{n}'" for n in unknown)
                + f" (the server lists: {has}); fix {key} of this workflow in plans.toml"
            )
    return None


def listed_as(spec: WorkflowSpec, catalog: Sequence[Workflow]) -> list[Workflow]:
    """The catalog's entries for *spec*: labels compared in NFC (so the server's own
    spelling is what an execute must send), in its space unless the server's listing
    names no space (a server without spaces, like 1.x)."""
    return [w for w in catalog if same_label(w.label, spec.label) and w.space in (spec.space, "")]


def not_ready(specs: Iterable[WorkflowSpec], catalog: Sequence[Workflow]) -> dict[str, str]:
    """Each workflow of *specs* that cannot run, by label, with the reason."""
    found: dict[str, str] = {}
    for spec in specs:
        problem = readiness_problem(spec, catalog)
        if problem is not None:
            found[spec.label] = problem
    return found


def preflight_reason(failures: dict[str, str]) -> str:
    """The skip reason of the workflows that did not fail it: ``preflight failed: …``."""
    labels = list(failures)
    first = f"{labels[0]}: {failures[labels[0]]}"
    more = f" (and {len(labels) - 1} more not ready: {', '.join(labels[1:])})" if labels[1:] else ""
    return f"preflight failed: {first}{more}"
