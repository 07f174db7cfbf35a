"""Experian's one-line scheduling call (issue 22): ``--run`` with the environment alone,
against each shipped dialect, with ``--min-duration`` / ``--max-duration``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aperture_verify.client.dialect import dialect_names, load_dialect
from aperture_verify.emulator import Emulator, Scenario, WorkflowScript
from phase_project import RUN_ARGS, assert_one_error_line, executes

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

KEY = "adhoc-dialect-key-5e1"
USER, PASSWORD = "sched-user", "sched-pass-9d2f"


@pytest.fixture(params=dialect_names())
def dialect_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(
        workflows=tuple(
            WorkflowScript(label, space="Default", duration=seconds)
            for label, seconds in (("Workflow 1", 0.3), ("Workflow 2", 0.3), ("Prüfung 3", 1.5))
        )
    )


@pytest.fixture
def emulator_options(dialect_name: str) -> dict[str, Any]:
    dialect = load_dialect(dialect_name)
    return {
        "api_keys": (KEY,),
        "users": {USER: PASSWORD},
        "profile": dialect.profile,
        "docs": dialect.docs,
        "check": False,
    }


@pytest.fixture
def server(
    dialect_name: str, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> tuple[str, Emulator]:
    """An emulator speaking one shipped dialect, and the environment a scheduler gives."""
    name = dialect_name
    dialect = load_dialect(name)
    for var in ("APERTURE_API_KEY", "APERTURE_USERNAME", "APERTURE_PASSWORD", "APERTURE_API"):
        monkeypatch.delenv(var, raising=False)
    if dialect.api == "v1":
        monkeypatch.setenv("APERTURE_USERNAME", USER)
        monkeypatch.setenv("APERTURE_PASSWORD", PASSWORD)
    else:
        monkeypatch.setenv("APERTURE_API_KEY", KEY)
    monkeypatch.setenv("APERTURE_URL", emulator.url)
    monkeypatch.setenv("APERTURE_DIALECT", name)
    return name, emulator


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_one_line_call_runs_against_each_dialect_from_the_environment(
    pytester: pytest.Pytester, server: tuple[str, Emulator], workers: str
) -> None:
    name, emu = server
    result = pytester.runpytest_subprocess(
        *RUN_ARGS, "-n", workers, "--run", "Workflow 1; Workflow 2, Prüfung 3",
        "--min-duration", "0s", "--max-duration", "1m",
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    assert f"[{load_dialect(name).api}]" in result.stdout.str()
    assert sorted(j.label for j in emu.jobs) == ["Prüfung 3", "Workflow 1", "Workflow 2"]
    data = json.loads((pytester.path / "reports" / "results.json").read_text())
    assert data["server"]["dialect"] == name


def test_the_space_comes_from_the_environment_too(
    pytester: pytest.Pytester, server: tuple[str, Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, emu = server
    emu.add_workflow(WorkflowScript("Adressen prüfen", space="Prüfraum", duration=0.2))
    refused = pytester.runpytest_subprocess(*RUN_ARGS, "--run", "Adressen prüfen")
    assert refused.ret == 11, refused.stdout.str()  # not in the space "Default"
    assert "exists in space(s) Prüfraum" in refused.stdout.str()
    monkeypatch.setenv("APERTURE_SPACE", "Prüfraum")
    result = pytester.runpytest_subprocess(*RUN_ARGS, "--run", "Adressen prüfen")
    assert result.ret == 0, result.stdout.str()
    assert [j.label for j in emu.jobs] == ["Adressen prüfen"]


def test_min_duration_marks_a_too_short_workflow_of_the_chain(
    pytester: pytest.Pytester, server: tuple[str, Emulator]
) -> None:
    _name, emu = server
    result = pytester.runpytest_subprocess(
        *RUN_ARGS, "--run", "Workflow 1; Prüfung 3", "--min-duration", "1s", "--max-duration", "1m",
    )  # fmt: skip
    assert result.ret == 12, result.stdout.str()  # an execution failure
    data = json.loads((pytester.path / "reports" / "results.json").read_text())
    outcomes = {w["label"]: w["outcome"] for w in data["workflows"]}
    # 0.3 s is below the 1 s minimum; the plan stops there (as the example script does)
    assert outcomes == {"Workflow 1": "failed", "Prüfung 3": "skipped"}, outcomes
    assert [j.label for j in emu.jobs] == ["Workflow 1"]


def test_max_duration_cancels_a_too_long_workflow_of_the_chain(
    pytester: pytest.Pytester, server: tuple[str, Emulator]
) -> None:
    _name, emu = server
    result = pytester.runpytest_subprocess(
        *RUN_ARGS, "--run", "Prüfung 3", "--max-duration", "0.5s", "--deadline-grace", "0s",
    )  # fmt: skip
    assert result.ret == 12, result.stdout.str()
    assert [j.state for j in emu.jobs] == ["CANCELLED"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--min-duration", "5s"], ["--min-duration", "applies to an ad-hoc --run chain only"]),
        (["--run", "Workflow 1", "--max-duration", "soon"], ["--max-duration"]),
        (["--run", "W", "--min-duration", "2m", "--max-duration", "1m"], ["longer than"]),
        (["--run", "Workflow 1", "--dialect", "3.x"], ["--dialect", "unknown dialect '3.x'"]),
        (["--run", "Workflow 1", "--space", " Demo"], ["--space", "has surrounding spaces"]),
    ],
)
def test_a_wrong_option_is_one_line_and_nothing_is_sent(
    pytester: pytest.Pytester, server: tuple[str, Emulator], args: list[str], words: list[str]
) -> None:
    _name, emu = server
    result = pytester.runpytest_subprocess(*RUN_ARGS, *args)
    assert_one_error_line(result, *words)
    assert executes(emu) == [] and emu.requests == []
