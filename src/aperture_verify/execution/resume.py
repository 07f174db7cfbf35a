"""Resuming a plan: what an earlier run proved, and what must run again.

The previous run is read from its ``results.json`` (format version 1). A
resumed run executes the workflows that did not pass — failed, interrupted,
skipped or absent, or of a phase whose own checks failed — and every workflow
of the phases after the first phase holding one of them; the workflows that
passed before that point are *carried over*: their earlier results stand in
the reports, marked with the run they really ran in. Resuming is refused (a
one-line ``PlanError``) when it would not mean what it says: no previous run,
an unreadable file, another plan, a plan whose workflows or expectations
changed since (its fingerprint), or a previous run that passed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aperture_verify.errors import PlanError
from aperture_verify.execution.results import CarriedOver, Outcome, WorkflowResult
from aperture_verify.plan.model import Plan

OPTION = "--resume"
_FRESH = "run without --resume to run the whole plan"


@dataclass(frozen=True)
class PreviousRun:
    """What the resume needs of an earlier run's ``results.json``."""

    source: str  # where it was read from, for messages
    run_id: str
    plan: str
    fingerprint: str | None
    started_at: datetime | None
    verdict: str
    results: Mapping[str, WorkflowResult]  # by label
    #: Phases whose hand-written checks failed: their workflows passed, the phase did not.
    failed_check_phases: frozenset[str] = frozenset()

    @classmethod
    def read(cls, path: Path) -> PreviousRun:
        """Read *path*; every problem is one line saying what to do."""
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PlanError(
                OPTION, "", f"no previous run to resume: {where} not found", _FRESH
            ) from None
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or type(e).__name__
            raise PlanError(OPTION, "", f"cannot read {where} ({reason})", _FRESH) from None
        try:
            data = json.loads(text)
        except ValueError as e:
            raise PlanError(OPTION, "", f"{where} is not valid JSON ({e})", _FRESH) from None
        return cls.from_data(data, where)

    @classmethod
    def from_data(cls, data: Any, where: str) -> PreviousRun:
        def bad(problem: str) -> PlanError:
            return PlanError(OPTION, "", f"{where}: {problem}", _FRESH)

        if isinstance(data, dict) and data.get("verdict") == "error":
            # a usage error's reports keep the last real run for --resume
            data = data.get("previous_run") or data
        if not isinstance(data, dict) or data.get("version") != 1:
            raise bad("not a results.json of format version 1")
        plan = data.get("plan")
        if not isinstance(plan, dict) or not isinstance(plan.get("name"), str):
            raise bad("no plan name in it")
        run_id = data.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise bad("it has no run_id (written by an older version, which cannot be resumed)")
        fingerprint = plan.get("fingerprint")
        try:
            started = data.get("started_at")
            started_at = datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None
            entries = data["workflows"]
            results = {r.label: r for r in (WorkflowResult.from_dict(d) for d in entries)}
            checks = frozenset(str(c["phase"]) for c in data.get("phase_checks_failed") or ())
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise bad(f"its workflows cannot be read ({type(e).__name__}: {e})") from None
        return cls(
            where,
            run_id,
            plan["name"],
            fingerprint if isinstance(fingerprint, str) else None,
            started_at,
            str(data.get("verdict", "")),
            results,
            checks,
        )


@dataclass(frozen=True)
class Resume:
    """A resumed run: the earlier run, what is carried over and what runs."""

    previous: PreviousRun
    carried: tuple[WorkflowResult, ...]  # marked with where they ran
    to_run: frozenset[str]  # labels
    first_phase: str  # the first phase with a workflow that did not pass


def plan_resume(plan: Plan, fingerprint: str, previous: PreviousRun) -> Resume:
    """What *plan* must run to finish what *previous* left undone."""
    src = previous.source
    if previous.plan != plan.name:
        raise PlanError(
            OPTION, "", f"the previous run in {src} is of plan '{previous.plan}', not "
            f"'{plan.name}'", f"resume it with --plan {previous.plan}, or {_FRESH}",
        )  # fmt: skip
    if previous.fingerprint != fingerprint:
        raise PlanError(
            OPTION, "", f"plan '{plan.name}' changed since run {previous.run_id} (its phases, "
            "workflows or expectations differ, so what passed then proves nothing now)",
            _FRESH,
        )  # fmt: skip
    # A workflow counts as proven only if its phase passed too: a failed phase check
    # (a test in the phase module) makes the whole phase run again.
    passed = {
        label
        for label, r in previous.results.items()
        if r.outcome is Outcome.PASSED
        and _same_phase(plan, r)
        and r.phase not in previous.failed_check_phases
    }
    order: Sequence[tuple[str, list[str]]] = [
        (p.name, [w.label for w in p.workflows]) for p in plan.phases
    ]
    first = next(
        (i for i, (_name, labels) in enumerate(order) if any(lb not in passed for lb in labels)),
        None,
    )
    if first is None:
        raise PlanError(
            OPTION, "", f"the previous run {previous.run_id} of plan '{plan.name}' passed: "
            "nothing to resume", _FRESH,
        )  # fmt: skip
    to_run = {lb for lb in order[first][1] if lb not in passed}
    to_run |= {lb for _name, labels in order[first + 1 :] for lb in labels}
    carried = tuple(
        _carried(previous.results[w.label], previous)
        for w in plan.workflows
        if w.label not in to_run
    )
    return Resume(previous, carried, frozenset(to_run), order[first][0])


def _same_phase(plan: Plan, result: WorkflowResult) -> bool:
    return any(w.label == result.label and w.phase == result.phase for w in plan.workflows)


def _carried(result: WorkflowResult, previous: PreviousRun) -> WorkflowResult:
    """*result* marked as carried over from the run it really ran in."""
    origin = result.carried_over_from or CarriedOver(previous.run_id, previous.started_at)
    return replace(result, carried_over_from=origin)
