"""What every report says about the run as a whole.

The three artefacts (HTML, JUnit, JSON) are built from one ``RunSummary``: the
plan, where it ran, when, and the workflow results in plan order, with the
workflows that never got a result already filled in as skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aperture_verify.client.rideout import OutageRecord
from aperture_verify.common.redaction import safe_url
from aperture_verify.execution.results import Outcome, PhaseCheck, WorkflowResult
from aperture_verify.plan.model import Plan

#: CI variables that identify a build, in the order they are tried.
CI_BUILD_URL_VARS = ("BUILD_URL", "CI_JOB_URL", "CIRCLE_BUILD_URL")
CI_BUILD_NUMBER_VARS = ("BUILD_NUMBER", "CI_PIPELINE_IID", "CIRCLE_BUILD_NUM", "GITHUB_RUN_NUMBER")


def ci_build(environ: Mapping[str, str]) -> dict[str, str]:
    """The CI build this run belongs to, when the environment says (Jenkins, GitHub, GitLab...)."""
    info: dict[str, str] = {}
    for var in CI_BUILD_URL_VARS:
        if environ.get(var):
            info["url"] = safe_url(environ[var])
            break
    else:
        server, repo, run = (
            environ.get(v) for v in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        )
        if server and repo and run:
            info["url"] = safe_url(f"{server}/{repo}/actions/runs/{run}")
    for var in CI_BUILD_NUMBER_VARS:
        if environ.get(var):
            info["number"] = environ[var]
            break
    if environ.get("GITHUB_RUN_ID"):
        info["run_id"] = environ["GITHUB_RUN_ID"]
    return info


@dataclass(frozen=True)
class PhaseCounts:
    """How the workflows of one phase ended."""

    name: str
    total: int
    passed: int
    failed: int
    skipped: int
    interrupted: int


@dataclass
class RunSummary:
    """The run as the reports describe it. Holds no credential."""

    plan: Plan
    server_url: str  # already made safe
    started_at: datetime
    finished_at: datetime | None
    results: list[WorkflowResult]  # in plan order
    exit_status: int | None = None
    ci: dict[str, str] = field(default_factory=dict)
    login_error: str | None = None
    run_id: str = ""  # made once per run, on the controller
    resumed_from: tuple[str, datetime | None] | None = None  # (run id, start) of the run resumed
    check_failures: dict[str, str] = field(default_factory=dict)  # failed phase check -> phase
    outages: list[OutageRecord] = field(default_factory=list)  # met before any workflow ran
    #: every hand-written phase check: run here, or carried over by --resume
    phase_checks: list[PhaseCheck] = field(default_factory=list)

    @property
    def warnings(self) -> int:
        return sum(len(r.warnings) for r in self.results)

    @property
    def api(self) -> str:
        return self.plan.server.api

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def phase_counts(self) -> list[PhaseCounts]:
        counts = []
        for phase in self.plan.phases:
            mine = [r for r in self.results if r.phase == phase.name]
            if not mine:
                continue
            by = {o: sum(1 for r in mine if r.outcome is o) for o in Outcome}
            counts.append(
                PhaseCounts(
                    phase.name,
                    len(mine),
                    by[Outcome.PASSED],
                    by[Outcome.FAILED],
                    by[Outcome.SKIPPED],
                    by[Outcome.INTERRUPTED],
                )
            )
        return counts

    @property
    def verdict(self) -> str:
        if any(r.outcome is Outcome.FAILED for r in self.results) or self.login_error:
            return "failed"
        if any(r.outcome is Outcome.INTERRUPTED for r in self.results):
            return "interrupted"
        if self.exit_status == 2:
            return "interrupted"
        if self.exit_status == 5:  # pytest's "no tests ran": -k or -m matched nothing
            return "empty"
        return "passed"


def in_plan_order(plan: Plan, results: Iterable[WorkflowResult]) -> list[WorkflowResult]:
    """*results* sorted by the plan (phase, then position); unknown labels go last."""
    position = {(w.phase, w.label): i for i, w in enumerate(plan.workflows)}
    return sorted(results, key=lambda r: position.get((r.phase, r.label), len(position)))
