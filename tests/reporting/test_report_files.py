"""End to end: a real run against the emulator writes report.html, junit.xml and results.json.

Each test runs a small plan in a subprocess (with and without xdist) and reads
the three files the controller wrote under ``reports/``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from aperture_verify.execution.exitcodes import EXIT_EXECUTION_FAILURE
from aperture_verify.reporting.junit import schema_path
from phase_project import API_KEY, Project, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES: dict[str, Sequence[str]] = {
    "first": ["W1"],
    "second": ["W2", "W3", "W4"],
    "third": ["W5", "W6"],
}
ALL = [w for labels in PHASES.values() for w in labels]


def add_all(project: Project, duration: float = 0.3) -> None:
    for label in ALL:
        project.emulator.add_workflow(workflow(label, duration))


def reports(project: Project) -> Path:
    return project.pytester.path / "reports"


def junit_cases(project: Project) -> list[ET.Element]:
    root = ET.parse(reports(project) / "junit.xml").getroot()
    (suite,) = root.findall("testsuite")
    return suite.findall("testcase")


def workflow_cases(project: Project) -> dict[str, ET.Element]:
    cases = [
        c
        for c in junit_cases(project)
        if c.get("classname", "").startswith("main.") and c.get("name") in ALL
    ]
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names)), f"a workflow appears twice: {names}"
    return {str(c.get("name")): c for c in cases}


def props(case: ET.Element) -> dict[str, str]:
    return {str(p.get("name")): str(p.get("value")) for p in case.iter("property")}


def results(project: Project) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reports(project) / "results.json").read_text())
    return data


def assert_no_secret(project: Project) -> None:
    for name in ("report.html", "junit.xml", "results.json"):
        text = (reports(project) / name).read_text(encoding="utf-8")
        assert API_KEY not in text, f"the API key leaked into {name}"


def assert_schema_valid(project: Project) -> None:
    schema = xmlschema.XMLSchema11(str(schema_path()))
    schema.validate(str(reports(project) / "junit.xml"))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_failed_phase_reports_every_workflow_once(project: Project, workers: str) -> None:
    add_all(project)
    project.emulator.add_workflow(
        workflow("W3", 0.3, outcome="FAILED", error="Step 'Lookup' failed: dataset missing")
    )
    project.write(PHASES)
    result = project.run("-n", workers)
    result.assert_outcomes(passed=3, failed=1, skipped=2)

    cases = workflow_cases(project)
    assert sorted(cases) == sorted(ALL)
    for phase, labels in PHASES.items():
        for label in labels:
            assert cases[label].get("classname") == f"main.{phase}"
            assert props(cases[label])["phase"] == phase
    suite = ET.parse(reports(project) / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "main"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "1", "2")

    w3 = cases["W3"]
    assert w3.find("failure") is not None
    p = props(w3)
    assert p["state"] == "FAILED" and p["failure_kind"] == "execution" and p["job_id"]
    assert float(w3.get("time", "0")) == pytest.approx(float(p["duration_seconds"]), abs=0.001)
    out = w3.findtext("system-out") or ""
    assert "QUEUED" in out and "  FAILED" in out and "dataset missing" in out
    for label in ("W5", "W6"):
        skipped = cases[label].find("skipped")
        assert skipped is not None
        assert "not run: W3 (phase 'second') failed" in (skipped.get("message") or "")
    assert_schema_valid(project)

    data = results(project)
    assert data["version"] == 1
    assert data["plan"]["name"] == "main"
    assert data["server"]["url"] == project.emulator.url and data["server"]["api"] == "v2"
    assert data["exit_status"] == result.ret
    by_label = {w["label"]: w for w in data["workflows"]}
    assert [w["label"] for w in data["workflows"]] == ALL  # plan order
    w3j = by_label["W3"]
    assert (w3j["phase"], w3j["outcome"], w3j["failure_kind"], w3j["state"]) == (
        "second",
        "failed",
        "execution",
        "FAILED",
    )
    assert w3j["server_error"] == "Step 'Lookup' failed: dataset missing"
    assert w3j["job_id"] and w3j["submitted_at"] and w3j["started_at"] and w3j["finished_at"]
    assert w3j["polls"] >= 1 and w3j["max_duration"] == 20.0
    assert {"name": "state", "expected": "COMPLETED", "actual": "FAILED", "ok": False} in w3j[
        "checks"
    ]
    assert by_label["W1"]["steps"][0]["name"] == "Load"
    assert by_label["W5"]["outcome"] == "skipped" and "not run" in by_label["W5"]["message"]
    assert [p["failed"] for p in data["phases"]] == [0, 1, 0]

    html = (reports(project) / "report.html").read_text(encoding="utf-8")
    assert "aperture-timeline" in html and "aperture-summary" in html
    assert_no_secret(project)


def test_workflows_cut_off_by_maxfail_are_reported_skipped(project: Project) -> None:
    add_all(project)
    project.emulator.add_workflow(workflow("W1", 0.2, outcome="FAILED", error="boom"))
    project.write(PHASES, on_failure="continue")
    result = project.run("-n", "2", "-x")
    assert result.ret == EXIT_EXECUTION_FAILURE  # the failure's kind, not "interrupted"
    cases = workflow_cases(project)
    assert sorted(cases) == sorted(ALL), "every workflow once, also those -x cut off"
    for label in ALL[1:]:
        skipped = cases[label].find("skipped")
        assert skipped is not None, f"{label} should be skipped"
        assert "not run: the run stopped early" in (skipped.get("message") or "")
    assert_schema_valid(project)
    data = results(project)
    assert [w["outcome"] for w in data["workflows"]] == ["failed"] + ["skipped"] * 5
    assert data["exit_status"] == EXIT_EXECUTION_FAILURE


def test_a_subset_run_reports_only_what_was_selected(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    result = project.run("-n", "0", "-k", "W1 or W4")
    result.assert_outcomes(passed=2)
    assert sorted(workflow_cases(project)) == ["W1", "W4"]
    assert [w["label"] for w in results(project)["workflows"]] == ["W1", "W4"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_run_where_k_matches_nothing_is_empty_not_passed(project: Project, workers: str) -> None:
    add_all(project)
    project.write(PHASES)
    result = project.run("-n", workers, "-k", "no_such_workflow")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
    assert project.emulator.jobs == []
    data = results(project)
    assert (data["verdict"], data["exit_status"]) == ("empty", 5)
    html = (reports(project) / "report.html").read_text(encoding="utf-8")
    assert '<span class="verdict-empty">EMPTY</span> (exit status 5)' in html
    assert_schema_valid(project)


def test_login_failure_still_writes_all_three(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_all(project)
    project.write(PHASES)
    monkeypatch.setenv("APERTURE_API_KEY", "wrong-key-9d41c")
    project.run("-n", "2")
    data = results(project)
    assert data["login_error"] and "401" in data["login_error"]
    assert data["verdict"] == "failed"
    assert sorted(workflow_cases(project)) == sorted(ALL)
    for name in ("report.html", "junit.xml", "results.json"):
        assert "wrong-key-9d41c" not in (reports(project) / name).read_text()
    assert_schema_valid(project)


def test_job_links_and_ci_build_reach_the_reports(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_all(project)
    monkeypatch.setenv("BUILD_URL", "https://ci.example.com/job/nightly/42/")
    monkeypatch.setenv("BUILD_NUMBER", "42")
    project.write({"first": ["W1"]})
    text = (project.pytester.path / "plans.toml").read_text()
    text = text.replace(
        'space = "Demo"\n',
        'space = "Demo"\njob_url = "https://ads.example.com/#/jobs/{job_id}"\n',
        1,
    )
    (project.pytester.path / "plans.toml").write_text(text)
    result = project.run("-n", "0", "--metadata", "db_password", "hunter2-secret")
    result.assert_outcomes(passed=1)
    case = workflow_cases(project)["W1"]
    job_id = props(case)["job_id"]
    assert props(case)["job_url"] == f"https://ads.example.com/#/jobs/{job_id}"
    data = results(project)
    assert data["ci"]["url"] == "https://ci.example.com/job/nightly/42/"
    assert data["ci"]["number"] == "42"
    html = (reports(project) / "report.html").read_text()
    assert "https://ci.example.com/job/nightly/42/" in html
    assert "hunter2-secret" not in html and "db_password" not in html
    assert_no_secret(project)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_an_interrupted_run_still_writes_all_three(project: Project, workers: str) -> None:
    add_all(project)
    project.write(PHASES)
    # Ctrl-C on the controller (or the only process) as W2's result comes in
    project.pytester.makeconftest(
        """
        controller = []

        def pytest_configure(config):
            if not hasattr(config, "workerinput"):
                controller.append(config)

        def pytest_runtest_logreport(report):
            if controller and report.when == "call" and report.nodeid.endswith("[W2]"):
                raise KeyboardInterrupt
        """
    )
    result = project.run("-n", workers)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    for name in ("report.html", "junit.xml", "results.json"):
        assert (reports(project) / name).stat().st_size > 0
    cases = workflow_cases(project)
    assert sorted(cases) == sorted(ALL)
    for label in ("W5", "W6"):
        skipped = cases[label].find("skipped")
        assert skipped is not None
        assert "interrupted" in (skipped.get("message") or "")
    assert_schema_valid(project)
    data = results(project)
    assert data["exit_status"] == 2
    assert [w["label"] for w in data["workflows"]] == ALL
    assert data["workflows"][0]["outcome"] == "passed"
    assert {w["outcome"] for w in data["workflows"][4:]} == {"skipped"}
    assert_no_secret(project)
