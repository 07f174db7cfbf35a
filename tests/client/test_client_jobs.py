"""The client against the emulator over real HTTP: answers it cannot read, execute and
its reconciliation, jobs."""

from __future__ import annotations

import logging

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.emulator import Emulator, Fault
from aperture_verify.errors import (
    JobLostError,
    ProtocolError,
    ServerRefusedError,
    TransportError,
    WorkflowNotReadyError,
)
from client_support import (
    EXECUTE_ROUTE,
    FAST,
    JOB_ROUTE,
    KEY,
    MakeClient,
    P,
    calls,
    finished,
    job_json,
    quick,
)

# -- bodies the client cannot use ---------------------------------------------------


def test_a_non_json_body_is_a_protocol_error(emulator: Emulator, client: DataStudioClient) -> None:
    emulator.inject(
        Fault(
            route="GET /api/v1/workflows", body="<html>login page</html>", content_type="text/html"
        )
    )
    with pytest.raises(ProtocolError) as info:
        client.list_workflows()
    assert emulator.url_for(P.workflows_path) in str(info.value)
    assert "not JSON (text/html)" in str(info.value)


def test_a_wrong_shape_is_a_protocol_error(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emulator.inject(Fault(route=JOB_ROUTE, body={"state": "RUNNING"}))
    with pytest.raises(ProtocolError, match="jobId") as info:
        client.get_job(job.id)
    assert info.value.url == emulator.url_for(P.job_path.format(job_id=job.id))


def test_steps_not_a_list_is_a_protocol_error(emulator: Emulator, client: DataStudioClient) -> None:
    emulator.inject(Fault(route=JOB_ROUTE, body={**job_json("RUNNING"), "steps": "Load"}))
    with pytest.raises(ProtocolError, match="'steps' is a string"):
        client.get_job("j-x")


# -- workflows and execute ------------------------------------------------------------


def test_execute_sends_the_contract_body(emulator: Emulator, client: DataStudioClient) -> None:
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
    body = calls(emulator, "POST", P.execute_path)[0].json
    assert body == {
        "externalLabel": "Workflow 1",
        "spaceExternalLabel": "Demo",
        "versionToExecute": "PreferDraft",
        "dependenciesToUse": "PublishedOnly",
        "refreshSources": True,
        "workflowParameters": {"region": "EU"},
        "sources": [{"sourceExternalLabel": "Load", "datasetExternalLabel": "Customers Q3"}],
    }
    assert emulator.job(job.id).parameters == {"region": "EU"}


def test_unknown_workflow_is_not_ready(client: DataStudioClient) -> None:
    with pytest.raises(WorkflowNotReadyError, match="no workflow with external label 'Nope'"):
        client.execute("Nope")


def test_unpublished_workflow_is_not_ready(emulator: Emulator, client: DataStudioClient) -> None:
    with pytest.raises(WorkflowNotReadyError, match="no published version") as info:
        client.execute("Unpublished")
    assert info.value.status == 409
    assert emulator.jobs == []


def test_a_refused_body_means_the_workflow_could_not_be_started(
    emulator: Emulator, client: DataStudioClient
) -> None:
    # 400: the job never started, so it is a readiness failure, with the server's reason
    with pytest.raises(
        WorkflowNotReadyError, match="refused to execute workflow 'Workflow 1'"
    ) as info:
        client.execute("Workflow 1", version="Whenever")
    assert info.value.status == 400
    assert "'Whenever'" in str(info.value) and "aperture-doctor" in str(info.value)
    assert emulator.jobs == []


def test_a_parameter_the_workflow_does_not_have_is_a_readiness_failure(
    emulator: Emulator, client: DataStudioClient
) -> None:
    emulator.add_workflow(quick("Größe", parameters=("región",)))
    with pytest.raises(WorkflowNotReadyError, match="has no parameter 'regoin'") as info:
        client.execute("Größe", parameters={"regoin": "EU"})
    assert info.value.status == 400
    assert emulator.jobs == []
    job = client.execute("Größe", parameters={"región": "EU"})
    assert [j.job_id for j in emulator.jobs] == [job.id]


def test_execute_is_retried_when_refused_before_acting(
    emulator: Emulator, client: DataStudioClient
) -> None:
    emulator.inject(Fault(route=EXECUTE_ROUTE, status=503, times=2))
    job = client.execute("Workflow 1")
    assert [j.job_id for j in emulator.jobs] == [job.id]
    assert calls(emulator, "GET") == []  # nothing ambiguous: no reconciliation


def test_ambiguous_execute_adopts_the_job_the_server_started(
    emulator: Emulator, client: DataStudioClient, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.inject(Fault(route=EXECUTE_ROUTE, drop_after_processing=True))
    with caplog.at_level(logging.INFO, logger="aperture_verify.client"):
        job = client.execute("Workflow 1")
    assert [j.job_id for j in emulator.jobs] == [job.id]
    assert len(calls(emulator, "POST", P.execute_path)) == 1
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
    emulator: Emulator, client: DataStudioClient, fault: Fault
) -> None:
    emulator.inject(fault)
    job = client.execute("Workflow 1")
    assert [j.job_id for j in emulator.jobs] == [job.id]
    assert len(calls(emulator, "POST", P.execute_path)) == 2
    assert len(calls(emulator, "GET", P.jobs_path)) == 1


def test_read_timeout_on_execute_is_reconciled_before_sending_again(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """The documented limit: a server still busy with the timed-out execute when
    the jobs are listed starts its job later, after the client sent execute
    again — two jobs. Reconciliation cannot see a job that does not exist yet."""
    client = make_client(read_timeout=0.2)
    emulator.inject(Fault(route=EXECUTE_ROUTE, latency=0.5, times=1))
    job = client.execute("Workflow 1")
    sequence = [(r.method, r.path) for r in emulator.requests]
    assert sequence == [("POST", P.execute_path), ("GET", P.jobs_path), ("POST", P.execute_path)]
    assert job.id in {j.job_id for j in emulator.jobs}
    emulator.wait_until(lambda: emulator.requests[0].status is not None)  # the slow attempt ends
    assert len(emulator.jobs) == 2


def test_several_unknown_new_jobs_are_reported_not_guessed(
    emulator: Emulator, client: DataStudioClient, make_client: MakeClient
) -> None:
    other = make_client()
    first, second = other.execute("Workflow 1"), other.execute("Workflow 1")
    emulator.inject(Fault(route=EXECUTE_ROUTE, drop=True))
    with pytest.raises(TransportError, match="may have started several jobs") as info:
        client.execute("Workflow 1")
    assert first.id in str(info.value) and second.id in str(info.value)


def test_non_idempotent_request_is_not_retried_when_ambiguous(
    emulator: Emulator, client: DataStudioClient
) -> None:
    emulator.inject(Fault(route=EXECUTE_ROUTE, status=502, times=None))
    with pytest.raises(ServerRefusedError, match="not retried"):
        client.request(
            "POST", P.execute_path, json={"externalLabel": "Workflow 1"}, idempotent=False
        )
    assert len(emulator.requests) == 1


# -- jobs -------------------------------------------------------------------------------


def test_get_job_follows_a_job_to_completion(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    done = finished(emulator, client, job.id)
    assert P.is_terminal(done.state)
    assert done.submitted_at is not None and done.submitted_at.tzinfo is not None
    assert done.duration is not None and done.duration >= 0
    load = done.step("Load")
    assert load is not None and load.rows_out == 10


def test_a_forgotten_job_is_lost(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emulator.forget_jobs()
    with pytest.raises(JobLostError, match=f"no longer knows job {job.id}") as info:
        client.get_job(job.id)
    assert info.value.status == 404


def test_list_jobs_filters_by_label_and_state(emulator: Emulator, client: DataStudioClient) -> None:
    quick_job = client.execute("Workflow 1")
    slow_job = client.execute("Slow")
    assert [j.id for j in client.list_jobs(label="Slow")] == [slow_job.id]
    emulator.wait_until(lambda: client.get_job(quick_job.id).state == "COMPLETED")
    assert [j.id for j in client.list_jobs(state="COMPLETED")] == [quick_job.id]
    assert calls(emulator, "GET", P.jobs_path)[-1].query == {"state": "COMPLETED"}


def test_cancel_a_running_job(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Slow")
    cancelled = client.cancel_job(job.id)
    assert cancelled.state == "CANCELLED"
    assert emulator.job(job.id).cancelled


def test_cancel_a_finished_job_returns_it(emulator: Emulator, client: DataStudioClient) -> None:
    job = client.execute("Workflow 1")
    emulator.wait_until(lambda: client.get_job(job.id).state == "COMPLETED")
    assert client.cancel_job(job.id).state == "COMPLETED"
    assert [r.status for r in calls(emulator, "POST")][-1] == 409


def test_unknown_state_is_kept_not_terminal_and_logged_once(
    emulator: Emulator, client: DataStudioClient, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.inject(Fault(route=JOB_ROUTE, body=job_json("PAUSED"), times=2))
    with caplog.at_level(logging.WARNING, logger="aperture_verify.client"):
        first = client.get_job("j-x")
        second = client.get_job("j-x")
    assert first.state == second.state == "PAUSED"
    assert not client.profile.is_terminal(first.state)
    warnings = [r for r in caplog.records if "PAUSED" in r.getMessage()]
    assert len(warnings) == 1
    assert "still running" in warnings[0].getMessage()


# -- the client itself ---------------------------------------------------------------------


def test_stats_count_every_request(emulator: Emulator, make_client: MakeClient) -> None:
    client = make_client("v1")
    client.list_workflows()
    emulator.inject(Fault(route="GET /api/v1/workflows", status=503))
    client.list_workflows()
    assert client.stats.requests == len(emulator.requests) == 4
    assert (client.stats.retries, client.stats.logins) == (1, 1)


def test_repr_shows_where_and_how_only(make_client: MakeClient, emulator: Emulator) -> None:
    client = make_client(base_url=emulator.url.replace("http://", "http://bob:hunter2@"))
    assert repr(client) == f"DataStudioClient('{emulator.url}', api='v2', environment='default')"


def test_connections_are_reused(emulator: Emulator, client: DataStudioClient) -> None:
    for _ in range(5):
        client.list_workflows()
    manager = client.http._session.get_adapter(emulator.url).poolmanager  # type: ignore[attr-defined]
    opened = [manager.pools[key].num_connections for key in manager.pools.keys()]  # noqa: SIM118 (no __iter__)
    assert opened == [1]  # keep-alive: five requests, one TCP connection


def test_client_is_a_context_manager(emulator: Emulator) -> None:
    with DataStudioClient(emulator.url, Credentials(api_key=KEY), retry=FAST) as client:
        assert client.list_workflows()
