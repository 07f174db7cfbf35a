"""Injected faults: error statuses, bodies, slowness, dropped connections, stuck jobs."""

from __future__ import annotations

import pytest
import requests

from aperture_verify.emulator import Emulator, Fault

WORKFLOWS = "/api/v1/workflows"
EXECUTE = "/api/v1/workflows/execute"


def execute(api: requests.Session, emu: Emulator, label: str = "Quick") -> requests.Response:
    return api.post(emu.url_for(EXECUTE), json={"externalLabel": label}, timeout=5)


def test_a_status_fault_answers_for_n_calls_then_normal(
    emulator: Emulator, api: requests.Session
) -> None:
    fault = emulator.inject(Fault(route=f"GET {WORKFLOWS}", status=503, times=2))
    statuses = [api.get(emulator.url_for(WORKFLOWS), timeout=5).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (fault.hits, fault.remaining) == (2, 0)
    assert emulator.faults == []


def test_a_fault_answers_a_spring_error_body(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(status=500))
    r = api.get(emulator.url_for(WORKFLOWS), timeout=5)
    body = r.json()
    assert (r.status_code, body["status"], body["error"], body["path"]) == (
        500,
        500,
        "Internal Server Error",
        WORKFLOWS,
    )


def test_times_none_is_for_ever_until_cleared(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(status=502, times=None))
    for _ in range(4):
        assert api.get(emulator.url_for(WORKFLOWS), timeout=5).status_code == 502
    assert len(emulator.faults) == 1 and emulator.faults[0].hits == 4
    emulator.clear_faults()
    assert api.get(emulator.url_for(WORKFLOWS), timeout=5).status_code == 200


def test_faults_match_the_route_pattern(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(route="GET /api/v1/jobs/*", status=500, times=None))
    job_id = execute(api, emulator).json()["jobId"]  # POST execute: not matched
    assert api.get(emulator.url_for("/api/v1/jobs"), timeout=5).status_code == 200
    assert api.get(emulator.url_for(f"/api/v1/jobs/{job_id}"), timeout=5).status_code == 500
    r = api.post(emulator.url_for(f"/api/v1/jobs/{job_id}/cancel"), timeout=5)
    assert r.status_code == 202  # POST, not GET


def test_faults_match_a_workflow(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(workflow="Slow", status=500, times=None))
    assert execute(api, emulator, "Slow").status_code == 500
    quick = execute(api, emulator, "Quick").json()["jobId"]
    assert api.get(emulator.url_for(f"/api/v1/jobs/{quick}"), timeout=5).status_code == 200
    emulator.clear_faults()
    slow = execute(api, emulator, "Slow").json()["jobId"]
    emulator.inject(Fault(workflow="Slow", route="GET *", status=500, times=None))
    assert api.get(emulator.url_for(f"/api/v1/jobs/{slow}"), timeout=5).status_code == 500
    assert api.get(emulator.url_for(f"/api/v1/jobs/{quick}"), timeout=5).status_code == 200
    assert (
        api.get(
            emulator.url_for("/api/v1/jobs"), params={"externalLabel": "Slow"}, timeout=5
        ).status_code
        == 500
    )


def test_first_matching_fault_wins_and_only_it_counts_down(
    emulator: Emulator, api: requests.Session
) -> None:
    first = emulator.inject(Fault(status=503))
    second = emulator.inject(Fault(status=504))
    codes = [api.get(emulator.url_for(WORKFLOWS), timeout=5).status_code for _ in range(3)]
    assert codes == [503, 504, 200]
    assert (first.hits, second.hits) == (1, 1)


def test_retry_after_is_sent(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(status=429, retry_after=2))
    r = api.get(emulator.url_for(WORKFLOWS), timeout=5)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "2")
    emulator.inject(Fault(status=503, retry_after=0.5))
    assert api.get(emulator.url_for(WORKFLOWS), timeout=5).headers["Retry-After"] == "0.5"


def test_a_non_json_body(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(status=502, body="<html>oops</html>", content_type="text/html"))
    r = api.get(emulator.url_for(WORKFLOWS), timeout=5)
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (
        502,
        "<html>oops</html>",
        "text/html",
    )
    with pytest.raises(requests.JSONDecodeError):
        r.json()


