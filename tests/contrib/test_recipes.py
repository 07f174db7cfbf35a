"""The scheduling recipes of contrib/ (docs/scheduling.md), checked as far as this machine can.

The crontab line runs here as cron would (no environment, no terminal, another
folder) against an emulator. What cannot run here is parsed: the PowerShell
scripts (tree-sitter's PowerShell grammar), the CI files (against the GitHub
Actions and GitLab CI schemas that check-jsonschema ships), the systemd units
(``systemd-analyze verify``, where installed) and the Jenkinsfile (Groovy's
compiler, where installed). Each check is shown a broken sample first, so that
it cannot pass by seeing nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from phase_project import API_KEY, HANG_GUARD, Project, workflow

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
BIN = Path(sys.executable).parent


def powershell_errors(source: bytes) -> list[str]:
    """The syntax errors tree-sitter finds in PowerShell *source*: (line, text) of each."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    found = []
    stack = [parser.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(f"line {node.start_point[0] + 1}: {node.type}")
        stack.extend(node.children)
    return found


@pytest.mark.parametrize("name", ["register-task.ps1", "run-aperture.ps1"])
def test_the_task_scheduler_scripts_parse(name: str) -> None:
    assert powershell_errors(b'if ($a) { Write-Host "x"\n') != []  # the check sees errors
    assert powershell_errors((CONTRIB / "windows" / name).read_bytes()) == []


def test_the_registration_sets_what_docs_scheduling_promises() -> None:
    text = (CONTRIB / "windows" / "register-task.ps1").read_text(encoding="utf-8")
    for needed in (
        "Register-ScheduledTask",
        "-WorkingDirectory $project",  # the working folder
        "/inheritance:r /grant:r",  # the key file readable by the task's account only
        "-ExecutionTimeLimit",
        "-MultipleInstances IgnoreNew",  # one instance at a time
    ):
        assert needed in text, needed
    run = (CONTRIB / "windows" / "run-aperture.ps1").read_text(encoding="utf-8")
    assert "$env:APERTURE_API_KEY_FILE = $ApiKeyFile" in run and "exit $status" in run


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True, text=True, timeout=HANG_GUARD, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("github-actions-nightly.yml", "vendor.github-workflows"),
        ("gitlab-ci.yml", "vendor.gitlab-ci"),
    ],
)
def test_the_ci_schedules_match_their_schemas(name: str, schema: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: 3\njobs: []\n")
    assert check_jsonschema(schema, broken).returncode != 0  # the check sees errors
    done = check_jsonschema(schema, CONTRIB / "ci" / name)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """The units as shipped, their paths pointed at this machine's command and a folder."""
    command = BIN / "aperture-verify"
    for name in ("aperture-verify.service", "aperture-verify.timer"):
        text = (CONTRIB / "systemd" / name).read_text(encoding="utf-8")
        text = text.replace("/srv/aperture/nightly/.venv/bin/aperture-verify", str(command))
        text = text.replace("/srv/aperture/nightly", str(tmp_path))
        text = re.sub(r"(?m)^(User|Group)=aperture$", r"\1=root", text)
        (tmp_path / name).write_text(text)
    broken = (tmp_path / "aperture-verify.timer").read_text().replace("01:30:00", "01:30:61")
    (tmp_path / "broken.timer").write_text(broken)

    def verify(*names: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True,
            text=True, timeout=HANG_GUARD, check=False,
        )  # fmt: skip

    assert verify("./broken.timer").returncode != 0  # the check sees errors
    done = verify("./aperture-verify.service", "./aperture-verify.timer")
    assert done.returncode == 0 and done.stderr == "", done.stderr


def _groovy() -> list[str] | None:
    groovy = shutil.which("groovy")
    java = shutil.which("java")
    if groovy is None or java is None:
        return None
    return [groovy, str(Path(__file__).with_name("ParseOnly.groovy"))]


@pytest.mark.slow
@pytest.mark.skipif(_groovy() is None, reason="groovy (and java) not here")
def test_the_jenkinsfile_compiles(tmp_path: Path) -> None:
    command = _groovy()
    assert command is not None
    java_home = Path(os.path.realpath(shutil.which("java") or "")).parents[1]
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    broken = tmp_path / "Jenkinsfile"
    broken.write_text("pipeline {\n  agent any\n  stages { stage('x') { steps { sh 'ls' }\n}\n")

    def compile_(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, str(path)], capture_output=True, text=True, env=env,
                              timeout=HANG_GUARD, check=False)  # fmt: skip

    assert compile_(broken).returncode != 0  # the check sees errors
    done = compile_(CONTRIB / "ci" / "Jenkinsfile")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="cron and /bin/sh")
def test_the_crontab_line_runs_as_cron_runs_it(project: Project, tmp_path: Path) -> None:
    """The line of contrib/cron/crontab.example, its paths pointed at a project, run with
    cron's bare environment, no terminal, from another folder; the key in a 0600 file."""
    for label in ("W1", "W2"):
        project.emulator.add_workflow(workflow(label, 0.2))
    project.write(
        {"first": ["W1"], "second": ["W2"]}, defaults='min_duration = "0s"\nmax_duration = "20s"'
    )
    (project.path / "logs").mkdir()
    key_file = tmp_path / "api-key"
    key_file.write_text(API_KEY + "\n")
    key_file.chmod(0o600)
    lines = (CONTRIB / "cron" / "crontab.example").read_text(encoding="utf-8").splitlines()
    env = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    (entry,) = [line for line in lines if re.match(r"^[0-9*]", line)]
    # five time fields, then the command, in which cron turns "\%" into "%"
    command = entry.split(None, 5)[5].replace("\\%", "%")
    command = command.replace("/srv/aperture/nightly", str(project.path))
    command = command.replace("--plan nightly", "--plan main -p no:hypothesispytest")
    env["PATH"] = f"{BIN}:/usr/bin:/bin"
    env["APERTURE_API_KEY_FILE"] = str(key_file)
    done = subprocess.run(
        [env["SHELL"], "-c", command], cwd="/", env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=HANG_GUARD, start_new_session=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    log = project.path / "logs" / f"nightly-{date.today():%Y-%m-%d}.log"
    text = log.read_text(encoding="utf-8")
    assert text.splitlines()[-1] == "exit status 0", text
    assert "2 passed" in text
    assert sorted(j.label for j in project.jobs()) == ["W1", "W2"]
