"""Resuming a plan: what an earlier run proved, and what must run again.

The previous run is read from its ``results.json`` (format version 1). A
resumed run executes the workflows that did not pass — failed, interrupted,
skipped or absent, or of a phase whose own checks failed or were interrupted
(or, in an interrupted run, never ran) — and every workflow of the phases after
the first phase holding one of them; an interrupted run whose workflows all
passed runs its last phase again (the interruption came after its workflows,
in that phase's checks). The workflows that passed before that point are
*carried over*: their earlier results stand in the reports, marked with the
run they really ran in. So do the hand-written
checks of a phase whose workflows are all carried over (they passed then).
Resuming is refused (a one-line ``PlanError``) when it would not mean what it
says: no previous run, an unreadable file, another plan, a previous run that
passed, or a plan that changed since (its fingerprint) in a way that the
previous run's results cannot answer.

A plan that changed only in expectations (a raised ``max_duration``, a wider
row range, a new warn limit) does not throw away what passed: each
carried-over workflow's recorded result is judged again under today's
expectations (``execution.expectations``). It still passes: carried over, with the
checks and warn limits of today, and the change said once. It would fail now,
or what it runs changed (space, version, parameters, ...), or the phases'
order or membership changed: refused, naming the workflow and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aperture_verify.client.models import Job
from aperture_verify.errors import PlanError
from aperture_verify.execution.expectations import check_job
from aperture_verify.execution.results import CarriedOver, Outcome, PhaseCheck, WorkflowResult
from aperture_verify.execution.warning_rules import limit_warnings
from aperture_verify.plan.fingerprint import spec_data
from aperture_verify.plan.model import Plan, WorkflowSpec

OPTION = "--resume"
_FRESH = "run without --resume to run the whole plan"

#: The keys of a workflow whose change a recorded result can answer: it is judged
#: again under them. Any other key (space, version, dependencies, refresh_sources,
#: parameters, sources) changes what the workflow runs: what passed proves nothing.
REJUDGED_KEYS = (
    "state", "min_duration", "max_duration", "steps", "warn_min_duration",
    "warn_max_duration", "anomaly", "anomaly_min_runs", "anomaly_window",
)  # fmt: skip


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
    #: Phases whose hand-written checks did not pass (failed, interrupted, or not run
    #: because the run was interrupted): their workflows passed, the phase did not.
    failed_check_phases: frozenset[str] = frozenset()
    #: The plan's phases then: (name, labels), in order (None: not recorded).
    phases: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    #: Each workflow's expectations then, as data (None: written before they were kept).
    specs: Mapping[str, Mapping[str, Any]] | None = None
    #: Every hand-written phase check of the run (empty: none, or not recorded).
    phase_checks: tuple[PhaseCheck, ...] = ()
    #: The run was interrupted (exit status 2): what it cut short may be unrecorded.
    interrupted: bool = False

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

        if isinstance(data, dict) and data.get("verdict") in ("error", "empty"):
            # a run that executed nothing (a usage error, nothing selected) keeps the
            # last real run for --resume
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
            phases = (
                tuple(
                    (str(p["name"]), tuple(str(lb) for lb in p["workflows"]))
                    for p in plan["phases"]
                )
                if isinstance(plan.get("phases"), list)
                else None
            )
            specs = plan.get("specs") if isinstance(plan.get("specs"), dict) else None
            phase_checks = tuple(PhaseCheck.from_dict(c) for c in data.get("phase_checks") or ())
            interrupted = data.get("exit_status") == 2 or data.get("verdict") == "interrupted"
            checks |= _unproven_check_phases(phase_checks, interrupted)
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
            phases,
            specs,
            phase_checks,
            interrupted,
        )


@dataclass(frozen=True)
class Resume:
    """A resumed run: the earlier run, what is carried over and what runs."""

    previous: PreviousRun
    carried: tuple[WorkflowResult, ...]  # marked with where they ran
    to_run: frozenset[str]  # labels
    first_phase: str  # the first phase with a workflow that did not pass
    #: Said once when the plan changed since and the carried-over results still pass.
    rejudged: str | None = None
    #: The phase checks carried over with their phase, marked with where they ran.
    carried_checks: tuple[PhaseCheck, ...] = ()


def plan_resume(plan: Plan, fingerprint: str, previous: PreviousRun) -> Resume:
    """What *plan* must run to finish what *previous* left undone."""
    src = previous.source
    if previous.plan != plan.name:
        raise PlanError(
            OPTION, "", f"the previous run in {src} is of plan '{previous.plan}', not "
            f"'{plan.name}'", f"resume it with --plan {previous.plan}, or {_FRESH}",
        )  # fmt: skip
    changed = previous.fingerprint != fingerprint
    if changed:
        _refuse_changed_phases(plan, previous)
    # A workflow counts as proven only if its phase passed too: a failed phase check
    # (a test in the phase module) makes the whole phase run again.
    passed = {
        label
        for label, r in previous.results.items()
        if r.outcome is Outcome.PASSED
        and _same_phase(plan, r)
        and r.phase not in previous.failed_check_phases
    }
    if previous.interrupted and all(w.label in passed for w in plan.workflows):
        # Every workflow passed, yet the run was interrupted: what it cut short came after
        # the last workflow, in the last phase (its checks, recorded or not). That phase
        # runs again, as a phase whose check failed does.
        passed -= {w.label for w in plan.phases[-1].workflows}
    order: Sequence[tuple[str, list[str]]] = [
        (p.name, [w.label for w in p.workflows]) for p in plan.phases
    ]
    first = next(
        (i for i, (_name, labels) in enumerate(order) if any(lb not in passed for lb in labels)),
        None,
    )
    if first is None and not changed:
        raise PlanError(
            OPTION, "", f"the previous run {previous.run_id} of plan '{plan.name}' passed: "
            "nothing to resume", _FRESH,
        )  # fmt: skip
    to_run: set[str] = set()
    if first is not None:
        to_run = {lb for lb in order[first][1] if lb not in passed}
        to_run |= {lb for _name, labels in order[first + 1 :] for lb in labels}
    carried = [
        _carried(previous.results[w.label], previous)
        for w in plan.workflows
        if w.label not in to_run
    ]
    rejudged = None
    if changed:
        carried, rejudged = _rejudge(plan, previous, carried)
    if first is None:  # it passed then, and still passes under today's expectations
        raise PlanError(
            OPTION, "", f"the previous run {previous.run_id} of plan '{plan.name}' passed "
            "(and still passes under the plan's changed expectations): nothing to resume",
            _FRESH,
        )  # fmt: skip
    carried_labels = {r.label for r in carried}
    whole = {p.name for p in plan.phases if all(w.label in carried_labels for w in p.workflows)}
    checks = tuple(
        replace(c, carried_over_from=c.carried_over_from or _origin(previous))
        for c in previous.phase_checks
        if c.phase in whole and c.outcome == Outcome.PASSED.value
    )
    return Resume(previous, tuple(carried), frozenset(to_run), order[first][0], rejudged, checks)


#: How a phase check that did not pass ended: its phase is not proven.
_CHECK_NOT_PASSED = ("failed", Outcome.INTERRUPTED.value)


def _unproven_check_phases(checks: Sequence[PhaseCheck], interrupted: bool) -> frozenset[str]:
    """The phases of *checks* that failed or were interrupted; in an interrupted run also
    of those skipped (a check the interruption kept from running is reported skipped)."""
    bad = (*_CHECK_NOT_PASSED, "skipped") if interrupted else _CHECK_NOT_PASSED
    return frozenset(c.phase for c in checks if c.outcome in bad)


def _refuse(plan: Plan, previous: PreviousRun, what: str) -> PlanError:
    return PlanError(
        OPTION, "", f"plan '{plan.name}' changed since run {previous.run_id}: {what}", _FRESH
    )


def _refuse_changed_phases(plan: Plan, previous: PreviousRun) -> None:
    """Refused unless the phases hold the same workflows in the same order as then."""
    if previous.phases is None or previous.specs is None:  # an older results.json
        raise _refuse(
            plan, previous, "its phases, workflows or expectations differ, and that run's "
            "file does not say which, so what passed then proves nothing now",
        )  # fmt: skip
    then = [name for name, _labels in previous.phases]
    now = [p.name for p in plan.phases]
    if then != now:
        raise _refuse(
            plan, previous, f"plans.{plan.name}.phases was [{', '.join(then)}], now "
            f"[{', '.join(now)}] (a changed phase order or membership is not resumed)",
        )  # fmt: skip
    for (name, labels), phase in zip(previous.phases, plan.phases, strict=True):
        mine = tuple(w.label for w in phase.workflows)
        if labels != mine:
            gone = [lb for lb in labels if lb not in mine]
            new = [lb for lb in mine if lb not in labels]
            what = (
                f"workflow '{gone[0]}' left it"
                if gone
                else f"workflow '{new[0]}' joined it"
                if new
                else "its workflows' order changed"
            )
            raise _refuse(
                plan, previous, f"phases.{name}.workflows: {what} (a changed phase "
                "membership is not resumed)",
            )  # fmt: skip


def _rejudge(
    plan: Plan, previous: PreviousRun, carried: list[WorkflowResult]
) -> tuple[list[WorkflowResult], str]:
    """*carried* judged again under *plan*'s expectations, and the line that says so."""
    assert previous.specs is not None  # _refuse_changed_phases saw to it
    specs = {w.label: w for w in plan.workflows}
    judged: list[WorkflowResult] = []
    said: list[str] = []
    for result in carried:
        spec = specs[result.label]
        then = previous.specs.get(result.label)
        keys = _changed_keys(then, spec_data(spec))
        if not keys:
            judged.append(result)
            continue
        runs = [k for k in keys if k not in REJUDGED_KEYS]
        if runs:
            raise _refuse(
                plan, previous, f"workflow '{result.label}': its {runs[0]} changed, so "
                "what it ran then is not what it runs now",
            )  # fmt: skip
        judged.append(_judged(result, spec, keys, plan, previous))
        said.append(f"{result.label} ({', '.join(keys)})")
    if said:
        line = (
            f"plan '{plan.name}' changed since run {previous.run_id}; judged again under "
            f"today's expectations, the carried-over results still pass: {'; '.join(said)}"
        )
    else:
        line = (
            f"plan '{plan.name}' changed since run {previous.run_id}, only in workflows "
            "that run again"
        )
    return judged, line


