"""How often to ask the server about a running job.

The interval grows with the time the job has been running: a short job is
noticed within a fraction of a second, a long one costs few requests. With
the defaults a 60-second job costs 37 polls (38 requests with the execute),
a job that runs a minute or more is noticed within 10 % of its running time,
and past ten minutes the suite sends one request per 30 seconds.
tests/execution/test_polling.py holds ``WorkflowRunner`` on this schedule to those
figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollSchedule:
    """Interval = clamp(f * elapsed, minimum, maximum), never past the deadline.

    f is ``factor`` for the first ``long_after`` seconds and ``long_factor``
    after. A poll before ``long_after`` is followed by the next one by
    ``long_after * (1 + factor)`` seconds (56 s by default), so a job that ends
    after a minute or more was last seen running at ``long_after`` or later and
    is noticed within ``long_factor`` (9 %) of its running time, plus one
    request's round trip.
    """

    minimum: float = 0.3
    factor: float = 0.12
    maximum: float = 30.0
    long_after: float = 50.0
    long_factor: float = 0.09

    def interval(self, elapsed: float, remaining: float | None = None) -> float:
        """Seconds to wait before the next poll, *elapsed* seconds after submission."""
        elapsed = max(elapsed, 0.0)
        factor = self.factor if elapsed < self.long_after else self.long_factor
        wait = min(self.maximum, max(self.minimum, factor * elapsed))
        if remaining is not None:
            wait = min(wait, max(remaining, 0.0))
        return wait
