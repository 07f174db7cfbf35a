"""The band of usual values: median ± k·MAD with a floor, on synthetic histories."""

from __future__ import annotations

import random

import pytest

from aperture_verify.history.bands import (
    DURATION_RULE,
    ROWS_RULE,
    Band,
    band,
    outside,
)


def test_too_few_runs_give_no_band() -> None:
    assert band([3.0, 3.1, 2.9, 3.0], min_runs=5) is None
    assert band([], min_runs=1) is None
    assert band([3.0] * 5, min_runs=5) is not None


def test_stable_history_warns_on_three_times_the_usual() -> None:
    b = band([3.0, 3.1, 2.9, 3.0, 3.05, 2.95])
    assert b is not None and b.median == pytest.approx(3.0)
    assert outside(9.8, b)
    assert not outside(3.2, b)
    assert outside(0.4, b)  # suspiciously short against its history


def test_floor_keeps_tiny_differences_quiet() -> None:
    b = band([2.0] * 10)  # MAD = 0: the floor alone sets the width
    assert b is not None
    assert not outside(2.3, b)
    assert not outside(2.9, b)  # 1 s absolute floor on durations
    assert outside(3.1, b)


def test_rows_floor_is_relative_for_big_counts() -> None:
    b = band([5000.0] * 8, rule=ROWS_RULE)
    assert b is not None
    assert outside(3000, b)  # 40 % fewer rows
    assert not outside(4900, b)


def test_one_outlier_night_does_not_widen_the_band() -> None:
    history = [3.0, 3.1, 2.9, 3.0, 30.0, 3.05, 2.95, 3.0]
    b = band(history)
    assert b is not None
    assert b.median == pytest.approx(3.0, abs=0.05)
    assert b.high < 4.5
    assert outside(9.8, b)


def test_noisy_history_widens_the_band() -> None:
    # noisy: median 10, deviations 0 1 1 2 2 3 3 4 4 -> MAD 2 -> 4 x 2 x 1.4826 = 11.8608
    wide = band([6.0, 14.0, 8.0, 12.0, 10.0, 7.0, 13.0, 9.0, 11.0])
    # quiet: median 10, MAD 0.1 -> 0.59 < 25 % of 10: the floor sets 7.5..12.5
    narrow = band([9.9, 10.1, 10.0, 10.2, 9.8, 10.0, 10.1, 9.9, 10.0])
    assert wide is not None and narrow is not None
    assert (wide.median, wide.low) == (10.0, 0.0)
    assert wide.high == pytest.approx(21.8608)
    assert narrow == Band(10.0, 7.5, 12.5, 9)
    assert not outside(13.5, wide)
    assert outside(13.5, narrow)


def test_slow_trend_follows_the_window() -> None:
    trend = [10.0 * 1.01**i for i in range(60)]  # 1 % a night: 18 after 60 nights
    b = band(trend, window=20)
    assert b is not None
    assert b.median > 15  # the last 20 nights, not the first
    assert not outside(trend[-1] * 1.01, b)
    whole = band(trend, window=60)
    assert whole is not None and whole.median < b.median


def test_window_limits_the_runs_counted() -> None:
    b = band([1.0] * 50, window=12)
    assert b is not None and b.runs == 12


def test_band_round_trips_as_data() -> None:
    b = Band(3.0, 2.0, 4.0, 7)
    assert Band.from_dict(b.to_dict()) == b


@pytest.mark.parametrize("noise", [0.15, 0.40])
@pytest.mark.parametrize("rule", [DURATION_RULE, ROWS_RULE])
def test_false_warning_rate_of_the_defaults_under_noise(rule: object, noise: float) -> None:
    """100 nights of ±15 % and ±40 % noise, 50 seeds: under the 2 % target (bench reports
    it). At ±40 % the 25 % floor alone would warn on a third of the nights: the k·MAD
    term is what keeps the rate down."""
    from aperture_verify.history.bands import BandRule

    assert isinstance(rule, BandRule)
    warned = eligible = 0
    for seed in range(50):
        rng = random.Random(seed)
        history: list[float] = []
        for _night in range(100):
            value = 120.0 * (1 + rng.uniform(-noise, noise))
            b = band(history, rule=rule)
            if b is not None:
                eligible += 1
                warned += outside(value, b)
            history.append(value)
    assert warned / eligible <= 0.02
