"""junit.xml is rewritten from the file pytest wrote, nothing else: names, prefix, secrets."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from _pytest.junitxml import LogXML

from aperture_verify.reporting.junit import finish_file, pytest_case_names


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
