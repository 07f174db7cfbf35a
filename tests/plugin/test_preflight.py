"""Preflight: every selected workflow is checked against the server's catalog before
the first execute; one that is not ready stops the whole run with nothing executed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from aperture_verify.execution.exitcodes import EXIT_LOGIN_FAILURE, EXIT_READINESS_FAILURE
from phase_project import Project, executes, workflow

pytestmark = pytest.mark.slow  # pytest in subprocesses, against the emulator

PHASES = {"first": ["W1"], "second": ["W2", "Unpublished"], "third": ["W3", "Typo"]}

CHECK = """
def test_rows_agree(phase_results):
    assert len(phase_results) == 1
"""


def setup(project: Project) -> None:
    for label in ("W1", "W2", "W3"):
        project.emulator.add_workflow(workflow(label, 0.3))
    project.emulator.add_workflow(workflow("Unpublished", 0.3, published=False, has_draft=True))
    project.write(PHASES)
    module = project.pytester.path / "test_phases" / "test_first.py"
    module.write_text(module.read_text() + CHECK)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_workflow_not_ready_in_a_later_phase_stops_the_run_before_any_execute(
    project: Project, workers: str
) -> None:
    setup(project)
    result = project.run("-n", workers, timeout=120)
    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    result.assert_outcomes(failed=2, skipped=4)
    assert executes(project.emulator) == []
    out = result.stdout.str()
    assert "aperture: PREFLIGHT: Typo: no workflow with external label 'Typo'" in out
    assert "aperture: PREFLIGHT: Unpublished: workflow 'Unpublished' has no published" in out
    results = project.results()
    assert results["Typo"]["failure_kind"] == "readiness"
    assert results["Unpublished"]["failure_kind"] == "readiness"
    for label in ("W1", "W2", "W3"):
        assert results[label]["outcome"] == "skipped"
        assert results[label]["message"].startswith(
            "not run: preflight failed: Unpublished: workflow 'Unpublished' has no published"
        ), results[label]["message"]
        assert "(and 1 more not ready: Typo)" in results[label]["message"]
    report = json.loads((project.pytester.path / "reports" / "results.json").read_text())
    assert report["exit_status"] == EXIT_READINESS_FAILURE
    junit = ET.parse(project.pytester.path / "reports" / "junit.xml").getroot()
    skipped = [s.text or "" for s in junit.iter("skipped")]
    assert len(skipped) == 4, skipped
    for text in skipped:  # the reason only: no ".../worker.py:170:" in front of it
        assert text.startswith("not run: preflight failed: Unpublished"), text


@pytest.mark.parametrize(
    "switch", [["--no-preflight"], ["-o", "aperture_no_preflight=true"]], ids=["flag", "ini"]
)
def test_without_preflight_each_workflow_is_checked_when_its_turn_comes(
    project: Project, switch: list[str]
) -> None:
    setup(project)
    result = project.run("-n", "2", *switch, timeout=120)
    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    assert "PREFLIGHT" not in result.stdout.str()
    # phase 1 ran; phase 2's unpublished workflow failed, and on_failure = "stop" held the rest
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2"]
    results = project.results()
    assert results["Unpublished"]["failure_kind"] == "readiness"
    assert results["Typo"]["outcome"] == "skipped"


def test_a_workflow_left_out_by_k_does_not_stop_the_run(project: Project) -> None:
    setup(project)
    result = project.run("-n", "2", "-k", "W1 or W2 or W3", timeout=120)
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2", "W3"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_login_answered_404_says_the_url_or_base_path_is_probably_wrong(
    project: Project, workers: str
) -> None:
    setup(project)
    url = project.emulator.url.rstrip("/") + "/ads"
    result = project.run("-n", workers, f"--server-url={url}", timeout=120)
    assert result.ret == EXIT_LOGIN_FAILURE, result.stdout.str()
    (line,) = [x for x in result.stdout.lines if x.startswith("aperture: LOGIN FAILED")]
    assert "-> 404" in line
    assert "the URL or the API base path is probably wrong" in line
    assert f"{url}/api/docs/index.html" in line
    assert executes(project.emulator) == []


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_parameter_name_the_server_does_not_list_stops_the_run_before_any_execute(
    project: Project, workers: str
) -> None:
    emu = project.emulator
    emu.add_workflow(workflow("W1", 0.3))
    emu.add_workflow(workflow("Größe", 0.3, parameters=("region", "year")))
    emu.add_workflow(workflow("W3", 0.3, sources=("Load orders",)))
    project.write(
        {"first": ["W1"], "second": ["Größe", "W3"]},
        extra='[workflows."Größe"]\nparameters = { regoin = "EMEA", year = 2026 }\n'
        '[workflows.W3]\nsources = { "Load orders" = "Orders 2026" }',
    )
    result = project.run("-n", workers, timeout=120)
    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    result.assert_outcomes(failed=1, skipped=2)
    assert executes(project.emulator) == []
    result.stdout.fnmatch_lines(
        ["aperture: PREFLIGHT: Größe: workflow 'Größe' has no parameter 'regoin' "
         "(the server lists: 'region', 'year'); fix parameters of this workflow in plans.toml"]
    )  # fmt: skip
    results = project.results()
    assert results["Größe"]["failure_kind"] == "readiness"
    assert results["W3"]["outcome"] == "skipped"


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_parameter_refused_only_at_execute_is_a_readiness_failure(
    project: Project, workers: str
) -> None:
    # A server that does not list its workflows' parameters where the profile looks
    # (so neither the preflight nor the workflow's own check can see them) but
    # refuses an execute naming one the workflow does not have: 400.
    emu = project.emulator
    emu.add_workflow(workflow("W1", 0.3))
    emu.add_workflow(workflow("Größe", 0.3, parameters=("región", "year")))
    project.write(
        {"first": ["W1"], "second": ["Größe"]},
        server='[server.profile]\nworkflow_parameters_field = "inputs"',
        extra='[workflows."Größe"]\nparameters = { regoin = "EMEA", year = 2026 }',
    )
    result = project.run("-n", workers, timeout=120)
    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    result.assert_outcomes(passed=1, failed=1)
    assert "PREFLIGHT" not in result.stdout.str()
    assert [j.label for j in project.jobs()] == ["W1"]
    failure = project.results()["Größe"]
    assert failure["failure_kind"] == "readiness"
    assert "refused to execute workflow 'Größe'" in failure["message"]
    assert "has no parameter 'regoin' in 'workflowParameters'" in failure["message"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_exitfirst_keeps_the_kind_of_failure_in_the_exit_status(
    project: Project, workers: str
) -> None:
    """Under xdist ``-x`` ends a run as "interrupted" (2); the run's status is still the
    kind of its failure, as at ``-n 0``: a scheduler tells a wrong label from a Ctrl-C."""
    setup(project)
    result = project.run("-n", workers, "-x", timeout=120)
    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    assert executes(project.emulator) == []
    result.stdout.fnmatch_lines(["aperture: main FAILED (exit 11, readiness failure)*"])
    report = json.loads((project.pytester.path / "reports" / "results.json").read_text())
    assert report["exit_status"] == EXIT_READINESS_FAILURE
