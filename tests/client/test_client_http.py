"""The client against the emulator over real HTTP: authentication, retries, transport."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.credentials import Credentials
from aperture_verify.emulator import Emulator, Fault
from aperture_verify.errors import (
    AuthenticationError,
    ServerRefusedError,
    TransportError,
)
from client_support import EXECUTE_ROUTE, JOB_ROUTE, KEY, MakeClient, P, calls, finished, header

# -- authentication -------------------------------------------------------------


def test_v2_sends_environment_and_key_without_bearer(
    emulator: Emulator, client: DataStudioClient
) -> None:
    workflows = client.list_workflows()
    assert {w.label for w in workflows} >= {"Workflow 1", "Unpublished"}
    (request,) = emulator.requests
    assert header(request, "Authorization") == f"default {KEY}"
    assert (header(request, "User-Agent") or "").startswith("aperture-verify/")


def test_v2_wrong_key_is_an_authentication_error(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(credentials=Credentials(api_key="nope"))
    with pytest.raises(AuthenticationError) as info:
        client.check_credentials()
    assert info.value.status == 401
    assert emulator.url_for("/api/v1/workflows") in str(info.value)
    assert "APERTURE_API_KEY" in str(info.value)
    assert len(emulator.requests) == 1  # a refused key is not retried


def test_v2_wrong_environment_label_is_refused(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="environment label 'other'"):
        make_client(environment="other").check_credentials()


def test_403_means_the_credential_lacks_permission(
    emulator: Emulator, client: DataStudioClient
) -> None:
    emulator.inject(Fault(route=EXECUTE_ROUTE, status=403))
    with pytest.raises(AuthenticationError, match="lacks permission") as info:
        client.execute("Workflow 1")
    assert info.value.status == 403
    assert emulator.jobs == []


def test_v1_logs_in_and_sends_the_bearer_token(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.check_credentials()
    client.list_workflows()
    login, listing = emulator.requests
    assert (login.method, login.path) == ("POST", P.login_path)
    assert login.json == {"username": "alice", "password": "pw"}
    assert (header(listing, "Authorization") or "").startswith("Bearer ")
    assert client.stats.logins == 1


def test_v1_bad_password_names_url_status_and_message(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1", credentials=Credentials(username="alice", password="wrong"))
    with pytest.raises(AuthenticationError) as info:
        client.list_workflows()
    text = str(info.value)
    assert f"POST {emulator.url_for(P.login_path)} -> 401" in text
    assert "Bad credentials" in text
    assert "wrong" not in text
    assert calls(emulator, "GET") == []


def test_v1_expired_token_logs_in_again_and_repeats(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1")
    client.list_workflows()
    emulator.expire_tokens()
    client.list_workflows()
    assert [(r.method, r.path, r.status) for r in emulator.requests] == [
        ("POST", P.login_path, 200),
        ("GET", P.workflows_path, 200),
        ("GET", P.workflows_path, 401),
        ("POST", P.login_path, 200),
        ("GET", P.workflows_path, 200),
    ]
    assert client.stats.logins == 2
    assert client.stats.retries == 0  # a renewal is not a transient-failure retry


def test_v1_revoked_token_logs_in_again(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    emulator.revoke_tokens()
    client.list_workflows()
    assert len(calls(emulator, "POST", P.login_path)) == 2
    assert emulator.requests[-1].status == 200


def test_v1_renews_before_expiry_without_a_401(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    real = time.monotonic
    # Jump the client's clock past the token's expiresIn (3600 s) instead of waiting.
    client.http._clock = lambda: real() + 3600.0
    client.list_workflows()
    assert [r.status for r in emulator.requests] == [200, 200, 200, 200]
    assert len(calls(emulator, "POST", P.login_path)) == 2


def test_v1_second_401_is_an_authentication_error(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1")
    client.check_credentials()
    emulator.inject(Fault(route="GET /api/v1/workflows", status=401, times=2))
    with pytest.raises(AuthenticationError) as info:
        client.list_workflows()
    assert info.value.status == 401
    assert len(calls(emulator, "POST", P.login_path)) == 2  # renewed once, then gave up


def test_parallel_threads_renew_an_expired_token_once(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1")
    client.check_credentials()
    emulator.expire_tokens()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.list_workflows(), range(8)))
    assert all(results)
    assert len(calls(emulator, "POST", P.login_path)) == 2  # the first login and one renewal
    assert client.stats.logins == 2


# -- retries ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_status_bursts_are_retried(
    emulator: Emulator, client: DataStudioClient, status: int
) -> None:
    job = client.execute("Workflow 1")
    emulator.inject(Fault(route=JOB_ROUTE, status=status, times=3))
    assert client.get_job(job.id).id == job.id
    assert [r.status for r in calls(emulator, "GET")] == [status] * 3 + [200]
    assert client.stats.retries == 3
    assert client.stats.requests == len(emulator.requests)


def test_dropped_connections_are_retried(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emulator.inject(Fault(route=JOB_ROUTE, drop=True, times=2))
    done = finished(emulator, client, job.id)
    assert done.state == "COMPLETED"
    assert [r.status for r in calls(emulator, "GET")][:3] == [None, None, 200]


def test_429_retry_after_is_honoured(emulator: Emulator, client: DataStudioClient) -> None:
    emulator.inject(Fault(route="GET /api/v1/workflows", status=429, retry_after=1))
    client.list_workflows()
    first, second = emulator.requests
    assert first.status == 429
    assert second.at - first.at >= 1.0


def test_a_burst_longer_than_the_attempts_gives_up(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01))
    emulator.inject(Fault(route="GET /api/v1/workflows", status=503, times=None))
    with pytest.raises(ServerRefusedError) as info:
        client.list_workflows()
    text = str(info.value)
    assert "gave up after 3 attempts over" in text
    assert f"{emulator.url_for(P.workflows_path)} -> 503" in text
    assert info.value.status == 503
    assert len(emulator.requests) == 3


def test_retry_after_beyond_the_budget_stops_at_once(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(retry=RetryPolicy(base_delay=0.01, budget=2.0))
    emulator.inject(Fault(route="GET /api/v1/workflows", status=503, retry_after=30, times=None))
    started = time.monotonic()
    with pytest.raises(ServerRefusedError, match=r"asked to wait 30\.0s, more than the"):
        client.list_workflows()
    # it did not wait the 30 s asked (the bound is loose: a busy machine must not trip it)
    assert time.monotonic() - started < 10.0
    assert len(emulator.requests) == 1


def test_a_read_that_never_answers_times_out_and_is_retried(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.2)
    emulator.inject(Fault(route="GET /api/v1/workflows", latency=6.0))
    started = time.monotonic()
    assert client.list_workflows()
    # it did not wait the 6 s for the slow answer (loose: a busy machine must not trip it)
    assert time.monotonic() - started < 5.0
    assert client.stats.retries == 1
    slow, answered = emulator.requests
    assert slow.status is None and answered.status == 200  # gave up on the first unanswered


def test_timeouts_until_the_end_are_a_transport_error(
    emulator: Emulator, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.1, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    emulator.inject(Fault(route="GET /api/v1/workflows", latency=0.5, times=None))
    with pytest.raises(TransportError, match=r"gave up after 2 attempts.*read timeout"):
        client.list_workflows()


def test_an_unreachable_server_is_a_transport_error(make_client: MakeClient) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(
        base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2, base_delay=0.01)
    )
    with pytest.raises(TransportError, match="could not connect") as info:
        client.list_workflows()
    assert "gave up after 2 attempts" in str(info.value)
    assert info.value.status is None
