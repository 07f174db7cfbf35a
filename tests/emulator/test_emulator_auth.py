"""Authentication in both forms: 2.x API keys and 1.x login tokens."""

from __future__ import annotations

import pytest
import requests

from aperture_verify.emulator import Emulator, Scenario, WorkflowScript
from emulator_support import EmulatorFactory

WORKFLOWS = "/api/v1/workflows"
EXECUTE = "/api/v1/workflows/execute"


def get(emu: Emulator, path: str, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(emu.url_for(path), headers=headers, timeout=5)


def login(emu: Emulator, username: str = "alice", password: str = "test-password") -> str:
    r = requests.post(
        emu.url_for("/api/v1/login"), json={"username": username, "password": password}, timeout=5
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def assert_spring_error(r: requests.Response, status: int, message: str | None = None) -> None:
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"timestamp", "status", "error", "message", "path"}
    assert body["status"] == status
    if message is not None:
        assert body["message"] == message


# --- 2.x: "<environment> <key>" -------------------------------------------------------


def test_an_api_key_in_its_environment_is_accepted(emulator: Emulator) -> None:
    assert get(emulator, WORKFLOWS, "default test-api-key").status_code == 200


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, None),
        ("", None),
        ("default wrong-key", "Invalid API key"),
        ("production test-api-key", "Unknown environment 'production'"),
        ("Bearer test-api-key", "Invalid token"),
        ("test-api-key", None),
    ],
)
def test_a_missing_or_wrong_credential_gets_401(
    emulator: Emulator, authorization: str | None, message: str | None
) -> None:
    r = get(emulator, WORKFLOWS, authorization)
    assert_spring_error(r, 401, message)
    assert "test-api-key" not in r.text


def test_every_route_but_login_needs_a_credential(emulator: Emulator) -> None:
    for method, path in [
        ("GET", WORKFLOWS),
        ("POST", EXECUTE),
        ("GET", "/api/v1/jobs"),
        ("GET", "/api/v1/jobs/x"),
        ("POST", "/api/v1/jobs/x/cancel"),
    ]:
        r = requests.request(method, emulator.url_for(path), json={}, timeout=5)
        assert r.status_code == 401, (method, path)


def test_a_readonly_key_reads_but_may_not_execute_or_cancel(emulator: Emulator) -> None:
    ro = {"Authorization": "default test-readonly-key"}
    assert get(emulator, "/api/v1/jobs", ro["Authorization"]).status_code == 200
    r = requests.post(
        emulator.url_for(EXECUTE), json={"externalLabel": "Quick"}, headers=ro, timeout=5
    )
    assert_spring_error(r, 403)
    assert "permission" in r.json()["message"]
    r = requests.post(emulator.url_for("/api/v1/jobs/x/cancel"), headers=ro, timeout=5)
    assert_spring_error(r, 403)
    assert emulator.jobs == []


def test_the_environment_label_is_configurable(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(Scenario(), api_keys=("k",), environment="qa")
    assert get(emu, WORKFLOWS, "qa k").status_code == 200
    assert get(emu, WORKFLOWS, "default k").status_code == 401


def test_keys_come_from_the_scenario_when_not_given_in_code(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory(Scenario(api_keys=("from-file",), environment="env1"))
    assert emu.environment == "env1"
    assert get(emu, WORKFLOWS, "env1 from-file").status_code == 200


# --- 1.x: login, then Bearer ------------------------------------------------------------


def test_login_returns_a_random_token_and_its_lifetime(emulator: Emulator) -> None:
    r = requests.post(
        emulator.url_for("/api/v1/login"),
        json={"username": "alice", "password": "test-password"},
        timeout=5,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["expiresIn"] == 3600
    assert len(body["token"]) >= 32 and body["token"] != login(emulator)
    assert get(emulator, WORKFLOWS, f"Bearer {body['token']}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "nope"},
        {"username": "mallory", "password": "test-password"},
    ],
)
def test_bad_credentials_get_401(emulator: Emulator, body: dict[str, str]) -> None:
    r = requests.post(emulator.url_for("/api/v1/login"), json=body, timeout=5)
    assert_spring_error(r, 401, "Bad credentials")


@pytest.mark.parametrize("data", [b"not json", b'{"username": 1, "password": "x"}', b"[]"])
def test_a_malformed_login_gets_400(emulator: Emulator, data: bytes) -> None:
    r = requests.post(
        emulator.url_for("/api/v1/login"),
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert_spring_error(r, 400)


# the one emulator fixture, with tokens that live half a second
@pytest.mark.parametrize(
    ("emulator_scenario", "emulator_options"),
    [
        (
            Scenario(workflows=(WorkflowScript("W", duration=0.1),)),
            {"users": {"alice": "test-password"}, "token_lifetime": 0.5},
        )
    ],
    ids=["short-lived"],
)
def test_a_token_expires_after_its_lifetime(emulator: Emulator) -> None:
    token = login(emulator)
    assert get(emulator, WORKFLOWS, f"Bearer {token}").status_code == 200
    # a Response with an error status is falsy, so wait on a list holding it
    (r,) = emulator.wait_until(
        lambda: [
            resp
            for resp in [get(emulator, WORKFLOWS, f"Bearer {token}")]
            if resp.status_code == 401
        ],
        timeout=3,
    )
    assert_spring_error(r, 401, "token expired")
    # logging in again gives a fresh, working token
    assert get(emulator, WORKFLOWS, f"Bearer {login(emulator)}").status_code == 200


def test_expire_tokens_expires_every_token_issued_so_far(emulator: Emulator) -> None:
    first, second = login(emulator), login(emulator)
    emulator.expire_tokens()
    for token in (first, second):
        assert_spring_error(get(emulator, WORKFLOWS, f"Bearer {token}"), 401, "token expired")
    assert get(emulator, WORKFLOWS, f"Bearer {login(emulator)}").status_code == 200
    # API keys are not tokens: untouched
    assert get(emulator, WORKFLOWS, "default test-api-key").status_code == 200


def test_revoked_tokens_say_revoked(emulator: Emulator) -> None:
    token = login(emulator)
    emulator.revoke_tokens()
    assert_spring_error(get(emulator, WORKFLOWS, f"Bearer {token}"), 401, "token revoked")


def test_the_request_log_never_shows_credentials(emulator: Emulator) -> None:
    token = login(emulator)
    get(emulator, WORKFLOWS, f"Bearer {token}")
    shown = repr(emulator.requests)
    assert "test-password" not in shown and token not in shown
    # ...but a test can still assert on what the client sent
    assert emulator.requests[-1].headers["Authorization"] == f"Bearer {token}"
    assert emulator.requests[0].json == {"username": "alice", "password": "test-password"}
