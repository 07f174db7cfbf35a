"""RetryPolicy's schedule and Retry-After parsing, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aperture_verify.client.retry import NO_RETRY, RetryPolicy, parse_retry_after


def test_default_schedule_is_capped_exponential() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=5.0, jitter=False)
    assert policy.delays == (0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0)


def test_delays_has_one_wait_between_each_pair_of_attempts() -> None:
    assert len(RetryPolicy(max_attempts=5).delays) == 4
    assert NO_RETRY.delays == ()


def test_without_jitter_next_delay_is_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=1.0, jitter=False)
    assert [policy.next_delay(n) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.0]


def test_full_jitter_stays_within_zero_and_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=1.0, seed=7)
    for attempt in range(1, 10):
        for _ in range(50):
            assert 0.0 <= policy.next_delay(attempt) <= policy.cap(attempt)


def test_seeded_jitter_is_reproducible() -> None:
    one = RetryPolicy(seed=42)
    two = RetryPolicy(seed=42)
    assert [one.next_delay(n) for n in range(1, 6)] == [two.next_delay(n) for n in range(1, 6)]


def test_jitter_spreads_the_waits() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=1.0, seed=1)
    assert len({round(policy.next_delay(1), 6) for _ in range(20)}) > 10


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=0.1, seed=3)
    assert policy.next_delay(1, retry_after=2.0) == 2.0
    assert RetryPolicy(base_delay=3.0, jitter=False).next_delay(1, retry_after=1.0) == 3.0


def test_allows_is_bounded_by_attempts_and_budget() -> None:
    policy = RetryPolicy(max_attempts=3, budget=10.0)
    assert policy.allows(1, elapsed=0.0, delay=1.0)
    assert policy.allows(2, elapsed=8.0, delay=2.0)
    assert not policy.allows(3, elapsed=0.0, delay=0.0)  # attempts used up
    assert not policy.allows(1, elapsed=9.5, delay=1.0)  # would overrun the budget


def test_policy_is_frozen_and_comparable() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 9  # type: ignore[misc]
    assert RetryPolicy(seed=1) == RetryPolicy(seed=2)  # the seed is not configuration


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"budget": float("nan")}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0.0, max_value=100.0),
    cap=st.floats(min_value=0.0, max_value=100.0),
)
def test_next_delay_never_exceeds_max_delay(attempt: int, base: float, cap: float) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, seed=0)
    assert 0.0 <= policy.next_delay(attempt) <= cap


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("inf", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_means_now() -> None:
    now = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0
