"""What one workflow's verification produced: the job, the checks and the verdict.

A ``WorkflowResult`` travels from the process that ran the workflow (an xdist
worker, or the only process) to the controller as a plain dict attached to the
test report, and from there into the run ledger and the reports.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aperture_verify.client.models import Job, Step
from aperture_verify.client.rideout import OutageRecord
from aperture_verify.common.timestamps import format_timestamp, parse_timestamp


class FailureKind(enum.StrEnum):
    """Why a workflow did not pass, in the order a run can fail."""

    LOGIN = "login"  # the credentials were refused, or the server could not be reached to log in
    READINESS = "readiness"  # the workflow does not exist or cannot be executed as asked
    EXECUTION = "execution"  # it ran, but ended wrong, took too long or too short, or bad steps
    CRASH = "crash"  # the process running it died
    UNREACHABLE = "unreachable"  # the server could not be reached for longer than the budget

    @property
    def label(self) -> str:
        return {
            "login": "login failure",
            "readiness": "readiness failure",
            "execution": "execution failure",
            "crash": "worker crash",
            "unreachable": "server unreachable",
        }[self.value]


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class CheckResult:
    """One expectation and whether the job met it."""

    name: str  # e.g. 'state', 'duration', 'step "Export" rowsOut'
    expected: str
    actual: str
    ok: bool

    def describe(self, label: str) -> str:
        return f"{label}: {self.name} = {self.actual}, expected {self.expected}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "expected": self.expected, "actual": self.actual, "ok": self.ok}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        return cls(str(d["name"]), str(d["expected"]), str(d["actual"]), bool(d["ok"]))


@dataclass(frozen=True)
class WorkflowWarning:
    """Something unusual that does not fail the workflow (unless ``--warnings-fail``).

    *kind* is ``duration`` or ``rows`` (a warn limit of the plan), or
    ``anomaly_duration`` or ``anomaly_rows`` (against the workflow's history).
    """

    kind: str
    message: str
    value: float | int | None
    expected: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "value": self.value,
            "expected": self.expected,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkflowWarning:
        return cls(str(d["kind"]), str(d["message"]), d.get("value"), str(d.get("expected", "")))


@dataclass(frozen=True)
class Transition:
    """A job state the suite observed, when it saw it (local clock) and the server's time."""

    state: str
    seen_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "seen_at": format_timestamp(self.seen_at)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transition:
        seen = _parse(d["seen_at"])
        assert seen is not None
        return cls(str(d["state"]), seen)


@dataclass(frozen=True)
class CarriedOver:
    """The earlier run a carried-over result comes from (where the workflow really ran)."""

    run_id: str
    started_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "started_at": format_timestamp(self.started_at)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CarriedOver:
        return cls(str(d["run_id"]), _parse(d.get("started_at")))


@dataclass(frozen=True)
class PhaseCheck:
    """A phase module's own test in a run's results.json, and how it ended."""

    phase: str
    test: str  # its name in the module: ``test_x``, ``TestY::test_z``
    outcome: str  # "passed", "failed", "skipped", "interrupted"
    carried_over_from: CarriedOver | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "test": self.test,
            "outcome": self.outcome,
            "carried_over_from": self.carried_over_from.to_dict()
            if self.carried_over_from
            else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PhaseCheck:
        origin = d.get("carried_over_from")
        return cls(
            str(d["phase"]),
            str(d["test"]),
            str(d["outcome"]),
            CarriedOver.from_dict(origin) if origin else None,
        )


@dataclass
class WorkflowResult:
    """The verdict on one workflow of a plan."""

    label: str
    phase: str
    outcome: Outcome = Outcome.PASSED
    failure_kind: FailureKind | None = None
    message: str | None = None  # the failure or skip reason, one paragraph
    job_id: str | None = None
    job_url: str | None = None
    state: str | None = None
    server_error: str | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recorded_at: datetime | None = None  # when the suite saw the terminal state
    duration: float | None = None  # server's finishedAt - startedAt, seconds
    min_duration: float | None = None
    max_duration: float | None = None
    steps: list[Step] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    polls: int = 0  # GET job requests made while waiting
    warnings: list[WorkflowWarning] = field(default_factory=list)
    carried_over_from: CarriedOver | None = None  # passed in an earlier run, not run again
    outages: list[OutageRecord] = field(default_factory=list)  # times the server was unreachable

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def record_job(self, job: Job) -> None:
        """Take the latest view of the job from the server."""
        self.job_id = job.id
        self.state = job.state
        self.submitted_at = job.submitted_at or self.submitted_at
        self.started_at = job.started_at or self.started_at
        self.finished_at = job.finished_at or self.finished_at
        self.server_error = job.error or self.server_error
        self.steps = list(job.steps)
        self.duration = job.duration

    def transitions_text(self) -> str:
        lines = [f"{format_timestamp(t.seen_at)}  {t.state}" for t in self.transitions]
        lines.extend(o.describe() for o in self.outages)
        if self.server_error:
            lines.append(f"server error: {self.server_error}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "phase": self.phase,
            "outcome": self.outcome.value,
            "failure_kind": self.failure_kind.value if self.failure_kind else None,
            "message": self.message,
            "job_id": self.job_id,
            "job_url": self.job_url,
            "state": self.state,
            "server_error": self.server_error,
            "submitted_at": format_timestamp(self.submitted_at),
            "started_at": format_timestamp(self.started_at),
            "finished_at": format_timestamp(self.finished_at),
            "recorded_at": format_timestamp(self.recorded_at),
            "duration": self.duration,
            "min_duration": self.min_duration,
            "max_duration": self.max_duration,
            "steps": [s.to_dict() for s in self.steps],
            "checks": [c.to_dict() for c in self.checks],
            "transitions": [t.to_dict() for t in self.transitions],
            "polls": self.polls,
            "warnings": [w.to_dict() for w in self.warnings],
            "carried_over": self.carried_over_from is not None,
            "carried_over_from": self.carried_over_from.to_dict()
            if self.carried_over_from
            else None,
            "outages": [o.to_dict() for o in self.outages],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkflowResult:
        kind = d.get("failure_kind")
        return cls(
            label=d["label"],
            phase=d["phase"],
            outcome=Outcome(d["outcome"]),
            failure_kind=FailureKind(kind) if kind else None,
            message=d.get("message"),
            job_id=d.get("job_id"),
            job_url=d.get("job_url"),
            state=d.get("state"),
            server_error=d.get("server_error"),
            submitted_at=_parse(d.get("submitted_at")),
            started_at=_parse(d.get("started_at")),
            finished_at=_parse(d.get("finished_at")),
            recorded_at=_parse(d.get("recorded_at")),
            duration=d.get("duration"),
            min_duration=d.get("min_duration"),
            max_duration=d.get("max_duration"),
            steps=[
                Step(
                    name=s["name"],
                    type=s["type"],
                    state=s["state"],
                    rows_in=s.get("rowsIn"),
                    rows_out=s.get("rowsOut"),
                    passed_rows=s.get("passedRows"),
                    failed_rows=s.get("failedRows"),
                )
                for s in d.get("steps", [])
            ],
            checks=[CheckResult.from_dict(c) for c in d.get("checks", [])],
            transitions=[Transition.from_dict(t) for t in d.get("transitions", [])],
            polls=int(d.get("polls", 0)),
            warnings=[WorkflowWarning.from_dict(w) for w in d.get("warnings", [])],
            carried_over_from=(
                CarriedOver.from_dict(d["carried_over_from"])
                if d.get("carried_over_from")
                else None
            ),
            outages=[OutageRecord.from_dict(o) for o in d.get("outages", [])],
        )


def _parse(value: str | None) -> datetime | None:
    return parse_timestamp(value) if value else None
