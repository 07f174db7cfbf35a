"""Headless Chromium for the report tests: load a page with the network cut off."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from phase_project import HANG_GUARD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "chromium is not installed (apt-get install chromium; .ci/run does)"

#: Console output Chromium writes with --enable-logging=stderr for a page error.
CONSOLE_ERROR = re.compile(r"CONSOLE.*(Uncaught|Error)|Uncaught \w*Error", re.IGNORECASE)


def _headless(profile: Path, bypass: str) -> list[str]:
    """Chromium headless with a profile of its own and no network at all (every request
    goes to a proxy that is not there, but those to *bypass*): a page that needs the
    network shows it as a console error."""
    assert CHROMIUM is not None
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9",
        f"--proxy-bypass-list={bypass}",
    ]


def chromium(
    tmp_path: Path, *args: str, budget_ms: int | None = 5000, bypass: str = "<-loopback>"
) -> subprocess.CompletedProcess[str]:
    """Chromium headless on *args*; *budget_ms* of virtual time for timers (``None``
    for a page that reloads itself: virtual time would reload it without end).

    Every request goes to a proxy that is not there, but those to *bypass*
    (default: none, not even loopback; ``127.0.0.1`` for a page served by the test).
    """
    command = [
        *_headless(tmp_path / "chromium-profile", bypass),
        "--disable-quic",
        "--enable-logging=stderr",
        "--v=0",
        *([f"--virtual-time-budget={budget_ms}"] if budget_ms is not None else []),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD, check=False)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_ERROR.search(line)]


def chromium_open(tmp_path: Path, url: str, name: str) -> subprocess.Popen[bytes]:
    """Chromium headless kept open on *url* (in real time, as a reader's browser would)
    until the caller ends it; *url* must be on 127.0.0.1."""
    command = [
        *_headless(tmp_path / f"chromium-{name}", "127.0.0.1"),
        "--remote-debugging-port=0",  # keeps the headless browser open
        url,
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
