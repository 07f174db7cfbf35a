"""The emulator refuses every API route without a valid credential, in every way one
can be wrong, so the suite's own tests go through the real authentication path.

(test_emulator_auth.py checks a missing header per route and the login route's
own refusals; this is the full grid.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from aperture_verify.emulator import Emulator, WorkflowScript

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


def _token(emu: Emulator, then: Callable[[], None] | None = None) -> str:
    r = requests.post(
        emu.url_for("/api/v1/login"), json={"username": USER, "password": PASSWORD}, timeout=5
    )
    r.raise_for_status()
    token = str(r.json()["token"])
    if then is not None:
        then()
    return f"Bearer {token}"


CREDENTIALS: dict[str, tuple[Credential, int]] = {
    "none": (lambda emu: None, 401),
    "empty": (lambda emu: "", 401),
    "scheme-only": (lambda emu: "default", 401),
    "wrong-key": (lambda emu: "default not-the-key", 401),
    "key-in-another-environment": (lambda emu: f"production {KEY}", 401),
    "key-as-bearer": (lambda emu: f"Bearer {KEY}", 401),
    "basic-auth": (lambda emu: "Basic Z3JpZC11c2VyOmdyaWQtcHctMTk=", 401),
    "unknown-token": (lambda emu: "Bearer not-a-token", 401),
    "password-as-token": (lambda emu: f"Bearer {PASSWORD}", 401),
    "expired-token": (lambda emu: _token(emu, emu.expire_tokens), 401),
    "revoked-token": (lambda emu: _token(emu, emu.revoke_tokens), 401),
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(
        None, api_keys=(KEY,), readonly_keys=(READONLY,), users={USER: PASSWORD}
    ) as emulator:
        emulator.add_workflow(WorkflowScript("Long", space="Demo", duration=30.0))
        yield emulator
        emulator.check()


def _call(
    emu: Emulator, method: str, template: str, authorization: str | None, job_id: str
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
        method, emu.url_for(template.format(job=job_id)), json=body, headers=headers, timeout=5
    )


def _start_job(emu: Emulator) -> str:
    r = _call(emu, "POST", "/api/v1/workflows/execute", f"default {KEY}", "")
    assert r.status_code == 202
    return str(r.json()["jobId"])


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize(("credential", "status"), CREDENTIALS.values(), ids=list(CREDENTIALS))
def test_every_route_refuses_a_bad_credential(
    emu: Emulator, method: str, template: str, credential: Credential, status: int
) -> None:
    job_id = _start_job(emu)
    authorization = credential(emu)
    r = _call(emu, method, template, authorization, job_id)
    assert r.status_code == status, (r.status_code, r.text)
    assert r.json()["status"] == status
    for secret in (KEY, PASSWORD, "not-the-key", "not-a-token"):
        assert secret not in r.text
    # nothing happened: no new job, the one started not cancelled
    assert [(j.job_id, j.cancelled) for j in emu.jobs] == [(job_id, False)]


@pytest.mark.parametrize("template", ["/api/v1/workflows/execute", "/api/v1/jobs/{job}/cancel"])
def test_a_readonly_key_may_not_act(emu: Emulator, template: str) -> None:
    job_id = _start_job(emu)
    r = _call(emu, "POST", template, f"default {READONLY}", job_id)
    assert r.status_code == 403
    assert [(j.job_id, j.cancelled) for j in emu.jobs] == [(job_id, False)]


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("how", ["key", "token"])
def test_every_route_accepts_a_good_credential(
    emu: Emulator, method: str, template: str, how: str
) -> None:
    """The other side of the grid: the refusals above are about the credential, not the call."""
    job_id = _start_job(emu)
    authorization = f"default {KEY}" if how == "key" else _token(emu)
    r = _call(emu, method, template, authorization, job_id)
    assert r.status_code in (200, 202), (r.status_code, r.text)
