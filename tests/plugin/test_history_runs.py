"""End to end: the run history, its warnings and what they do to a run, against the emulator.

Five runs make a history; a sixth with one workflow slowed (still within its
max_duration) and another exporting fewer rows warns about exactly those two,
exits 0, and shows the warnings in the terminal and the three reports;
``--warnings-fail`` turns them into an execution failure (exit 12). History
problems (a corrupt file, two runs writing at once) never fail a run.
"""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from aperture_verify.emulator import StepScript
from aperture_verify.history.cli import main as history_main
from phase_project import API_KEY, Project, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

SLOW = "Wörkflow ✓ 2"
FEWER = "Wörkflow 3"
PHASES = {"first": ["W1"], "second": [SLOW, FEWER]}
ALL = ["W1", SLOW, FEWER]


def steps(rows: int) -> tuple[StepScript, ...]:
    return (
        StepScript("Load", type="SOURCE", rows_out=rows),
        StepScript("Export", type="EXPORT", rows_in=rows, rows_out=rows),
    )


def add_all(project: Project, slow: float = 0.3, rows: int = 5000) -> None:
    project.emulator.add_workflow(workflow("W1", 0.3, steps=steps(5000)))
    project.emulator.add_workflow(workflow(SLOW, slow, steps=steps(5000)))
    project.emulator.add_workflow(workflow(FEWER, 0.3, steps=steps(rows)))


def store_path(project: Project) -> Path:
    return project.pytester.path / ".aperture" / "history.sqlite"


def results_doc(project: Project) -> dict[str, object]:
    return dict(json.loads((project.pytester.path / "reports" / "results.json").read_text()))


def warnings_of(project: Project) -> dict[str, list[dict[str, object]]]:
    return {w["label"]: w["warnings"] for w in project.results().values()}


