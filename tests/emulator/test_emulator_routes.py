"""Every route of the contract, its success shape and its error codes."""

from __future__ import annotations

import http.client
import re
from typing import Any

import pytest
import requests

from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator import Emulator, Scenario, WorkflowScript
from emulator_support import EmulatorFactory

EXECUTE = "/api/v1/workflows/execute"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def execute(api: requests.Session, emu: Emulator, **body: Any) -> requests.Response:
    return api.post(emu.url_for(EXECUTE), json=body, timeout=5)


def assert_spring_error(r: requests.Response, status: int, path: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"}
    assert (body["status"], body["path"]) == (status, path)
    assert ISO_MS.match(body["timestamp"])
    message: str = body["message"]
    return message


def test_workflows_are_listed_in_the_contract_shape(
    emulator: Emulator, api: requests.Session
) -> None:
    r = api.get(emulator.url_for("/api/v1/workflows"), timeout=5)
    assert r.status_code == 200
    listed = r.json()
    assert listed[0] == {
        "id": 1,
        "name": "Quick",
        "externalLabel": "Quick",
        "space": "Demo",
        "published": True,
        "hasDraft": False,
    }
    assert [w["externalLabel"] for w in listed] == ["Quick", "Fails", "Draft", "Slow"]
    assert listed[2]["published"] is False and listed[2]["hasDraft"] is True


def test_the_scenario_can_change_while_running(emulator: Emulator, api: requests.Session) -> None:
    emulator.add_workflow(WorkflowScript("New", space="Other", name="A new one"))
    emulator.add_workflow(WorkflowScript("Quick", published=False))  # replaced, same id
    listed = {
        w["externalLabel"]: w
        for w in api.get(emulator.url_for("/api/v1/workflows"), timeout=5).json()
    }
    assert listed["New"] == {
        "id": 5,
        "name": "A new one",
        "externalLabel": "New",
        "space": "Other",
        "published": True,
        "hasDraft": False,
    }
    assert listed["Quick"]["id"] == 1 and listed["Quick"]["published"] is False


def test_execute_answers_202_queued_and_records_the_body(
    emulator: Emulator, api: requests.Session
) -> None:
    body = {
        "externalLabel": "Quick",
        "spaceExternalLabel": "Demo",
        "versionToExecute": "PublishedOnly",
        "dependenciesToUse": "PreferDraft",
        "refreshSources": True,
        "workflowParameters": {"region": "UK", "limit": 10},
        "sources": [{"sourceExternalLabel": "S", "datasetExternalLabel": "D"}],
    }
    r = api.post(emulator.url_for(EXECUTE), json=body, timeout=5)
    assert r.status_code == 202
    assert set(r.json()) == {"jobId", "state"} and r.json()["state"] == "QUEUED"
    (job,) = emulator.jobs
    assert job.job_id == r.json()["jobId"]
    assert (job.label, job.space, job.version) == ("Quick", "Demo", "published")
    assert job.parameters == {"region": "UK", "limit": 10}
    assert job.body == body
    assert emulator.requests[-1].workflow_label == "Quick"


def test_a_minimal_body_is_accepted(emulator: Emulator, api: requests.Session) -> None:
    assert execute(api, emulator, externalLabel="Quick").status_code == 202
    r = execute(
        api,
        emulator,
        externalLabel="Quick",
        versionToExecute="PublishedOnly",
        dependenciesToUse="PublishedOnly",
    )
    assert r.status_code == 202


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "'externalLabel' is required"),
        ({"externalLabel": 3}, "'externalLabel' is required"),
        (
            {"externalLabel": "Quick", "versionToExecute": "Latest"},
            "'versionToExecute' must be one",
        ),
        ({"externalLabel": "Quick", "dependenciesToUse": "x"}, "'dependenciesToUse' must be one"),
        ({"externalLabel": "Quick", "refreshSources": "yes"}, "'refreshSources' must be true"),
        ({"externalLabel": "Quick", "workflowParameters": ["a"]}, "must be an object"),
        ({"externalLabel": "Quick", "spaceExternalLabel": 1}, "'spaceExternalLabel' must be"),
        ({"externalLabel": "Quick", "sources": [1]}, "array of objects"),
    ],
)
def test_a_bad_execute_body_gets_400(
    emulator: Emulator, api: requests.Session, body: dict[str, Any], words: str
) -> None:
    r = api.post(emulator.url_for(EXECUTE), json=body, timeout=5)
    assert words in assert_spring_error(r, 400, EXECUTE)
    assert emulator.jobs == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {"workflowParameters": {"región": "EU", "yeer": 2026}},
            "Workflow 'Größe' has no parameter 'yeer' in 'workflowParameters' "
            "(its parameters: 'región', 'year')",
        ),
        (
            {"sources": [{"sourceExternalLabel": "Kunden", "datasetExternalLabel": "d"}]},
            "Workflow 'Größe' has no Source step 'Kunden' in 'sources' "
            "(its Source steps: 'Customers')",
        ),
    ],
)
def test_a_name_the_workflow_does_not_list_gets_400(
    emulator: Emulator, api: requests.Session, body: dict[str, Any], words: str
) -> None:
    emulator.add_workflow(
        WorkflowScript("Größe", parameters=("región", "year"), sources=("Customers",))
    )
    r = execute(api, emulator, externalLabel="Größe", **body)
    assert assert_spring_error(r, 400, EXECUTE) == words
    assert emulator.jobs == []
    # the names it lists are taken; a workflow that lists none takes any
    ok = {"región": "EU"}, [{"sourceExternalLabel": "Customers", "datasetExternalLabel": "d"}]
    r = execute(api, emulator, externalLabel="Größe", workflowParameters=ok[0], sources=ok[1])
    assert r.status_code == 202, r.text
    r = execute(api, emulator, externalLabel="Quick", workflowParameters={"yeer": 1})
    assert r.status_code == 202, r.text


