"""The band rule computed by hand on noisy histories: each term of median ± max(k·MAD, floors).

A flat history has a MAD of 0 and lets the floor decide, so it cannot tell a wrong
MAD scale or a dropped MAD term; every history here is noisy, and the expected
values are worked out in the comments.
"""

from __future__ import annotations

import random

import pytest

from aperture_verify.history.bands import (
    DURATION_RULE,
    MAD_SCALE,
    ROWS_RULE,
    Band,
    BandRule,
    Usual,
    band,
    outside,
    usual,
)


def test_the_mad_scale_is_the_normal_consistency_constant() -> None:
    assert MAD_SCALE == 1.4826


def test_a_noisy_history_where_the_mad_decides() -> None:
    # median 11; |v - 11| = 1 1 2 0 3 1 2 -> median 1; MAD 1.4826; 4 x 1.4826 = 5.9304
    # beats 25 % of 11 (2.75) and the 1 s floor
    b = band([10, 12, 9, 11, 14, 10, 13])
    assert b is not None
    assert (b.median, b.low, b.high, b.runs) == pytest.approx((11, 5.0696, 16.9304, 7))
    assert not outside(16.9, b) and outside(16.95, b)
    assert not outside(5.08, b) and outside(5.06, b)


def test_an_even_history_takes_the_middle_pair_for_median_and_mad() -> None:
    # sorted 3900 4200 4600 5000 5200 5500 6000 6400 -> median (5000 + 5200) / 2 = 5100
    # deviations sorted 100 100 400 500 900 900 1200 1300 -> MAD (500 + 900) / 2 = 700
    # 4 x 700 x 1.4826 = 4151.28 beats 25 % of 5100 (1275) and the 10-row floor
    rows = [5000.0, 6000.0, 4200.0, 5500.0, 3900.0, 6400.0, 4600.0, 5200.0]
    b = band(rows, rule=ROWS_RULE)
    assert b is not None
    assert (b.median, b.runs) == (5100.0, 8)
    assert b.low == pytest.approx(948.72)
    assert b.high == pytest.approx(9251.28)


def test_the_relative_floor_decides_on_a_steady_big_value() -> None:
    # median 100; deviations 0 1 1 0 2 2 -> MAD 1 -> 5.93 < 25 % of 100 = 25
    b = band([100.0, 101.0, 99.0, 100.0, 102.0, 98.0])
    assert b == Band(100.0, 75.0, 125.0, 6)


def test_the_absolute_floor_decides_on_a_steady_small_value() -> None:
    # median 2.0; deviations 0 .1 .1 0 .05 -> MAD .05 -> 4 x .05 x 1.4826 = 0.29652;
    # 25 % of 2.0 = 0.5; the 1 s floor wins
    b = band([2.0, 2.1, 1.9, 2.0, 2.05])
    assert b == Band(2.0, 1.0, 3.0, 5)
    rows = band([20.0, 21.0, 19.0, 20.0, 22.0], rule=ROWS_RULE)  # 10-row floor: 10..30
    assert rows == Band(20.0, 10.0, 30.0, 5)


def test_the_low_end_never_goes_below_zero() -> None:
    # median 105; deviations 5 35 15 45 25 5 30 15 -> sorted 5 5 15 15 25 30 35 45
    # -> MAD 20 -> 4 x 20 x 1.4826 = 118.608 > 105: low is 0, high 223.608
    b = band([100.0, 140.0, 90.0, 60.0, 130.0, 110.0, 75.0, 120.0])
    assert b is not None
    assert b.low == 0.0
    assert b.high == pytest.approx(223.608)


def test_a_rule_of_its_own_sets_each_term() -> None:
    history = [10.0, 12.0, 9.0, 11.0, 14.0, 10.0, 13.0]  # median 11, scaled MAD 1.4826
    two = band(history, rule=BandRule(k=2.0, rel_floor=0.0, abs_floor=0.0))
    assert two is not None
    assert two.to_dict() == pytest.approx({"median": 11, "low": 8.0348, "high": 13.9652, "runs": 7})
    assert band(history, rule=BandRule(k=0.0, rel_floor=0.5, abs_floor=0.0)) == Band(
        11, 5.5, 16.5, 7
    )
    assert band(history, rule=BandRule(k=0.0, rel_floor=0.0, abs_floor=7.0)) == Band(
        11, 4.0, 18.0, 7
    )


