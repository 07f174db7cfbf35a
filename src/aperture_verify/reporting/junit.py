"""junit.xml as Jenkins reads it: one case per workflow, named by plan, phase and label.

pytest's own ``LogXML`` writes the file on the controller; ``finish_file``
then rewrites it, reading and writing nothing but the XML:

* a workflow test's case gets ``classname = "<plan>.<phase>"`` and
  ``name = "<label>"`` (a phase module's own checks go under their phase too),
  so Jenkins shows the tree plan → phase → workflow with names that are stable
  from run to run;
* the suite is named after the plan; the cases of one test that a rerun or a
  teardown error split in two become one; a workflow case's time is the job's
  duration and its properties and ``<system-out>`` (state transitions, server
  error) are there; the suite's counts are recounted; known secret values are
  masked;
* a phase check carried over by ``--resume`` (its phase was) gets the phase and
  ``carried_over_from`` properties of a carried-over workflow, and the same
  ``<system-out>`` line.

The cases are found by the names LogXML gives them, which pytest documents as
its output format: ``classname`` is the test's module path with dots (after
``--junit-prefix``), ``name`` the rest of the node id.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

from aperture_verify.common.files import write_atomic
from aperture_verify.common.redaction import redact
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.execution.results import CarriedOver, PhaseCheck, WorkflowResult

#: The schema the tests validate junit.xml against (see the file's header).
SCHEMA_FILE = "junit-jenkins.xsd"

#: Properties of a workflow case, in the order they are written.
PROPERTY_NAMES = (
    "phase", "job_id", "state", "duration_seconds", "job_url", "failure_kind",
    "carried_over_from", "job_submitted_at", "job_started_at", "job_finished_at",
)  # fmt: skip

CaseName = tuple[str, str]  # (classname, name)


def schema_path() -> Path:
    """Path of the checked-in JUnit schema (package data)."""
    return Path(str(resources.files(__package__).joinpath(SCHEMA_FILE)))


def case_names(plan: str, phase: str, label: str) -> CaseName:
    """(classname, name) of a workflow's case.

    Jenkins splits ``classname`` at its last dot into package and class, so a
    dot inside the phase name would move it into the package: dots become ``_``.
    """
    return f"{plan}.{phase.replace('.', '_')}", label


def check_case_names(plan: str, phase: str, nodeid: str) -> CaseName:
    """(classname, name) of a phase module's own test: under its phase, named by
    the test's name in the module (``test_x``, ``TestY::test_z``)."""
    return case_names(plan, phase, "")[0], nodeid.split("::", 1)[-1]


