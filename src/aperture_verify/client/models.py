"""Typed views of what the Data Studio API returns: workflows, jobs and steps.

The client builds these from JSON through the API profile; nothing downstream
reads raw JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aperture_verify.common.labels import same_label


@dataclass(frozen=True)
class Workflow:
    """A workflow as the server lists it."""

    label: str
    name: str
    space: str
    published: bool
    has_draft: bool
    id: str | None = None
    #: The names of its parameters and of its Source steps, when the server lists them
    #: (``None``: not listed, so not checked; the default contract lists neither).
    parameters: frozenset[str] | None = None
    sources: frozenset[str] | None = None


@dataclass(frozen=True)
class Step:
    """One step of a job, with its row counts (``None`` when the server gives none)."""

    name: str
    type: str
    state: str
    rows_in: int | None = None
    rows_out: int | None = None
    passed_rows: int | None = None
    failed_rows: int | None = None

    def metric(self, name: str) -> int | None:
        """A row count by its contract name (``rowsIn``, ``failedRows``, ...)."""
        return {
            "rowsIn": self.rows_in,
            "rowsOut": self.rows_out,
            "passedRows": self.passed_rows,
            "failedRows": self.failed_rows,
        }[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "state": self.state,
            "rowsIn": self.rows_in,
            "rowsOut": self.rows_out,
            "passedRows": self.passed_rows,
            "failedRows": self.failed_rows,
        }


@dataclass(frozen=True)
class Job:
    """A job (one execution of a workflow) at the moment the server described it."""

    id: str
    state: str
    workflow_label: str
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish by the server's own clock, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def step(self, name: str) -> Step | None:
        for step in self.steps:
            if same_label(step.name, name):  # "Prüfen" typed in NFD is the same step
                return step
        return None
