"""junit.xml is rewritten from the file pytest wrote, nothing else: names, times, properties,
prefix, secrets, reruns, synthesized skips, and the schema Jenkins reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from _pytest.junitxml import LogXML

from aperture_verify.execution.results import Outcome, WorkflowResult
from aperture_verify.plugin.reports import _reports_of
from aperture_verify.reporting.junit import case_names, finish_file, pytest_case_names, schema_path
from report_support import failed_w3, ran


def written(tmp_path: Path, nodeids: list[str], prefix: str | None = None) -> Path:
    """junit.xml as pytest writes it for passing tests *nodeids*."""
    path = tmp_path / "junit.xml"
    xml = LogXML(str(path), prefix, family="xunit2")
    xml.pytest_sessionstart()
    xml.add_global_property("build_token", "s3cr3t-value")
    for nodeid in nodeids:
        for when in ("setup", "call", "teardown"):
            xml.pytest_runtest_logreport(
                pytest.TestReport(nodeid, ("m.py", 1, nodeid), {}, "passed", None, when)
            )
    xml.pytest_sessionfinish()
    return path


@pytest.mark.parametrize("prefix", [None, "ci"])
def test_cases_are_found_by_the_names_pytest_gave_them(tmp_path: Path, prefix: str | None) -> None:
    nodeids = [
        "test_phases/test_load.py::test_workflow[Ünïcode · W1]",
        "test_phases/test_load.py::test_workflow[a::b [x]]",
        "test_phases/test_load.py::TestChecks::test_rows",
    ]
    path = written(tmp_path, nodeids, prefix)
    names = {n: ("nightly.load", f"case {i}") for i, n in enumerate(nodeids)}
    finish_file(path, "nightly", names, {}, prefix=prefix)
    cases = [(c.get("classname"), c.get("name")) for c in ET.parse(path).iter("testcase")]
    assert cases == [
        ("nightly.load", "case 0"),
        ("nightly.load", "case 1"),
        ("nightly.load", "case 2"),
    ]


def test_pytest_case_names_follow_the_documented_format() -> None:
    assert pytest_case_names("a/b/test_x.py::TestY::test_z[p::q]") == (
        "a.b.test_x.TestY",
        "test_z[p::q]",
    )
    assert pytest_case_names("test_x.py::test_z", "ci") == ("ci.test_x", "test_z")


def test_secrets_are_masked_in_the_whole_file(tmp_path: Path) -> None:
    path = written(tmp_path, ["t.py::test_a"])
    finish_file(path, "nightly", {}, {}, secrets=["s3cr3t-value"])
    text = path.read_text(encoding="utf-8")
    assert "s3cr3t-value" not in text and "build_token" in text


def test_a_file_pytest_did_not_finish_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("<testsuites><testsuite", encoding="utf-8")
    finish_file(path, "nightly", {}, {})
    assert path.read_text(encoding="utf-8") == "<testsuites><testsuite"


# -- JUnit ---------------------------------------------------------------------------


def make_xml(tmp_path: Path) -> LogXML:
    return LogXML(str(tmp_path / "junit.xml"), None, family="xunit2", logging="system-out")


def feed(xml: LogXML, reports: list[pytest.TestReport]) -> None:
    xml.pytest_sessionstart()
    for report in reports:
        xml.pytest_runtest_logreport(report)


def finish(
    xml: LogXML,
    tmp_path: Path,
    nodeid: str,
    result: WorkflowResult | None,
    secrets: tuple[str, ...] = (),
) -> ET.Element:
    """pytest writes junit.xml, then ``finish_file`` rewrites it, as at the end of a run."""
    xml.pytest_sessionfinish()
    names, workflows = {}, {}
    if result is not None:
        names[nodeid] = case_names("nightly", result.phase, result.label)
        workflows[names[nodeid]] = result
    finish_file(tmp_path / "junit.xml", "nightly", names, workflows, secrets)
    return ET.parse(tmp_path / "junit.xml").getroot()


def report(
    nodeid: str, when: str, outcome: str, longrepr: object = None, duration: float = 0.01
) -> pytest.TestReport:
    return pytest.TestReport(
        nodeid,
        ("m.py", 1, nodeid),
        {},
        outcome,  # type: ignore[arg-type]
        longrepr,  # type: ignore[arg-type]
        when,  # type: ignore[arg-type]
        duration=duration,
    )


def one_test(nodeid: str, outcome: str, longrepr: object = None) -> list[pytest.TestReport]:
    """A test's three reports: setup and teardown passed, the call *outcome*."""
    return [
        report(nodeid, "setup", "passed"),
        report(nodeid, "call", outcome, longrepr),
        report(nodeid, "teardown", "passed"),
    ]