def pytest_case_names(nodeid: str, prefix: str | None = None) -> CaseName:
    """The (classname, name) pytest's junit.xml gives the test *nodeid*."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    classnames = names[:-1]
    if prefix:
        classnames.insert(0, prefix)
    return ".".join(classnames), names[-1]


def xml_path(xmlpath: str) -> Path:
    """Where ``--junitxml=<xmlpath>`` writes, resolved as pytest does (in the
    current directory, at configuration time)."""
    return Path(os.path.abspath(os.path.expanduser(os.path.expandvars(xmlpath))))


def workflow_properties(result: WorkflowResult) -> list[tuple[str, str]]:
    """The testcase properties of *result* (Jenkins keeps them with ``keepProperties``)."""
    values: dict[str, str | None] = {
        "phase": result.phase,
        "job_id": result.job_id,
        "state": result.state,
        "duration_seconds": f"{result.duration:.3f}" if result.duration is not None else None,
        "job_url": result.job_url,
        "failure_kind": result.failure_kind.value if result.failure_kind else None,
        "carried_over_from": None,
    }
    origin = result.carried_over_from
    if origin is not None:  # the run it passed in, and its job's own times (server clock)
        values["carried_over_from"] = _origin_text(origin)
        values["job_submitted_at"] = format_timestamp(result.submitted_at)
        values["job_started_at"] = format_timestamp(result.started_at)
        values["job_finished_at"] = format_timestamp(result.finished_at)
    return [(k, v) for k in PROPERTY_NAMES if (v := values.get(k)) is not None]


def _origin_text(origin: CarriedOver) -> str:
    return f"{origin.run_id} (started {format_timestamp(origin.started_at)})"


def check_properties(check: PhaseCheck) -> list[tuple[str, str]]:
    """The testcase properties of a phase check: its phase, and where it ran when
    carried over (the properties a carried-over workflow has, without a job)."""
    found = [("phase", check.phase)]
    if check.carried_over_from is not None:
        found.append(("carried_over_from", _origin_text(check.carried_over_from)))
    return found


def finish_file(
    path: Path,
    suite_name: str,
    names: Mapping[str, CaseName],
    workflows: Mapping[CaseName, WorkflowResult],
    secrets: Iterable[str] = (),
    prefix: str | None = None,
    checks: Mapping[CaseName, PhaseCheck] | None = None,
) -> None:
    """Rewrite the junit.xml LogXML wrote at *path* (see the module docstring).

    *names* maps a test's node id to the case name it gets; *workflows* maps a
    workflow case's (classname, name) to its result; *prefix* is
    ``--junit-prefix``; *checks* maps a carried-over phase check's case to it.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:  # pytest did not finish writing it: nothing to rewrite
        return
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        return
    renames = {pytest_case_names(nodeid, prefix): name for nodeid, name in names.items()}
    cases: dict[CaseName, ET.Element] = {}
    for element in suite.findall("testcase"):
        suite.remove(element)
        key = (element.get("classname", ""), element.get("name", ""))
        key = renames.get(key, key)
        element.set("classname", key[0])
        element.set("name", key[1])
        if key in cases:
            merge_cases(cases[key], element)
        else:
            cases[key] = element
    for key, element in cases.items():
        _drop_empty_output(element)
        _drop_skip_location(element)
        result = workflows.get(key)
        if result is not None:
            enrich_case(element, result)
        check = (checks or {}).get(key)
        if check is not None:
            enrich_check_case(element, check)
        suite.append(element)
    secret_values = [s for s in secrets if s]
    if secret_values:  # the whole file: suite properties too
        _redact_element(root, secret_values)
    counts = count_cases(cases.values())
    suite.set("name", suite_name)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    text = ET.tostring(root, encoding="unicode")
    write_atomic(path, '<?xml version="1.0" encoding="utf-8"?>' + text)


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
    warned = {p.get("value") for p in props if p.get("name") == "warning"}
    for warning in result.warnings:  # one property each; the case still passes
        if warning.message not in warned:
            props.append(ET.Element("property", name="warning", value=warning.message))
    if len(props) == 0:
        element.remove(props)
    text = result.transitions_text()
    origin = result.carried_over_from
    if origin is not None:
        text = f"{_carried_text(origin)}\n{text}"
    if result.message and result.outcome.value != "passed":
        text = f"{result.outcome.value}: {result.message}\n{text}".rstrip()
    if result.warnings:
        text = "\n".join(f"WARNING: {w.message}" for w in result.warnings) + "\n" + text
    _add_output(element, text)


def enrich_check_case(element: ET.Element, check: PhaseCheck) -> None:
    """Properties and ``<system-out>`` of a carried-over phase check's case."""
    props = _properties(element)
    present = {p.get("name") for p in props}
    for name, value in check_properties(check):
        if name not in present:
            props.append(ET.Element("property", name=name, value=value))
    if check.carried_over_from is not None:
        _add_output(element, _carried_text(check.carried_over_from))


def _carried_text(origin: CarriedOver) -> str:
    started = format_timestamp(origin.started_at)
    return f"carried over from run {origin.run_id} (started {started}): passed there, not run again"


def _add_output(element: ET.Element, text: str) -> None:
    """*text* in the case's ``<system-out>``, under a ``job`` rule, once."""
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


_SKIP_LOCATION = re.compile(r"^\S+\.py:\d+: ")


def _drop_skip_location(element: ET.Element) -> None:
    """``<skipped>`` text without the ``.../worker.py:170:`` LogXML puts first: the
    place in the suite's source where the skip was raised means nothing to a reader."""
    for child in element.iter("skipped"):
        if child.text:
            child.text = _SKIP_LOCATION.sub("", child.text, count=1)


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


def _redact_element(element: ET.Element, secrets: list[str]) -> None:
    for node in element.iter():
        if node.text:
            node.text = redact(node.text, secrets)
        for attr, value in node.attrib.items():
            node.set(attr, redact(value, secrets))
