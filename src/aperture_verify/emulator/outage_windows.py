"""Outage windows: the whole server (or some routes) unreachable for a while.

An ``Outage`` begins at an event — when it is added (for a scenario's
outages: when the emulator starts), the first request, the first execute, or
the moment a job starts running — plus a ``delay``, and lasts ``duration``
seconds (``None``: until ``Emulator.end_outages()``). While it lasts:

- ``"503"``: every matching request is read in full and answered ``503``
  (or ``status``), with ``Retry-After`` when ``retry_after`` is set;
- ``"reset"``: every matching request is read in full, then its connection
  is reset (TCP RST) without an answer; with ``processed`` the request is
  acted on first (an execute really starts its job), as when a server dies
  between doing the work and answering;
- ``"refused"``: the listening socket is closed, so connecting is refused,
  and reopened on the same port when the window ends. Open connections are
  closed with it; a request that arrives as the window begins is reset.

Times are POSIX seconds (``time.time()``), the clock of the job records.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aperture_verify.plan.schema import (
    Where,
    check_keys,
    read_bool,
    read_choice,
    read_duration,
    read_int,
    read_str,
    read_str_list,
    read_table,
)

KINDS = ("503", "refused", "reset")
EVENTS = ("start", "first_request", "first_execute", "job_start")
STATUSES = (429, 502, 503, 504)


@dataclass(eq=False)
class Outage:
    """One outage window; see the module docstring.

    ``routes`` are ``"METHOD PATH"`` ``fnmatch`` patterns (query excluded),
    as for ``Fault``; a ``"refused"`` outage is the whole listener, so it
    takes none. ``workflow`` narrows ``first_execute`` and ``job_start`` to
    one workflow's. Once it is scheduled, ``begins``/``ends`` hold its
    window; ``hits`` counts the requests it answered (``"refused"``: the
    requests caught as it began; refused connections never reach the server).
    """

    kind: str = "503"
    duration: float | None = 15.0
    after: str = "start"
    delay: float = 0.0
    workflow: str | None = None
    routes: tuple[str, ...] = ("*",)
    status: int = 503
    retry_after: float | None = None
    processed: bool = False
    begins: float | None = field(default=None, init=False)
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.after not in EVENTS:
            raise ValueError(f"after must be one of {', '.join(EVENTS)}, not {self.after!r}")
        if self.delay < 0 or (self.duration is not None and self.duration <= 0):
            raise ValueError("delay must be ≥ 0 and duration > 0 (or None for ever)")
        if self.workflow is not None and self.after not in ("first_execute", "job_start"):
            raise ValueError("workflow= narrows after='first_execute' or 'job_start' only")
        if self.kind == "refused" and self.routes != ("*",):
            raise ValueError("a refused outage closes the whole listener: give it no routes")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status}")
        if self.kind != "503" and (self.status != 503 or self.retry_after is not None):
            raise ValueError("status and retry_after are for kind='503' only")
        if self.processed and self.kind != "reset":
            raise ValueError("processed is for kind='reset' only")
        self.routes = tuple(self.routes)

    @property
    def ends(self) -> float | None:
        """When the window ends (``inf`` for ever; ``None`` until it is scheduled)."""
        if self.begins is None:
            return None
        return float("inf") if self.duration is None else self.begins + self.duration

    def covers(self, now: float) -> bool:
        ends = self.ends
        return self.begins is not None and ends is not None and self.begins <= now < ends

    def matches(self, method: str, path: str) -> bool:
        return any(fnmatch.fnmatchcase(f"{method} {path}", route) for route in self.routes)


class OutageSchedule:
    """The outages of one emulator and the events that start them. Thread-safe.

    ``on_change`` is called (without the lock held) whenever a window may have
    been scheduled, so the emulator's timer can look at ``refusing_until``.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._outages: list[Outage] = []
        self.on_change: Callable[[], None] = lambda: None

    def add(self, outage: Outage) -> Outage:
        with self._lock:
            if outage.after == "start":
                outage.begins = self.clock() + outage.delay
            self._outages.append(outage)
        self.on_change()
        return outage

    def all(self) -> list[Outage]:
        with self._lock:
            return list(self._outages)

    def end_all(self) -> None:
        """End every outage now (a pending one never begins)."""
        now = self.clock()
        with self._lock:
            for outage in self._outages:
                if outage.begins is None or outage.begins > now:
                    outage.begins = now
                outage.duration = max(now - outage.begins, 1e-9)
        self.on_change()

    def _event(self, name: str, label: str | None, at: float) -> None:
        changed = False
        with self._lock:
            for outage in self._outages:
                if (
                    outage.begins is None
                    and outage.after == name
                    and (outage.workflow is None or outage.workflow == label)
                ):
                    outage.begins = at + outage.delay
                    changed = True
        if changed:
            self.on_change()

    def note_request(self, route: str | None, label: str | None) -> None:
        """A request arrived (*route*: the API route's name, ``execute``...)."""
        now = self.clock()
        self._event("first_request", None, now)
        if route == "execute":
            self._event("first_execute", label, now)

    def note_job(self, label: str, starts_at: float) -> None:
        """A job of *label* was submitted; it starts running at *starts_at*."""
        self._event("job_start", label, starts_at)

    def take(self, method: str, path: str) -> Outage | None:
        """The outage that answers this request now, if any (counted in its ``hits``).

        A refused outage answers the requests that reach the listener before it closes.
        """
        now = self.clock()
        with self._lock:
            for outage in self._outages:
                if outage.covers(now) and outage.matches(method, path):
                    outage.hits += 1
                    return outage
        return None

    def refusing(self) -> tuple[bool, float | None]:
        """Whether the listener must be closed now, and when that next changes."""
        now = self.clock()
        refusing = False
        changes: list[float] = []
        with self._lock:
            for outage in self._outages:
                if outage.kind != "refused" or outage.begins is None:
                    continue
                ends = outage.ends
                assert ends is not None
                if outage.begins <= now < ends:
                    refusing = True
                changes.extend(m for m in (outage.begins, ends) if now < m < float("inf"))
        return refusing, min(changes) if changes else None


