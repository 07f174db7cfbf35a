"""The suite and aperture-doctor against hand-written servers the project did not generate.

For each server: the run fails before (the default contract does not speak
it), ``aperture-doctor --write`` maps it with no hand edit, and the same run
then passes at ``-n 0`` and ``-n 2``. Each project's plans.toml holds
``[server]`` alone (and ``[workflows]`` expectations); the chain of workflows
is ``--run``'s, given to the doctor and to pytest alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from foreign.base import KEY, PASSWORD, USER, ForeignServer
from foreign.lying import FLOWS as LYING_FLOWS
from foreign.lying import LyingServer
from foreign.spring import FLOWS as SPRING_FLOWS
from foreign.spring import SpringServer
from foreign.springfox import FLOWS as FOX_FLOWS
from foreign.springfox import SpringfoxServer
from phase_project import HANG_GUARD

pytestmark = pytest.mark.slow  # every test here runs pytest or aperture-doctor in a subprocess

BIN = Path(sys.executable).parent
ENV = {"APERTURE_API_KEY": KEY, "APERTURE_USERNAME": USER, "APERTURE_PASSWORD": PASSWORD}
CASES = {
    # name: (server, its workflows, [server] lines, --run chain, exit status before)
    "spring": (SpringServer, SPRING_FLOWS, 'api = "v2"\nspace = "Demo"',
               "Tägliche Übernahme; Cleanse, Publish", 10),
    "springfox": (SpringfoxServer, FOX_FLOWS, 'api = "v1"',
                  "Load customers; Validate Straße, Nightly export", 10),
    "lying": (LyingServer, LYING_FLOWS, 'space = "Reports"',
              "Report 4; Kundenstamm prüfen, Report 5", 11),
}  # fmt: skip
EXPECT = """
[defaults]
min_duration = "0.2s"
max_duration = "20s"
"""


def run(folder: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APERTURE_", "PYTEST_"))}
    env.update(ENV)
    command = (
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
        if tool == "pytest"
        else [str(BIN / tool)]
    )
    return subprocess.run([*command, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD, check=False)  # fmt: skip


@pytest.fixture(params=sorted(CASES))
def case(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, ForeignServer, Path]]:
    server_class, flows, lines, _, _ = CASES[request.param]
    with server_class(list(flows)) as server:
        (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (tmp_path / "plans.toml").write_text(
            f'# my server\n[server]\nurl = "{server.url}"\n{lines}\n{EXPECT}', encoding="utf-8"
        )
        yield request.param, server, tmp_path


def test_the_run_fails_then_the_doctor_maps_the_server_and_the_run_passes(
    case: tuple[str, ForeignServer, Path],
) -> None:
    name, server, folder = case
    chain, before_status = CASES[name][3], CASES[name][4]
    labels = [label.strip() for group in chain.split(";") for label in group.split(",")]
    before = run(folder, "pytest", "--run", chain, "-n", "0")
    assert before.returncode == before_status, before.stdout[-3000:]
    assert server.executes == 0, "a workflow ran although the server was not understood"

    doctor = run(folder, "aperture-doctor", "--run", chain, "--write")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "Wrote [server.profile] into" in doctor.stdout
    assert doctor.stdout.strip().splitlines()[-1].startswith("Result: ")
    assert "Traceback" not in doctor.stdout + doctor.stderr
    assert KEY not in doctor.stdout + doctor.stderr and PASSWORD not in doctor.stdout
    assert server.executes == 0, "the doctor executed a workflow"
    text = (folder / "plans.toml").read_text(encoding="utf-8")
    assert text.startswith("# my server\n[server]\n") and 'max_duration = "20s"' in text

    for workers in ("0", "2"):
        executes = server.executes
        after = run(folder, "pytest", "--run", chain, "-n", workers)
        assert after.returncode == 0, after.stdout[-4000:]
        results = json.loads((folder / "reports" / "results.json").read_text(encoding="utf-8"))
        passed = sorted(w["label"] for w in results["workflows"] if w["outcome"] == "passed")
        assert passed == sorted(labels)
        assert server.executes - executes == len(labels)

    check = run(folder, "aperture-doctor", "--run", chain, "--check")
    assert check.returncode == 0, check.stdout
    assert "A live job, decoded:" in check.stdout


def test_a_job_an_administrator_stopped_is_judged_ended_by_its_end_time(tmp_path: Path) -> None:
    """A state nobody listed (STOPPED_BY_ADMIN), with an end time: an execution failure
    naming the state, long before max_duration; the log names the key to add it to."""
    with SpringfoxServer(list(FOX_FLOWS)) as server:
        (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (tmp_path / "plans.toml").write_text(
            f'[server]\nurl = "{server.url}"\napi = "v1"\n[defaults]\nmax_duration = "2m"\n',
            encoding="utf-8",
        )
        chain = "Halted by an administrator"
        assert run(tmp_path, "aperture-doctor", "--run", chain, "--write").returncode == 0
        began = time.monotonic()
        result = run(tmp_path, "pytest", "--run", chain, "-n", "0")
        took = time.monotonic() - began
    assert result.returncode == 12, result.stdout[-3000:]
    assert took < 60, f"the stopped job was waited out ({took:.0f}s)"
    assert "state = STOPPED_BY_ADMIN, expected COMPLETED" in result.stdout, result.stdout[-3000:]
    assert "add 'STOPPED_BY_ADMIN' to failed_states" in result.stdout  # said once, in the log
    assert result.stdout.count("which the API profile does not know") == 1
