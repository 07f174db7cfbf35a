"""Run folders: a killed run's is removed by the next run, nobody else's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aperture_verify.common.processes import host_name
from aperture_verify.execution.runfolder import make_run_dir, remove_abandoned_run_dirs


def ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def owned(root: Path, name: str, host: str, pid: int) -> Path:
    folder = root / f"aperture-run-{name}"
    folder.mkdir()
    (folder / "owner.json").write_text(json.dumps({"host": host, "pid": pid}))
    (folder / "ledger.json").write_text("{}")
    return folder


def test_only_the_folders_of_gone_processes_of_this_host_are_removed(tmp_path: Path) -> None:
    gone = owned(tmp_path, "gone", host_name(), ended_pid())
    alive = owned(tmp_path, "alive", host_name(), os.getppid())
    elsewhere = owned(tmp_path, "elsewhere", "another-host", ended_pid())
    mine = make_run_dir(tmp_path)  # this process's own, being used
    unowned = tmp_path / "aperture-run-old"  # an older version's, or one being made
    unowned.mkdir()
    other = tmp_path / "something-else"
    other.mkdir()

    assert remove_abandoned_run_dirs(tmp_path) == [gone]
    assert not gone.exists()
    for kept in (alive, elsewhere, mine, unowned, other):
        assert kept.is_dir(), kept
    assert json.loads((mine / "owner.json").read_text()) == {
        "host": host_name(),
        "pid": os.getpid(),
    }