# -- scenario files ---------------------------------------------------------------

_KEYS = (
    "kind",
    "duration",
    "after",
    "delay",
    "workflow",
    "routes",
    "status",
    "retry_after",
    "processed",
)


#: How a scenario file refuses a credential outside ``[auth]`` (scenario.py says it too).
SCENARIO_CREDENTIALS = (
    "credentials go only in [auth]",
    "give the emulator's API keys in [auth] api_keys and its 1.x users in [auth.users]",
)


def outages_from_toml(value: object, source: str) -> tuple[Outage, ...]:
    """The scenario's ``[[outages]]`` array of tables."""
    where = Where(source, ("outages",))
    if not isinstance(value, list):
        raise where.error("must be an array of tables", "write each outage as an [[outages]] table")
    return tuple(_outage(item, where / i) for i, item in enumerate(value))


def _outage(value: object, where: Where) -> Outage:
    table: Mapping[str, Any] = read_table(value, where, "write each outage as an [[outages]] table")
    check_keys(
        table,
        where,
        _KEYS,
        required={"kind": 'add kind = "503", "refused" or "reset"'},
        credentials=SCENARIO_CREDENTIALS,
    )
    kind = read_choice(table["kind"], where / "kind", KINDS)
    after = read_choice(table.get("after", "start"), where / "after", EVENTS)
    if "duration" not in table:
        raise (where / "duration").error("missing", 'add duration = "15s" (how long it lasts)')
    duration = read_duration(table["duration"], where / "duration", positive=True)
    workflow = None
    if "workflow" in table:
        workflow = read_str(table["workflow"], where / "workflow", "Workflow 1")
        if after not in ("first_execute", "job_start"):
            raise (where / "workflow").error(
                f'is only used with after = "first_execute" or "job_start", not "{after}"',
                "remove it, or change after",
            )
    routes: tuple[str, ...] = ("*",)
    if "routes" in table:
        if kind == "refused":
            raise (where / "routes").error(
                "a refused outage closes the whole listener", "remove routes"
            )
        routes = read_str_list(table["routes"], where / "routes", '"GET /api/v1/jobs/*"')
    status = 503
    retry_after = None
    if "status" in table or "retry_after" in table:
        if kind != "503":
            key = "status" if "status" in table else "retry_after"
            raise (where / key).error(f'is only used with kind = "503", not "{kind}"', "remove it")
        if "status" in table:
            status = read_int(table["status"], where / "status", 400, 503)
            if status not in STATUSES:
                raise (where / "status").error(
                    f"{status} is not a status a server answers while it is unavailable",
                    f"use one of: {', '.join(map(str, STATUSES))}",
                )
        if "retry_after" in table:
            retry_after = read_duration(table["retry_after"], where / "retry_after")
    processed = False
    if "processed" in table:
        processed = read_bool(table["processed"], where / "processed")
        if processed and kind != "reset":
            raise (where / "processed").error(
                f'is only used with kind = "reset", not "{kind}"', "remove it"
            )
    return Outage(
        kind=kind,
        duration=duration,
        after=after,
        delay=read_duration(table.get("delay", "0s"), where / "delay"),
        workflow=workflow,
        routes=routes,
        status=status,
        retry_after=retry_after,
        processed=processed,
    )
