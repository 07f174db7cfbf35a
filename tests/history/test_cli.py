"""``aperture-history``: import archived results.json files, show, prune; one-line errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aperture_verify.history.cli import main
from phase_project import HANG_GUARD


def results_doc(n: int, plan: str = "nightly", duration: float = 3.0) -> dict[str, object]:
    return {
        "version": 1,
        "plan": {"name": plan},
        "server": {"url": "https://ads.example.com"},
        "started_at": f"2026-11-{n + 1:02d}T04:00:00.000Z",
        "finished_at": f"2026-11-{n + 1:02d}T04:01:00.000Z",
        "exit_status": 0,
        "verdict": "passed",
        "workflows": [
            {"label": "Müller ✓", "phase": "p", "outcome": "passed", "duration": duration + n,
             "state": "COMPLETED", "steps": [{"name": "Export", "rowsOut": 100 + n}]},
        ],
    }  # fmt: skip


def write(tmp: Path, name: str, doc: object) -> str:
    path = tmp / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_import_show_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "h.sqlite")
    files = [write(tmp_path, f"r{n}.json", results_doc(n)) for n in range(4)]
    assert main(["--history", store, "import", *files]) == 0
    assert "imported 4 run(s), skipped 0" in capsys.readouterr().out
    assert main(["--history", store, "import", *files[:2]]) == 0
    assert "imported 0 run(s), skipped 2" in capsys.readouterr().out

    assert main(["--history", store, "show"]) == 0
    out = capsys.readouterr().out
    assert out.count("nightly") == 4 and "1/1" in out

    assert main(["--history", store, "show", "--workflow", "Müller ✓", "--last", "2"]) == 0
    out = capsys.readouterr().out
    assert "5.0s" in out and "6.0s" in out and "3.0s" not in out
    assert "Export rowsOut=103" in out

    assert main(["--history", store, "prune", "--keep", "1"]) == 0
    assert "removed 3 run(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "setup", "message"),
    [
        (["import", "missing.json"], None, "missing.json: file not found"),
        (["import", "bad.json"], "{not json", "bad.json: not JSON (line 1"),
        (["import", "bad.json"], '{"version": 9}', "bad.json: unsupported version 9"),
        (["show"], None, "no history file there"),
        (["show", "--workflow", "W", "--plan", "nope"], "store", "no runs of plan 'nope'"),
    ],
)
def test_errors_are_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    setup: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if setup == "store":
        assert main(["import", write(tmp_path, "r.json", results_doc(1))]) == 0
        capsys.readouterr()
    elif setup is not None:
        (tmp_path / "bad.json").write_text(setup)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("aperture-history: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_corrupt_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "h.sqlite"
    store.write_bytes(b"garbage" * 1000)
    assert main(["--history", str(store), "show"]) == 1
    assert "not a readable history" in capsys.readouterr().err


@pytest.mark.slow  # the console script in a subprocess
def test_the_console_script_uses_the_environment_variable(tmp_path: Path) -> None:
    store = tmp_path / "env.sqlite"
    file = write(tmp_path, "r.json", results_doc(1))
    exe = Path(sys.executable).parent / "aperture-history"
    done = subprocess.run(
        [str(exe), "import", file],
        env={"APERTURE_HISTORY": str(store), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sqlite3.connect(store).execute("SELECT count(*) FROM runs").fetchone() == (1,)
    bad = subprocess.run(
        [str(exe), "prune", "--keep", "0"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert bad.returncode == 2 and "must be 1 or more" in bad.stderr


@pytest.mark.parametrize("how", ["option", "variable"])
def test_the_project_folder_holds_the_default_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    """From a scheduler's folder: --project / APERTURE_PROJECT find the project's store."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "plans.toml").write_text("", encoding="utf-8")
    monkeypatch.delenv("APERTURE_HISTORY", raising=False)
    monkeypatch.chdir(project)
    assert main(["import", write(tmp_path, "r.json", results_doc(1))]) == 0
    monkeypatch.chdir(elsewhere)
    if how == "option":
        args = ["--project", str(project), "show"]
    else:
        monkeypatch.setenv("APERTURE_PROJECT", str(project))
        args = ["show"]
    capsys.readouterr()
    assert main(args) == 0
    assert "nightly" in capsys.readouterr().out
    assert not (elsewhere / ".aperture").exists()


def test_a_project_folder_without_plans_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(tmp_path), "show"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aperture-history: error: --project:") and "plans.toml" in err
    assert err.count("\n") == 1
