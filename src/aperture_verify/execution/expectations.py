"""The expectations of a workflow, checked against its finished job.

Every check is evaluated, so a failure lists all that went wrong, not only the
first: ``Workflow 3: step "Validate addresses" failedRows = 12, expected ≤ 0``.
"""

from __future__ import annotations

from aperture_verify.client.models import Job
from aperture_verify.common.durations import format_duration
from aperture_verify.execution.results import CheckResult
from aperture_verify.plan.model import Range, WorkflowSpec


def describe_range(r: Range) -> str:
    if r.min is not None and r.max is not None:
        return f"= {r.min}" if r.min == r.max else f"{r.min}..{r.max}"
    if r.min is not None:
        return f"≥ {r.min}"
    if r.max is not None:
        return f"≤ {r.max}"
    return "any"


def in_range(value: int, r: Range) -> bool:
    return (r.min is None or value >= r.min) and (r.max is None or value <= r.max)


def check_job(spec: WorkflowSpec, job: Job) -> list[CheckResult]:
    """All checks of *spec* against the terminal *job*, passed and failed."""
    checks = [CheckResult("state", spec.state, job.state, job.state == spec.state)]

    limits = f"{format_duration(spec.min_duration)}..{format_duration(spec.max_duration)}"
    duration = job.duration
    if duration is None:
        checks.append(CheckResult("duration", limits, "unknown (no start or finish time)", False))
    else:
        ok = spec.min_duration <= duration <= spec.max_duration
        actual = f"{duration:.1f}s"
        if duration < spec.min_duration:
            actual += " (suspiciously short)"
        elif duration > spec.max_duration:
            actual += " (too long)"
        checks.append(CheckResult("duration", limits, actual, ok))

    for expectation in spec.steps:
        step = job.step(expectation.step)
        prefix = f'step "{expectation.step}"'
        if step is None:
            present = ", ".join(f'"{s.name}"' for s in job.steps) or "none"
            checks.append(CheckResult(prefix, "present", f"missing (steps: {present})", False))
            continue
        if expectation.state is not None:
            checks.append(
                CheckResult(
                    f"{prefix} state",
                    expectation.state,
                    step.state,
                    step.state == expectation.state,
                )
            )
        for metric, bounds in expectation.rows:
            value = step.metric(metric)
            expected = describe_range(bounds)
            if value is None:
                checks.append(CheckResult(f"{prefix} {metric}", expected, "not reported", False))
            else:
                checks.append(
                    CheckResult(f"{prefix} {metric}", expected, str(value), in_range(value, bounds))
                )
    return checks
