"""The poll interval at its edges, computed by hand."""

from __future__ import annotations

import pytest

from aperture_verify.execution.polling import PollSchedule


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (49.0, 0.12 * 49.0),  # the first factor up to long_after...
        (50.0, 0.09 * 50.0),  # ...the long factor from long_after on: 4.5 s, not 6 s
        (400.0, 30.0),  # the maximum
        (1.0, 0.3),  # the minimum
    ],
)
def test_the_default_schedule(elapsed: float, expected: float) -> None:
    assert PollSchedule().interval(elapsed) == pytest.approx(expected)


def test_a_schedule_without_a_minimum_grows_from_zero() -> None:
    schedule = PollSchedule(minimum=0.0)
    assert schedule.interval(0.5) == pytest.approx(0.06)
    assert schedule.interval(-3.0) == 0.0  # before submission: as at submission
    assert schedule.interval(10.0, remaining=0.5) == 0.5
    assert schedule.interval(10.0, remaining=-2.0) == 0.0
