"""Warnings on a passing workflow: the plan's warn limits, and anomalies against history.

A warning never fails its workflow, unless the run asks for it
(``--warnings-fail``). Each says what was seen and what was expected:
``Workflow 3 took 9.8s, usual 3.0s (median of 12 runs, band 2.4s–3.6s)``.
"""  # noqa: RUF002

from __future__ import annotations

from collections.abc import Callable

from aperture_verify.client.models import Job
from aperture_verify.execution.expectations import describe_range, in_range
from aperture_verify.execution.results import WorkflowWarning
from aperture_verify.history.bands import Band, Usual
from aperture_verify.plan.model import WorkflowSpec


def _secs(value: float) -> str:
    return f"{value:.1f}s"


def _rows(value: float) -> str:
    return str(round(value))


def warnings_for(spec: WorkflowSpec, job: Job, usual: Usual | None) -> list[WorkflowWarning]:
    """Every warning for the finished *job* of *spec*, in a stable order."""
    found = limit_warnings(spec, job)
    if spec.anomaly and usual is not None:
        found += _anomalies(spec, job, usual)
    return found


def limit_warnings(spec: WorkflowSpec, job: Job) -> list[WorkflowWarning]:
    """The warnings of the plan's own warn limits (no history needed)."""
    found = []
    duration = job.duration
    low, high = spec.warn_min_duration, spec.warn_max_duration
    if duration is not None and high is not None and duration > high:
        found.append(
            WorkflowWarning(
                "duration",
                f"{spec.label} took {_secs(duration)}, above warn_max_duration {_secs(high)}",
                round(duration, 3),
                f"≤ {_secs(high)}",
            )
        )
    if duration is not None and low is not None and duration < low:
        found.append(
            WorkflowWarning(
                "duration",
                f"{spec.label} took {_secs(duration)}, below warn_min_duration {_secs(low)}",
                round(duration, 3),
                f"≥ {_secs(low)}",
            )
        )
    for expectation in spec.steps:
        step = job.step(expectation.step)
        if step is None:
            continue
        for metric, bounds in expectation.warn:
            value = step.metric(metric)
            if value is not None and not in_range(value, bounds):
                expected = describe_range(bounds)
                found.append(
                    WorkflowWarning(
                        "rows",
                        f'{spec.label}: step "{expectation.step}" {metric} = {value}, '
                        f"warn limit {expected}",
                        value,
                        expected,
                    )
                )
    return found


def _band_text(b: Band, fmt: Callable[[float], str]) -> str:
    return f"median of {b.runs} runs, band {fmt(b.low)}–{fmt(b.high)}"  # noqa: RUF001


def _anomalies(spec: WorkflowSpec, job: Job, usual: Usual) -> list[WorkflowWarning]:
    found = []
    duration = job.duration
    b = usual.duration
    if duration is not None and b is not None and not b.contains(duration):
        found.append(
            WorkflowWarning(
                "anomaly_duration",
                f"{spec.label} took {_secs(duration)}, usual {_secs(b.median)} "
                f"({_band_text(b, _secs)})",
                round(duration, 3),
                f"{_secs(b.low)}..{_secs(b.high)}",
            )
        )
    for step in job.steps:
        for metric in ("rowsIn", "rowsOut", "passedRows", "failedRows"):
            value = step.metric(metric)
            rb = usual.row_band(step.name, metric)
            if value is None or rb is None or rb.contains(value):
                continue
            found.append(
                WorkflowWarning(
                    "anomaly_rows",
                    f'{spec.label}: step "{step.name}" {metric} = {_rows(value)}, usual '
                    f"{_rows(rb.median)} ({_band_text(rb, _rows)})",
                    value,
                    f"{_rows(rb.low)}..{_rows(rb.high)}",
                )
            )
    return found
