"""The digest of a finished run: which kinds of run it is, its verdict line and its texts."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from aperture_verify.common.timestamps import local_time, parse_timestamp
from aperture_verify.notify.digest import PastRuns, RunDigest
from aperture_verify.notify.run import expand_report_url


def workflow(label: str, phase: str, outcome: str = "passed", **kw: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "label": label,
        "phase": phase,
        "outcome": outcome,
        "failure_kind": None,
        "message": None,
        "server_error": None,
        "duration": 2.0,
        "warnings": [],
        "carried_over": False,
    }
    entry.update(kw)
    return entry


def results(*workflows: dict[str, Any], exit_status: int = 0, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "run_id": "37cb6eefc86d4da18d9fa1e2f6346421",
        "plan": {"name": "nightly"},
        "server": {"url": "https://ads.example.com:7701"},
        "started_at": "2026-12-07T04:09:57.000Z",
        "finished_at": "2026-12-07T04:10:19.125Z",
        "duration": 22.125,
        "exit_status": exit_status,
        "verdict": "failed" if exit_status else "passed",
        "login_error": None,
        "ci": None,
        "resumed_from": None,
        "workflows": list(workflows),
    }
    doc.update(kw)
    return doc


FAILED_NIGHT = results(
    workflow("Workflow 1", "ingest"),
    workflow(
        "Workflow 5",
        "enrich",
        "failed",
        failure_kind="execution",
        message="execution failure: Workflow 5: state = FAILED, expected COMPLETED "
        "(server: table PRODUCTS is locked)",
        server_error="table PRODUCTS is locked",
    ),
    workflow(
        "Größe ✓",
        "enrich",
        "failed",
        failure_kind="readiness",
        message="readiness failure: Größe ✓: no published version",
    ),
    workflow("Workflow 7", "publish", "skipped", message="not run: Workflow 5 failed"),
    exit_status=11,
)


@pytest.fixture
def paris() -> Iterator[None]:
    """The machine's zone is Europe/Paris for the test (CET in December)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Paris"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_failed_night_is_a_failure_and_nothing_else() -> None:
    digest = RunDigest.from_results(FAILED_NIGHT)
    assert digest.events == {"failure", "always"}
    assert digest.notify_type == "failure"


@pytest.mark.parametrize(
    ("previous", "warned", "events"),
    [
        (None, False, {"success", "always"}),  # no history: not a recovery
        (0, False, {"success", "always"}),
        (12, False, {"success", "recovery", "always"}),
        (12, True, {"success", "recovery", "warning", "always"}),
        (0, True, {"success", "warning", "always"}),
    ],
)
def test_a_passing_run_is_a_recovery_only_after_one_that_did_not_pass(
    previous: int | None, warned: bool, events: set[str]
) -> None:
    warnings = [{"message": "Workflow 1: duration 9.0s is unusual (usually 2.0s-2.4s)"}]
    doc = results(workflow("Workflow 1", "ingest", warnings=warnings if warned else []))
    digest = RunDigest.from_results(doc, past=PastRuns(previous_exit_status=previous))
    assert digest.events == events


def test_the_verdict_line_names_the_kind_the_first_failure_and_the_report() -> None:
    digest = RunDigest.from_results(FAILED_NIGHT, report_path="reports/report.html")
    assert digest.verdict_line() == (
        "aperture: nightly FAILED (exit 11, readiness failure): Workflow 5: state = FAILED, "
        "expected COMPLETED (server: table PRODUCTS is locked) (and 1 more); "
        "report: reports/report.html"
    )


def test_a_login_failure_is_the_reason_whatever_the_workflows_say() -> None:
    doc = results(
        workflow("Workflow 1", "ingest", "failed", failure_kind="login", message="not run: 401"),
        exit_status=10,
        login_error="GET https://ads.example.com/api/v1/workflows -> 401 Unauthorized",
    )
    digest = RunDigest.from_results(doc)
    assert digest.verdict_line() == (
        "aperture: nightly FAILED (exit 10, login failure): login failed: "
        "GET https://ads.example.com/api/v1/workflows -> 401 Unauthorized"
    )


def test_a_passing_run_after_a_failing_one_says_so_with_its_warnings() -> None:
    warning = {"message": "Workflow 1: rowsOut of step 'Load' is 10, usually 4800-5200"}
    doc = results(workflow("Workflow 1", "ingest", warnings=[warning, warning]))
    digest = RunDigest.from_results(
        doc, past=PastRuns(previous_exit_status=12), report_url="https://ci/job/7/report.html"
    )
    assert digest.verdict_line() == (
        "aperture: nightly PASSED again with 2 warnings: Workflow 1: rowsOut of step 'Load' "
        "is 10, usually 4800-5200; report: https://ci/job/7/report.html"
    )


