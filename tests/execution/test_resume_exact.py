"""--resume read and planned, compared whole: each refusal's full line, each field read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.execution.results import CarriedOver, Outcome
from aperture_verify.execution.resume import PreviousRun, plan_resume
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.fingerprint import plan_fingerprint

PLAN = load_plan_text(
    """
[server]
url = "https://ads.example.com"
[plans.main]
phases = ["a", "b"]
[phases.a]
workflows = ["W1", "Wö2"]
[phases.b]
workflows = ["W3"]
"""
)
PRINT = plan_fingerprint(PLAN)
FRESH = "run without --resume to run the whole plan"


def document(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "run_id": "run-7",
        "started_at": "2026-11-28T05:00:00.250Z",
        "verdict": "failed",
        "plan": {"name": "main", "fingerprint": PRINT},
        "workflows": [
            {"label": "W1", "phase": "a", "outcome": "passed", "job_id": "j1"},
            {"label": "Wö2", "phase": "a", "outcome": "failed", "job_id": "j2"},
        ],
    }
    data.update(changes)
    return data


def refusal(call: Any) -> str:
    with pytest.raises(PlanError) as caught:
        call()
    assert (caught.value.source, caught.value.key) == ("--resume", "")  # no plans.toml key
    return str(caught.value)


def test_every_field_is_read() -> None:
    prev = PreviousRun.from_data(document(phase_checks_failed=[{"phase": "b"}]), "r.json")
    assert (prev.source, prev.run_id, prev.plan, prev.fingerprint, prev.verdict) == (
        "r.json", "run-7", "main", PRINT, "failed",
    )  # fmt: skip
    assert prev.started_at == datetime(2026, 11, 28, 5, 0, 0, 250_000, tzinfo=UTC)
    assert sorted(prev.results) == ["W1", "Wö2"]
    assert prev.results["Wö2"].outcome is Outcome.FAILED
    assert prev.failed_check_phases == frozenset({"b"})


def test_absent_or_odd_fields_read_as_unknown() -> None:
    data = document(plan={"name": "main", "fingerprint": 7})
    del data["started_at"], data["verdict"]
    prev = PreviousRun.from_data(data, "r.json")
    assert (prev.fingerprint, prev.started_at, prev.verdict) == (None, None, "")
    assert prev.failed_check_phases == frozenset()


def test_a_usage_error_s_report_resumes_the_run_it_keeps() -> None:
    kept = document(run_id="run-6")
    prev = PreviousRun.from_data({"verdict": "error", "previous_run": kept}, "r.json")
    assert prev.run_id == "run-6"
    # a usage error's report without a previous run is no run to resume
    assert refusal(lambda: PreviousRun.from_data({"verdict": "error"}, "r.json")) == (
        f"--resume: r.json: not a results.json of format version 1; {FRESH}"
    )
    # a failed run's own previous_run key (there is none in practice) is not followed
    prev = PreviousRun.from_data(document(previous_run=kept), "r.json")
    assert prev.run_id == "run-7"


def test_a_run_that_executed_nothing_resumes_the_run_it_keeps() -> None:
    kept = document(run_id="run-6")
    empty = document(run_id="run-8", verdict="empty", previous_run=kept)
    assert PreviousRun.from_data(empty, "r.json").run_id == "run-6"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "not a results.json of format version 1"),
        (document(version=2), "not a results.json of format version 1"),
        (document(plan=[]), "no plan name in it"),
        (document(plan={"name": 3}), "no plan name in it"),
        (document(run_id=""), "it has no run_id (written by an older version, which cannot be "
                              "resumed)"),
        (document(run_id=5), "it has no run_id (written by an older version, which cannot be "
                             "resumed)"),
        (document(workflows=[{}]), "its workflows cannot be read (KeyError: 'label')"),
        (document(started_at="yesterday"), "its workflows cannot be read (ValueError: Invalid "
                                           "isoformat string: 'yesterday')"),
    ],
)  # fmt: skip
def test_an_unusable_document_is_one_whole_line(data: Any, problem: str) -> None:
    message = refusal(lambda: PreviousRun.from_data(data, "reports/results.json"))
    assert message == f"--resume: reports/results.json: {problem}; {FRESH}"


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "results.json"
    assert refusal(lambda: PreviousRun.read(missing)) == (
        f"--resume: no previous run to resume: {missing} not found; {FRESH}"
    )
    assert refusal(lambda: PreviousRun.read(tmp_path)) == (
        f"--resume: cannot read {tmp_path} (Is a directory); {FRESH}"
    )
    missing.write_bytes(b"\xff\xfe{")
    assert refusal(lambda: PreviousRun.read(missing)) == (
        f"--resume: cannot read {missing} (UnicodeDecodeError); {FRESH}"
    )
    missing.write_text("{", encoding="utf-8")
    assert refusal(lambda: PreviousRun.read(missing)) == (
        f"--resume: {missing} is not valid JSON (Expecting property name enclosed in double "
        f"quotes: line 1 column 2 (char 1)); {FRESH}"
    )
    missing.write_text(json.dumps(document(run_id="rün")), encoding="utf-8")
    prev = PreviousRun.read(missing)
    assert (prev.source, prev.run_id) == (str(missing), "rün")
    missing.write_text("[]", encoding="utf-8")
    assert refusal(lambda: PreviousRun.read(missing)) == (
        f"--resume: {missing}: not a results.json of format version 1; {FRESH}"
    )


def test_refusals_of_the_plan_are_whole_lines() -> None:
    prev = PreviousRun.from_data(document(plan={"name": "other", "fingerprint": PRINT}), "r.json")
    assert refusal(lambda: plan_resume(PLAN, PRINT, prev)) == (
        "--resume: the previous run in r.json is of plan 'other', not 'main'; "
        f"resume it with --plan other, or {FRESH}"
    )
    prev = PreviousRun.from_data(document(), "r.json")
    assert refusal(lambda: plan_resume(PLAN, "sha256:0", prev)) == (
        "--resume: plan 'main' changed since run run-7: its phases, workflows or expectations "
        "differ, and that run's file does not say which, so what passed then proves nothing "
        f"now; {FRESH}"
    )
    passed = document(
        workflows=[
            {"label": label, "phase": phase, "outcome": "passed"}
            for label, phase in (("W1", "a"), ("Wö2", "a"), ("W3", "b"))
        ]
    )
    prev = PreviousRun.from_data(passed, "r.json")
    assert refusal(lambda: plan_resume(PLAN, PRINT, prev)) == (
        f"--resume: the previous run run-7 of plan 'main' passed: nothing to resume; {FRESH}"
    )


def test_the_resume_carries_over_with_the_run_s_id_and_start() -> None:
    prev = PreviousRun.from_data(document(), "r.json")
    resume = plan_resume(PLAN, PRINT, prev)
    assert resume.previous is prev
    assert (resume.first_phase, resume.to_run) == ("a", frozenset({"Wö2", "W3"}))
    (carried,) = resume.carried
    assert carried.label == "W1" and carried.job_id == "j1"
    assert carried.carried_over_from == CarriedOver(
        "run-7", datetime(2026, 11, 28, 5, 0, 0, 250_000, tzinfo=UTC)
    )


def test_a_pass_in_another_phase_proves_nothing() -> None:
    # W1 passed, but in phase b then: the plan has it in phase a now, so it runs again
    data = document(
        workflows=[
            {"label": "W1", "phase": "b", "outcome": "passed"},
            {"label": "Wö2", "phase": "a", "outcome": "passed"},
            {"label": "W3", "phase": "b", "outcome": "passed"},
        ]
    )
    resume = plan_resume(PLAN, PRINT, PreviousRun.from_data(data, "r.json"))
    assert resume.to_run == frozenset({"W1", "W3"})
    assert [r.label for r in resume.carried] == ["Wö2"]
