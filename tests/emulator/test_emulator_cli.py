"""The standalone emulator (``python -m aperture_verify.emulator``) as a subprocess."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from phase_project import HANG_GUARD

pytestmark = pytest.mark.slow  # the emulator command in a subprocess

DEMO = Path(__file__).resolve().parents[2] / "demo" / "workflows.toml"
KEY = "cli-test-key"


class Cli:
    """A running emulator process, its stdout read line by line with deadlines."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("APERTURE_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aperture_verify.emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=full_env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = HANG_GUARD) -> tuple[re.Match[str], str]:
        """The first stdout line matching *pattern*, and everything printed up to it."""
        seen = ""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"exited before printing {pattern!r}: {seen}")
            seen += line
            match = re.search(pattern, line)
            if match:
                return match, seen

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=HANG_GUARD)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


@pytest.fixture
def cli() -> Iterator[list[Cli]]:
    started: list[Cli] = []
    yield started
    for c in started:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait(timeout=HANG_GUARD)
        for stream in (c.proc.stdout, c.proc.stderr):
            if stream is not None:
                stream.close()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("APERTURE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aperture_verify.emulator", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=HANG_GUARD,
    )


def test_it_serves_on_the_printed_url_and_stops_on_sigterm(cli: list[Cli]) -> None:
    proc = Cli("--port", "0", "--workflows", str(DEMO), env={"APERTURE_EMULATOR_API_KEY": KEY})
    cli.append(proc)
    match, printed = proc.wait_for(r"Listening on (http://127\.0\.0\.1:\d+)")
    url = match.group(1)
    assert "9 workflows" in printed and KEY not in printed
    r = requests.get(
        f"{url}/api/v1/workflows", headers={"Authorization": f"default {KEY}"}, timeout=HANG_GUARD
    )
    assert r.status_code == 200 and len(r.json()) == 9
    assert requests.get(f"{url}/api/v1/workflows", timeout=HANG_GUARD).status_code == 401
    code, stderr = proc.stop()
    assert code == 0
    assert "GET /api/v1/workflows 200" in stderr and "GET /api/v1/workflows 401" in stderr
    assert KEY not in stderr and "Traceback" not in stderr


def test_sigint_stops_it_too(cli: list[Cli]) -> None:
    proc = Cli(
        "--port", "0", "--workflows", str(DEMO), "--quiet", env={"APERTURE_EMULATOR_API_KEY": KEY}
    )
    cli.append(proc)
    proc.wait_for(r"Listening on")
    proc.proc.send_signal(signal.SIGINT)
    assert proc.stop() == (0, "")


def test_without_a_key_one_is_generated_and_shown_once(cli: list[Cli]) -> None:
    proc = Cli("--port", "0", "--workflows", str(DEMO), "--environment", "qa")
    cli.append(proc)
    match, printed = proc.wait_for(r"Listening on (http://\S+)")
    key_match = re.search(r"generated an API key:\n\s+(\S+)\n", printed)
    assert key_match, printed
    key = key_match.group(1)
    assert "Authorization: qa <key>" in printed
    r = requests.get(
        f"{match.group(1)}/api/v1/jobs", headers={"Authorization": f"qa {key}"}, timeout=HANG_GUARD
    )
    assert r.status_code == 200
    code, stderr = proc.stop()
    assert code == 0 and key not in stderr


def test_a_user_logs_in_with_the_password_from_the_environment(cli: list[Cli]) -> None:
    proc = Cli(
        "--port",
        "0",
        "--workflows",
        str(DEMO),
        "--user",
        "alice",
        "--token-lifetime",
        "90s",
        env={"APERTURE_EMULATOR_API_KEY": KEY, "APERTURE_EMULATOR_PASSWORD": "s3cret"},
    )
    cli.append(proc)
    match, _ = proc.wait_for(r"Listening on (http://\S+)")
    r = requests.post(
        f"{match.group(1)}/api/v1/login",
        json={"username": "alice", "password": "s3cret"},
        timeout=HANG_GUARD,
    )
    assert r.status_code == 200 and r.json()["expiresIn"] == 90
    token = r.json()["token"]
    code, stderr = proc.stop()
    assert code == 0
    assert "POST /api/v1/login 200" in stderr
    assert "s3cret" not in stderr and token not in stderr


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aperture-emulator: error: ")
    for word in words:
        assert word in lines[0]


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert_one_line_error(
        run("--workflows", str(missing)), "--workflows", str(missing), "file not found"
    )


def test_an_invalid_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[workflows.W]\nduration = "soon"\n')
    assert_one_line_error(run("--workflows", str(bad)), str(bad), "workflows.W.duration")
    bad.write_text("[workflows\n")
    assert_one_line_error(run("--workflows", str(bad)), "line 1", "fix the TOML syntax")


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "--port", str(port), "--workflows", str(DEMO), env={"APERTURE_EMULATOR_API_KEY": KEY}
        )
    assert_one_line_error(result, f"--port {port}", "choose another --port")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "--workflows"),
        (("--workflows", str(DEMO), "--token-lifetime", "forever"), "--token-lifetime"),
        (("--workflows", str(DEMO), "--port", "99999"), "--port"),
        (("--workflows", str(DEMO), "--port", "x"), "--port"),
        (("--workflows", str(DEMO), "--user", "alice"), "APERTURE_EMULATOR_PASSWORD"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(args: tuple[str, ...], words: str) -> None:
    assert_one_line_error(run(*args), words)