def test_the_usual_duration_is_the_median_of_the_last_passing_runs() -> None:
    def row(i: int, seconds: float, status: int) -> tuple[str, str, str, int]:
        start = f"2026-12-0{i}T04:00:00.000Z"
        end = f"2026-12-0{i}T04:00:{seconds:06.3f}Z"
        return (f"r{i}", start, end, status)

    # Passing runs of 20, 22, 30 and 21 s; the failed one (5 s) does not count.
    rows = [row(1, 20, 0), row(2, 5, 12), row(3, 22, 0), row(4, 30, 0), row(5, 21, 0)]
    past = PastRuns.from_rows(rows)
    assert past.usual_duration == 21.5
    assert past.previous_exit_status == 0
    assert PastRuns.from_rows(rows[:3]).usual_duration is None  # 2 passing runs: too few
    assert PastRuns.from_rows(rows[:2]).previous_exit_status == 12


def test_times_are_local_with_their_zone_and_the_duration_against_the_usual(paris: None) -> None:
    digest = RunDigest.from_results(FAILED_NIGHT, past=PastRuns(0, 21.5))
    assert digest.when() == "2026-12-07 05:09:57 CET → 05:10:19 CET (22.1s; usually 21.5s)"
    utc = RunDigest.from_results(FAILED_NIGHT, utc=True)
    assert utc.when() == "2026-12-07 04:09:57 UTC → 04:10:19 UTC (22.1s)"


def test_local_time_names_the_zone(paris: None) -> None:
    summer = parse_timestamp("2026-07-01T22:30:00.250Z")
    assert local_time(summer) == "2026-07-02 00:30:00 CEST"
    assert local_time(summer, date=False, millis=True) == "00:30:00.250 CEST"
    assert local_time(summer, utc=True) == "2026-07-01 22:30:00 UTC"


def test_the_short_text_lists_each_failure_with_its_phase_and_kind(paris: None) -> None:
    digest = RunDigest.from_results(FAILED_NIGHT, report_url="https://ci/7/report.html")
    assert digest.short_text().splitlines() == [
        "Workflow 5 (phase enrich): execution failure: state = FAILED, expected COMPLETED "
        "(server: table PRODUCTS is locked)",
        "Größe ✓ (phase enrich): readiness failure: no published version",
        "1 passed, 2 failed, 1 skipped · 2026-12-07 05:09:57 CET → 05:10:19 CET (22.1s)",
        "Report: https://ci/7/report.html",
        "Run 37cb6eefc86d4da18d9fa1e2f6346421",
    ]


def test_the_full_text_has_every_workflow_what_was_not_run_and_carried_over() -> None:
    doc = results(
        workflow("Workflow 1", "ingest", carried_over=True),
        workflow("Workflow 5", "enrich", "failed", failure_kind="execution",
                 message="execution failure: Workflow 5: timed out after 1m",
                 server_error="still RUNNING"),
        workflow("Workflow 7", "publish", "skipped", message="not run: Workflow 5 failed"),
        exit_status=12,
        resumed_from={"run_id": "aaaa1111", "started_at": "2026-12-06T04:00:00.000Z"},
    )  # fmt: skip
    text = RunDigest.from_results(doc, report_path="/srv/reports/report.html").full_text()
    assert "Why: Workflow 5: timed out after 1m" in text
    assert "- Workflow 5 (phase enrich): execution failure: timed out after 1m\n" in text
    assert "  server: still RUNNING" in text
    assert "Not run:\n- Workflow 7: Workflow 5 failed" in text
    assert "Carried over from run aaaa1111 (passed there):\n- Workflow 1" in text
    assert "- ingest / Workflow 1: carried over in 2s" in text
    assert "Report file: /srv/reports/report.html (attached)" in text
    assert text.startswith("aperture: nightly FAILED (exit 12, execution failure)\n")


def test_a_long_list_of_failures_is_cut_in_the_short_text_only() -> None:
    many = [
        workflow(f"W{i}", "p", "failed", failure_kind="execution", message="boom") for i in range(8)
    ]
    digest = RunDigest.from_results(results(*many, exit_status=12))
    short = digest.short_text().splitlines()
    assert short[5] == "… and 3 more failed"
    assert sum(line.startswith("W") for line in short) == 5
    full = digest.full_text().splitlines()
    assert sum(line.startswith("- W") for line in full) == 8  # "Failed:", each one
    assert sum(line.startswith("- p / W") for line in full) == 8  # "Every workflow:"


def test_report_url_variables_are_expanded_and_an_unset_one_drops_the_link() -> None:
    env = {"BUILD_URL": "https://jenkins.example.com/job/nightly/42/"}
    assert expand_report_url("${BUILD_URL}artifact/reports/report.html", env) == (
        "https://jenkins.example.com/job/nightly/42/artifact/reports/report.html",
        [],
    )
    assert expand_report_url("$JOB_URL/x/${BUILD_NUMBER}", env) == (
        None,
        ["JOB_URL", "BUILD_NUMBER"],
    )
