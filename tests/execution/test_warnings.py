"""Warnings on a finished job: the plan's warn limits and anomalies against the usual bands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aperture_verify.client.models import Job, Step
from aperture_verify.execution.results import WorkflowResult
from aperture_verify.execution.warning_rules import warnings_for
from aperture_verify.history.bands import Usual, band, usual
from aperture_verify.plan.model import Range, StepExpectation, WorkflowSpec

T0 = datetime(2026, 11, 28, 4, tzinfo=UTC)


def job(seconds: float, rows_out: int = 5000) -> Job:
    return Job(
        "j1", "COMPLETED", "Workflow 3", T0, T0, T0 + timedelta(seconds=seconds),
        steps=(Step("Export", "EXPORT", "COMPLETED", rows_in=5000, rows_out=rows_out),),
    )  # fmt: skip


def spec(**kw: object) -> WorkflowSpec:
    return WorkflowSpec("Workflow 3", "cleanse", "Demo", max_duration=60.0, **kw)  # type: ignore[arg-type]


def history(runs: int = 12) -> Usual:
    found = usual([3.0] * runs, {("Export", "rowsOut"): [5000.0] * runs})
    assert found is not None
    return found


def test_nothing_unusual_gives_no_warning() -> None:
    assert warnings_for(spec(), job(3.2), history()) == []
    assert warnings_for(spec(), job(30.0), None) == []  # no history, no warn limits


def test_a_slow_night_against_its_history() -> None:
    (w,) = warnings_for(spec(), job(9.8), history())
    assert w.kind == "anomaly_duration"
    assert w.message == "Workflow 3 took 9.8s, usual 3.0s (median of 12 runs, band 2.0s–4.0s)"  # noqa: RUF001
    assert w.value == 9.8 and w.expected == "2.0s..4.0s"


def test_fewer_rows_against_their_history() -> None:
    (w,) = warnings_for(spec(), job(3.0, rows_out=3000), history())
    assert w.kind == "anomaly_rows"
    assert w.message.startswith(
        'Workflow 3: step "Export" rowsOut = 3000, usual 5000 (median of 12'
    )
    assert w.value == 3000


def test_anomaly_off_keeps_the_warn_limits() -> None:
    s = spec(
        anomaly=False,
        warn_max_duration=5.0,
        steps=(StepExpectation("Export", warn=(("rowsOut", Range(4000, None)),)),),
    )
    found = warnings_for(s, job(9.8, rows_out=3000), history())
    assert [(w.kind, w.expected) for w in found] == [("duration", "≤ 5.0s"), ("rows", "≥ 4000")]
    assert found[0].message == "Workflow 3 took 9.8s, above warn_max_duration 5.0s"


def test_warn_min_duration_and_a_missing_step() -> None:
    s = spec(warn_min_duration=2.0, steps=(StepExpectation("Gone", warn=(("rowsIn", Range(1)),)),))
    (w,) = warnings_for(s, job(1.0), None)
    assert w.message == "Workflow 3 took 1.0s, below warn_min_duration 2.0s"


def test_warnings_travel_with_the_result() -> None:
    result = WorkflowResult("Workflow 3", "cleanse")
    result.warnings = warnings_for(spec(), job(9.8), history())
    back = WorkflowResult.from_dict(result.to_dict())
    assert back.warnings == result.warnings
    assert WorkflowResult.from_dict({**result.to_dict(), "warnings": []}).warnings == []
    legacy = result.to_dict()
    del legacy["warnings"]  # an older results.json
    assert WorkflowResult.from_dict(legacy).warnings == []


def test_usual_round_trips_for_the_workers() -> None:
    u = history()
    assert Usual.from_dict(u.to_dict()) == u
    assert usual([], {}) is None
    assert band([1.0] * 4) is None
