"""Running a project from another folder (issue 22): the ``aperture-verify`` command,
and plain ``pytest`` started outside the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aperture_verify.common.project_folder import LaunchError, find_project, split_project
from phase_project import API_KEY, HANG_GUARD, RUN_ARGS, Project, executes, workflow

COMMAND = Path(sys.executable).with_name("aperture-verify")
PHASES = {"first": ["W1"], "second": ["Größe"]}
# A folder with tests of its own: none of them may be collected by a run of the project.
FOREIGN_TEST = "def test_foreign():\n    raise AssertionError('a foreign test was collected')\n"


def elsewhere(tmp_path: Path) -> Path:
    """Another folder, holding a test_phases folder and a test of its own."""
    folder = tmp_path / "elsewhere"
    (folder / "test_phases").mkdir(parents=True)
    (folder / "test_phases" / "test_foreign.py").write_text(FOREIGN_TEST)
    (folder / "test_here.py").write_text(FOREIGN_TEST)
    return folder


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "APERTURE_"))
    }
    environ.update({"APERTURE_API_KEY": API_KEY, **env})
    return subprocess.run(
        args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=HANG_GUARD,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def ready(project: Project) -> None:
    for label in PHASES["first"] + PHASES["second"]:
        project.emulator.add_workflow(workflow(label, 0.2))
    project.write(PHASES)


def assert_one_line_naming_the_project(
    done: subprocess.CompletedProcess[str], project: Project
) -> None:
    """Exit 4 with one ERROR line naming the command for the project; nothing sent."""
    assert done.returncode == 4, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, done.stderr
    assert f"run: aperture-verify --project {project.path} " in errors[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert project.emulator.requests == []
    assert executes(project.emulator) == []


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_command_runs_the_project_from_another_folder(
    project: Project, tmp_path: Path, workers: str
) -> None:
    ready(project)
    done = run(
        [str(COMMAND), "--project", str(project.path), "-n", workers, *RUN_ARGS],
        cwd=elsewhere(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "foreign" not in done.stdout
    assert sorted(j.label for j in project.jobs()) == ["Größe", "W1"]
    data = json.loads((project.path / "reports" / "results.json").read_text())
    assert {w["label"]: w["outcome"] for w in data["workflows"]} == {
        "W1": "passed",
        "Größe": "passed",
    }


@pytest.mark.slow
def test_plain_pytest_with_the_project_config_from_another_folder_runs_the_project(
    project: Project, tmp_path: Path
) -> None:
    ready(project)
    done = run(
        [sys.executable, "-m", "pytest", "-c", str(project.path / "pytest.ini"), *RUN_ARGS],
        cwd=elsewhere(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "foreign" not in done.stdout
    assert "2 passed" in done.stdout
    assert (project.path / "reports" / "results.json").is_file()


@pytest.mark.slow
def test_plain_pytest_with_rootdir_only_stops_with_one_line_and_sends_nothing(
    project: Project, tmp_path: Path
) -> None:
    ready(project)
    done = run(
        [sys.executable, "-m", "pytest", f"--rootdir={project.path}", "--plan", "main", *RUN_ARGS],
        cwd=elsewhere(tmp_path),
    )
    assert_one_line_naming_the_project(done, project)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["rootdir-without-config", "config-with-c"])
def test_plain_pytest_outside_the_project_under_xdist_runs_its_phases_not_the_current_folder(
    project: Project, tmp_path: Path, how: str
) -> None:
    # The workers collected the current folder, not the phases folder the controller chose.
    ready(project)
    if how == "rootdir-without-config":  # plans.toml and test_phases/ only, as the README says
        (project.path / "pytest.ini").unlink()
        where = f"--rootdir={project.path}"
    else:
        where = f"-c={project.path / 'pytest.ini'}"
    done = run(
        [sys.executable, "-m", "pytest", where, "-n", "2", *RUN_ARGS], cwd=elsewhere(tmp_path)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "foreign" not in done.stdout
    assert "2 passed" in done.stdout
    assert sorted(j.label for j in project.jobs()) == ["Größe", "W1"]


@pytest.mark.slow
@pytest.mark.parametrize("start_in", ["elsewhere", "filesystem-root", "phases-folder"])
def test_paths_into_a_project_without_config_from_outside_stop_with_one_line(
    project: Project, tmp_path: Path, start_in: str
) -> None:
    # pytest takes the current folder (or the phases folder) as its rootdir, not the project.
    ready(project)
    (project.path / "pytest.ini").unlink()
    phases = project.path / "test_phases"
    cwd, paths = {
        "elsewhere": (elsewhere(tmp_path), [str(phases / "test_first.py")]),
        "filesystem-root": (Path(phases.anchor), [str(phases)]),
        "phases-folder": (phases, []),
    }[start_in]
    done = run([sys.executable, "-m", "pytest", "-n", "2", *paths, *RUN_ARGS], cwd=cwd)
    assert_one_line_naming_the_project(done, project)
    assert not (phases / "reports").exists()  # the project's reports say why, nothing else
    data = json.loads((project.path / "reports" / "results.json").read_text())
    assert data["verdict"] == "error" and data["exit_status"] == 4


@pytest.mark.slow
def test_the_command_names_itself_in_pytests_usage_lines(tmp_path: Path) -> None:
    (tmp_path / "plans.toml").write_text("")
    done = run([str(COMMAND), "--project", str(tmp_path), "-n", "foo", *RUN_ARGS], cwd=tmp_path)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "aperture-verify: error: argument -n/--numprocesses" in done.stderr
    assert "pytest.main()" not in done.stderr


def test_the_project_is_found_by_flag_then_variable_then_upwards(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "deep" / "er").mkdir(parents=True)
        (folder / "plans.toml").write_text("")
    assert find_project(str(a), {"APERTURE_PROJECT": str(b)}, tmp_path) == a
    assert find_project(None, {"APERTURE_PROJECT": str(b)}, tmp_path) == b
    assert find_project(None, {}, a / "deep" / "er") == a
    assert find_project("../b", {}, a) == b  # relative to the current folder


def test_a_wrong_project_is_one_line_naming_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match=r"^--project: .* is not a folder"):
        find_project(str(tmp_path / "missing"), {}, tmp_path)
    with pytest.raises(LaunchError, match=r"^APERTURE_PROJECT: .* has no plans.toml"):
        find_project(None, {"APERTURE_PROJECT": str(tmp_path)}, tmp_path)
    with pytest.raises(LaunchError, match=r"no plans.toml in .* or any folder above it"):
        find_project(None, {}, tmp_path)


def test_only_project_is_taken_out_of_the_arguments() -> None:
    assert split_project(["-n", "2", "--project", "/p", "--plan", "x"]) == (
        "/p",
        ["-n", "2", "--plan", "x"],
    )
    assert split_project(["--project=/q", "-k", "W1"]) == ("/q", ["-k", "W1"])
    assert split_project(["--", "--project", "x"]) == (None, ["--", "--project", "x"])
    with pytest.raises(LaunchError, match="--project: give the project folder"):
        split_project(["--project"])