@pytest.mark.parametrize("data", [b"{not json", b'"a string"', b""])
def test_a_body_that_is_not_a_json_object_gets_400(
    emulator: Emulator, api: requests.Session, data: bytes
) -> None:
    r = api.post(
        emulator.url_for(EXECUTE),
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert_spring_error(r, 400, EXECUTE)


def test_an_unknown_label_or_space_gets_404(emulator: Emulator, api: requests.Session) -> None:
    r = execute(api, emulator, externalLabel="Nope")
    assert assert_spring_error(r, 404, EXECUTE) == "No workflow with external label 'Nope'"
    r = execute(api, emulator, externalLabel="Quick", spaceExternalLabel="Elsewhere")
    assert "in space 'Elsewhere'" in assert_spring_error(r, 404, EXECUTE)


def test_published_only_on_an_unpublished_workflow_gets_409(
    emulator: Emulator, api: requests.Session
) -> None:
    r = execute(api, emulator, externalLabel="Draft", versionToExecute="PublishedOnly")
    assert "no published version" in assert_spring_error(r, 409, EXECUTE)
    r = execute(api, emulator, externalLabel="Draft", versionToExecute="PreferDraft")
    assert r.status_code == 202
    assert emulator.job(r.json()["jobId"]).version == "draft"


def test_prefer_draft_needs_some_version(emulator: Emulator, api: requests.Session) -> None:
    emulator.add_workflow(WorkflowScript("Nothing", published=False, has_draft=False))
    r = execute(api, emulator, externalLabel="Nothing", versionToExecute="PreferDraft")
    assert "no draft" in assert_spring_error(r, 409, EXECUTE)


def test_a_job_is_read_by_id_and_unknown_ids_get_404(
    emulator: Emulator, api: requests.Session
) -> None:
    job_id = execute(api, emulator, externalLabel="Quick").json()["jobId"]
    r = api.get(emulator.url_for(f"/api/v1/jobs/{job_id}"), timeout=5)
    assert r.status_code == 200
    job = r.json()
    assert set(job) == {
        "jobId",
        "state",
        "workflow",
        "submittedAt",
        "startedAt",
        "finishedAt",
        "error",
        "steps",
    }
    assert job["workflow"] == {"externalLabel": "Quick", "name": "Quick", "space": "Demo"}
    assert ISO_MS.match(job["submittedAt"])
    path = "/api/v1/jobs/no-such-job"
    r = api.get(emulator.url_for(path), timeout=5)
    assert assert_spring_error(r, 404, path) == "No job with id 'no-such-job'"


def test_jobs_are_listed_and_filtered(emulator: Emulator, api: requests.Session) -> None:
    quick = execute(api, emulator, externalLabel="Quick").json()["jobId"]
    slow = execute(api, emulator, externalLabel="Slow").json()["jobId"]
    url = emulator.url_for("/api/v1/jobs")

    def ids(**params: str) -> list[str]:
        r = api.get(url, params=params, timeout=5)
        assert r.status_code == 200
        return [j["jobId"] for j in r.json()]

    assert ids() == [quick, slow]
    assert ids(externalLabel="Slow") == [slow]
    assert ids(externalLabel="Nope") == []
    emulator.wait_until(lambda: emulator.job(quick).state == "COMPLETED")
    assert ids(state="COMPLETED") == [quick]
    assert ids(state="RUNNING", externalLabel="Slow") == [slow]
    assert ids(state="QUEUED") == []


def test_cancel_answers_202_with_the_cancelled_job(
    emulator: Emulator, api: requests.Session
) -> None:
    job_id = execute(api, emulator, externalLabel="Slow").json()["jobId"]
    r = api.post(emulator.url_for(f"/api/v1/jobs/{job_id}/cancel"), timeout=5)
    assert r.status_code == 202
    assert r.json()["state"] == "CANCELLED" and r.json()["finishedAt"] is not None
    assert emulator.job(job_id).cancelled
    # cancelling again: the job is already terminal
    path = f"/api/v1/jobs/{job_id}/cancel"
    assert "already finished (CANCELLED)" in assert_spring_error(
        api.post(emulator.url_for(path), timeout=5), 409, path
    )


def test_cancel_of_a_finished_or_unknown_job(emulator: Emulator, api: requests.Session) -> None:
    job_id = execute(api, emulator, externalLabel="Fails").json()["jobId"]
    emulator.wait_until(lambda: emulator.job(job_id).state == "FAILED")
    path = f"/api/v1/jobs/{job_id}/cancel"
    assert "(FAILED)" in assert_spring_error(api.post(emulator.url_for(path), timeout=5), 409, path)
    assert emulator.job(job_id).state == "FAILED"
    path = "/api/v1/jobs/unknown/cancel"
    assert_spring_error(api.post(emulator.url_for(path), timeout=5), 404, path)


def test_unknown_routes_get_404_and_wrong_methods_405(
    emulator: Emulator, api: requests.Session
) -> None:
    assert "No endpoint" in assert_spring_error(
        api.get(emulator.url_for("/api/v2/things"), timeout=5), 404, "/api/v2/things"
    )
    r = api.delete(emulator.url_for("/api/v1/workflows"), timeout=5)
    assert_spring_error(r, 405, "/api/v1/workflows")
    assert r.headers["Allow"] == "GET"


def test_forget_jobs_makes_known_ids_answer_404(emulator: Emulator, api: requests.Session) -> None:
    job_id = execute(api, emulator, externalLabel="Quick").json()["jobId"]
    emulator.forget_jobs()
    assert emulator.jobs == []
    path = f"/api/v1/jobs/{job_id}"
    assert_spring_error(api.get(emulator.url_for(path), timeout=5), 404, path)
    with pytest.raises(KeyError):
        emulator.job(job_id)


def test_keep_alive_connections_are_reused(emulator: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    sockets = []
    try:
        for path in ("/api/v1/workflows", "/nowhere", "/api/v1/jobs"):
            conn.request("GET", path, headers={"Authorization": "default test-api-key"})
            response = conn.getresponse()
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            assert not response.will_close
            sockets.append(conn.sock)
    finally:
        conn.close()
    assert sockets[0] is not None and sockets.count(sockets[0]) == 3


def test_the_request_log_records_and_clears(emulator: Emulator, api: requests.Session) -> None:
    execute(api, emulator, externalLabel="Quick")
    api.get(emulator.url_for("/api/v1/jobs"), params={"externalLabel": "Quick"}, timeout=5)
    first, second = emulator.requests
    assert (first.method, first.path, first.status) == ("POST", EXECUTE, 202)
    assert first.json == {"externalLabel": "Quick"} and first.workflow_label == "Quick"
    assert (second.query, second.workflow_label) == ({"externalLabel": "Quick"}, "Quick")
    assert first.at <= second.at
    emulator.clear_requests()
    assert emulator.requests == []


def test_stop_closes_kept_alive_connections(emulator: Emulator, api: requests.Session) -> None:
    assert api.get(emulator.url_for("/api/v1/workflows"), timeout=5).status_code == 200
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        api.get(emulator.url_for("/api/v1/workflows"), timeout=5)
    emulator.stop()  # twice is fine
    assert not emulator.running


def test_a_profile_renames_paths_fields_and_states(emulator_factory: EmulatorFactory) -> None:
    profile = ApiProfile(
        execute_path="/rest/run",
        job_path="/rest/job/{job_id}",
        job_id_field="id",
        job_state_field="status",
        completed_states=("SUCCEEDED",),
        queued_states=("PENDING",),
    )
    scenario = Scenario(workflows=(WorkflowScript("W", duration=0.05, queue_time=0.0),))
    emu = emulator_factory(scenario, api_keys=("k",), profile=profile)
    with requests.Session() as s:
        s.headers["Authorization"] = "default k"
        r = s.post(emu.url_for("/rest/run"), json={"externalLabel": "W"}, timeout=5)
        assert r.status_code == 202
        job_id = r.json()["id"]
        emu.wait_until(lambda: emu.job(job_id).state == "SUCCEEDED")
        assert s.get(emu.url_for(f"/rest/job/{job_id}"), timeout=5).json()["status"] == "SUCCEEDED"
        assert (
            s.post(emu.url_for(EXECUTE), json={"externalLabel": "W"}, timeout=5).status_code == 404
        )
