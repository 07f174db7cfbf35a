"""Labels beyond ASCII reach every output exactly as plans.toml writes them.

pytest escapes non-ASCII in parametrize ids (``test_workflow[M\\xfcller]``), so
the suite never recovers a label from a node id: it is carried on the item and
on each report, and given to the controller in the workers' collection files.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from aperture_verify.execution.exitcodes import EXIT_EXECUTION_FAILURE
from phase_project import Project, project, workflow

__all__ = ["project"]  # the fixture, imported for pytest

pytestmark = pytest.mark.slow  # pytest in subprocesses, against the emulator

LABELS = ["Müller", "日本語", 'Käse "Spezial" ☃', "Back\\slash", "W [1]"]
FAILS = "Müller"


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def html_blob(text: str) -> Any:
    """pytest-html's report data (a JSON document in the page's ``data-jsonblob``)."""
    match = re.search(r'data-jsonblob="([^"]*)"', text)
    assert match, "no data-jsonblob in report.html"
    return json.loads(html.unescape(match.group(1)))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_labels_round_trip_into_terminal_junit_html_and_json(
    project: Project, workers: str
) -> None:
    for label in LABELS:
        kw: dict[str, Any] = {"outcome": "FAILED", "error": "boom"} if label == FAILS else {}
        project.emulator.add_workflow(workflow(label, 0.3, **kw))
    project.write({"first": LABELS[:2], "second": LABELS[2:]}, on_failure="continue")
    plans = project.pytester.path / "plans.toml"
    text = plans.read_text()
    for label in LABELS:  # the helper writes labels naively: quote them properly
        text = text.replace(f'"{label}"', toml_string(label))
    plans.write_text(text)
    result = project.run("-n", workers, timeout=180)
    assert result.ret == EXIT_EXECUTION_FAILURE, result.stdout.str()
    out = result.stdout.str()
    for label in LABELS:
        assert re.search(rf"^  {re.escape(label)}\s+(PASSED|FAILED)", out, re.M), label
    # results.json
    results = project.results()
    assert sorted(results) == sorted(LABELS)
    assert results[FAILS]["outcome"] == "failed"
    # junit.xml: name, time, properties, system-out
    reports = project.pytester.path / "reports"
    cases = {
        c.get("name", ""): c for c in ET.parse(reports / "junit.xml").getroot().iter("testcase")
    }
    assert sorted(cases) == sorted(LABELS)
    for label in LABELS:
        case = cases[label]
        assert case.get("classname") in ("main.first", "main.second")
        assert float(case.get("time", "0")) == pytest.approx(results[label]["duration"], abs=0.002)
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["job_id"] == results[label]["job_id"], label
        out_text = "".join(o.text or "" for o in case.iter("system-out"))
        assert "COMPLETED" in out_text or "FAILED" in out_text, label
    assert "boom" in "".join(o.text or "" for o in cases[FAILS].iter("system-out"))
    # report.html: the failed workflow's details, with its label
    strings = list(_strings(html_blob((reports / "report.html").read_text())))
    details = [x for x in strings if "aperture-details" in x]
    assert any(f'data-label="{html.escape(FAILS)}"' in x and "boom" in x for x in details)
    for label in LABELS:
        assert any(f'data-label="{html.escape(label)}"' in x for x in details), label


def _strings(value: Any) -> Any:
    """Every string in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
