"""The run's one duration figure, **run time**, and the test counts said beside it.

pytest prints its own session time and pytest-html its own "N tests took
HH:MM:SS" (which leaves skipped tests out). The suite names one figure, the
run time from the start of the session to the moment the reports are
written, and shows it with the same words in the terminal summary and the
HTML summary (pytest-html's own count is hidden by the report's stylesheet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from aperture_verify.common.durations import format_duration

__all__ = ["TestTally", "run_time_line"]

#: Outcomes in the order they are said.
_ORDER = (
    "passed", "failed", "error", "interrupted", "skipped", "xfailed", "xpassed", "carried over",
)  # fmt: skip


@dataclass
class TestTally:
    """Each test's outcome, from its reports (setup, call, teardown), once per test."""

    __test__ = False  # not a test class, whatever pytest's collection thinks

    outcomes: dict[str, str] = field(default_factory=dict)

    def add(self, nodeid: str, when: str, outcome: str, *, xfail: bool = False) -> None:
        """One report: a failing setup or teardown is an error, a skip at setup a skip;
        *outcome* ``interrupted`` (a workflow the interruption cut short) is kept as it is."""
        if outcome == "interrupted":
            self.outcomes[nodeid] = outcome
        elif when == "call":
            if xfail:
                outcome = "xfailed" if outcome == "skipped" else "xpassed"
            self.outcomes[nodeid] = outcome
        elif outcome == "failed":
            self.outcomes[nodeid] = "error"
        elif when == "setup" and outcome == "skipped":
            self.outcomes[nodeid] = "skipped"

    def counts(self) -> Counter[str]:
        return Counter(self.outcomes.values())

    def describe(self) -> str:
        """``8 tests: 7 passed, 1 skipped``: every test counted, skipped ones too."""
        counts = self.counts()
        total = sum(counts.values())
        parts = [f"{counts[o]} {o}" for o in _ORDER if counts[o]]
        noun = "test" if total == 1 else "tests"
        return f"{total} {noun}: " + ", ".join(parts) if parts else f"{total} {noun}"


def run_time_line(seconds: float | None, tally: TestTally) -> str:
    """``run time 12.8s · 8 tests: 7 passed, 1 skipped``."""
    took = format_duration(seconds) if seconds is not None else "-"
    return f"run time {took} · {tally.describe()}"
