"""Readiness of a whole plan for the dry run: ``readiness.not_ready`` over the runner's
catalog, and when the catalog cannot be listed, that failure for every workflow.

No pytest here. (A real run's preflight uses the catalog the controller fetched at
the login check: ``plugin.connection.connect``.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aperture_verify.execution.readiness import not_ready as problems_of
from aperture_verify.execution.results import FailureKind
from aperture_verify.execution.runner import WorkflowFailed, WorkflowRunner
from aperture_verify.plan.model import WorkflowSpec


@dataclass(frozen=True)
class NotReady:
    """A workflow that cannot run as the plan asks, and why."""

    spec: WorkflowSpec
    kind: FailureKind  # READINESS, or LOGIN when the catalog could not be listed
    message: str


def preflight(runner: WorkflowRunner, specs: Iterable[WorkflowSpec]) -> list[NotReady]:
    """Check every workflow of *specs* (exists in its space, executable as asked).

    Uses the runner's catalog (fetched once per run); nothing is executed.
    """
    specs = list(specs)
    try:
        catalog = runner.workflows()
    except WorkflowFailed as e:
        return [NotReady(spec, e.kind, str(e)) for spec in specs]
    found = problems_of(specs, catalog)
    return [
        NotReady(s, FailureKind.READINESS, str(WorkflowFailed(FailureKind.READINESS, why)))
        for s in specs
        if (why := found.get(s.label)) is not None
    ]
