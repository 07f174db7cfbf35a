"""Readiness of a whole plan before anything runs: every workflow checked against the catalog.

No pytest here: the dry run (``--dry-run``) uses it today, and a preflight
before a real run can share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
    problems = []
    for spec in specs:
        try:
            runner.check_ready(spec)
        except WorkflowFailed as e:
            problems.append(NotReady(spec, e.kind, str(e)))
    return problems