def test_json_of_the_wrong_shape_with_200(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(route="GET /api/v1/jobs/*", body={"unexpected": 1}))
    job_id = execute(api, emulator).json()["jobId"]
    r = api.get(emulator.url_for(f"/api/v1/jobs/{job_id}"), timeout=5)
    assert (r.status_code, r.json()) == (200, {"unexpected": 1})


def test_latency_makes_a_read_timeout_fire(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(route=f"GET {WORKFLOWS}", latency=0.5))
    with pytest.raises(requests.ReadTimeout):
        api.get(emulator.url_for(WORKFLOWS), timeout=(2, 0.1))
    # the slow request was still answered, to nobody: the log shows it once done
    emulator.wait_until(lambda: emulator.requests and emulator.requests[0].status == 200)
    assert api.get(emulator.url_for(WORKFLOWS), timeout=5).status_code == 200


def test_latency_alone_still_answers_normally(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(latency=0.05))
    r = api.get(emulator.url_for(WORKFLOWS), timeout=5)
    assert r.status_code == 200
    elapsed = emulator.requests[0].elapsed
    assert elapsed is not None and elapsed >= 0.05


def test_drop_closes_the_connection_without_an_answer(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.inject(Fault(route=f"POST {EXECUTE}", drop=True))
    with pytest.raises(requests.ConnectionError):
        execute(api, emulator)
    assert emulator.jobs == []  # dropped before processing
    assert emulator.requests[-1].status is None
    assert execute(api, emulator).status_code == 202  # the session recovers


def test_drop_after_processing_still_creates_the_job(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.inject(Fault(route=f"POST {EXECUTE}", drop_after_processing=True))
    with pytest.raises(requests.ConnectionError):
        execute(api, emulator, "Quick")
    (job,) = emulator.jobs
    assert job.label == "Quick"
    listed = api.get(
        emulator.url_for("/api/v1/jobs"), params={"externalLabel": "Quick"}, timeout=5
    ).json()
    assert [j["jobId"] for j in listed] == [job.job_id]


def test_a_stuck_fault_keeps_the_next_job_of_its_workflow_running(
    emulator: Emulator, api: requests.Session
) -> None:
    fault = emulator.inject(Fault(workflow="Quick", stuck=True))
    stuck = execute(api, emulator).json()["jobId"]
    assert execute(api, emulator).status_code == 202  # a stuck fault never changes responses
    normal = emulator.jobs[1].job_id
    assert fault.hits == 1 and emulator.faults == []
    emulator.wait_until(lambda: emulator.job(normal).state == "COMPLETED")
    assert emulator.job(stuck).state == "RUNNING" and emulator.job(stuck).stuck
    cancelled = api.post(emulator.url_for(f"/api/v1/jobs/{stuck}/cancel"), timeout=5)
    assert cancelled.json()["state"] == "CANCELLED"


def test_a_stuck_fault_for_ever(emulator: Emulator, api: requests.Session) -> None:
    emulator.inject(Fault(workflow="Fails", stuck=True, times=None))
    ids = [execute(api, emulator, "Fails").json()["jobId"] for _ in range(2)]
    assert all(emulator.job(i).stuck for i in ids)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"stuck": True}, "needs workflow"),
        ({"stuck": True, "workflow": "W", "status": 500}, "not responses"),
        ({"times": 0}, "times"),
        ({"status": 42}, "not an HTTP status"),
        ({"drop": True, "drop_after_processing": True}, "not both"),
        ({"latency": -1.0}, "latency"),
    ],
)
def test_impossible_faults_are_refused(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Fault(**kwargs)  # type: ignore[arg-type]


def test_a_handler_error_is_a_500_and_is_re_raised_by_check(
    emulator: Emulator, api: requests.Session
) -> None:
    def broken(job_id: str) -> str | None:
        raise RuntimeError("bug in the emulator")

    emulator._jobs.label_of = broken  # type: ignore[method-assign]
    r = api.get(emulator.url_for("/api/v1/jobs/x"), timeout=5)
    assert r.status_code == 500 and "bug in the emulator" in r.json()["message"]
    with pytest.raises(RuntimeError, match="bug in the emulator"):
        emulator.check()
    emulator.check()  # once only
