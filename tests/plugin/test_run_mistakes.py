"""Mistakes around the run stop it before anything runs: one ``ERROR:`` line, exit 4,
no request to the server, nothing left behind — identical with and without xdist.

The phase modules are read on the controller (plugin/phasemodules.py), the
reports folder is tried there, and both before the server is contacted.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from markupsafe import escape

from aperture_verify.reporting.junit import schema_path
from phase_project import Project, assert_one_error_line, executes, workflow

pytestmark = pytest.mark.slow  # pytest in subprocesses, against the emulator

PHASES = {"first": ["W1"], "second": ["W2"]}

#: Every way of running: without xdist, with it at two widths, and with it switched off.
MODES = {
    "n0": ["-n", "0"],
    "n2": ["-n", "2"],
    "nauto": ["-n", "auto"],
    "no-xdist": ["-p", "no:xdist"],
}


def base(project: Project) -> None:
    project.emulator.add_workflow(workflow("W1", 0.3))
    project.emulator.add_workflow(workflow("W2", 0.3))
    project.write(PHASES)


def phases(project: Project) -> Path:
    return project.pytester.path / "test_phases"


def mark_module(name: str, phase: str) -> str:
    return (
        f'import pytest\npytestmark = pytest.mark.phase("{phase}")\n\n'
        "def test_workflow(workflow, verify):\n    verify(workflow)\n"
    )


def unknown_phase(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_extra.py").write_text(mark_module("extra", "thrid"))
    return ("test_phases/test_extra.py", "'thrid'", "[phases.thrid]")


def unknown_phase_by_file_name(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_helpers.py").write_text("def test_nothing():\n    pass\n")
    return ("test_phases/test_helpers.py", "'helpers'", "rename it")


def phase_without_module(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_second.py").unlink()
    return ("plans.toml", "'second' has no module", "test_phases/test_second.py")


def two_modules_one_phase(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_second_again.py").write_text(mark_module("again", "second"))
    return ("test_phases/test_second_again.py", "test_phases/test_second.py", "one module")


def two_phases_in_one_module(project: Project) -> tuple[str, ...]:
    module = phases(project) / "test_first.py"
    module.write_text(
        module.read_text() + '\n@pytest.mark.phase("second")\ndef test_other():\n    pass\n'
    )
    return ("test_phases/test_first.py", "'first', 'second'")


def phase_mark_not_a_literal(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_second.py").write_text(
        "import pytest\nNAME = 'second'\npytestmark = pytest.mark.phase(NAME)\n"
        "def test_workflow(workflow, verify):\n    verify(workflow)\n"
    )
    return ("test_phases/test_second.py", "line 3", "string literal")


def syntax_error(project: Project) -> tuple[str, ...]:
    (phases(project) / "test_second.py").write_text("def test_workflow(workflow, verify:\n")
    return ("test_phases/test_second.py", "line 1")


MISTAKES = {
    f.__name__: f
    for f in (
        unknown_phase,
        unknown_phase_by_file_name,
        phase_without_module,
        two_modules_one_phase,
        two_phases_in_one_module,
        phase_mark_not_a_literal,
        syntax_error,
    )
}


@pytest.mark.parametrize("mode", MODES.values(), ids=list(MODES))
@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=list(MISTAKES))
def test_a_phase_module_mistake_is_one_line_and_nothing_runs(
    project: Project, mistake: object, mode: list[str]
) -> None:
    base(project)
    words = mistake(project)  # type: ignore[operator]
    result = project.run(*mode, timeout=90)
    assert_one_error_line(result, *words)
    assert project.emulator.requests == []


def test_one_phase_module_alone_still_runs(project: Project) -> None:
    """The plan's other phases need no module when one module is run alone."""
    base(project)
    (phases(project) / "test_second.py").unlink()
    result = project.pytester.runpytest_subprocess(
        "test_phases/test_first.py", "-p", "no:cacheprovider", "-n", "0", timeout=90
    )
    result.assert_outcomes(passed=1)
    assert [j.label for j in project.jobs()] == ["W1"]


# -- the reports folder ------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize(
    ("args", "make", "words"),
    [
        (["--reports-dir=out"], "file:out", ("--reports-dir", "out", "not a folder")),
        (["--reports-dir=out/reports"], "file:out", ("--reports-dir", "out")),
        (["--junitxml=out"], "dir:out", ("--junitxml", "out")),  # pytest's own check
        (["--html=out/report.html"], "file:out", ("--html", "out")),
    ],
    ids=["reports-dir-is-a-file", "reports-dir-under-a-file", "junitxml-is-a-folder", "html"],
)
def test_an_unusable_reports_folder_is_one_line_before_anything_runs(
    project: Project, workers: str, args: list[str], make: str, words: tuple[str, ...]
) -> None:
    base(project)
    kind, _, name = make.partition(":")
    target = project.pytester.path / name
    if kind == "file":
        target.write_text("not a folder\n")
    else:
        target.mkdir()
    result = project.run("-n", workers, *args, timeout=90)
    assert_one_error_line(result, *words)
    assert project.emulator.requests == []


