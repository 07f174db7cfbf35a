"""Outage windows: 503 on every (or some) routes, a refusing listener, reset connections."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from aperture_verify.emulator import Emulator, Outage, parse_scenario
from aperture_verify.errors import PlanError
from emulator_support import EmulatorFactory

WORKFLOWS = "/api/v1/workflows"
EXECUTE = "/api/v1/workflows/execute"


def get(api: requests.Session, emu: Emulator, path: str = WORKFLOWS) -> requests.Response:
    return api.get(emu.url_for(path), timeout=5)


def execute(api: requests.Session, emu: Emulator, label: str = "Quick") -> requests.Response:
    return api.post(emu.url_for(EXECUTE), json={"externalLabel": label}, timeout=5)


def answers(api: requests.Session, emu: Emulator) -> bool:
    """Whether the emulator answers 200 now (a refused or reset connection is a no)."""
    try:
        return get(api, emu).status_code == 200
    except requests.ConnectionError:
        return False


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: list[BaseException] = [error]
    while seen:
        current = seen.pop()
        if isinstance(current, kind):
            return True
        seen.extend(a for a in current.args if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                seen.append(inner)
    return False


def test_a_503_outage_answers_every_route_until_it_ends(
    emulator: Emulator, api: requests.Session
) -> None:
    outage = emulator.add_outage(Outage("503", duration=0.5, retry_after=2))
    r = get(api, emulator)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "2"
    assert r.json()["status"] == 503 and r.json()["path"] == WORKFLOWS
    assert execute(api, emulator).status_code == 503
    assert emulator.jobs == [], "a request refused by the outage must not be acted on"
    assert outage.begins is not None and outage.ends == outage.begins + 0.5
    emulator.wait_until(lambda: get(api, emulator).status_code == 200, timeout=5)
    assert time.time() >= outage.begins + 0.5
    assert outage.hits >= 2
    marked = [r.outage for r in emulator.requests]
    assert marked[:2] == ["503", "503"] and marked[-1] is None


def test_the_connection_stays_usable_after_a_503_that_carried_a_body(
    emulator: Emulator, api: requests.Session
) -> None:
    # A server that refuses a request must still read its body, or the next
    # request on the kept-alive connection is garbage to it.
    emulator.add_outage(Outage("503", duration=0.3))
    assert execute(api, emulator).status_code == 503
    emulator.wait_until(lambda: not any(o.covers(time.time()) for o in emulator.outages))
    assert execute(api, emulator).status_code == 202
    assert len(emulator.jobs) == 1


def test_an_outage_on_chosen_routes_leaves_the_others_alone(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.add_outage(Outage("503", duration=None, routes=("GET /api/v1/jobs/*",)))
    job_id = execute(api, emulator).json()["jobId"]
    assert get(api, emulator).status_code == 200
    assert get(api, emulator, f"/api/v1/jobs/{job_id}").status_code == 503
    emulator.end_outages()
    assert get(api, emulator, f"/api/v1/jobs/{job_id}").status_code == 200


def test_a_refused_outage_closes_the_port_and_reopens_it(
    emulator: Emulator, api: requests.Session
) -> None:
    port = emulator.port
    emulator.add_outage(Outage("refused", duration=1.0))
    emulator.wait_until(lambda: not emulator.listening, timeout=5)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(requests.ConnectionError) as caught:
        get(api, emulator)
    assert _caused_by(caught.value, ConnectionRefusedError)
    emulator.wait_until(lambda: emulator.listening, timeout=5)
    assert emulator.port == port and emulator.running
    assert get(api, emulator).status_code == 200


def test_a_reset_outage_resets_connections_without_acting(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.add_outage(Outage("reset", duration=None))
    with pytest.raises(requests.ConnectionError) as caught:
        execute(api, emulator)
    assert _caused_by(caught.value, ConnectionResetError)
    assert emulator.jobs == []
    (logged,) = emulator.requests
    assert (logged.method, logged.status, logged.outage) == ("POST", None, "reset")
    emulator.end_outages()
    assert execute(api, emulator).status_code == 202


def test_a_processed_reset_acts_before_it_resets(emulator: Emulator, api: requests.Session) -> None:
    emulator.add_outage(Outage("reset", duration=None, processed=True))
    with pytest.raises(requests.ConnectionError):
        execute(api, emulator)
    (job,) = emulator.jobs
    assert job.label == "Quick"


def test_an_outage_after_the_first_execute_of_a_workflow(
    emulator: Emulator, api: requests.Session
) -> None:
    outage = emulator.add_outage(
        Outage("503", duration=None, after="first_execute", workflow="Slow", delay=0.0)
    )
    assert execute(api, emulator, "Quick").status_code == 202
    assert outage.begins is None
    assert execute(api, emulator, "Slow").status_code == 503  # the trigger is in the window
    assert outage.begins is not None
    assert get(api, emulator).status_code == 503
    assert [j.label for j in emulator.jobs] == ["Quick"]


def test_an_outage_after_a_job_starts_begins_at_its_start_plus_the_delay(
    emulator: Emulator, api: requests.Session
) -> None:
    outage = emulator.add_outage(
        Outage("503", duration=0.5, after="job_start", workflow="Slow", delay=0.2)
    )
    job_id = execute(api, emulator, "Slow").json()["jobId"]
    started = emulator.wait_until(lambda: emulator.job(job_id).started_at, timeout=5)
    assert started is not None
    assert outage.begins == pytest.approx(started.timestamp() + 0.2, abs=0.002)
    assert emulator.wait_until(lambda: get(api, emulator).status_code == 503, timeout=5)
    emulator.wait_until(lambda: get(api, emulator).status_code == 200, timeout=5)


def test_a_refused_outage_after_the_first_request_catches_that_request(
    emulator: Emulator, api: requests.Session
) -> None:
    emulator.add_outage(Outage("refused", duration=0.5, after="first_request"))
    assert emulator.listening
    with pytest.raises(requests.ConnectionError):
        get(api, emulator)
    emulator.wait_until(lambda: answers(api, emulator), timeout=5)


def test_a_scenario_schedules_its_outages_at_the_emulators_start(
    emulator_factory: EmulatorFactory,
) -> None:
    scenario = parse_scenario(
        """
        [workflows.W1]
        duration = "1s"

        [[outages]]
        kind = "503"
        duration = "10m"
        status = 504
        retry_after = "3s"
        routes = ["GET /api/v1/jobs/*", "POST /api/v1/workflows/execute"]

        [[outages]]
        kind = "reset"
        after = "job_start"
        workflow = "W1"
        delay = "1s"
        duration = "15s"
        processed = true
        """,
        "workflows.toml",
    )
    first, second = scenario.outages
    assert (first.status, first.retry_after, first.duration) == (504, 3.0, 600.0)
    assert (second.kind, second.after, second.workflow, second.delay) == (
        "reset",
        "job_start",
        "W1",
        1.0,
    )
    emu = emulator_factory(scenario, api_keys=("k",))
    scheduled = emu.outages
    assert scheduled[0].begins is not None and scheduled[1].begins is None
    assert scheduled[0] is not first, "each emulator keeps its own copy"
    r = requests.post(
        emu.url_for(EXECUTE),
        json={"externalLabel": "W1"},
        headers={"Authorization": "default k"},
        timeout=5,
    )
    assert r.status_code == 504
    assert first.begins is None


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('kind = "down"\nduration = "1s"', "outages[0].kind", "'down' is not allowed"),
        ('kind = "503"', "outages[0].duration", "missing"),
        ('kind = "503"\nduration = "0s"', "outages[0].duration", "more than 0s"),
        ('kind = "refused"\nduration = "1s"\nroutes = ["*"]', "outages[0].routes", "listener"),
        ('kind = "503"\nduration = "1s"\nworkflow = "W1"', "outages[0].workflow", "only used"),
        ('kind = "reset"\nduration = "1s"\nstatus = 503', "outages[0].status", "only used"),
        ('kind = "503"\nduration = "1s"\nstatus = 500', "outages[0].status", "not a status"),
        ('kind = "503"\nduration = "1s"\nprocessed = true', "outages[0].processed", "only used"),
        ('kind = "503"\nduration = "1s"\nafter = "first_login"', "outages[0].after", "allowed"),
        ('kind = "503"\nduration = "1s"\ndurtion = "1s"', "outages[0].durtion", "unknown key"),
    ],
)
def test_a_bad_outage_is_one_line_naming_the_key(table: str, key: str, words: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_scenario(f"[[outages]]\n{table}\n", "workflows.toml")
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"workflows.toml: {key}: "), text
    assert words in text
