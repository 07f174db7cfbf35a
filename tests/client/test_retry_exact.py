"""Retry arithmetic at its edges: exact waits, the smallest policy, HTTP dates without a zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aperture_verify.client.retry import RetryPolicy, parse_retry_after

NOW = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)


def test_one_attempt_is_the_smallest_policy() -> None:
    once = RetryPolicy(max_attempts=1)
    assert once.delays == ()
    assert not once.allows(1, 0.0, 0.0)
    with pytest.raises(ValueError, match="max_attempts must be at least 1, not 0"):
        RetryPolicy(max_attempts=0)


def test_the_exponent_is_bounded_at_two_to_the_64() -> None:
    huge = RetryPolicy(base_delay=1.0, max_delay=1e300, jitter=False)
    assert huge.cap(65) == 2.0**64
    assert huge.cap(10_000) == 2.0**64  # bounded, not an overflow
    assert huge.cap(1) == 1.0 and huge.cap(0) == 1.0


@pytest.mark.parametrize(
    "header",
    ["Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 -0000",
     "Wed, 21 Oct 2015 09:28:00 +0200"],
)  # fmt: skip
def test_an_http_date_is_read_in_its_zone_and_a_missing_zone_is_gmt(header: str) -> None:
    assert parse_retry_after(header, now=NOW) == 30.0


def test_an_http_date_against_the_clock_is_a_wait_from_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # long past
    future = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT")
    assert future is not None and future > 1e9