def test_finish_file_names_times_and_enriches_workflow_cases(tmp_path: Path) -> None:
    xml = make_xml(tmp_path)
    w3 = failed_w3()
    nodeid = "test_phases/test_cleanse.py::test_workflow[W3]"
    feed(xml, one_test(nodeid, "failed", "execution failure: W3"))
    root = finish(xml, tmp_path, nodeid, w3)
    (suite,) = root
    assert suite.get("name") == "nightly"
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name"), case.get("time")) == (
        "nightly.cleanse",
        "W3",
        "1.000",
    )
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props == {
        "phase": "cleanse",
        "job_id": "job-W3",
        "state": "FAILED",
        "duration_seconds": "1.000",
        "job_url": "https://ads.example.com/#/jobs/job-W3",
        "failure_kind": "execution",
    }
    out = case.findtext("system-out") or ""
    assert "QUEUED" in out and "server error: Step 'Lookup' failed" in out
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    xmlschema.XMLSchema11(str(schema_path())).validate(str(tmp_path / "junit.xml"))


def test_a_rerun_is_one_case(tmp_path: Path) -> None:
    xml = make_xml(tmp_path)
    w1 = ran("W1", "load", 0, 1)
    nodeid = "test_phases/test_load.py::test_workflow[W1]"
    rerun = report(nodeid, "call", "failed", "first attempt")
    rerun.outcome = "rerun"  # type: ignore[assignment]  # as pytest-rerunfailures reports it
    feed(
        xml,
        [
            report(nodeid, "setup", "passed"),
            rerun,
            report(nodeid, "teardown", "passed"),
            *one_test(nodeid, "passed"),
        ],
    )
    (suite,) = finish(xml, tmp_path, nodeid, w1)
    assert len(suite.findall("testcase")) == 1
    assert suite.get("tests") == "1" and suite.get("failures") == "0"


def test_a_synthesized_skip_is_a_case_with_its_reason(tmp_path: Path) -> None:
    xml = make_xml(tmp_path)
    skipped = WorkflowResult(
        "W5",
        "publish",
        outcome=Outcome.SKIPPED,
        message="not run: the run stopped early (stopping after 1 failures)",
    )
    nodeid = "test_phases/test_publish.py::test_workflow[W5]"
    feed(xml, _reports_of(nodeid, skipped))
    (suite,) = finish(xml, tmp_path, nodeid, skipped)
    (case,) = suite.findall("testcase")
    assert case.get("name") == "W5" and suite.get("skipped") == "1"
    element = case.find("skipped")
    assert element is not None
    assert element.get("message") == skipped.message


@pytest.mark.parametrize(
    ("message", "job_id", "state", "expected"),
    [
        (  # the controller cancelled its job (after SIGTERM)
            "not finished: the run was interrupted while it ran; job job-W2 was cancelled",
            "job-W2",
            "CANCELLED",
            "not finished: the run was interrupted while it ran; job job-W2 was cancelled",
        ),
        (  # the job ended on its own before the cancel reached it
            "not finished: the run was interrupted while it ran",
            "job-W2",
            "COMPLETED",
            "not finished: the run was interrupted while it ran; job job-W2 ended COMPLETED",
        ),
        (  # the cancel did not reach the server (an outage)
            "not finished: the run was interrupted while it ran",
            "job-W2",
            "RUNNING",
            "not finished: the run was interrupted while it ran; job job-W2 was still RUNNING"
            " when the run ended",
        ),
        (  # no job known: the test had begun, its job had not been submitted
            "not finished: the run was interrupted while it ran",
            None,
            None,
            "not finished: the run was interrupted while it ran; no job of it was recorded",
        ),
    ],
)
def test_an_interrupted_workflow_is_one_error_saying_what_became_of_its_job(
    tmp_path: Path, message: str, job_id: str | None, state: str | None, expected: str
) -> None:
    xml = make_xml(tmp_path)
    interrupted = WorkflowResult(
        "W2", "cleanse", outcome=Outcome.INTERRUPTED, message=message, job_id=job_id, state=state
    )
    nodeid = "test_phases/test_cleanse.py::test_workflow[W2]"
    # Under xdist the worker's passed set-up arrives, then the worker is stopped; LogXML
    # keys a case by node id and worker, so the controller's reports open a second one.
    from_worker = report(nodeid, "setup", "passed")
    from_worker.node = "gw0"  # type: ignore[attr-defined]  # as xdist marks a worker's report
    feed(xml, [from_worker, *_reports_of(nodeid, interrupted)])
    (suite,) = finish(xml, tmp_path, nodeid, interrupted)
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == ("nightly.cleanse", "W2")
    assert [c.tag for c in case if c.tag in ("skipped", "failure", "error")] == ["error"]
    error = case.find("error")
    assert error is not None
    assert (error.get("type"), error.get("message"), error.text) == (
        "interrupted",
        expected,
        expected,
    )
    counts = [suite.get(k) for k in ("tests", "failures", "errors", "skipped")]
    assert counts == ["1", "0", "1", "0"]
    xmlschema.XMLSchema11(str(schema_path())).validate(str(tmp_path / "junit.xml"))


