"""The run's temporary folder: made with its owner recorded, removed by the next run
when its owner was killed.

Every process of a run shares one folder (the ledger, job markers, outage
notes). The run removes it when it ends, whatever ends it; only a killed
process (SIGKILL, a machine going down, Task Scheduler's hard stop) leaves it
behind. Each folder therefore records its owner (host and process id), and the
next run removes the folders of this host whose owner is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from aperture_verify.common.processes import host_name, pid_alive

__all__ = ["PREFIX", "make_run_dir", "remove_abandoned_run_dirs"]

PREFIX = "aperture-run-"
OWNER_FILE = "owner.json"


def make_run_dir(root: Path | None = None) -> Path:
    """A new run folder under *root* (the system's temporary folder), its owner recorded."""
    path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    owner = {"host": host_name(), "pid": os.getpid()}
    (path / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    return path


def remove_abandoned_run_dirs(root: Path | None = None) -> list[Path]:
    """Remove the run folders under *root* left by runs of this host whose process is gone.

    A folder of another user, of another host, of a live process, or without a
    readable owner (made by an older version, or being made now) is left alone.
    Returns the folders removed.
    """
    base = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    me = host_name()
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return []
    for folder in candidates:
        try:
            if sys.platform != "win32" and folder.stat().st_uid != os.getuid():
                continue
            owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
            host, pid = str(owner["host"]), int(owner["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if host != me or pid == os.getpid() or pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
