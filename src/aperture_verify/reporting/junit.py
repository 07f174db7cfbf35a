"""junit.xml as Jenkins reads it: one case per workflow, named by plan, phase and label.

pytest's own ``LogXML`` writes the file on the controller. This module steers
it from the controller side, because ``record_xml_attribute`` and suite
properties recorded on xdist workers are dropped:

* ``name_case`` gives a workflow test's case ``classname = "<plan>.<phase>"``
  and ``name = "<label>"`` before LogXML closes the case, so Jenkins shows the
  tree plan → phase → workflow with names that are stable from run to run;
* ``finish_suite``, just before LogXML writes the file, names the suite after
  the plan, merges the cases of one test that reruns or a teardown error split
  in two, sets a workflow case's time to the job's duration, makes sure its
  properties and ``<system-out>`` (state transitions, server error) are there,
  recounts the suite and masks any known secret value.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.common.secrets import redact
from aperture_verify.execution.results import WorkflowResult

#: The schema the tests validate junit.xml against (see the file's header).
SCHEMA_FILE = "junit-jenkins.xsd"

#: Properties of a workflow case, in the order they are written.
PROPERTY_NAMES = ("phase", "job_id", "state", "duration_seconds", "job_url", "failure_kind")


def schema_path() -> Path:
    """Path of the checked-in JUnit schema (package data)."""
    return Path(str(resources.files(__package__).joinpath(SCHEMA_FILE)))


def case_names(plan: str, phase: str, label: str) -> tuple[str, str]:
    """(classname, name) of a workflow's case.

    Jenkins splits ``classname`` at its last dot into package and class, so a
    dot inside the phase name would move it into the package: dots become ``_``.
    """
    return f"{plan}.{phase.replace('.', '_')}", label


def log_xml(config: pytest.Config) -> Any | None:
    """The controller's ``LogXML`` (None without ``--junitxml``)."""
    from _pytest.junitxml import xml_key

    return config.stash.get(xml_key, None)


def name_case(xml: Any, report: pytest.TestReport, classname: str, name: str) -> None:
    """Name the case of *report* before LogXML closes it (it keeps user-set attributes)."""
    reporter = xml.node_reporter(report)
    reporter.add_attribute("classname", classname)
    reporter.add_attribute("name", name)


def workflow_properties(result: WorkflowResult) -> list[tuple[str, str]]:
    """The testcase properties of *result* (Jenkins keeps them with ``keepProperties``)."""
    values: dict[str, str | None] = {
        "phase": result.phase,
        "job_id": result.job_id,
        "state": result.state,
        "duration_seconds": f"{result.duration:.3f}" if result.duration is not None else None,
        "job_url": result.job_url,
        "failure_kind": result.failure_kind.value if result.failure_kind else None,
    }
    return [(k, v) for k in PROPERTY_NAMES if (v := values[k]) is not None]


class _Frozen:
    """Stands in for a closed ``_NodeReporter``: LogXML only calls ``to_xml``."""

    def __init__(self, element: ET.Element) -> None:
        self.element = element

    def to_xml(self) -> ET.Element:
        return self.element


def finish_suite(
    xml: Any,
    suite_name: str,
    workflows: Mapping[tuple[str, str], WorkflowResult],
    secrets: Iterable[str] = (),
) -> None:
    """Fix up LogXML's cases just before it writes the file (see the module docstring).

    *workflows* maps a workflow case's (classname, name) to its result.
    """
    xml.suite_name = suite_name
    cases: dict[tuple[str, str], ET.Element] = {}
    for reporter in xml.node_reporters_ordered:
        if "id" in vars(reporter):  # still open: the run stopped inside this test
            reporter.finalize()
        element = reporter.to_xml()
        key = (element.get("classname", ""), element.get("name", ""))
        if key in cases:
            merge_cases(cases[key], element)
        else:
            cases[key] = element
    secret_values = [s for s in secrets if s]
    for key, element in cases.items():
        _drop_empty_output(element)
        result = workflows.get(key)
        if result is not None:
            enrich_case(element, result)
        if secret_values:
            _scrub_element(element, secret_values)
    xml.node_reporters_ordered[:] = [_Frozen(e) for e in cases.values()]
    xml.stats.update(count_cases(cases.values()))
    xml.cnt_double_fail_tests = 0


def merge_cases(kept: ET.Element, later: ET.Element) -> None:
    """Fold *later* (another report of the same test) into *kept*, in place.

    A rerun's earlier attempt leaves an empty case; a failed call followed by
    a teardown error leaves two. Jenkins must see one case: verdict children
    from both, properties once, the later time.
    """
    props = _properties(kept)
    seen = {(p.get("name"), p.get("value")) for p in props}
    for child in later:
        if child.tag == "properties":
            for prop in child:
                if (prop.get("name"), prop.get("value")) not in seen:
                    props.append(prop)
                    seen.add((prop.get("name"), prop.get("value")))
        else:
            kept.append(child)
    if len(props) == 0:
        kept.remove(props)
    kept.set("time", later.get("time", kept.get("time", "0.000")))


def enrich_case(element: ET.Element, result: WorkflowResult) -> None:
    """Time, properties and ``<system-out>`` of a workflow case from its result."""
    if result.duration is not None:
        element.set("time", f"{result.duration:.3f}")
    props = _properties(element)
    present = {p.get("name") for p in props}
    for name, value in workflow_properties(result):
        if name not in present:
            props.append(ET.Element("property", name=name, value=value))
    if len(props) == 0:
        element.remove(props)
    text = result.transitions_text()
    if result.message and result.outcome.value != "passed":
        text = f"{result.outcome.value}: {result.message}\n{text}".rstrip()
    if not text:
        return
    outs = [c for c in element if c.tag == "system-out"]
    if any(text in (o.text or "") for o in outs):
        return
    block = f"{' job ':-^80}\n{text}\n"
    if outs:
        outs[0].text = (outs[0].text or "") + block
    else:
        out = ET.SubElement(element, "system-out")
        out.text = block


_EMPTY_OUTPUT = re.compile(r"^\s*-+ Captured (Out|Err|Log) -+\s*$")


def _drop_empty_output(element: ET.Element) -> None:
    """Remove the ``<system-out>`` LogXML writes with nothing but a header in it."""
    for child in list(element):
        if child.tag in ("system-out", "system-err") and _EMPTY_OUTPUT.match(child.text or ""):
            element.remove(child)


def count_cases(cases: Iterable[ET.Element]) -> dict[str, int]:
    """LogXML's suite counters, one verdict per case (failure > error > skipped > passed)."""
    stats = {"passed": 0, "failure": 0, "error": 0, "skipped": 0}
    for case in cases:
        tags = {child.tag for child in case}
        verdict = next((t for t in ("failure", "error", "skipped") if t in tags), "passed")
        stats[verdict] += 1
    return stats


def _properties(element: ET.Element) -> ET.Element:
    """The case's ``<properties>`` child, created as the first child when missing."""
    found = element.find("properties")
    if found is None:
        found = ET.Element("properties")
        element.insert(0, found)
    return found


def _scrub_element(element: ET.Element, secrets: list[str]) -> None:
    for node in element.iter():
        if node.text:
            node.text = redact(node.text, secrets)
        for attr, value in node.attrib.items():
            node.set(attr, redact(value, secrets))
