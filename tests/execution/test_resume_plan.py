"""What a resumed run carries over and what it runs, from a previous run's results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.execution.resume import PreviousRun, plan_resume
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.fingerprint import plan_fingerprint, workflow_specs

PLAN = load_plan_text(
    """
[server]
url = "https://ads.example.com"
[plans.main]
phases = ["a", "b", "c", "d"]
on_failure = "continue"
[phases.a]
workflows = ["W1"]
[phases.b]
workflows = ["W2", "W3", "W4"]
[phases.c]
workflows = ["W5", "W6"]
[phases.d]
workflows = ["W7"]
"""
)
PHASE = {w.label: w.phase for w in PLAN.workflows}


def previous(outcomes: dict[str, str], **extra: Any) -> PreviousRun:
    data = {
        "version": 1,
        "run_id": "run-1",
        "started_at": "2026-11-28T05:00:00.000Z",
        "verdict": "failed",
        "plan": {"name": "main", "fingerprint": plan_fingerprint(PLAN)},
        "workflows": [
            {"label": label, "phase": PHASE[label], "outcome": outcome, "job_id": f"job-{label}"}
            for label, outcome in outcomes.items()
        ],
        **extra,
    }
    return PreviousRun.from_data(json.loads(json.dumps(data)), "reports/results.json")


def test_runs_what_did_not_pass_and_every_later_phase() -> None:
    outcomes = {f"W{i}": "passed" for i in range(1, 8)} | {"W3": "failed", "W5": "passed"}
    resume = plan_resume(PLAN, plan_fingerprint(PLAN), previous(outcomes))
    # on_failure = "continue" ran phases c and d: they run again all the same
    assert resume.to_run == {"W3", "W5", "W6", "W7"}
    assert resume.first_phase == "b"
    assert [r.label for r in resume.carried] == ["W1", "W2", "W4"]
    assert all(
        r.carried_over_from and r.carried_over_from.run_id == "run-1" for r in resume.carried
    )


def test_missing_skipped_and_interrupted_workflows_run_again() -> None:
    outcomes = {"W1": "passed", "W2": "passed", "W3": "interrupted", "W4": "skipped"}
    resume = plan_resume(PLAN, plan_fingerprint(PLAN), previous(outcomes))
    assert resume.to_run == {"W3", "W4", "W5", "W6", "W7"}
    partial = plan_resume(PLAN, plan_fingerprint(PLAN), previous({"W1": "passed"}))
    assert partial.to_run == {f"W{i}" for i in range(2, 8)}


def test_carried_over_keeps_the_run_it_really_ran_in() -> None:
    outcomes = {f"W{i}": "passed" for i in range(1, 7)}
    prev = previous(outcomes)
    first = plan_resume(PLAN, plan_fingerprint(PLAN), prev)
    entries = [r.to_dict() for r in first.carried]
    entries[0]["carried_over_from"] = {"run_id": "run-0", "started_at": None}
    again = PreviousRun.from_data(
        {"version": 1, "run_id": "run-2", "plan": {"name": "main",
         "fingerprint": plan_fingerprint(PLAN)}, "workflows": entries},
        "results.json",
    )  # fmt: skip
    second = plan_resume(PLAN, plan_fingerprint(PLAN), again)
    origins = {r.label: r.carried_over_from.run_id for r in second.carried if r.carried_over_from}
    assert origins["W1"] == "run-0" and origins["W2"] == "run-1"


@pytest.mark.parametrize(
    ("prev", "fingerprint", "problem"),
    [
        ({"W1": "passed"} | {f"W{i}": "passed" for i in range(2, 8)}, None, "passed: nothing"),
        ({"W1": "failed"}, "sha256:0000000000000000", "plan 'main' changed since run run-1"),
    ],
)
def test_refusals(prev: dict[str, str], fingerprint: str | None, problem: str) -> None:
    with pytest.raises(PlanError) as err:
        plan_resume(PLAN, fingerprint or plan_fingerprint(PLAN), previous(prev))
    assert str(err.value).startswith("--resume: ") and problem in str(err.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no previous run to resume"),
        ("{", "is not valid JSON"),
        ('{"version": 2}', "not a results.json of format version 1"),
        ('{"version": 1, "plan": {"name": "main"}, "workflows": []}', "it has no run_id"),
        ('{"version": 1, "run_id": "r", "plan": {"name": "main"}, "workflows": [{}]}',
         "its workflows cannot be read"),
        (b"\xff\xfe", "cannot read"),
    ],
)  # fmt: skip
def test_an_unusable_previous_file_is_one_line(
    tmp_path: Path, content: str | bytes | None, problem: str
) -> None:
    path = tmp_path / "results.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(PlanError) as err:
        PreviousRun.read(path)
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_a_phase_whose_check_failed_runs_again_with_its_workflows() -> None:
    """Every workflow passed, but phase b's own check failed: the nightly failed there."""
    outcomes = {f"W{i}": "passed" for i in range(1, 8)}
    failed_check = [{"phase": "b", "test": "test_phases/test_b.py::test_rows_agree"}]
    resume = plan_resume(
        PLAN, plan_fingerprint(PLAN), previous(outcomes, phase_checks_failed=failed_check)
    )
    assert resume.first_phase == "b"
    assert resume.to_run == {"W2", "W3", "W4", "W5", "W6", "W7"}
    assert [r.label for r in resume.carried] == ["W1"]
    # without the failed check the same run passed: nothing to resume
    with pytest.raises(PlanError, match="passed: nothing to resume"):
        plan_resume(PLAN, plan_fingerprint(PLAN), previous(outcomes))


