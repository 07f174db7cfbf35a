"""When and how long the client waits before trying a request again.

Capped exponential backoff with full jitter (a random wait between zero and the
capped exponential step), so that parallel workers that failed together do not
come back together. A server's ``Retry-After`` is a floor. Retrying stops at
whichever comes first: ``max_attempts`` or the time ``budget``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure.

    ``max_attempts`` counts every try, the first included. ``budget`` bounds
    the seconds from the first try to the start of the last one. ``seed``
    makes the jitter reproducible (tests); ``None`` draws from the system.
    """

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    budget: float = 30.0
    jitter: bool = True
    seed: int | None = field(default=None, compare=False)
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"RetryPolicy.max_attempts must be at least 1, not {self.max_attempts}"
            )
        for name in ("base_delay", "max_delay", "budget"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"RetryPolicy.{name} must be a finite number >= 0, not {value!r}")
        # A private generator per policy: seedable, and no shared global state.
        object.__setattr__(self, "_rng", random.Random(self.seed))

    @property
    def delays(self) -> tuple[float, ...]:
        """The cap of each wait, before jitter: wait *i* follows failed attempt *i + 1*."""
        return tuple(self.cap(attempt) for attempt in range(1, self.max_attempts))

    def cap(self, attempt: int) -> float:
        """The longest wait after failed attempt number *attempt* (1-based)."""
        # Bound the exponent so a huge attempt number cannot overflow a float.
        step = self.base_delay * 2.0 ** min(max(attempt - 1, 0), 64)
        return min(self.max_delay, step)

    def next_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number *attempt* (1-based).

        Full jitter draws uniformly from ``[0, cap]``; without jitter the wait
        is the cap. A ``retry_after`` from the server is a floor: the client
        never comes back sooner than it was asked to.
        """
        cap = self.cap(attempt)
        delay = self._rng.uniform(0.0, cap) if self.jitter else cap
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def allows(self, attempt: int, elapsed: float, delay: float) -> bool:
        """Whether another try may follow failed attempt *attempt* after waiting *delay*."""
        return attempt < self.max_attempts and elapsed + delay <= self.budget


NO_RETRY = RetryPolicy(max_attempts=1, base_delay=0.0, max_delay=0.0, budget=0.0, jitter=False)
"""A policy that never retries."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    ``None`` when the header is absent or unreadable (the caller then uses its
    own backoff); a date in the past means zero.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT even when the zone is "-0000"
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
