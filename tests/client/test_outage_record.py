"""An outage as recorded and reported: its line, its data, and the error that ends a ride-out."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from aperture_verify.client.failures import Failure
from aperture_verify.client.rideout import OutageRecord, RideOut, ServerUnreachableError

T0 = datetime(2026, 11, 28, 4, 0, 0, 123000, tzinfo=UTC)


def test_an_ended_outage_in_one_line_and_as_data() -> None:
    record = OutageRecord(T0, "polling", 600.0, "503 x", 4, T0 + timedelta(seconds=15.3334))
    assert record.duration == pytest.approx(15.3334)
    assert record.until == T0 + timedelta(seconds=600)
    assert record.describe() == (
        "server unreachable 2026-11-28T04:00:00.123Z → 2026-11-28T04:00:15.456Z "
        "(15.3s, 4 failed requests, during polling)"
    )
    assert record.to_dict() == {
        "started_at": "2026-11-28T04:00:00.123Z",
        "ended_at": "2026-11-28T04:00:15.456Z",
        "duration": 15.333,
        "during": "polling",
        "requests": 4,
        "budget": 600.0,
        "last_failure": "503 x",
    }
    back = OutageRecord.from_dict(record.to_dict())
    assert back == OutageRecord(T0, "polling", 600.0, "503 x", 4, T0 + timedelta(seconds=15.333))


def test_an_outage_that_lasts_in_one_line_and_as_data() -> None:
    record = OutageRecord(T0, "login", 60.0, requests=1)
    assert record.duration is None
    assert record.describe() == (
        "server unreachable 2026-11-28T04:00:00.123Z → never answered again "
        "(1 failed request, during login)"
    )
    assert record.to_dict()["ended_at"] is None and record.to_dict()["duration"] is None
    assert OutageRecord.from_dict(record.to_dict()) == record
    assert OutageRecord.from_dict({"started_at": "2026-11-28T04:00:00.123Z"}) == OutageRecord(
        T0, "", 0.0
    )


def ride(budget: float = 30.0) -> RideOut:
    clock = iter([T0, T0 + timedelta(seconds=9), T0 + timedelta(seconds=20)])
    return RideOut(budget, "execute", rng=random.Random(1), wall=lambda: next(clock))


def test_the_first_failure_dates_the_outage_and_each_failure_is_counted() -> None:
    begun: list[OutageRecord] = []
    r = ride()
    r.on_begin = begun.append
    r.failed(100.0, "first")
    r.failed(101.0, "second")
    assert (r.since, r.since_wall, r.streak, r.last_failure) == (100.0, T0, 2, "second")
    assert r.next_wait(101.0, None) is not None
    (record,) = begun
    assert record == OutageRecord(T0, "execute", 30.0, "second", 2)  # dated at the first failure
    r.failed(108.0, "third")
    assert (record.requests, record.last_failure, r.since) == (3, "third", 100.0)
    r.next_wait(108.0, None)
    assert begun == [record]  # declared once


def test_unreachable_declares_the_outage_once() -> None:
    begun: list[OutageRecord] = []
    r = ride()
    r.on_begin = begun.append
    first = r.unreachable()
    assert r.unreachable() is first and begun == [first]
    assert first.started_at == T0 and first.requests == 0  # no failure yet: dated now


def test_the_error_that_ends_a_ride_says_how_long_since_when_and_the_last_failure() -> None:
    r = ride(budget=30.0)
    r.failed(100.0, "503")
    failure = Failure(
        "GET", "https://ads.example.com/api/v1/jobs/j1", "GET ... -> 503 Service Unavailable",
        "status", retryable=True, ambiguous=False, status=503,
    )  # fmt: skip
    error = r.error(131.4, failure, lambda text: text.replace("503", "5xx"))
    assert isinstance(error, ServerUnreachableError)
    since = T0.astimezone().strftime("%H:%M:%S")
    assert str(error) == (
        f"the server could not be reached for 31.4s (since {since}, 1 failed requests; "
        "outage budget 30s); last: GET ... -> 5xx Service Unavailable"
    )
    assert error.outage is r.record and error.status == 503
    assert error.url == "https://ads.example.com/api/v1/jobs/j1"
    with pytest.raises(ServerUnreachableError):
        r.wait_or_raise(131.4, failure, str)
    assert r.wait_or_raise(100.0, failure, str) >= r.interval


def test_an_empty_end_reads_as_no_end() -> None:
    data = {"started_at": "2026-11-28T04:00:00.123Z", "ended_at": "", "requests": 2}
    assert OutageRecord.from_dict(data) == OutageRecord(T0, "", 0.0, requests=2)


def test_the_error_redacts_the_server_s_message_and_counts_from_zero_without_a_failure() -> None:
    r = ride(budget=30.0)
    failure = Failure(
        "GET", "https://ads.example.com/x", "GET x -> 503: key k1 refused", "status",
        retryable=True, ambiguous=False, status=503, server_message="key k1 refused",
    )  # fmt: skip
    error = r.error(50.0, failure, lambda text: text.replace("k1", "***"))
    assert error.server_message == "key *** refused"
    assert str(error).startswith("the server could not be reached for 0s (since ")
    assert "k1" not in str(error)


def test_a_retry_after_longer_than_the_interval_sets_the_wait() -> None:
    r = ride(budget=600.0)
    r.failed(0.0, "429")
    failure = Failure(
        "GET", "https://ads.example.com/x", "GET x -> 429", "status",
        retryable=True, ambiguous=False, status=429, retry_after=30.0,
    )  # fmt: skip
    assert r.wait_or_raise(0.0, failure, str) == 30.0
