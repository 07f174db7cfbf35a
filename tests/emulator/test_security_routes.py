"""The emulator refuses every API route without a valid credential, in every way one
can be wrong, so the suite's own tests go through the real authentication path.

(test_emulator_auth.py checks a missing header per route and the login route's
own refusals; this is the full grid.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from aperture_verify.emulator import Emulator, Scenario, WorkflowScript

KEY, READONLY, USER, PASSWORD = "grid-key-4b1c", "grid-readonly-77", "grid-user", "grid-pw-19"

# (method, path template); {job} is a real job's id
ROUTES = [
    ("GET", "/api/v1/workflows"),
    ("POST", "/api/v1/workflows/execute"),
    ("GET", "/api/v1/jobs"),
    ("GET", "/api/v1/jobs/{job}"),
    ("POST", "/api/v1/jobs/{job}/cancel"),
]

Credential = Callable[[Emulator], str | None]


def _token(emulator: Emulator, then: Callable[[], None] | None = None) -> str:
    r = requests.post(
        emulator.url_for("/api/v1/login"), json={"username": USER, "password": PASSWORD}, timeout=5
    )
    r.raise_for_status()
    token = str(r.json()["token"])
    if then is not None:
        then()
    return f"Bearer {token}"


CREDENTIALS: dict[str, tuple[Credential, int]] = {
    "none": (lambda emulator: None, 401),
    "empty": (lambda emulator: "", 401),
    "scheme-only": (lambda emulator: "default", 401),
    "wrong-key": (lambda emulator: "default not-the-key", 401),
    "key-in-another-environment": (lambda emulator: f"production {KEY}", 401),
    "key-as-bearer": (lambda emulator: f"Bearer {KEY}", 401),
    "basic-auth": (lambda emulator: "Basic Z3JpZC11c2VyOmdyaWQtcHctMTk=", 401),
    "unknown-token": (lambda emulator: "Bearer not-a-token", 401),
    "password-as-token": (lambda emulator: f"Bearer {PASSWORD}", 401),
    "expired-token": (lambda emulator: _token(emulator, emulator.expire_tokens), 401),
    "revoked-token": (lambda emulator: _token(emulator, emulator.revoke_tokens), 401),
}


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(workflows=(WorkflowScript("Long", space="Demo", duration=30.0),))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (KEY,), "readonly_keys": (READONLY,), "users": {USER: PASSWORD}}


def _call(
    emulator: Emulator, method: str, template: str, authorization: str | None, job_id: str
) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    body = (
        {
            "externalLabel": "Long",
            "versionToExecute": "PublishedOnly",
            "dependenciesToUse": "PublishedOnly",
        }
        if template.endswith("execute")
        else None
    )
    return requests.request(
        method, emulator.url_for(template.format(job=job_id)), json=body, headers=headers, timeout=5
    )


def _start_job(emulator: Emulator) -> str:
    r = _call(emulator, "POST", "/api/v1/workflows/execute", f"default {KEY}", "")
    assert r.status_code == 202
    return str(r.json()["jobId"])


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize(("credential", "status"), CREDENTIALS.values(), ids=list(CREDENTIALS))
def test_every_route_refuses_a_bad_credential(
    emulator: Emulator, method: str, template: str, credential: Credential, status: int
) -> None:
    job_id = _start_job(emulator)
    authorization = credential(emulator)
    r = _call(emulator, method, template, authorization, job_id)
    assert r.status_code == status, (r.status_code, r.text)
    assert r.json()["status"] == status
    for secret in (KEY, PASSWORD, "not-the-key", "not-a-token"):
        assert secret not in r.text
    # nothing happened: no new job, the one started not cancelled
    assert [(j.job_id, j.cancelled) for j in emulator.jobs] == [(job_id, False)]


@pytest.mark.parametrize("template", ["/api/v1/workflows/execute", "/api/v1/jobs/{job}/cancel"])
def test_a_readonly_key_may_not_act(emulator: Emulator, template: str) -> None:
    job_id = _start_job(emulator)
    r = _call(emulator, "POST", template, f"default {READONLY}", job_id)
    assert r.status_code == 403
    assert [(j.job_id, j.cancelled) for j in emulator.jobs] == [(job_id, False)]


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("how", ["key", "token"])
def test_every_route_accepts_a_good_credential(
    emulator: Emulator, method: str, template: str, how: str
) -> None:
    """The other side of the grid: the refusals above are about the credential, not the call."""
    job_id = _start_job(emulator)
    authorization = f"default {KEY}" if how == "key" else _token(emulator)
    r = _call(emulator, method, template, authorization, job_id)
    assert r.status_code in (200, 202), (r.status_code, r.text)