# -- --phases-dir alone ------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
def test_phases_dir_alone_runs_that_folder(project: Project, workers: str) -> None:
    base(project)
    phases(project).rename(project.pytester.path / "phases")
    result = project.pytester.runpytest_subprocess(
        "--phases-dir=phases", "-p", "no:cacheprovider", "-n", workers, timeout=120
    )
    result.assert_outcomes(passed=2)
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2"]


def test_phases_dir_that_does_not_exist_is_one_line(project: Project) -> None:
    base(project)
    result = project.pytester.runpytest_subprocess(
        "--phases-dir=phasse", "-p", "no:cacheprovider", "-n", "2", timeout=90
    )
    assert_one_error_line(result, "--phases-dir", "phasse", "not a directory")
    assert project.emulator.requests == []


# -- nothing left behind -----------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("case", ["api-key-unset", "phase-module-mistake", "readiness", "passed"])
def test_no_run_folder_is_left_in_the_temp_dir(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    workers: str,
    case: str,
) -> None:
    base(project)
    tmp = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv("TMPDIR", str(tmp))
    if case == "api-key-unset":
        monkeypatch.delenv("APERTURE_API_KEY")
    elif case == "phase-module-mistake":
        unknown_phase(project)
    elif case == "readiness":
        project.write({"first": ["W1"], "second": ["W2", "Typo"]})
    result = project.run("-n", workers, timeout=120)
    expected = {"api-key-unset": 4, "phase-module-mistake": 4, "readiness": 11, "passed": 0}
    assert result.ret == expected[case], result.stdout.str() + result.stderr.str()
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("aperture-run-")) == []
    assert executes(project.emulator) == ([] if case != "passed" else executes(project.emulator))


# -- plans.toml: labels and durations ----------------------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('"W1"]', '"W\\n1"]', ("phases.first.workflows[0]", "control character")),
        ('"W1"]', '"W\\u00071"]', ("phases.first.workflows[0]", "control character")),
        ('max_duration = "20s"', 'max_duration = "\\u0663s"', ("max_duration", "ASCII 0-9")),
        ('max_duration = "20s"', 'max_duration = "\\uff11s"', ("max_duration", "ASCII 0-9")),
    ],
    ids=["newline-in-label", "bell-in-label", "arabic-indic-digit", "full-width-digit"],
)
def test_a_label_or_duration_that_cannot_be_carried_is_refused(
    project: Project, workers: str, old: str, new: str, words: tuple[str, ...]
) -> None:
    base(project)
    plans = project.pytester.path / "plans.toml"
    text = plans.read_text()
    assert old in text
    plans.write_text(text.replace(old, new, 1))
    assert_one_error_line(project.run("-n", workers, timeout=90), "plans.toml", *words)
    assert project.emulator.requests == []


# -- the reports of a run stopped by a usage error ---------------------------------


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("mistake", ["bad-plan", "phase-module"])
def test_a_usage_error_leaves_reports_describing_this_run(
    project: Project, workers: str, mistake: str
) -> None:
    base(project)
    reports = project.pytester.path / "reports"
    reports.mkdir()
    for name in ("results.json", "junit.xml", "report.html"):
        (reports / name).write_text("stale: the previous run passed\n")
    if mistake == "bad-plan":
        plans = project.pytester.path / "plans.toml"
        plans.write_text(plans.read_text().replace("max_parallel = 8", "max_parallel = 0"))
    else:
        unknown_phase(project)
    result = project.run("-n", workers, timeout=90)
    line = assert_one_error_line(result)
    message = line.removeprefix("ERROR: ")
    assert project.emulator.requests == []
    data = json.loads((reports / "results.json").read_text())
    assert (data["verdict"], data["exit_status"], data["error"]) == ("error", 4, message)
    assert data["workflows"] == []
    xmlschema.XMLSchema11(str(schema_path())).validate(str(reports / "junit.xml"))
    (case,) = ET.parse(reports / "junit.xml").getroot().iter("testcase")
    error = case.find("error")
    assert error is not None and error.get("message") == message
    assert escape(message) in (reports / "report.html").read_text()  # as the template escapes