def test_min_runs_and_window_count_exactly() -> None:
    history = [50.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert band(history[1:], min_runs=6) is None
    assert band(history[1:], min_runs=5) is not None
    b = band(history, window=5, min_runs=5)  # the 50 is outside the window of 5
    assert b is not None and (b.median, b.runs) == (3.0, 5)
    assert band(history, window=0, min_runs=0) is None  # an empty window is no band
    assert band([7.0], min_runs=0) == Band(7.0, 5.25, 8.75, 1)  # min_runs counts at least 1
    assert band([1.0, 7.0], window=1, min_runs=1) == Band(7.0, 5.25, 8.75, 1)  # the newest


def test_the_window_takes_the_newest_runs() -> None:
    b = band([100.0] * 5 + [10.0] * 5, window=5)
    assert b == Band(10.0, 7.5, 12.5, 5)


def test_contains_is_inclusive_at_both_ends() -> None:
    b = Band(10.0, 8.0, 12.0, 5)
    assert b.contains(8.0) and b.contains(12.0)
    assert not b.contains(7.999) and not b.contains(12.001)
    assert not outside(12.0, b) and outside(12.5, b)
    assert not outside(1e9, None)


def test_usual_keeps_durations_and_each_row_metric_with_its_own_rule() -> None:
    durations = [10.0, 12.0, 9.0, 11.0, 14.0, 10.0, 13.0]
    rows = {
        ("Export", "rowsOut"): [20.0, 21.0, 19.0, 20.0, 22.0],
        ("Load", "rowsIn"): [1.0, 2.0],  # too few runs: no band
    }
    found = usual(durations, rows, min_runs=5)
    assert found is not None
    assert found.duration == band(durations)
    assert found.rows == (("Export", "rowsOut", Band(20.0, 10.0, 30.0, 5)),)
    assert found.row_band("Export", "rowsOut") == Band(20.0, 10.0, 30.0, 5)
    assert found.row_band("Export", "rowsIn") is None
    assert found.row_band("Load", "rowsIn") is None


def test_usual_with_rows_only_or_nothing() -> None:
    only_rows = usual([1.0], {("S", "rowsOut"): [20.0, 21.0, 19.0, 20.0, 22.0]})
    assert only_rows == Usual(None, (("S", "rowsOut", Band(20.0, 10.0, 30.0, 5)),))
    assert usual([1.0], {("S", "rowsOut"): [1.0]}) is None
    assert usual([1.0, 2.0, 3.0], {}, min_runs=3, window=2) is None


def test_usual_passes_min_runs_and_window_to_every_band() -> None:
    durations = [100.0] * 5 + [10.0] * 5
    rows = {("S", "rowsOut"): [1000.0] * 5 + [100.0] * 5}
    found = usual(durations, rows, min_runs=5, window=5)
    assert found is not None
    assert found.duration == Band(10.0, 7.5, 12.5, 5)
    assert found.rows == (("S", "rowsOut", Band(100.0, 75.0, 125.0, 5)),)
    assert usual(durations, rows, min_runs=11, window=20) is None


def test_usual_round_trips_including_no_duration_band() -> None:
    u = Usual(None, (("S", "rowsOut", Band(1.0, 0.0, 2.0, 5)),))
    assert Usual.from_dict(u.to_dict()) == u
    assert u.to_dict() == {
        "duration": None,
        "rows": [["S", "rowsOut", {"median": 1.0, "low": 0.0, "high": 2.0, "runs": 5}]],
    }
    assert Usual.from_dict({"duration": None}) == Usual(None, ())
    full = Usual(Band(3.0, 2.0, 4.0, 7), (("S", "rowsOut", Band(1.0, 0.0, 2.0, 5)),))
    assert full.to_dict()["duration"] == {"median": 3.0, "low": 2.0, "high": 4.0, "runs": 7}
    assert Usual.from_dict(full.to_dict()) == full


@pytest.mark.parametrize("rule", [DURATION_RULE, ROWS_RULE])
def test_wide_noise_is_covered_by_the_mad_term_not_the_floor(rule: BandRule) -> None:
    """±40 % noise: the 25 % floor alone would warn on about a third of the nights;
    the k·MAD term keeps false warnings under 2 %."""
    warned = eligible = floor_only = 0
    for seed in range(20):
        rng = random.Random(seed)
        history: list[float] = []
        for _night in range(60):
            value = 120.0 * (1 + rng.uniform(-0.4, 0.4))
            b = band(history, rule=rule)
            if b is not None:
                eligible += 1
                warned += outside(value, b)
                floor_only += abs(value - b.median) > max(0.25 * b.median, rule.abs_floor)
            history.append(value)
    assert warned / eligible <= 0.02
    assert floor_only / eligible > 0.2  # the case is one the floor alone gets wrong
