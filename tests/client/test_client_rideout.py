"""Riding out an outage, one client against the emulator's outage windows, in seconds.

Intervals and budgets are scaled down (attempts every 0.2 s, outages of about
a second) so that what the suite does over minutes is seen in a moment.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.rideout import OutageRecord, ServerUnreachableError
from aperture_verify.emulator import Emulator, Outage, Scenario, StepScript, WorkflowScript
from aperture_verify.errors import ServerRefusedError
from client_support import KEY

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, budget=5.0, seed=0)
INTERVAL = 0.2


@pytest.fixture
def emulator_scenario() -> Scenario:
    steps = (StepScript("Load", type="SOURCE", rows_out=10),)
    return Scenario(
        workflows=(
            WorkflowScript("W", space="Demo", duration=0.2, queue_time=0.0, steps=steps),
            WorkflowScript("Slow", space="Demo", duration=30.0, steps=steps),
        )
    )


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (KEY,)}


@pytest.fixture
def client_retry() -> RetryPolicy:
    """Fewer attempts than the other client tests': the ride-out starts sooner."""
    return FAST


class Heard:
    """What ``on_begin`` / ``on_end`` were told."""

    def __init__(self) -> None:
        self.begun: list[OutageRecord] = []
        self.ended: list[OutageRecord] = []

    def begin(self, record: OutageRecord) -> None:
        self.begun.append(record)

    def end(self, record: OutageRecord) -> None:
        self.ended.append(record)


@pytest.mark.parametrize("kind", ["503", "refused", "reset"])
def test_a_poll_rides_out_an_outage_and_records_it(
    emulator: Emulator, client: DataStudioClient, kind: str
) -> None:
    job = client.execute("Slow", space="Demo")
    window = emulator.add_outage(Outage(kind, duration=1.5))
    heard = Heard()
    with client.riding_out(30.0, "polling", on_begin=heard.begin, on_end=heard.end, interval=0.2):
        seen = client.get_job(job.id)
    assert seen.id == job.id
    (record,) = heard.begun
    assert heard.ended == [record]
    assert record.during == "polling" and record.ended_at is not None
    assert record.duration is not None and 1.0 <= record.duration < 10.0
    assert record.requests >= FAST.max_attempts
    assert window.begins is not None and record.ended_at.timestamp() >= window.begins + 1.5
    if kind != "refused":  # a refused connection never reaches the server's log
        # Every failed request is counted. Once, in a whole-suite run on a loaded machine,
        # the server counted one more than the client (10 against 9, kind "reset"); it did
        # not recur in 135 runs of this test beside the end-to-end tests, and its cause is
        # not known: one more on the server's side is let through, with the log shown.
        log = [
            (round(r.at - window.begins, 3), r.method, r.path, r.status, r.outage)
            for r in emulator.requests
        ]
        assert record.requests <= window.hits <= record.requests + 1, log


def test_while_riding_attempts_are_paced_by_the_interval(
    emulator: Emulator, client: DataStudioClient
) -> None:
    job = client.execute("Slow", space="Demo")
    emulator.add_outage(Outage("503", duration=1.5))
    with client.riding_out(30.0, "polling", interval=INTERVAL):
        client.get_job(job.id)
    times = [r.at for r in emulator.requests if r.outage == "503"]
    gaps = [b - a for a, b in itertools.pairwise(times[FAST.max_attempts - 1 :])]
    assert gaps, "the outage outlasted the ordinary retries: the test proves nothing otherwise"
    # each wait is drawn from INTERVAL..1.25 x INTERVAL; a request adds its own time (a
    # loaded machine: up to a quarter of a second more), never less
    assert min(gaps) >= INTERVAL * 0.95, gaps
    assert statistics.median(gaps) <= INTERVAL * 1.25 + 0.25, gaps
    # 1.5 s of outage at one attempt per 0.2-0.25 s after the ordinary retries: at most
    # 1.5 / 0.2 ride-out attempts, and one more at the end; at least two, however slow
    # a loaded machine makes each request
    assert 2 <= len(gaps) <= 1.5 / INTERVAL + 1, gaps


def test_an_outage_past_the_budget_is_server_unreachable(
    emulator: Emulator, client: DataStudioClient
) -> None:
    job = client.execute("Slow", space="Demo")
    emulator.add_outage(Outage("503", duration=None))
    heard = Heard()
    with (
        client.riding_out(1.0, "polling", on_begin=heard.begin, interval=INTERVAL),
        pytest.raises(ServerUnreachableError) as caught,
    ):
        client.get_job(job.id)
    text = str(caught.value)
    assert text.startswith("the server could not be reached for ")
    assert "outage budget 1s" in text and "503 Service Unavailable" in text
    assert KEY not in text
    assert caught.value.outage is heard.begun[0] and caught.value.outage.ended_at is None


