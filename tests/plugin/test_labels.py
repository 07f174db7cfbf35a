"""Labels beyond ASCII reach every output exactly as plans.toml writes them.

A workflow test's id is its label as written (``test_workflow[Müller]``, where
pytest would escape it), so ``-k`` selects by label in any script. The suite
still never recovers a label from a node id: it is carried on the item and on
each report, and given to the controller in the workers' collection files.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from markupsafe import escape

from aperture_verify.common.columns import cells
from aperture_verify.execution.exitcodes import EXIT_EXECUTION_FAILURE
from phase_project import Project, workflow

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
    # escaped once, as the templates escape (markupsafe: " is &#34;)
    assert any(f'data-label="{escape(FAILS)}"' in x and "boom" in x for x in details)
    for label in LABELS:
        assert any(f'data-label="{escape(label)}"' in x for x in details), label


@pytest.mark.parametrize("workers", ["0", "2"])
def test_k_selects_by_label_in_any_script_and_the_columns_line_up(
    project: Project, workers: str
) -> None:
    labels = ["W1", "数据 清洗", "Müller", "تحقق"]
    for label in labels:
        project.emulator.add_workflow(workflow(label, 0.3))
    project.write({"first": labels})
    result = project.run("-n", workers, "-k", "清洗 or müller", "-rA", timeout=120)
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=2)
    assert sorted(j.label for j in project.jobs()) == ["Müller", "数据 清洗"]
    out = result.stdout.str()
    # pytest's own lines name the test by its label, not by escapes
    assert "PASSED test_phases/test_first.py::test_workflow[数据 清洗]" in out
    assert "\\u" not in out and "\\x" not in out
    # the summary table's state column starts at the same terminal cell on every row
    rows = [line for line in out.splitlines() if re.search(r" (PASSED|not run|deselected)", line)]
    rows = [r for r in rows if r.startswith("  ")]
    assert len(rows) == 4, rows
    starts = {cells(re.split(r" (?=PASSED|not run|deselected)", r)[0]) for r in rows}
    assert len(starts) == 1, rows
    # what -k left out is "deselected", as pytest says, not "not run"
    kinds = [re.findall(r" (PASSED|not run|deselected)", r)[0] for r in rows]
    assert sorted(kinds) == ["PASSED", "PASSED", "deselected", "deselected"], rows


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


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_label_typed_decomposed_selects_and_runs_the_workflow(
    project: Project, workers: str
) -> None:
    composed, decomposed = "Adressen pr\u00fcfen", "Adressen pru\u0308fen"
    project.emulator.add_workflow(workflow(decomposed, 0.3))  # the server keeps NFD
    project.emulator.add_workflow(workflow("Bericht", 0.3))
    project.write({"pr\u00fcfen": [composed, "Bericht"]})  # plans.toml in NFC
    plans = project.path / "plans.toml"  # the helper writes a bare key: quote it
    plans.write_text(plans.read_text().replace("[phases.pr\u00fcfen]", '[phases."pr\u00fcfen"]'))
    folder = project.path / "test_phases"  # a file system that keeps file names decomposed
    (folder / "test_pr\u00fcfen.py").unlink()
    unmarked = "def test_workflow(workflow, verify):\n    verify(workflow)\n"  # phase: its name
    (folder / "test_pru\u0308fen.py").write_text(unmarked)

    by_k = project.run("-n", workers, "-k", "pru\u0308fen", timeout=120)  # typed in NFD

    assert by_k.ret == 0, by_k.stdout.str() + by_k.stderr.str()
    by_k.assert_outcomes(passed=1)  # (xdist leaves deselections out of the count)
    assert [j.label for j in project.jobs()] == [decomposed], "executed as the server spells it"
    by_flag = project.run("-n", workers, "--workflows", decomposed, timeout=120)
    assert by_flag.ret == 0, by_flag.stdout.str() + by_flag.stderr.str()
    assert [j.label for j in project.jobs()] == [decomposed, decomposed]
