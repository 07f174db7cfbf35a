"""How often to ask the server about a running job.

The interval grows with the time the job has been running: a short job is
noticed within a fraction of a second, a long one costs few requests. With
the defaults a 60-second job is polled about 36 times, the gap between its end
and the suite noticing it stays under ~12 % of its running time, and past ten
minutes the suite sends one request per 30 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollSchedule:
    """Interval = clamp(factor * elapsed, minimum, maximum), never past the deadline."""

    minimum: float = 0.3
    factor: float = 0.12
    maximum: float = 30.0

    def interval(self, elapsed: float, remaining: float | None = None) -> float:
        """Seconds to wait before the next poll, *elapsed* seconds after submission."""
        wait = min(self.maximum, max(self.minimum, self.factor * max(elapsed, 0.0)))
        if remaining is not None:
            wait = min(wait, max(remaining, 0.0))
        return wait

    def poll_times(self, duration: float) -> list[float]:
        """The elapsed times at which a job lasting *duration* seconds is polled.

        The last one is the first poll at or after *duration* (the one that
        sees the job finished).
        """
        times: list[float] = []
        t = 0.0
        while True:
            t += self.interval(t)
            times.append(t)
            if t >= duration:
                return times
