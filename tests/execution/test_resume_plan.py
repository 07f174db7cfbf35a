"""What a resumed run carries over and what it runs, from a previous run's results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.execution.resume import PreviousRun, plan_resume
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.fingerprint import plan_fingerprint

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
