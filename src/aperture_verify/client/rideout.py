"""Riding out a server outage: keep trying, slowly, for as long as a budget allows.

The retry policy suits one request: a handful of attempts within seconds. A
run that waits on a job for an hour needs more: when a call's ordinary
retries are used up and the failures are still transient (connection
refused or reset, timeouts, 429, 502, 503, 504), the client goes on trying,
one attempt every ``interval`` seconds or so, until the server answers or the
**outage budget** — counted from the first failed attempt — is spent. The
whole budget is used: the wait before the last attempt is cut short so that
it comes at the budget's end, whatever the interval.

Which calls may ride out an outage, with which budget, is said by the caller
with ``ApiSession.riding_out()``: the context is per thread, so the calls
made inside another call (the job list that reconciles an execute, a 1.x
login renewing a token) share the same outage and the same budget.

An outage begins (``OutageRecord``, ``on_begin``) when the ordinary retries
would have given up, dated from the first failed attempt; a burst that the
ordinary retries absorb is not one. It ends (``on_end``) at the first answer
that is not a transient failure.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aperture_verify.client.failures import RETRY_STATUSES, Failure
from aperture_verify.common.durations import format_duration
from aperture_verify.common.timestamps import format_timestamp, parse_timestamp
from aperture_verify.errors import TransportError

#: How long the suite keeps trying to reach the server, by default.
DEFAULT_OUTAGE_BUDGET = 600.0
#: Seconds between attempts while riding out an outage (each wait draws from 1-1.25 x this).
OUTAGE_INTERVAL = 5.0
#: Budget left below which no attempt is made: the last one came at the budget's end.
BUDGET_SLACK = 0.01


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _parse(value: Any) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, str) and value else None


@dataclass
class OutageRecord:
    """One stretch of time during which the server could not be reached.

    ``started_at`` is the first failed attempt (local clock, UTC), ``ended_at``
    the first answer after it (``None`` if none came), ``requests`` the failed
    attempts in between, ``during`` what the suite was doing (``login``,
    ``execute``, ``polling``...), ``budget`` how long it was prepared to wait.
    """

    started_at: datetime
    during: str
    budget: float
    last_failure: str = ""
    requests: int = 0
    ended_at: datetime | None = None

    @property
    def until(self) -> datetime:
        """When the budget runs out."""
        return self.started_at + timedelta(seconds=self.budget)

    @property
    def duration(self) -> float | None:
        """Seconds from the first failure to the first answer (``None`` while it lasts)."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def describe(self) -> str:
        """One line: ``server unreachable 02:14:07.123Z → 02:14:22.456Z (15.3s, 4 requests)``."""
        end = _iso(self.ended_at) if self.ended_at else "never answered again"
        length = f"{self.duration:.1f}s, " if self.duration is not None else ""
        noun = "request" if self.requests == 1 else "requests"
        return (
            f"server unreachable {_iso(self.started_at)} → {end} "
            f"({length}{self.requests} failed {noun}, during {self.during})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration": None if self.duration is None else round(self.duration, 3),
            "during": self.during,
            "requests": self.requests,
            "budget": self.budget,
            "last_failure": self.last_failure,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutageRecord:
        started = _parse(d.get("started_at"))
        assert started is not None
        return cls(
            started_at=started,
            during=str(d.get("during", "")),
            budget=float(d.get("budget", 0.0)),
            last_failure=str(d.get("last_failure", "")),
            requests=int(d.get("requests", 0)),
            ended_at=_parse(d.get("ended_at")),
        )


class ServerUnreachableError(TransportError):
    """The server could not be reached for longer than the outage budget."""

    def __init__(self, message: str, outage: OutageRecord, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.outage = outage


def _ignore(_record: OutageRecord) -> None:
    pass


@dataclass
class RideOut:
    """One thread's permission to ride out outages, and the outage it is in.

    Made by ``ApiSession.riding_out()``; the session's request loop calls
    ``failed``, ``answered`` and ``next_wait``.
    """

    budget: float
    during: str
    on_begin: Callable[[OutageRecord], None] = _ignore
    on_end: Callable[[OutageRecord], None] = _ignore
    interval: float = OUTAGE_INTERVAL
    rng: random.Random = field(default_factory=random.Random, repr=False)
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    since: float | None = None  # monotonic time of the first failed attempt of this streak
    since_wall: datetime | None = None
    streak: int = 0  # failed attempts since the last answer
    last_failure: str = ""
    record: OutageRecord | None = None

    def failed(self, now: float, message: str) -> None:
        """A transient failure: the first one starts the streak."""
        if self.since is None:
            self.since, self.since_wall = now, self.wall()
        self.streak += 1
        self.last_failure = message
        if self.record is not None:
            self.record.requests = self.streak
            self.record.last_failure = message

    def answered(self, status: int | None = None) -> None:
        """The server answered with *status*: unless that is a transient failure (429,
        502-504), the server is reachable again and the outage, if any, ends."""
        if status in RETRY_STATUSES:
            return
        record, self.record = self.record, None
        self.since = self.since_wall = None
        self.streak = 0
        if record is not None:
            record.ended_at = self.wall()
            self.on_end(record)

    def next_wait(self, now: float, retry_after: float | None) -> float | None:
        """Seconds to wait before trying again, or ``None`` when the budget is spent.

        Called when the ordinary retries are used up; the first call declares
        the outage (``on_begin``).
        """
        wait = self.rng.uniform(self.interval, self.interval * 1.25)
        if retry_after is not None:
            wait = max(wait, retry_after)
        if self.since is not None:
            # The whole budget is used: the last attempt comes at its end, however long
            # the interval (a budget shorter than the interval still gets its attempt).
            left = self.budget - (now - self.since)
            if left < BUDGET_SLACK:
                return None
            wait = min(wait, left)
        self._begin()
        return wait

    def wait_or_raise(self, now: float, failure: Failure, redact: Callable[[str], str]) -> float:
        """``next_wait``, or ``ServerUnreachableError`` when the budget is spent."""
        wait = self.next_wait(now, failure.retry_after)
        if wait is None:
            raise self.error(now, failure, redact) from failure.cause
        return wait

    def unreachable(self) -> OutageRecord:
        """The outage as it stands when the budget is spent (begun if it was not)."""
        return self._begin()

    def _begin(self) -> OutageRecord:
        if self.record is None:
            self.record = OutageRecord(
                started_at=self.since_wall or self.wall(),
                during=self.during,
                budget=self.budget,
                requests=self.streak,
                last_failure=self.last_failure,
            )
            self.on_begin(self.record)
        return self.record

    def error(
        self, now: float, failure: Failure, redact: Callable[[str], str]
    ) -> ServerUnreachableError:
        """Why the call gives up: for how long, since when, and the last failure."""
        record = self.unreachable()
        elapsed = 0.0 if self.since is None else now - self.since
        # to a tenth under a minute, as the budget is written ("6s", "1.5s")
        waited = format_duration(round(elapsed, 1) if elapsed < 60 else round(elapsed))
        since = record.started_at.astimezone().strftime("%H:%M:%S")
        message = (
            f"the server could not be reached for {waited} (since {since}, "
            f"{record.requests} failed requests; outage budget "
            f"{format_duration(self.budget)}); last: {failure.message}"
        )
        return ServerUnreachableError(redact(message), record, **failure.fields(redact))


class RideOuts:
    """Each thread's ``RideOut`` on one session; called, a context that sets one.

    ``with session.riding_out(budget, "polling", on_begin=..., on_end=...):``
    -- calls made in the block, by this thread, ride out an outage of up to
    *budget* seconds, then raise ``ServerUnreachableError``.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._local = threading.local()
        self._seed = seed

    def current(self) -> RideOut | None:
        ride: RideOut | None = getattr(self._local, "ride", None)
        return ride

    @contextlib.contextmanager
    def __call__(
        self,
        budget: float,
        during: str,
        *,
        on_begin: Callable[[OutageRecord], None] | None = None,
        on_end: Callable[[OutageRecord], None] | None = None,
        interval: float = OUTAGE_INTERVAL,
    ) -> Iterator[RideOut]:
        ride = RideOut(budget, during, interval=interval, rng=random.Random(self._seed))
        ride.on_begin = on_begin or _ignore
        ride.on_end = on_end or _ignore
        outer, self._local.ride = self.current(), ride
        try:
            yield ride
        finally:
            self._local.ride = outer