def checks(outcome: str, phase: str = "b") -> list[dict[str, Any]]:
    return [{"phase": phase, "test": "test_rows_agree", "outcome": outcome}]


@pytest.mark.parametrize("outcome", ["interrupted", "failed"])
def test_a_phase_whose_check_was_interrupted_runs_again_with_its_workflows(outcome: str) -> None:
    """An interrupted check (or a failed one that phase_checks_failed does not name: the
    file of an older version) is no proof: its phase runs again, as for a failed check."""
    outcomes = {f"W{i}": "passed" for i in range(1, 8)}
    prev = previous(outcomes, verdict="interrupted", exit_status=2, phase_checks=checks(outcome))
    resume = plan_resume(PLAN, plan_fingerprint(PLAN), prev)
    assert resume.first_phase == "b"
    assert resume.to_run == {"W2", "W3", "W4", "W5", "W6", "W7"}
    assert resume.carried_checks == ()


def test_a_check_skipped_in_an_interrupted_run_runs_again_but_not_in_a_finished_one() -> None:
    """A check the interruption kept from running is reported skipped; a check that skips
    itself in a run that finished is as it was then: nothing to resume."""
    outcomes = {f"W{i}": "passed" for i in range(1, 8)}
    prev = previous(outcomes, verdict="interrupted", exit_status=2, phase_checks=checks("skipped"))
    resume = plan_resume(PLAN, plan_fingerprint(PLAN), prev)
    assert resume.first_phase == "b"
    finished = previous(outcomes, verdict="passed", exit_status=0, phase_checks=checks("skipped"))
    with pytest.raises(PlanError, match="passed: nothing to resume"):
        plan_resume(PLAN, plan_fingerprint(PLAN), finished)


def test_an_interrupted_run_whose_workflows_all_passed_runs_its_last_phase_again() -> None:
    """What the interruption cut short came after the last workflow: the last phase's
    checks, even when the file does not list them (written by an older version)."""
    outcomes = {f"W{i}": "passed" for i in range(1, 8)}
    for extra in ({"exit_status": 2}, {"verdict": "interrupted"}):
        resume = plan_resume(PLAN, plan_fingerprint(PLAN), previous(outcomes, **extra))
        assert (resume.first_phase, resume.to_run) == ("d", frozenset({"W7"})), extra
        assert [r.label for r in resume.carried] == [f"W{i}" for i in range(1, 7)]


# -- a plan changed since: carried-over results judged again ------------------------

CHANGING = """
[server]
url = "https://ads.example.com"
[defaults]
min_duration = "1s"
max_duration = "10s"
[plans.main]
phases = ["a", "b"]
[phases.a]
workflows = ["Adressen prüfen", "W2"]
[phases.b]
workflows = ["W3"]
[workflows."Adressen prüfen"]
steps."Laden" = { rowsOut = { min = 100 } }
{extra}
"""


def changing(extra: str = "", text: str = CHANGING) -> Any:
    return load_plan_text(text.replace("{extra}", extra))


def run_of(plan: Any) -> PreviousRun:
    """Phase a passed (Adressen prüfen took 8.5 s, loaded 120 rows), W3 failed."""
    entry = {
        "label": "Adressen prüfen", "phase": "a", "outcome": "passed", "job_id": "job-1",
        "state": "COMPLETED", "duration": 8.5, "started_at": "2026-11-28T05:00:01.000Z",
        "steps": [{"name": "Laden", "type": "SOURCE", "state": "COMPLETED", "rowsOut": 120}],
        "checks": [{"name": "duration", "expected": "1s..10s", "actual": "8.5s", "ok": True}],
        "warnings": [{"kind": "anomaly_duration", "message": "unusual", "value": 8.5,
                      "expected": "2.0s..3.0s"}],
    }  # fmt: skip
    data = {
        "version": 1, "run_id": "run-1", "started_at": "2026-11-28T05:00:00.000Z",
        "verdict": "failed",
        "plan": {
            "name": "main", "fingerprint": plan_fingerprint(plan),
            "phases": [{"name": p.name, "workflows": [w.label for w in p.workflows]}
                       for p in plan.phases],
            "specs": workflow_specs(plan),
        },
        "phase_checks": [
            {"phase": "a", "test": "test_rows_agree", "outcome": "passed"},
            {"phase": "b", "test": "test_export", "outcome": "failed"},
        ],
        "workflows": [
            entry,
            {"label": "W2", "phase": "a", "outcome": "passed", "state": "COMPLETED",
             "duration": 2.0},
            {"label": "W3", "phase": "b", "outcome": "failed", "state": "FAILED"},
        ],
    }  # fmt: skip
    return PreviousRun.from_data(json.loads(json.dumps(data)), "reports/results.json")


