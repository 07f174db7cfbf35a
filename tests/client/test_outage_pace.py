"""The default pace of riding out an outage, and the calls that ride one out: logins too.

The client's sleep is replaced by a recorder, so the default interval (an attempt
every 5-6.25 s) is measured exactly without waiting for it; the emulator serves a
fixed number of 503s, so each count is known from both sides.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.rideout import OUTAGE_INTERVAL, OutageRecord, RideOut, RideOuts
from aperture_verify.emulator import Emulator, Fault, Scenario, StepScript, WorkflowScript
from aperture_verify.errors import ServerRefusedError

KEY = "k1"
SEED = 4
#: No jitter: the ordinary waits are exactly 0.1 s then 0.2 s; three attempts in all.
POLICY = RetryPolicy(
    max_attempts=3, base_delay=0.1, max_delay=1.0, budget=10.0, jitter=False, seed=SEED
)
LOGIN = f"POST {ApiProfile().login_path}"
JOB = "GET /api/v1/jobs/*"


def default_waits(n: int) -> list[float]:
    """The first *n* ride-out waits at the default interval, drawn as the client draws them."""
    rng = random.Random(SEED)
    return [rng.uniform(5.0, 6.25) for _ in range(n)]


class Heard:
    def __init__(self) -> None:
        self.begun: list[OutageRecord] = []
        self.ended: list[OutageRecord] = []


@pytest.fixture
def emulator_scenario() -> Scenario:
    steps = (StepScript("Load", type="SOURCE", rows_out=10),)
    return Scenario(workflows=(WorkflowScript("Slow", space="Demo", duration=60.0, steps=steps),))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (KEY,), "users": {"alice": "pw"}, "check": False}


def make(emulator: Emulator, api: str, sleeps: list[float]) -> DataStudioClient:
    creds = (
        Credentials(api_key=KEY) if api == "v2" else Credentials(username="alice", password="pw")
    )
    client = DataStudioClient(emulator.url, creds, api=api, retry=POLICY, read_timeout=5.0)
    client.http._sleep = sleeps.append  # record the waits instead of waiting them
    return client


def riding(
    client: DataStudioClient, during: str, heard: Heard
) -> contextlib.AbstractContextManager[RideOut]:
    return client.riding_out(600.0, during, on_begin=heard.begun.append, on_end=heard.ended.append)


# -- the pace, on the rule itself ----------------------------------------------------


def test_the_default_interval_is_five_seconds() -> None:
    assert OUTAGE_INTERVAL == 5.0
    ride = RideOut(600.0, "polling", rng=random.Random(SEED))
    waits = [ride.next_wait(0.0, None) for _ in range(3)]
    assert waits == default_waits(3)
    assert all(w is not None and 5.0 <= w <= 6.25 for w in waits)


def test_a_retry_after_beyond_the_interval_is_a_floor() -> None:
    rng = random.Random(SEED)
    _first, second = rng.uniform(1.0, 1.25), rng.uniform(1.0, 1.25)
    ride = RideOut(600.0, "polling", interval=1.0, rng=random.Random(SEED))
    assert ride.next_wait(0.0, 30.0) == 30.0
    assert ride.next_wait(0.0, 0.5) == second  # below the draw: the draw stands


def test_the_budget_counts_from_the_first_failure_and_includes_the_next_wait() -> None:
    ride = RideOut(20.0, "polling", interval=1.0, rng=random.Random(SEED))
    ride.failed(100.0, "503")
    ride.failed(103.0, "503")
    assert ride.streak == 2 and ride.record is None
    # a Retry-After of 5 s sets the wait exactly: 115 - 100 + 5 = 20 fits the budget of 20
    assert ride.next_wait(115.0, 5.0) == 5.0
    assert ride.record is not None and ride.record.requests == 2
    # later, the wait is cut to what is left, so that the last attempt comes at the end...
    assert ride.next_wait(118.0, 5.0) == pytest.approx(2.0)
    # ...and with less than the 10 ms slack left, the budget is spent
    assert ride.next_wait(119.995, 5.0) is None
    ride.answered(200)
    assert ride.since is None and ride.streak == 0 and ride.record is None
    ride.failed(200.0, "503")  # a new streak: counted from its own first failure
    assert ride.next_wait(215.0, 5.0) == 5.0


def test_a_transient_answer_does_not_end_the_outage() -> None:
    ended: list[OutageRecord] = []
    ride = RideOut(60.0, "polling", on_end=ended.append, rng=random.Random(SEED))
    ride.failed(0.0, "503")
    ride.next_wait(0.0, None)
    for status in (429, 502, 503, 504):
        ride.answered(status)
    assert ended == [] and ride.streak == 1
    ride.answered(404)  # any other answer: the server is back
    assert len(ended) == 1 and ended[0].ended_at is not None and ended[0].requests == 1


def test_riding_out_contexts_default_to_the_interval_and_nest_per_thread() -> None:
    rides = RideOuts(seed=SEED)
    assert rides.current() is None
    with rides(60.0, "polling") as outer:
        assert outer.interval == OUTAGE_INTERVAL and outer.budget == 60.0
        with rides(30.0, "login", interval=2.0) as inner:
            assert rides.current() is inner and inner.interval == 2.0
        assert rides.current() is outer
    assert rides.current() is None


# -- the pace, through the client -------------------------------------------------------


def test_a_poll_rides_out_at_the_default_pace(emulator: Emulator) -> None:
    sleeps: list[float] = []
    client = make(emulator, "v2", sleeps)
    job = client.execute("Slow", space="Demo")
    fault = emulator.inject(Fault(JOB, status=503, times=5))
    heard = Heard()
    with riding(client, "polling", heard):
        assert client.get_job(job.id).id == job.id
    # two ordinary waits, then one ride-out wait per further failure (attempts 3, 4, 5)
    assert sleeps == [0.1, 0.2, *default_waits(3)]
    assert fault.hits == 5
    assert len([r for r in emulator.requests if r.method == "GET" and "/jobs/" in r.path]) == 6
    (record,) = heard.begun
    assert heard.ended == [record] and record.requests == 5 and record.during == "polling"
    client.close()


def test_a_v1_login_rides_out_an_outage(emulator: Emulator) -> None:
    sleeps: list[float] = []
    client = make(emulator, "v1", sleeps)
    fault = emulator.inject(Fault(LOGIN, status=503, times=4))
    heard = Heard()
    with riding(client, "login", heard):
        client.check_credentials()
    assert fault.hits == 4
    logins = [r for r in emulator.requests if r.path == ApiProfile().login_path]
    assert len(logins) == 5 and client.stats.logins == 1
    assert sleeps == [0.1, 0.2, *default_waits(2)]
    (record,) = heard.begun
    assert heard.ended == [record] and (record.during, record.requests) == ("login", 4)
    client.close()


def test_a_v1_login_without_riding_out_gives_up_after_its_retries(emulator: Emulator) -> None:
    sleeps: list[float] = []
    client = make(emulator, "v1", sleeps)
    emulator.inject(Fault(LOGIN, status=503, times=4))
    with pytest.raises(ServerRefusedError, match="gave up after 3 attempts"):
        client.check_credentials()
    assert sleeps == [0.1, 0.2]
    client.close()


def test_a_token_renewal_inside_a_poll_rides_out_the_same_outage(emulator: Emulator) -> None:
    sleeps: list[float] = []
    client = make(emulator, "v1", sleeps)
    job = client.execute("Slow", space="Demo")  # logs in once
    emulator.expire_tokens()
    fault = emulator.inject(Fault(LOGIN, status=503, times=4))
    heard = Heard()
    with riding(client, "polling", heard):
        assert client.get_job(job.id).id == job.id
    assert fault.hits == 4
    logins = [r for r in emulator.requests if r.path == ApiProfile().login_path]
    assert len(logins) == 1 + 5 and client.stats.logins == 2
    assert sleeps == [0.1, 0.2, *default_waits(2)]
    (record,) = heard.begun
    assert heard.ended == [record] and (record.during, record.requests) == ("polling", 4)
    client.close()