def test_known_secrets_are_masked_in_junit(tmp_path: Path) -> None:
    xml = make_xml(tmp_path)
    nodeid = "t.py::test_other"
    feed(xml, one_test(nodeid, "failed", "sent key s3cr3t-key-value"))
    (suite,) = finish(xml, tmp_path, nodeid, None, secrets=("s3cr3t-key-value",))
    assert "s3cr3t-key-value" not in (tmp_path / "junit.xml").read_text()
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == (
        "t",
        "test_other",
    )  # left as pytest named it


def test_the_schema_rejects_what_jenkins_would_not_read(tmp_path: Path) -> None:
    schema = xmlschema.XMLSchema11(str(schema_path()))
    good = (
        '<testsuites><testsuite name="p" tests="1" failures="0" errors="0">'
        '<testcase classname="p.a" name="W1" time="1.000"><properties>'
        '<property name="phase" value="a"/></properties></testcase></testsuite></testsuites>'
    )
    assert schema.is_valid(good)
    assert not schema.is_valid(good.replace(' name="p"', ""))  # a suite needs its name
    assert not schema.is_valid(good.replace("<properties>", "<properties><x/>"))


def test_a_carried_over_phase_check_is_a_passed_case_with_its_origin(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from aperture_verify.execution.results import CarriedOver, PhaseCheck
    from aperture_verify.reporting.carried import carried_reports
    from aperture_verify.reporting.junit import check_case_names

    xml = make_xml(tmp_path)
    origin = CarriedOver("run-7", datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    check = PhaseCheck("load", "test_rows_agree", "passed", origin)
    nodeid = "carried-over/load::test_rows_agree"
    feed(xml, carried_reports(nodeid, None, "load"))
    xml.pytest_sessionfinish()
    name = check_case_names("nightly", "load", nodeid)
    assert name == ("nightly.load", "test_rows_agree")
    finish_file(tmp_path / "junit.xml", "nightly", {nodeid: name}, {}, checks={name: check})
    (suite,) = ET.parse(tmp_path / "junit.xml").getroot()
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == name
    assert [c.tag for c in case if c.tag in ("failure", "error", "skipped")] == []
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [
        ("phase", "load"),
        ("carried_over_from", "run-7 (started 2026-12-01T02:00:00.000Z)"),
    ]
    assert "carried over from run run-7 (started 2026-12-01T02:00:00.000Z): passed there" in (
        case.findtext("system-out") or ""
    )
    xmlschema.XMLSchema11(str(schema_path())).validate(str(tmp_path / "junit.xml"))


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["passed", "passed", "passed"], "passed"),
        (["passed", "failed", "passed"], "failed"),
        (["skipped", "passed"], "skipped"),
        (["passed", "skipped", "failed"], "failed"),
        (["passed", "passed", "failed"], "failed"),  # a teardown error fails it too
    ],
)
def test_a_phase_check_ends_as_the_worst_of_its_reports(outcomes: list[str], expected: str) -> None:
    from aperture_verify.execution.results import PhaseCheck
    from aperture_verify.reporting.carried import note_phase_check

    checks: dict[str, PhaseCheck] = {}
    for outcome in outcomes:
        note_phase_check(checks, "test_phases/test_load.py::TestX::test_y", "load", outcome)
    assert checks == {
        "test_phases/test_load.py::TestX::test_y": PhaseCheck("load", "TestX::test_y", expected)
    }