def test_a_raised_limit_a_wider_range_and_a_new_warn_limit_are_judged_again() -> None:
    before = changing()
    text = (
        CHANGING.replace('max_duration = "10s"', 'max_duration = "20s"')
        .replace("rowsOut = { min = 100 }", "rowsOut = { min = 50 }")
        .replace("{extra}", 'warn_max_duration = "8s"')
    )
    after = changing("", text)
    resume = plan_resume(after, plan_fingerprint(after), run_of(before))

    assert resume.to_run == {"W3"} and resume.first_phase == "b"
    assert resume.rejudged == (
        "plan 'main' changed since run run-1; judged again under today's expectations, the "
        "carried-over results still pass: Adressen prüfen (max_duration, steps, "
        "warn_max_duration); W2 (max_duration)"
    )
    carried = {r.label: r for r in resume.carried}
    judged = carried["Adressen prüfen"]
    assert [(c.name, c.expected, c.actual, c.ok) for c in judged.checks] == [
        ("state", "COMPLETED", "COMPLETED", True),
        ("duration", "1s..20s", "8.5s", True),
        ('step "Laden" rowsOut', "≥ 50", "120", True),
    ]
    assert (judged.min_duration, judged.max_duration) == (1.0, 20.0)
    assert [(w.kind, w.message) for w in judged.warnings] == [
        ("duration", "Adressen prüfen took 8.5s, above warn_max_duration 8.0s"),
        ("anomaly_duration", "unusual"),  # what the history said then stays
    ]
    assert judged.carried_over_from is not None and judged.carried_over_from.run_id == "run-1"
    # phase a is carried over whole: its passed check with it; b's runs again
    assert [(c.phase, c.test, c.carried_over_from.run_id if c.carried_over_from else None)
            for c in resume.carried_checks] == [("a", "test_rows_agree", "run-1")]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("max_duration = \"10s\"", "max_duration = \"8s\""),
         "workflow 'Adressen prüfen' would fail now under its changed max_duration: "
         "duration = 8.5s (too long), expected 1s..8s"),
        (("rowsOut = { min = 100 }", "rowsOut = { min = 121 }"),
         "workflow 'Adressen prüfen' would fail now under its changed steps: "
         'step "Laden" rowsOut = 120, expected ≥ 121'),
        (('steps."Laden"', 'version = "PreferDraft"\nsteps."Laden"'),
         "workflow 'Adressen prüfen': its version changed, so what it ran then is not what "
         "it runs now"),
        (('phases = ["a", "b"]', 'phases = ["b", "a"]'),
         "plans.main.phases was [a, b], now [b, a] (a changed phase order or membership is "
         "not resumed)"),
        (('workflows = ["Adressen prüfen", "W2"]', 'workflows = ["Adressen prüfen"]'),
         "phases.a.workflows: workflow 'W2' left it (a changed phase membership is not "
         "resumed)"),
    ],
)  # fmt: skip
def test_a_change_the_recorded_result_cannot_answer_is_refused(
    change: tuple[str, str], problem: str
) -> None:
    after = changing("", CHANGING.replace(*change))
    with pytest.raises(PlanError) as err:
        plan_resume(after, plan_fingerprint(after), run_of(changing()))
    assert str(err.value) == (
        f"--resume: plan 'main' changed since run run-1: {problem}; run without --resume to "
        "run the whole plan"
    )


def test_a_change_only_to_a_workflow_that_runs_again_is_accepted() -> None:
    after = changing('[workflows."W3"]\nspace = "Other"\nmax_duration = "1h"')
    resume = plan_resume(after, plan_fingerprint(after), run_of(changing()))
    assert resume.to_run == {"W3"}
    assert resume.rejudged == (
        "plan 'main' changed since run run-1, only in workflows that run again"
    )
    first = resume.carried[0]
    assert [c.expected for c in first.checks] == ["1s..10s"], "left as recorded"


def test_a_changed_plan_with_an_older_results_file_is_refused_as_before() -> None:
    old = run_of(changing())
    old = PreviousRun(**{**old.__dict__, "specs": None})
    after = changing("", CHANGING.replace('max_duration = "10s"', 'max_duration = "20s"'))
    with pytest.raises(PlanError, match="does not say which"):
        plan_resume(after, plan_fingerprint(after), old)
