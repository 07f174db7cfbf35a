"""The client against the emulator over real HTTP: auth, retries, errors, jobs."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.models import Job
from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator import Emulator, Fault, RecordedRequest, StepScript, WorkflowScript
from aperture_verify.errors import (
    AuthenticationError,
    JobLostError,
    ProtocolError,
    ServerRefusedError,
    TransportError,
    WorkflowNotReadyError,
)

KEY = "k1"
FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, budget=5.0, seed=0)
P = ApiProfile()
JOB_ROUTE = "GET /api/v1/jobs/*"
EXECUTE_ROUTE = "POST /api/v1/workflows/execute"

MakeClient = Callable[..., DataStudioClient]


def quick(label: str = "Workflow 1", **kwargs: object) -> WorkflowScript:
    fields: dict[str, object] = {
        "space": "Demo",
        "duration": 0.05,
        "queue_time": 0.0,
        "steps": (StepScript("Load", type="SOURCE", rows_out=10),),
    }
    fields.update(kwargs)
    return WorkflowScript(label, **fields)  # type: ignore[arg-type]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(None, api_keys=(KEY,), users={"alice": "pw"}, environment="default") as e:
        e.add_workflow(quick("Workflow 1"))
        e.add_workflow(quick("Slow", duration=30.0))
        e.add_workflow(quick("Unpublished", published=False))
        yield e
        e.check()


@pytest.fixture
def make_client(emu: Emulator) -> Iterator[MakeClient]:
    made: list[DataStudioClient] = []

    def make(api: str = "v2", **kwargs: object) -> DataStudioClient:
        creds = (
            Credentials(api_key=KEY)
            if api == "v2"
            else Credentials(username="alice", password="pw")
        )
        options: dict[str, object] = {"retry": FAST, "read_timeout": 5.0}
        options.update(kwargs)
        base = str(options.pop("base_url", emu.url))
        creds = options.pop("credentials", creds)  # type: ignore[assignment]
        client = DataStudioClient(base, creds, api=api, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> DataStudioClient:
    return make_client()


def calls(
    emu: Emulator, method: str | None = None, path: str | None = None
) -> list[RecordedRequest]:
    return [
        r
        for r in emu.requests
        if (method is None or r.method == method) and (path is None or r.path == path)
    ]


def header(request: RecordedRequest, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


def finished(emu: Emulator, client: DataStudioClient, job_id: str) -> Job:
    """The job once the server reports it COMPLETED (waits with a deadline)."""

    def done() -> Job | None:
        job = client.get_job(job_id)
        return job if job.state == "COMPLETED" else None

    job = emu.wait_until(done)
    assert job is not None  # wait_until returns only a truthy value
    return job


def job_json(state: str, job_id: str = "j-x") -> dict[str, object]:
    return {
        "jobId": job_id,
        "state": state,
        "workflow": {"externalLabel": "Workflow 1", "name": "Workflow 1", "space": "Demo"},
        "submittedAt": "2026-11-28T01:02:03.456Z",
        "startedAt": None,
        "finishedAt": None,
        "error": None,
        "steps": [],
    }


# -- authentication -------------------------------------------------------------


def test_v2_sends_environment_and_key_without_bearer(
    emu: Emulator, client: DataStudioClient
) -> None:
    workflows = client.list_workflows()
    assert {w.label for w in workflows} >= {"Workflow 1", "Unpublished"}
    (request,) = emu.requests
    assert header(request, "Authorization") == f"default {KEY}"
    assert (header(request, "User-Agent") or "").startswith("aperture-verify/")


def test_v2_wrong_key_is_an_authentication_error(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client(credentials=Credentials(api_key="nope"))
    with pytest.raises(AuthenticationError) as info:
        client.check_credentials()
    assert info.value.status == 401
    assert emu.url_for("/api/v1/workflows") in str(info.value)
    assert "APERTURE_API_KEY" in str(info.value)
    assert len(emu.requests) == 1  # a refused key is not retried


def test_v2_wrong_environment_label_is_refused(make_client: MakeClient) -> None:
    with pytest.raises(AuthenticationError, match="environment label 'other'"):
        make_client(environment="other").check_credentials()


def test_403_means_the_credential_lacks_permission(emu: Emulator, client: DataStudioClient) -> None:
    emu.inject(Fault(route=EXECUTE_ROUTE, status=403))
    with pytest.raises(AuthenticationError, match="lacks permission") as info:
        client.execute("Workflow 1")
    assert info.value.status == 403
    assert emu.jobs == []


def test_v1_logs_in_and_sends_the_bearer_token(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.check_credentials()
    client.list_workflows()
    login, listing = emu.requests
    assert (login.method, login.path) == ("POST", P.login_path)
    assert login.json == {"username": "alice", "password": "pw"}
    assert (header(listing, "Authorization") or "").startswith("Bearer ")
    assert client.stats.logins == 1


def test_v1_bad_password_names_url_status_and_message(
    emu: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1", credentials=Credentials(username="alice", password="wrong"))
    with pytest.raises(AuthenticationError) as info:
        client.list_workflows()
    text = str(info.value)
    assert f"POST {emu.url_for(P.login_path)} -> 401" in text
    assert "Bad credentials" in text
    assert "wrong" not in text
    assert calls(emu, "GET") == []


def test_v1_expired_token_logs_in_again_and_repeats(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    emu.expire_tokens()
    client.list_workflows()
    assert [(r.method, r.path, r.status) for r in emu.requests] == [
        ("POST", P.login_path, 200),
        ("GET", P.workflows_path, 200),
        ("GET", P.workflows_path, 401),
        ("POST", P.login_path, 200),
        ("GET", P.workflows_path, 200),
    ]
    assert client.stats.logins == 2
    assert client.stats.retries == 0  # a renewal is not a transient-failure retry


def test_v1_revoked_token_logs_in_again(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    emu.revoke_tokens()
    client.list_workflows()
    assert len(calls(emu, "POST", P.login_path)) == 2
    assert emu.requests[-1].status == 200


def test_v1_renews_before_expiry_without_a_401(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    real = time.monotonic
    # Jump the client's clock past the token's expiresIn (3600 s) instead of waiting.
    client.http._clock = lambda: real() + 3600.0
    client.list_workflows()
    assert [r.status for r in emu.requests] == [200, 200, 200, 200]
    assert len(calls(emu, "POST", P.login_path)) == 2


def test_v1_second_401_is_an_authentication_error(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.check_credentials()
    emu.inject(Fault(route="GET /api/v1/workflows", status=401, times=2))
    with pytest.raises(AuthenticationError) as info:
        client.list_workflows()
    assert info.value.status == 401
    assert len(calls(emu, "POST", P.login_path)) == 2  # renewed once, then gave up


def test_parallel_threads_renew_an_expired_token_once(
    emu: Emulator, make_client: MakeClient
) -> None:
    client = make_client("v1")
    client.check_credentials()
    emu.expire_tokens()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.list_workflows(), range(8)))
    assert all(results)
    assert len(calls(emu, "POST", P.login_path)) == 2  # the first login and one renewal
    assert client.stats.logins == 2


# -- retries ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_status_bursts_are_retried(emu: Emulator, client: DataStudioClient, status: int) -> None:
    job = client.execute("Workflow 1")
    emu.inject(Fault(route=JOB_ROUTE, status=status, times=3))
    assert client.get_job(job.id).id == job.id
    assert [r.status for r in calls(emu, "GET")] == [status] * 3 + [200]
    assert client.stats.retries == 3
    assert client.stats.requests == len(emu.requests)


def test_dropped_connections_are_retried(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emu.inject(Fault(route=JOB_ROUTE, drop=True, times=2))
    done = finished(emu, client, job.id)
    assert done.state == "COMPLETED"
    assert [r.status for r in calls(emu, "GET")][:3] == [None, None, 200]


def test_429_retry_after_is_honoured(emu: Emulator, client: DataStudioClient) -> None:
    emu.inject(Fault(route="GET /api/v1/workflows", status=429, retry_after=1))
    client.list_workflows()
    first, second = emu.requests
    assert first.status == 429
    assert second.at - first.at >= 1.0


def test_a_burst_longer_than_the_attempts_gives_up(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01))
    emu.inject(Fault(route="GET /api/v1/workflows", status=503, times=None))
    with pytest.raises(ServerRefusedError) as info:
        client.list_workflows()
    text = str(info.value)
    assert "gave up after 3 attempts over" in text
    assert f"{emu.url_for(P.workflows_path)} -> 503" in text
    assert info.value.status == 503
    assert len(emu.requests) == 3


def test_retry_after_beyond_the_budget_stops_at_once(
    emu: Emulator, make_client: MakeClient
) -> None:
    client = make_client(retry=RetryPolicy(base_delay=0.01, budget=2.0))
    emu.inject(Fault(route="GET /api/v1/workflows", status=503, retry_after=30, times=None))
    started = time.monotonic()
    with pytest.raises(ServerRefusedError, match=r"asked to wait 30\.0s, more than the"):
        client.list_workflows()
    assert time.monotonic() - started < 1.0
    assert len(emu.requests) == 1


def test_a_read_that_never_answers_times_out_and_is_retried(
    emu: Emulator, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.2)
    emu.inject(Fault(route="GET /api/v1/workflows", latency=1.0))
    started = time.monotonic()
    assert client.list_workflows()
    assert time.monotonic() - started < 1.0  # did not wait for the slow answer
    assert client.stats.retries == 1


def test_timeouts_until_the_end_are_a_transport_error(
    emu: Emulator, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.1, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    emu.inject(Fault(route="GET /api/v1/workflows", latency=0.5, times=None))
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


# -- bodies the client cannot use ---------------------------------------------------


def test_a_non_json_body_is_a_protocol_error(emu: Emulator, client: DataStudioClient) -> None:
    emu.inject(
        Fault(
            route="GET /api/v1/workflows", body="<html>login page</html>", content_type="text/html"
        )
    )
    with pytest.raises(ProtocolError) as info:
        client.list_workflows()
    assert emu.url_for(P.workflows_path) in str(info.value)
    assert "not JSON (text/html)" in str(info.value)


def test_a_wrong_shape_is_a_protocol_error(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emu.inject(Fault(route=JOB_ROUTE, body={"state": "RUNNING"}))
    with pytest.raises(ProtocolError, match="jobId") as info:
        client.get_job(job.id)
    assert info.value.url == emu.url_for(P.job_path.format(job_id=job.id))


def test_steps_not_a_list_is_a_protocol_error(emu: Emulator, client: DataStudioClient) -> None:
    emu.inject(Fault(route=JOB_ROUTE, body={**job_json("RUNNING"), "steps": "Load"}))
    with pytest.raises(ProtocolError, match="'steps' is a string"):
        client.get_job("j-x")


# -- workflows and execute ------------------------------------------------------------


def test_execute_sends_the_contract_body(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute(
        "Workflow 1",
        space="Demo",
        version="PreferDraft",
        refresh_sources=True,
        parameters={"region": "EU"},
        sources={"Load": "Customers Q3"},
    )
    assert job.state in P.known_states
    assert job.workflow_label == "Workflow 1"
    body = calls(emu, "POST", P.execute_path)[0].json
    assert body == {
        "externalLabel": "Workflow 1",
        "spaceExternalLabel": "Demo",
        "versionToExecute": "PreferDraft",
        "dependenciesToUse": "PublishedOnly",
        "refreshSources": True,
        "workflowParameters": {"region": "EU"},
        "sources": [{"sourceExternalLabel": "Load", "datasetExternalLabel": "Customers Q3"}],
    }
    assert emu.job(job.id).parameters == {"region": "EU"}


def test_unknown_workflow_is_not_ready(client: DataStudioClient) -> None:
    with pytest.raises(WorkflowNotReadyError, match="no workflow with external label 'Nope'"):
        client.execute("Nope")


def test_unpublished_workflow_is_not_ready(emu: Emulator, client: DataStudioClient) -> None:
    with pytest.raises(WorkflowNotReadyError, match="no published version") as info:
        client.execute("Unpublished")
    assert info.value.status == 409
    assert emu.jobs == []


def test_a_refused_body_is_a_server_refusal(client: DataStudioClient) -> None:
    with pytest.raises(ServerRefusedError) as info:
        client.execute("Workflow 1", version="Whenever")
    assert info.value.status == 400
    assert not isinstance(info.value, WorkflowNotReadyError)


def test_execute_is_retried_when_refused_before_acting(
    emu: Emulator, client: DataStudioClient
) -> None:
    emu.inject(Fault(route=EXECUTE_ROUTE, status=503, times=2))
    job = client.execute("Workflow 1")
    assert [j.job_id for j in emu.jobs] == [job.id]
    assert calls(emu, "GET") == []  # nothing ambiguous: no reconciliation


def test_ambiguous_execute_adopts_the_job_the_server_started(
    emu: Emulator, client: DataStudioClient, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault(route=EXECUTE_ROUTE, drop_after_processing=True))
    with caplog.at_level(logging.INFO, logger="aperture_verify.client"):
        job = client.execute("Workflow 1")
    assert [j.job_id for j in emu.jobs] == [job.id]
    assert len(calls(emu, "POST", P.execute_path)) == 1
    assert any("adopted job" in r.getMessage() for r in caplog.records)
    assert client.stats.retries == 0  # adopted, not sent again


@pytest.mark.parametrize(
    "fault",
    [
        Fault(route=EXECUTE_ROUTE, drop=True),
        Fault(route=EXECUTE_ROUTE, status=504),
        Fault(route=EXECUTE_ROUTE, status=502),
    ],
    ids=["dropped", "504", "502"],
)
def test_ambiguous_execute_that_started_nothing_is_sent_again(
    emu: Emulator, client: DataStudioClient, fault: Fault
) -> None:
    emu.inject(fault)
    job = client.execute("Workflow 1")
    assert [j.job_id for j in emu.jobs] == [job.id]
    assert len(calls(emu, "POST", P.execute_path)) == 2
    assert len(calls(emu, "GET", P.jobs_path)) == 1


def test_read_timeout_on_execute_is_reconciled_before_sending_again(
    emu: Emulator, make_client: MakeClient
) -> None:
    """The documented limit: a server still busy with the timed-out execute when
    the jobs are listed starts its job later, after the client sent execute
    again — two jobs. Reconciliation cannot see a job that does not exist yet."""
    client = make_client(read_timeout=0.2)
    emu.inject(Fault(route=EXECUTE_ROUTE, latency=0.5, times=1))
    job = client.execute("Workflow 1")
    sequence = [(r.method, r.path) for r in emu.requests]
    assert sequence == [("POST", P.execute_path), ("GET", P.jobs_path), ("POST", P.execute_path)]
    assert job.id in {j.job_id for j in emu.jobs}
    emu.wait_until(lambda: emu.requests[0].status is not None)  # the slow attempt ends
    assert len(emu.jobs) == 2


def test_several_unknown_new_jobs_are_reported_not_guessed(
    emu: Emulator, client: DataStudioClient, make_client: MakeClient
) -> None:
    other = make_client()
    first, second = other.execute("Workflow 1"), other.execute("Workflow 1")
    emu.inject(Fault(route=EXECUTE_ROUTE, drop=True))
    with pytest.raises(TransportError, match="may have started several jobs") as info:
        client.execute("Workflow 1")
    assert first.id in str(info.value) and second.id in str(info.value)


def test_non_idempotent_request_is_not_retried_when_ambiguous(
    emu: Emulator, client: DataStudioClient
) -> None:
    emu.inject(Fault(route=EXECUTE_ROUTE, status=502, times=None))
    with pytest.raises(ServerRefusedError, match="not retried"):
        client.request(
            "POST", P.execute_path, json={"externalLabel": "Workflow 1"}, idempotent=False
        )
    assert len(emu.requests) == 1


# -- jobs -------------------------------------------------------------------------------


def test_get_job_follows_a_job_to_completion(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    done = finished(emu, client, job.id)
    assert P.is_terminal(done.state)
    assert done.submitted_at is not None and done.submitted_at.tzinfo is not None
    assert done.duration is not None and done.duration >= 0
    load = done.step("Load")
    assert load is not None and load.rows_out == 10


def test_a_forgotten_job_is_lost(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emu.forget_jobs()
    with pytest.raises(JobLostError, match=f"no longer knows job {job.id}") as info:
        client.get_job(job.id)
    assert info.value.status == 404


def test_list_jobs_filters_by_label_and_state(emu: Emulator, client: DataStudioClient) -> None:
    quick_job = client.execute("Workflow 1")
    slow_job = client.execute("Slow")
    assert [j.id for j in client.list_jobs(label="Slow")] == [slow_job.id]
    emu.wait_until(lambda: client.get_job(quick_job.id).state == "COMPLETED")
    assert [j.id for j in client.list_jobs(state="COMPLETED")] == [quick_job.id]
    assert calls(emu, "GET", P.jobs_path)[-1].query == {"state": "COMPLETED"}


def test_cancel_a_running_job(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Slow")
    cancelled = client.cancel_job(job.id)
    assert cancelled.state == "CANCELLED"
    assert emu.job(job.id).cancelled


def test_cancel_a_finished_job_returns_it(emu: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emu.wait_until(lambda: client.get_job(job.id).state == "COMPLETED")
    assert client.cancel_job(job.id).state == "COMPLETED"
    assert [r.status for r in calls(emu, "POST")][-1] == 409


def test_unknown_state_is_kept_not_terminal_and_logged_once(
    emu: Emulator, client: DataStudioClient, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault(route=JOB_ROUTE, body=job_json("PAUSED"), times=2))
    with caplog.at_level(logging.WARNING, logger="aperture_verify.client"):
        first = client.get_job("j-x")
        second = client.get_job("j-x")
    assert first.state == second.state == "PAUSED"
    assert not client.profile.is_terminal(first.state)
    warnings = [r for r in caplog.records if "PAUSED" in r.getMessage()]
    assert len(warnings) == 1
    assert "still running" in warnings[0].getMessage()


# -- the client itself ---------------------------------------------------------------------


def test_stats_count_every_request(emu: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    emu.inject(Fault(route="GET /api/v1/workflows", status=503))
    client.list_workflows()
    assert client.stats.requests == len(emu.requests) == 4
    assert (client.stats.retries, client.stats.logins) == (1, 1)


def test_repr_shows_where_and_how_only(make_client: MakeClient, emu: Emulator) -> None:
    client = make_client(base_url=emu.url.replace("http://", "http://bob:hunter2@"))
    assert repr(client) == f"DataStudioClient('{emu.url}', api='v2', environment='default')"


def test_connections_are_reused(emu: Emulator, client: DataStudioClient) -> None:
    for _ in range(5):
        client.list_workflows()
    manager = client.http._session.get_adapter(emu.url).poolmanager  # type: ignore[attr-defined]
    opened = [manager.pools[key].num_connections for key in manager.pools.keys()]  # noqa: SIM118 (no __iter__)
    assert opened == [1]  # keep-alive: five requests, one TCP connection


def test_client_is_a_context_manager(emu: Emulator) -> None:
    with DataStudioClient(emu.url, Credentials(api_key=KEY), retry=FAST) as client:
        assert client.list_workflows()
