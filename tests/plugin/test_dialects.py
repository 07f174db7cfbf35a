"""The demo plan end to end on each dialect, and on a server the suite does not ship.

The unknown server (tests/profiles/unknown.toml: renamed routes, a Location
job id, nested fields, epoch-millisecond times, linked pages of two, other
state names, DELETE to cancel, another error body) first fails with a clear
message; ``aperture-doctor --write`` then maps it, and the same run passes
with no other edit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.dialect import load_profile_file
from aperture_verify.emulator import Emulator, Scenario, load_scenario
from demo_copy import ROOT, UNKNOWN, demo_copy
from phase_project import HANG_GUARD

pytestmark = pytest.mark.slow  # every test here runs pytest or a console script in a subprocess

KEY = "dialect-e2e-key"
BIN = Path(sys.executable).parent


def run(folder: Path, *args: str, env: dict[str, str] | None = None,
        tool: str = "pytest") -> subprocess.CompletedProcess[str]:  # fmt: skip
    full = {k: v for k, v in os.environ.items() if not k.startswith("APERTURE_")}
    full.update(env or {})
    command = [sys.executable, "-m", "pytest"] if tool == "pytest" else [str(BIN / tool)]
    return subprocess.run([*command, *args], cwd=folder, env=full, capture_output=True,
                          text=True, timeout=HANG_GUARD, check=False)  # fmt: skip


@pytest.fixture
def emulator_scenario() -> Scenario:
    return load_scenario(ROOT / "demo" / "workflows.toml")


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """A server the suite does not ship a dialect for (tests/profiles/unknown.toml)."""
    dialect = load_profile_file(UNKNOWN)
    return {"api_keys": (KEY,), "profile": dialect.profile, "docs": dialect.docs}


def passed_in_order(folder: Path) -> None:
    data = json.loads((folder / "reports" / "results.json").read_text(encoding="utf-8"))
    assert [w["outcome"] for w in data["workflows"]] == ["passed"] * 7
    assert {w["state"] for w in data["workflows"]} == {"COMPLETED"}
    assert all(w["duration"] and w["duration"] > 0.5 for w in data["workflows"])


def test_the_demo_plan_runs_on_the_1x_dialect(tmp_path: Path) -> None:
    plans = demo_copy(tmp_path)
    text = plans.read_text(encoding="utf-8").replace('api = "v2"', 'dialect = "1.x"')
    plans.write_text(text, encoding="utf-8")
    proc = run(tmp_path, "-n", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "8 passed" in proc.stdout and "[v1]" in proc.stdout  # 1.x implies a login
    passed_in_order(tmp_path)
    # the reports say which dialect the run spoke
    data = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert data["server"]["api"] == "v1" and data["server"]["dialect"] == "1.x"
    html = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert "<dt>API profile</dt><dd>v1 · dialect 1.x · environment" in html


def test_an_unknown_server_fails_clearly_then_passes_after_doctor_write(
    tmp_path: Path, emulator: Emulator
) -> None:
    plans = demo_copy(tmp_path)
    original = plans.read_text(encoding="utf-8")
    env = {"APERTURE_URL": emulator.url, "APERTURE_API_KEY": KEY}
    before = run(tmp_path, "-n", "2", env=env)
    assert before.returncode == 10, before.stdout[-3000:]
    assert "LOGIN FAILED: GET " + emulator.url + "/api/v1/workflows -> 404" in before.stdout
    assert "run aperture-doctor to map its API into [server.profile]" in before.stdout
    assert emulator.jobs == []

    doctor = run(tmp_path, "--write", env=env, tool="aperture-doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "Wrote [server.profile] into plans.toml" in doctor.stdout
    assert "Traceback" not in doctor.stdout + doctor.stderr and KEY not in doctor.stdout
    assert emulator.jobs == [], "the doctor executed a workflow"

    after = run(tmp_path, "-n", "2", env=env)
    assert after.returncode == 0, after.stdout[-3000:] + after.stderr[-2000:]
    assert "8 passed" in after.stdout
    passed_in_order(tmp_path)
    assert len(emulator.jobs) == 7
    new = plans.read_text(encoding="utf-8")
    assert new.startswith(original.split("[defaults]")[0].rstrip())  # only [server.profile] added
    assert new.replace(new[new.index("[server.profile]") : new.index("[defaults]")], "") == original


def test_the_bundled_emulator_speaks_another_profile_until_doctor_maps_it(tmp_path: Path) -> None:
    plans = demo_copy(tmp_path)
    (tmp_path / "unknown.toml").write_text(UNKNOWN.read_text(encoding="utf-8"), encoding="utf-8")
    text = plans.read_text(encoding="utf-8").replace(
        'space = "Demo"', 'space = "Demo"\nemulator_profile = "unknown.toml"'
    )
    plans.write_text(text, encoding="utf-8")
    doctor = run(tmp_path, env={}, tool="aperture-doctor")
    assert doctor.returncode == 21, doctor.stdout + doctor.stderr
    assert "found through the Swagger UI page /swagger-ui/index.html" in doctor.stdout
    proc = run(tmp_path, "-n", "0")
    assert proc.returncode == 10, proc.stdout[-3000:]
    assert "run aperture-doctor" in proc.stdout
    doctor = run(tmp_path, "--write", env={}, tool="aperture-doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    proc = run(tmp_path, "-n", "0")
    assert proc.returncode == 0, proc.stdout[-3000:]
    passed_in_order(tmp_path)
