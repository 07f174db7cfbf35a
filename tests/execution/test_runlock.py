"""The run lock: one holder, a clear refusal, stale locks taken over, only one's own released."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aperture_verify.common.processes import host_name, pid_alive
from aperture_verify.execution.runlock import Holder, RunLock, RunLockHeld, lock_path

URL = "https://ds.example.com:7701"


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def plant(path: Path, host: str, pid: int, age: float = 0.0) -> None:
    """A lock file of another run, last touched *age* seconds ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = Holder(host, pid, "2026-12-07T01:00:00.000Z", "t0k3n", "nacht", URL)
    path.write_text(holder.text())
    then = time.time() - age
    os.utime(path, (then, then))


def test_a_second_lock_is_refused_naming_host_pid_and_start(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    with RunLock(path, "nacht", URL) as first:
        with pytest.raises(RunLockHeld) as info:
            RunLock(path, "nacht", URL).acquire()
        assert str(info.value) == (
            f"another run of plan 'nacht' against {URL} is in progress (host {host_name()}, "
            f"process {os.getpid()}, started {first.holder.started}); nothing was sent. "
            f"Lock: {path} (--no-lock to run anyway)"
        )
    assert not path.exists()  # released
    RunLock(path, "nacht", URL).acquire()  # and free again


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    pid = dead_pid()
    assert not pid_alive(pid)
    plant(path, host_name(), pid)
    lock = RunLock(path, "nacht", URL)
    lock.acquire()
    assert lock.took_over == (
        f"took over the run lock {path} (host {host_name()}, process {pid}, "
        "started 2026-12-07T01:00:00.000Z): its process is gone"
    )
    assert json.loads(path.read_text())["pid"] == os.getpid()
    lock.release()


def test_a_live_process_on_this_host_keeps_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    plant(path, host_name(), os.getppid())  # our parent: alive
    with pytest.raises(RunLockHeld, match=f"process {os.getppid()}, started"):
        RunLock(path, "nacht", URL).acquire()
    assert json.loads(path.read_text())["token"] == "t0k3n"  # untouched


def test_another_host_s_lock_holds_until_its_heartbeat_is_stale(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    plant(path, "other-host", 1, age=250)
    with pytest.raises(RunLockHeld, match="host other-host, process 1"):
        RunLock(path, "nacht", URL, stale_after=300).acquire()
    plant(path, "other-host", 1, age=350)
    lock = RunLock(path, "nacht", URL, stale_after=300)
    lock.acquire()
    assert lock.took_over is not None
    assert lock.took_over.startswith(f"took over the run lock {path} (host other-host, process 1")
    assert lock.took_over.endswith("): no heartbeat for 350s")
    lock.release()


def test_the_holder_touches_its_lock_while_it_runs(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    with RunLock(path, "nacht", URL, heartbeat=0.05):
        old = time.time() - 1000
        os.utime(path, (old, old))
        deadline = time.monotonic() + 30
        while path.stat().st_mtime < old + 500:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.01)


def test_release_leaves_a_lock_that_is_no_longer_its_own(tmp_path: Path) -> None:
    path = tmp_path / "nacht.lock"
    lock = RunLock(path, "nacht", URL)
    lock.acquire()
    plant(path, "other-host", 1)  # taken over meanwhile (it looked stale to another host)
    lock.release()
    assert json.loads(path.read_text())["host"] == "other-host"


def test_the_lock_is_named_by_plan_and_server_without_credentials(tmp_path: Path) -> None:
    a = lock_path(tmp_path, "nacht", "https://ds.example.com:7701/")
    assert a == lock_path(tmp_path, "nacht", "https://user:pw@ds.example.com:7701")
    assert a.name.startswith("nacht_ds.example.com_7701-") and a.suffix == ".lock"
    assert a != lock_path(tmp_path, "nacht", "https://ds.example.com:7702")
    assert a != lock_path(tmp_path, "tag", "https://ds.example.com:7701")
    assert lock_path(tmp_path, "Größe/ä", URL).parent == tmp_path
