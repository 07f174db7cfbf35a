"""aperture-doctor started outside the project (a scheduler's folder): --project and
APERTURE_PROJECT point it at the project's plans.toml, as for aperture-verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.doctor.cli import main
from aperture_verify.emulator import Emulator
from demo_copy import demo_copy

KEY = "doctor-key"  # the emulator's (doctor/conftest.py)


@pytest.mark.parametrize("how", ["option", "variable"])
def test_the_project_folder_is_where_the_plans_are_read(
    how: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    demo_copy(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = {"APERTURE_URL": emulator.url, "APERTURE_API_KEY": KEY}
    argv = ["--project", str(project)] if how == "option" else []
    if how == "variable":
        env["APERTURE_PROJECT"] = str(project)
    status = main(argv, environ=env)
    assert emulator.jobs == []
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Workflows of plan 'nightly': 7 of 7 ready to run as asked" in out
    assert not (elsewhere / "plans.toml").exists()


def test_a_project_folder_without_plans_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--project", str(tmp_path), "--write"], environ={}) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: --project:") and "plans.toml" in err[0]
    assert not (tmp_path / "plans.toml").exists()