def test_five_runs_then_a_slow_night_warns_about_that_workflow_only(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    for _night in range(5):
        project.run("-n", "0").assert_outcomes(passed=3)
    assert all(not w for w in warnings_of(project).values())
    runs = sqlite3.connect(store_path(project)).execute("SELECT count(*) FROM runs").fetchone()
    assert runs == (5,)

    add_all(project, slow=2.5, rows=3000)  # within max_duration 20s; 40 % fewer rows
    result = project.run("-n", "2")
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    warned = warnings_of(project)
    assert warned["W1"] == []
    (slow,) = warned[SLOW]
    assert slow["kind"] == "anomaly_duration"
    assert str(slow["message"]).startswith(f"{SLOW} took 2.5s, usual 0.3s (median of 5 runs, band")
    assert isinstance(slow["value"], float) and slow["value"] >= 2.5
    kinds = {(w["kind"], str(w["message"]).split(" = ")[0]) for w in warned[FEWER]}
    assert kinds == {
        ("anomaly_rows", f'{FEWER}: step "Load" rowsOut'),
        ("anomaly_rows", f'{FEWER}: step "Export" rowsIn'),
        ("anomaly_rows", f'{FEWER}: step "Export" rowsOut'),
    }
    doc = results_doc(project)
    assert doc["warnings"] == 4 and doc["exit_status"] == 0
    assert isinstance(doc["run_id"], str) and len(doc["run_id"]) == 32

    out = result.stdout.str()
    assert f"{SLOW:<28} WARN" in out
    assert f"warning: {SLOW} took 2.5s" in out
    assert "4 warning(s)" in out

    cases = {
        c.get("name"): c
        for c in ET.parse(project.pytester.path / "reports" / "junit.xml").iter("testcase")
    }
    assert SLOW in cases, list(cases)
    case = cases[SLOW]
    assert case.find("failure") is None and case.find("error") is None
    props = [p.get("value") for p in case.iter("property") if p.get("name") == "warning"]
    assert props == [slow["message"]]
    assert f"WARNING: {slow['message']}" in (case.findtext("system-out") or "")
    assert not [p for p in cases["W1"].iter("property") if p.get("name") == "warning"]

    html = (project.pytester.path / "reports" / "report.html").read_text(encoding="utf-8")
    assert "Warnings (4)" in html
    assert html.count('class="warn-marker"') == 2
    # the details live in pytest-html's data blob, escaped: one sparkline per workflow
    assert unescape(html).count("aperture-spark") == 3

    # the same night with --warnings-fail: an execution failure with the reason
    failing = project.run("-n", "0", "--warnings-fail")
    assert failing.ret == 12
    failing.assert_outcomes(passed=1, failed=2)
    assert f"{SLOW} took 2.5s, usual 0.3s" in failing.stdout.str()
    assert "(--warnings-fail)" in failing.stdout.str()

    # what the store holds: plan, run id, verdicts, server URL without a credential
    conn = sqlite3.connect(store_path(project))
    rows = conn.execute("SELECT plan, verdict, exit_status, server_url FROM runs").fetchall()
    assert len(rows) == 7
    assert rows[-1] == ("main", "failed", 12, project.emulator.url)
    assert rows[-2][:3] == ("main", "passed", 0)
    assert API_KEY not in store_path(project).read_bytes().decode("latin-1")


def test_warn_limits_warn_without_any_history(project: Project) -> None:
    add_all(project)
    project.write(
        PHASES,
        extra=(
            f'[workflows."{SLOW}"]\nwarn_max_duration = "0.1s"\n'
            f'steps."Export" = {{ rowsOut = {{ min = 1, warn_min = 6000 }} }}\n'
        ),
    )
    result = project.run("-n", "0", "--no-history")
    assert result.ret == 0
    warned = warnings_of(project)
    assert [w["kind"] for w in warned[SLOW]] == ["duration", "rows"]
    assert "above warn_max_duration 0.1s" in str(warned[SLOW][0]["message"])
    assert warned[SLOW][1]["expected"] == "≥ 6000" and warned[SLOW][1]["value"] == 5000
    assert warned["W1"] == warned[FEWER] == []
    assert not store_path(project).exists()


def test_a_corrupt_store_is_one_warning_line_and_the_run_goes_on(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    store = store_path(project)
    store.parent.mkdir()
    store.write_bytes(b"not a database" * 500)
    result = project.run("-n", "2")
    assert result.ret == 0
    lines = [line for line in result.stdout.lines if "history not used" in line]
    assert len(lines) == 1, result.stdout.str()
    assert str(store) in lines[0] and "Traceback" not in result.stdout.str()
    assert store.read_bytes() == b"not a database" * 500  # left as it was


def test_a_newer_store_is_refused_and_left_alone(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    project.run("-n", "0", "--history=runs.sqlite").assert_outcomes(passed=3)
    path = project.pytester.path / "runs.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    result = project.run("-n", "0", "-o", "aperture_history=runs.sqlite")
    assert result.ret == 0
    assert "written by a newer aperture-verify" in result.stdout.str()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_two_runs_at_once_share_one_store(project: Project, tmp_path: Path) -> None:
    add_all(project)
    project.write(PHASES)
    shared = tmp_path / "shared.sqlite"
    runs = [
        project.start(
            f"--reports-dir=reports-{n}",
            *(["-n", "2"] if n else []),
            # two runs of one plan at once: what the run lock refuses (issue 22)
            env={"APERTURE_HISTORY": str(shared), "APERTURE_NO_LOCK": "1"},
            log=f"out-{n}.txt",
        )
        for n in (0, 1)
    ]
    for run in runs:
        result = run.wait()
        assert result.ret == 0, run.output()
        assert "history not used" not in run.output()
    conn = sqlite3.connect(shared)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    assert conn.execute("SELECT count(*) FROM workflows").fetchone() == (6,)


def test_aperture_history_imports_archived_results(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_all(project)
    project.write(PHASES)
    project.run("-n", "0", "-o", "aperture_history=false").assert_outcomes(passed=3)
    assert not store_path(project).exists()
    archived = tmp_path / "42-results.json"
    archived.write_bytes((project.pytester.path / "reports" / "results.json").read_bytes())
    store = str(tmp_path / "seeded.sqlite")
    assert history_main(["--history", store, "import", str(archived), str(archived)]) == 0
    assert "imported 1 run(s), skipped 1" in capsys.readouterr().out
    assert history_main(["--history", store, "show", "--workflow", SLOW]) == 0
    out = capsys.readouterr().out
    assert "passed" in out and "Export rowsOut=5000" in out


@pytest.mark.parametrize("workers", ["0", "2"])
def test_bands_come_from_runs_of_the_same_plan_on_the_same_server(
    project: Project, tmp_path: Path, workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Five nights against "another server" (the same emulator reached as localhost,
    # a different URL), where SLOW takes 2.5 s: seeded from one real run's results.json.
    add_all(project, slow=2.5)
    project.write(PHASES)
    emu_url = project.emulator.url  # http://127.0.0.1:<port>, the plan's [server] url
    other = emu_url.replace("127.0.0.1", "localhost")
    project.run("-n", "0", "--server-url", other).assert_outcomes(passed=3)
    seeded = results_doc(project)
    for night in range(4):
        doc = dict(seeded, run_id=f"seed-{night}", started_at=f"2026-11-0{night + 1}T02:00:00Z")
        archived = tmp_path / f"seed-{night}.json"
        archived.write_text(json.dumps(doc), encoding="utf-8")
        assert history_main(["--history", str(store_path(project)), "import", str(archived)]) == 0
    capsys.readouterr()

    add_all(project, slow=0.3)  # against the plan's own server SLOW takes 0.3 s
    result = project.run("-n", workers)

    assert result.ret == 0, result.stdout.str()
    # five runs elsewhere at 2.5 s say nothing about this server: no band, no warning
    assert warnings_of(project) == {"W1": [], SLOW: [], FEWER: []}
    store = str(store_path(project))
    assert history_main(["--history", store, "show", "--server", other]) == 0
    assert capsys.readouterr().out.count(f"  {other}") == 5
    assert history_main(["--history", store, "show", "--server", emu_url]) == 0
    (row,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.endswith(emu_url)]
    assert str(results_doc(project)["run_id"]) in row
