"""Warnings compared whole (kind, message, value, expected), at and around each limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aperture_verify.client.models import Job, Step
from aperture_verify.execution.results import WorkflowWarning
from aperture_verify.execution.warning_rules import warnings_for
from aperture_verify.history.bands import Band, Usual
from aperture_verify.plan.model import Range, StepExpectation, WorkflowSpec

T0 = datetime(2026, 11, 28, 4, tzinfo=UTC)
USUAL = Usual(
    Band(3.0, 2.0, 4.0, 12),
    (("Export", "rowsOut", Band(5000.0, 3517.4, 6482.6, 12)),),
)


def job(seconds: float, *steps: Step) -> Job:
    return Job("j1", "COMPLETED", "Wörkflow 3", T0, T0, T0 + timedelta(seconds=seconds),
               steps=steps)  # fmt: skip


def export(rows_out: int | None = 5000, rows_in: int | None = 5000) -> Step:
    return Step("Export", "EXPORT", "COMPLETED", rows_in=rows_in, rows_out=rows_out)


def spec(**kw: object) -> WorkflowSpec:
    return WorkflowSpec("Wörkflow 3", "cleanse", "Demo", max_duration=60.0, **kw)  # type: ignore[arg-type]


def test_warn_limits_are_inclusive() -> None:
    s = spec(warn_min_duration=2.0, warn_max_duration=5.0)
    assert warnings_for(s, job(2.0), None) == []
    assert warnings_for(s, job(5.0), None) == []


def test_duration_warnings_whole_with_the_value_rounded_to_milliseconds() -> None:
    s = spec(warn_min_duration=2.0, warn_max_duration=5.0)
    assert warnings_for(s, job(5.123456), None) == [
        WorkflowWarning(
            "duration", "Wörkflow 3 took 5.1s, above warn_max_duration 5.0s", 5.123, "≤ 5.0s"
        )
    ]
    assert warnings_for(s, job(1.987654), None) == [
        WorkflowWarning(
            "duration", "Wörkflow 3 took 2.0s, below warn_min_duration 2.0s", 1.988, "≥ 2.0s"
        )
    ]


def test_row_warnings_whole_for_every_step_expected() -> None:
    s = spec(
        steps=(
            StepExpectation("Gone", warn=(("rowsIn", Range(1)),)),  # not in the job: skipped
            StepExpectation("Export", warn=(("rowsIn", Range(6000)), ("rowsOut", Range(None, 10)))),
        )
    )
    assert warnings_for(s, job(3.0, export(rows_out=11, rows_in=5000)), None) == [
        WorkflowWarning(
            "rows", 'Wörkflow 3: step "Export" rowsIn = 5000, warn limit ≥ 6000', 5000, "≥ 6000"
        ),
        WorkflowWarning(
            "rows", 'Wörkflow 3: step "Export" rowsOut = 11, warn limit ≤ 10', 11, "≤ 10"
        ),
    ]
    assert warnings_for(s, job(3.0, export(rows_out=10, rows_in=6000)), None) == []


def test_a_count_the_server_does_not_give_is_not_warned_about() -> None:
    s = spec(steps=(StepExpectation("Export", warn=(("rowsIn", Range(6000)),)),))
    assert warnings_for(s, job(3.0, export(rows_in=None)), None) == []


def test_anomalies_whole_and_after_the_limit_warnings() -> None:
    s = spec(warn_max_duration=5.0)
    found = warnings_for(s, job(9.87654, export(rows_out=3000)), USUAL)
    assert found == [
        WorkflowWarning(
            "duration", "Wörkflow 3 took 9.9s, above warn_max_duration 5.0s", 9.877, "≤ 5.0s"
        ),
        WorkflowWarning(
            "anomaly_duration",
            "Wörkflow 3 took 9.9s, usual 3.0s (median of 12 runs, band 2.0s–4.0s)",  # noqa: RUF001
            9.877,
            "2.0s..4.0s",
        ),
        WorkflowWarning(
            "anomaly_rows",
            'Wörkflow 3: step "Export" rowsOut = 3000, usual 5000 '
            "(median of 12 runs, band 3517–6483)",  # noqa: RUF001
            3000,
            "3517..6483",
        ),
    ]


def test_anomaly_bands_are_inclusive_and_only_known_metrics_are_judged() -> None:
    inside = job(4.0, export(rows_out=6482), Step("Other", "EXPORT", "COMPLETED", rows_out=1))
    assert warnings_for(spec(), inside, USUAL) == []
    assert warnings_for(spec(), job(2.0, export(rows_out=3518)), USUAL) == []
    assert warnings_for(spec(anomaly=False), job(99.0, export(rows_out=1)), USUAL) == []
    no_duration = Usual(None, USUAL.rows)
    assert [w.kind for w in warnings_for(spec(), job(99.0, export(1)), no_duration)] == [
        "anomaly_rows"
    ]