def _changed_keys(then: Mapping[str, Any] | None, now: Mapping[str, Any]) -> list[str]:
    if then is None:
        return ["label"]  # not in that run's plan: cannot be (carried over) -- defensive
    return [k for k in now if then.get(k) != now[k]] + [k for k in then if k not in now]


def _judged(
    result: WorkflowResult, spec: WorkflowSpec, keys: list[str], plan: Plan, previous: PreviousRun
) -> WorkflowResult:
    """*result* under *spec*: a refusal naming the key, or the result with today's checks."""
    job = _recorded_job(result)
    checks = check_job(spec, job)
    failed = [c for c in checks if not c.ok]
    if failed:
        c = failed[0]
        raise _refuse(
            plan, previous, f"workflow '{result.label}' would fail now under its changed "
            f"{', '.join(keys)}: {c.name} = {c.actual}, expected {c.expected}",
        )  # fmt: skip
    history = [w for w in result.warnings if w.kind.startswith("anomaly")]
    return replace(
        result,
        checks=checks,
        min_duration=spec.min_duration,
        max_duration=spec.max_duration,
        warnings=limit_warnings(spec, job) + history,
    )


def _recorded_job(result: WorkflowResult) -> Job:
    """The job as the result recorded it: its state, its steps, its duration."""
    start = result.started_at or datetime(2000, 1, 1, tzinfo=UTC)
    finish = start + timedelta(seconds=result.duration) if result.duration is not None else None
    return Job(
        result.job_id or "",
        result.state or "",
        result.label,
        started_at=start if finish is not None else None,
        finished_at=finish,
        steps=tuple(result.steps),
    )


def _same_phase(plan: Plan, result: WorkflowResult) -> bool:
    return any(w.label == result.label and w.phase == result.phase for w in plan.workflows)


def _origin(previous: PreviousRun) -> CarriedOver:
    return CarriedOver(previous.run_id, previous.started_at)


def _carried(result: WorkflowResult, previous: PreviousRun) -> WorkflowResult:
    """*result* marked as carried over from the run it really ran in."""
    origin = result.carried_over_from or _origin(previous)
    return replace(result, carried_over_from=origin)
