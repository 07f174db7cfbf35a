"""One run of a plan per server at a time: the run lock.

cron, a systemd timer started by hand or two Jenkins jobs on one agent may
start tonight's run while last night's is still in phase 3; every workflow
would then run twice, side by side, and both runs would write the same
reports. The controller therefore takes a lock before the first request: a
file named after the plan and the server (its URL without credentials) in a
``locks`` folder beside the history store. A second run finds it and stops at
once (exit status 15, nothing sent, no report written) with one line naming
the host, the process id and the start time of the run holding it.

The lock is a file created atomically (``O_CREAT | O_EXCL``: the same on POSIX,
Windows and network file systems, no ``fcntl``/``msvcrt`` branch) holding its
owner as JSON. The owner touches it every ``HEARTBEAT`` seconds. A lock is
*stale*, and taken over with a line saying so, when its owner ran on this host
and the process is gone (a killed run), or when it has not been touched for
``STALE_AFTER`` seconds (a run on another host sharing the folder, a machine
that went down). ``--no-lock`` skips all of this.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aperture_verify.common.processes import host_name, pid_alive
from aperture_verify.common.redaction import safe_url
from aperture_verify.common.timestamps import format_timestamp

__all__ = ["HEARTBEAT", "STALE_AFTER", "RunLock", "RunLockHeld", "lock_path"]

#: Seconds between two touches of the lock file by its owner.
HEARTBEAT = 30.0
#: A lock not touched for this long is stale, whoever holds it.
STALE_AFTER = 300.0

_UNSAFE = re.compile(r"[^\w.-]+")


class RunLockHeld(Exception):
    """Another run of the plan against the server holds the lock; the message says whose."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: read from its file."""

    host: str
    pid: int
    started: str
    token: str
    plan: str = ""
    server: str = ""

    @classmethod
    def me(cls, plan: str, server: str) -> Holder:
        started = format_timestamp(datetime.now(UTC))
        return cls(host_name(), os.getpid(), started, uuid.uuid4().hex, plan, server)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data: Any = json.loads(text)
            return cls(
                str(data["host"]), int(data["pid"]), str(data["started"]), str(data["token"]),
                str(data.get("plan", "")), str(data.get("server", "")),
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    def text(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False) + "\n"

    def describe(self) -> str:
        return f"host {self.host}, process {self.pid}, started {self.started}"


def lock_path(folder: Path, plan: str, server_url: str) -> Path:
    """The lock file of *plan* against *server_url* in *folder*.

    The name is readable (plan and host) and made unique by a hash of the
    URL without credentials, so two URLs of one host (two ports) differ.
    """
    url = safe_url(server_url).rstrip("/")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    host = url.split("://", 1)[-1].split("/", 1)[0]
    name = _UNSAFE.sub("_", f"{plan}@{host}").strip("._")[:80] or "plan"
    return folder / f"{name}-{digest}.lock"


class RunLock:
    """The lock of one run: :meth:`acquire` before the first request, :meth:`release`
    after the reports are written (or use it as a context manager)."""

    def __init__(
        self,
        path: Path,
        plan: str,
        server_url: str,
        *,
        heartbeat: float = HEARTBEAT,
        stale_after: float = STALE_AFTER,
    ) -> None:
        self.path = path
        self.holder = Holder.me(plan, safe_url(server_url))
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.took_over: str | None = None  # the line saying whose stale lock was taken over
        self._held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`RunLockHeld` at once. A stale lock is taken
        over; :attr:`took_over` then says whose it was and why."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # a lock that vanishes between two looks: look again
            if self._create():
                self._start_heartbeat()
                return
            text, age = self._read()
            if text is None:
                continue
            other = Holder.parse(text)
            why = self._stale(other, age)
            if why is None:
                assert other is not None
                raise RunLockHeld(
                    f"another run of plan '{self.holder.plan}' against {self.holder.server} "
                    f"is in progress ({other.describe()}); nothing was sent. Lock: "
                    f"{self.path} (--no-lock to run anyway)"
                )
            if self._remove_if_unchanged(text):
                whose = other.describe() if other is not None else "unreadable owner"
                self.took_over = f"took over the run lock {self.path} ({whose}): {why}"
        raise RunLockHeld(f"could not take the run lock {self.path}: it keeps changing")

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.holder.text())
        self._held = True
        return True

    def _read(self) -> tuple[str | None, float]:
        """The lock file's text and its age in seconds (since its last touch)."""
        try:
            text = self.path.read_text(encoding="utf-8")
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None, 0.0
        return text, age

    def _stale(self, other: Holder | None, age: float) -> str | None:
        """Why the lock of *other* (touched *age* seconds ago) is stale, or None."""
        if other is not None and other.host == self.holder.host and not pid_alive(other.pid):
            return "its process is gone"
        if age > self.stale_after:
            return f"no heartbeat for {age:.0f}s"
        if other is None and age > 2 * self.heartbeat:
            return "it is not a lock file this version can read"
        return None

    def _remove_if_unchanged(self, seen: str) -> bool:
        """Remove the stale lock file if it still holds *seen*.

        It is first renamed to a name of our own, so that two runs taking over at
        the same moment cannot both remove it; a fresh lock renamed by mistake
        is put back.
        """
        aside = self.path.with_name(f"{self.path.name}.{self.holder.token}.stale")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return False
        try:
            if aside.read_text(encoding="utf-8") != seen:
                with contextlib.suppress(OSError):
                    os.rename(aside, self.path)  # not ours to remove: put it back
                return False
        finally:
            with contextlib.suppress(OSError):
                aside.unlink()
        return True

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="run lock heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Give the lock up (only if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if not self._held:
            return
        self._held = False
        text, _age = self._read()
        if text is not None and Holder.parse(text) == self.holder:
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
