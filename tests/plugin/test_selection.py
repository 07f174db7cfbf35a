"""End to end: part of a plan (``--phases``, ``--from-phase``, ``--to-phase``,
``--workflows``), an ad-hoc plan (``--run``) and ``--dry-run``, against the emulator.

The emulator's job and request logs prove what ran, in which order, and that
a dry run or a usage error executed nothing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from aperture_verify.emulator import WorkflowScript
from aperture_verify.execution.exitcodes import EXIT_LOGIN_FAILURE, EXIT_READINESS_FAILURE
from phase_project import NIGHTLY, RUN_ARGS, USAGE_ERROR, Project, assert_phase_order, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = NIGHTLY
CHECK = """

def test_cleanse_check(phase_results):
    assert phase_results
"""


def add_all(project: Project, labels: list[str] | None = None) -> None:
    for label in labels or [w for ws in PHASES.values() for w in ws]:
        project.emulator.add_workflow(workflow(label, 0.3))


def executed(project: Project) -> list[str]:
    """Labels of the execute requests the emulator received, in order."""
    return [
        str(r.json.get("externalLabel"))
        for r in project.emulator.requests
        if r.method == "POST" and r.path.endswith("/execute") and isinstance(r.json, dict)
    ]


def results(project: Project) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (project.pytester.path / "reports" / "results.json").read_text()
    )
    return data


@pytest.mark.parametrize("workers", ["0", "2"])
def test_phase_selection_runs_those_phases_in_plan_order(project: Project, workers: str) -> None:
    add_all(project)
    project.write(PHASES)
    module = project.pytester.path / "test_phases" / "test_cleanse.py"
    module.write_text(module.read_text() + CHECK)

    result = project.run("-n", workers, "--phases", "publish, cleanse", "-rA")

    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=5)  # four workflows and cleanse's phase check
    jobs = project.jobs()
    assert sorted(j.label for j in jobs) == ["W2", "W3", "W4", "W7"]
    assert_phase_order(jobs, PHASES)
    out = result.stdout.str()
    assert out.count("deselected by --phases publish, cleanse: ingest (all 1); enrich (all 2)") == 1
    assert [w["label"] for w in results(project)["workflows"]] == ["W2", "W3", "W4", "W7"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_from_to_and_workflows_narrow_the_plan(project: Project, workers: str) -> None:
    add_all(project)
    project.write(PHASES)
    module = project.pytester.path / "test_phases" / "test_cleanse.py"
    module.write_text(module.read_text() + CHECK)

    result = project.run(
        "-n", workers, "--from-phase", "cleanse", "--to-phase", "enrich", "--workflows", "W3,W6"
    )

    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3)  # W3, W6 and the cleanse check (W3 of cleanse ran)
    assert executed(project) == ["W3", "W6"]


def test_phase_checks_run_only_when_their_phase_ran(project: Project) -> None:
    add_all(project)
    project.write(PHASES)
    module = project.pytester.path / "test_phases" / "test_cleanse.py"
    module.write_text(module.read_text() + CHECK)
    (project.pytester.path / "pytest.ini").write_text("[pytest]\naperture_from_phase = enrich\n")

    result = project.run("-n", "2")

    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=3)  # W5, W6, W7; the cleanse check is deselected
    assert sorted(executed(project)) == ["W5", "W6", "W7"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--phases", "cleanse,enrihc"), "ERROR: --phases: no phase 'enrihc' in plan 'main'; "
         "did you mean 'enrich'?*"),
        (("--from-phase", "publish", "--to-phase", "cleanse"),
         "ERROR: --from-phase: phase 'publish' comes after --to-phase 'cleanse'*"),
        (("--workflows", "W3,W9"), "ERROR: --workflows: no workflow 'W9' in plan 'main'*"),
        (("--workflows", "W1", "--phases", "cleanse"),
         "ERROR: --workflows: workflow 'W1' is in phase 'ingest', which --phases cleanse "
         "leaves out*"),
        (("--workflows", '"W1, W2'), "ERROR: --workflows: the quote \" at character 1 is not "
         "closed*"),
        (("--run", "W1;; W2"), "ERROR: --run: empty label*"),
        (("--run", "W1; W2, W1"), "ERROR: --run: workflow 'W1' is listed twice (phases 1 and 2)*"),
        (("--run", "W1", "--plan", "main"), "ERROR: --run: an ad-hoc plan cannot be combined "
         "with --plan*"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("workers", ["0", "2"])
def test_bad_selections_are_one_line_and_run_nothing(
    project: Project, workers: str, args: tuple[str, ...], message: str
) -> None:
    add_all(project)
    project.write(PHASES)

    result = project.run("-n", workers, *args)

    assert result.ret == USAGE_ERROR, result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines([message])
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert project.emulator.requests == [], "nothing may reach the server"


# -- --dry-run -------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
def test_dry_run_checks_readiness_prints_the_plan_and_executes_nothing(
    project: Project, workers: str
) -> None:
    add_all(project)
    project.write(PHASES, extra='[workflows.W3]\nsteps."Validate" = { failedRows = { max = 0 } }')

    result = project.run("-n", workers, "--dry-run", "--to-phase", "enrich")

    out = result.stdout.str()
    assert result.ret == 0, out
    result.stdout.fnmatch_lines(
        [
            "*DRY RUN of plan 'main': nothing is executed*",
            "plan 'main' (plans.toml): 3 phase(s), 6 workflow(s); on_failure = stop, "
            "max_parallel = 8; -n auto would start 3 worker(s)",
            "phase 1 'ingest':",
            "  W1 * ready *",
            "phase 2 'cleanse':",
            "  W2 * ready *",
            '  W3 * ready *step "Validate": failedRows ≤ 0*',
            "  W4 * ready *",
            "phase 3 'enrich':",
            "  W5 * ready *",
            "  W6 * ready *",
            "not run (deselected): publish (all 1)",
            "dry run: 6 workflow(s) ready; exit status 0; nothing executed, no report written",
        ]
    )
    assert [(r.method, r.path) for r in project.emulator.requests] == [
        ("GET", "/api/v1/workflows")
    ] * 2, "the login check and the catalog: nothing else"
    assert not (project.pytester.path / "reports").exists(), "a dry run writes no report"


GERMAN = {"ingest": ["Adressen prüfen", "Größe messen"], "cleanse": ["Straße säubern", "W4"]}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_dry_run_lists_what_k_m_and_the_modules_given_select_as_a_real_run_would(
    project: Project, workers: str
) -> None:
    add_all(project, [w for ws in GERMAN.values() for w in ws])
    project.write(GERMAN)
    cleanse = project.pytester.path / "test_phases" / "test_cleanse.py"
    wash = "\npytestmark = [pytestmark, pytest.mark.wash]\n"  # for -m wash
    cleanse.write_text(cleanse.read_text() + CHECK + wash)
    (project.pytester.path / "pytest.ini").write_text("[pytest]\nmarkers =\n    wash: cleaning\n")

    by_k = project.run("-n", workers, "--dry-run", "-k", "größe or Straße")

    assert by_k.ret == 0, by_k.stdout.str()
    by_k.stdout.fnmatch_lines(
        [
            "plan 'main' (plans.toml): 2 phase(s), 2 workflow(s);*",
            "phase 1 'ingest':",
            "  Größe messen * ready *",
            "phase 2 'cleanse':",
            "  Straße säubern * ready *",
            "not run (deselected): ingest (Adressen prüfen); cleanse (W4)",
            "dry run: 2 workflow(s) ready; exit status 0; nothing executed, no report written",
        ]
    )
    assert "Adressen prüfen * ready" not in by_k.stdout.str()
    real = project.run("-n", workers, "-k", "größe or Straße")
    assert real.ret == 0, real.stdout.str()
    assert sorted(executed(project)) == ["Größe messen", "Straße säubern"], "as the dry run said"

    by_m = project.run("-n", workers, "--dry-run", "-m", "wash")
    by_module = project.pytester.runpytest_subprocess(
        "test_phases/test_cleanse.py", *RUN_ARGS, "-n", workers, "--dry-run"
    )
    for result in (by_m, by_module):
        assert result.ret == 0, result.stdout.str()
        result.stdout.fnmatch_lines(
            [
                "plan 'main' (plans.toml): 1 phase(s), 2 workflow(s);*",
                "phase 1 'cleanse':",
                "  Straße säubern * ready *",
                "  W4 * ready *",
                "not run (deselected): ingest (all 2)",
            ]
        )
    assert len(executed(project)) == 2, "a dry run executes nothing"


@pytest.mark.parametrize("workers", ["0", "2"])
def test_dry_run_of_an_unknown_label_is_a_readiness_failure(project: Project, workers: str) -> None:
    add_all(project, ["W1", "W2", "W3", "W4", "W5", "W6"])  # no W7 on the server
    project.write(PHASES)

    result = project.run("-n", workers, "--dry-run")

    assert result.ret == EXIT_READINESS_FAILURE, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["  W7 * NOT READY  readiness failure: no workflow with external label 'W7'*"]
    )
    assert executed(project) == []


def test_dry_run_with_bad_credentials_is_a_login_failure(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_all(project)
    project.write(PHASES)
    monkeypatch.setenv("APERTURE_API_KEY", "not-the-key")

    result = project.run("-n", "2", "--dry-run")

    assert result.ret == EXIT_LOGIN_FAILURE, result.stdout.str()
    result.stdout.fnmatch_lines(["LOGIN FAILED: *401*"])
    assert "not-the-key" not in result.stdout.str()
    assert executed(project) == []


# -- --run: an ad-hoc plan -------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
def test_an_adhoc_chain_runs_in_order_without_phase_modules(project: Project, workers: str) -> None:
    labels = ["Müller", "Käse, Spezial", "日本語; 1", "W4", 'Say "hi"', "W6"]
    add_all(project, labels)
    project.write(PHASES, modules=False)  # the file's [server] and [defaults]; no module

    chain = 'Müller; "Käse, Spezial", \'日本語; 1\', W4; "Say ""hi""", W6'
    result = project.pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", workers, "--run", chain
    )

    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=6)
    phases = {"phase-1": labels[:1], "phase-2": labels[1:4], "phase-3": labels[4:]}
    assert_phase_order(project.jobs(), phases)
    assert sorted(executed(project)) == sorted(labels)
    data = results(project)
    assert data["plan"]["name"] == "adhoc"
    assert data["plan"]["phases"] == [{"name": p, "workflows": ws} for p, ws in phases.items()]
    assert [w["label"] for w in data["workflows"]] == labels
    assert all(w["outcome"] == "passed" for w in data["workflows"])
    tree = ET.parse(project.pytester.path / "reports" / "junit.xml")
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    for label, phase in (("W4", "phase-2"), ("W6", "phase-3")):  # as for any plan
        assert cases[label].get("classname") == f"adhoc.{phase}"
        assert cases[label].find("failure") is None


def test_an_adhoc_chain_needs_no_plans_file(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APERTURE_URL", project.emulator.url)
    for label in ("A", "B"):  # the built-in defaults' space is "Default"
        project.emulator.add_workflow(WorkflowScript(label, space="Default", duration=0.3))

    result = project.pytester.runpytest_subprocess("-p", "no:cacheprovider", "--run", "A; B")

    assert result.ret == 0, result.stdout.str()
    assert [j.label for j in project.jobs()] == ["A", "B"]
    assert_phase_order(project.jobs(), {"1": ["A"], "2": ["B"]})