def test_without_riding_out_a_call_gives_up_after_its_ordinary_retries(
    emulator: Emulator, client: DataStudioClient
) -> None:
    job = client.execute("Slow", space="Demo")
    emulator.add_outage(Outage("503", duration=None))
    with pytest.raises(ServerRefusedError, match="gave up after 3 attempts"):
        client.get_job(job.id)


def test_a_burst_the_ordinary_retries_absorb_is_not_an_outage(
    emulator: Emulator, client: DataStudioClient
) -> None:
    from aperture_verify.emulator import Fault

    job = client.execute("Slow", space="Demo")
    fault = emulator.inject(Fault("GET /api/v1/jobs/*", status=503, times=2))
    heard = Heard()
    with client.riding_out(30.0, "polling", on_begin=heard.begin, on_end=heard.end):
        client.get_job(job.id)
    assert fault.hits == 2, "the burst was not served: the test proves nothing otherwise"
    polls = [
        r for r in emulator.requests if r.method == "GET" and r.path.startswith("/api/v1/jobs/")
    ]
    assert [r.status for r in polls] == [503, 503, 200]
    assert heard.begun == [] and heard.ended == []


@pytest.mark.parametrize("kind", ["503", "refused", "reset"])
def test_an_execute_during_an_outage_starts_exactly_one_job(
    emulator: Emulator, client: DataStudioClient, kind: str
) -> None:
    # "reset" is processed: the server starts the job, then the answer is lost
    emulator.add_outage(Outage(kind, duration=1.5, processed=kind == "reset"))
    if kind == "refused":
        emulator.wait_until(lambda: not emulator.listening, timeout=5)
    with client.riding_out(30.0, "execute", interval=INTERVAL):
        job = client.execute("W", space="Demo")
    (only,) = emulator.jobs
    assert only.job_id == job.id


def test_a_cancel_once_is_one_request_even_during_an_outage(
    emulator: Emulator, client: DataStudioClient
) -> None:
    job = client.execute("Slow", space="Demo")
    emulator.add_outage(Outage("503", duration=None))
    with client.riding_out(30.0, "polling"), pytest.raises(ServerRefusedError):
        client.cancel_job(job.id, once=True)
    cancels = [r for r in emulator.requests if r.path.endswith("/cancel")]
    assert len(cancels) == 1


class _Low:
    """An rng whose uniform draw is always the low end: the waits are exact."""

    def uniform(self, low: float, high: float) -> float:
        return low


def test_the_last_attempt_comes_at_the_budget_s_end_whatever_the_interval() -> None:
    from aperture_verify.client.failures import Failure
    from aperture_verify.client.rideout import RideOut

    ride = RideOut(6.0, "polling", interval=5.0, rng=_Low())  # type: ignore[arg-type]
    ride.failed(100.0, "503")  # the first failed attempt, at t = 100 s (monotonic)
    ride.failed(102.0, "503")  # the ordinary retries are used up 2 s in
    assert ride.next_wait(102.0, None) == 4.0, "cut to the 4 s left, not 5 s, nor given up"
    ride.failed(106.0, "503")
    assert ride.next_wait(106.0, None) is None, "the budget is spent"
    failure = Failure("GET", "/api/v1/jobs/1", "503 Service Unavailable", "status", True, False)
    text = str(ride.error(106.0, failure, lambda t: t))
    assert text.startswith("the server could not be reached for 6s (since ")
    assert "3 failed requests; outage budget 6s); last: 503 Service Unavailable" in text
    # a longer budget: the interval paces the attempts, the last is cut to the end
    ride = RideOut(12.0, "polling", interval=5.0, rng=_Low())  # type: ignore[arg-type]
    ride.failed(0.0, "503")
    assert ride.next_wait(2.0, None) == 5.0
    assert ride.next_wait(7.0, None) == 5.0
    assert ride.next_wait(12.0 - 0.5, None) == 0.5
    assert ride.next_wait(12.0, None) is None


def test_a_budget_shorter_than_the_interval_is_used_whole(
    emulator: Emulator, client: DataStudioClient
) -> None:
    job = client.execute("Slow", space="Demo")
    window = emulator.add_outage(Outage("503", duration=None))
    with (
        client.riding_out(1.0, "polling", interval=5.0),
        pytest.raises(ServerUnreachableError) as caught,
    ):
        client.get_job(job.id)
    times = [r.at for r in emulator.requests if r.outage == "503"]
    # the ordinary retries (3), then one attempt at the budget's end; no more, no fewer
    assert len(times) == FAST.max_attempts + 1 == window.hits, times
    assert 0.95 <= times[-1] - times[0] <= 1.5, times
    text = str(caught.value)
    assert text.startswith("the server could not be reached for 1s (since ")
    assert "4 failed requests; outage budget 1s)" in text
