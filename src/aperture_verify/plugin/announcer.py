"""Saying in the terminal, once per outage, that the server cannot be reached.

Every process of a run that meets an outage (the controller checking the
login, a worker executing or watching a job) drops a small JSON note in the
run directory as the outage begins and another as it ends (``rundir``). The controller
(or the only process) watches that folder from a thread and writes one line
when the server becomes unreachable for the run — however many workers see
it — and one when every one of them has contact again::

    aperture: server unreachable since 02:14:07, retrying until 02:24:07
    aperture: server reachable again at 02:14:22 (unreachable for 15s)
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aperture_verify.client.rideout import OutageRecord
from aperture_verify.common.durations import format_duration
from aperture_verify.plugin.rundir import OutageNotes, RunDirectory

__all__ = ["OutageAnnouncer", "OutageNotes", "TerminalLines"]


def _local(ts: datetime) -> str:
    return ts.astimezone().strftime("%H:%M:%S")


class TerminalLines:
    """Lines written straight to the terminal, from any thread, at any time.

    pytest captures file descriptor 1 while a test runs (and, without xdist,
    the test riding out an outage is running), so the announcer writes to a
    duplicate of the terminal's descriptor taken while nothing is captured (at
    ``pytest_configure``). Each line starts on a line of its own.
    """

    def __init__(self) -> None:
        self._fd: int | None
        try:
            sys.stdout.flush()
            self._fd = os.dup(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # no real stdout: say it on stderr
            self._fd = None

    def __call__(self, line: str) -> None:
        if self._fd is None:
            print(line, file=sys.stderr, flush=True)
            return
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        with contextlib.suppress(OSError):
            os.write(self._fd, f"\n{line}\n".encode(encoding, errors="replace"))

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


class OutageAnnouncer(threading.Thread):
    """On the controller: one terminal line when the run loses the server, one when it is back."""

    def __init__(self, run_dir: Path, write: Callable[[str], None], interval: float = 0.5) -> None:
        super().__init__(name="aperture-outage-announcer", daemon=True)
        self.run_dir = RunDirectory(run_dir)
        self.write = write
        self.interval = interval
        self._halt = threading.Event()
        self._open: dict[str, OutageRecord] = {}
        self._since: datetime | None = None
        self.announced = 0

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)
        self.poll()
        close = getattr(self.write, "close", None)
        if close is not None:
            close()

    @property
    def in_outage(self) -> bool:
        """Whether some process of the run had no contact at the last ``poll``."""
        return bool(self._open)

    def poll(self) -> None:
        """Read the notes and say what changed (also called once more by ``stop``)."""
        now = datetime.now(UTC)
        for path, record in self.run_dir.outage_notes():
            over = record.ended_at is not None or record.until <= now
            if not over:
                if path.name not in self._open:
                    self._begin(path.name, record)
                continue
            path.unlink(missing_ok=True)
            if self._open.pop(path.name, None) is not None and not self._open:
                self._end(record)

    def _begin(self, name: str, record: OutageRecord) -> None:
        if not self._open:
            self._since = record.started_at
            self.announced += 1
            self.write(
                f"aperture: server unreachable since {_local(record.started_at)}, "
                f"retrying until {_local(record.until)} (during {record.during})"
            )
        self._open[name] = record

    def _end(self, record: OutageRecord) -> None:
        since, self._since = self._since, None
        assert since is not None
        if record.ended_at is None:
            self.write(
                f"aperture: server still unreachable after {format_duration(record.budget)} "
                f"(since {_local(since)}): gave up waiting"
            )
            return
        length = (record.ended_at - since).total_seconds()
        self.write(
            f"aperture: server reachable again at {_local(record.ended_at)} "
            f"(unreachable for {format_duration(round(length))})"
        )
