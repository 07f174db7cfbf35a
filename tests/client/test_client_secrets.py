"""No secret reaches an exception, a log record or a repr, whatever goes wrong."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.profile import ApiProfile
from aperture_verify.common.redaction import MASK
from aperture_verify.emulator import Emulator, Fault, Scenario, WorkflowScript
from aperture_verify.errors import ApertureError, ClientError

KEY = "SECRET-KEY-1234"
PASSWORD = "pa55-SECRET"
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01, budget=2.0, seed=0)
P = ApiProfile()


def everything_about(error: BaseException) -> str:
    """str, repr, args, attributes and the formatted chain of *error*."""
    parts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(
        workflows=(
            WorkflowScript("Workflow 1", space="Demo", duration=0.05, queue_time=0.0),
            WorkflowScript("Draft only", space="Demo", published=False),
        )
    )


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (KEY,), "users": {"alice": PASSWORD}, "check": False}


def test_no_secret_escapes(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    errors: list[BaseException] = []
    clients: list[DataStudioClient] = []

    def catch(action: Callable[[], object]) -> None:
        try:
            action()
        except ApertureError as e:
            errors.append(e)
        else:
            pytest.fail(f"{action} raised nothing")

    def client(api: str = "v2", base: str | None = None, **kw: object) -> DataStudioClient:
        creds = (
            Credentials(api_key=KEY)
            if api == "v2"
            else Credentials(username="alice", password=PASSWORD)
        )
        made = DataStudioClient(base or emulator.url, creds, api=api, retry=FAST, **kw)  # type: ignore[arg-type]
        clients.append(made)
        return made

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]

    caplog.set_level(logging.DEBUG)
    v2, v1 = client(), client("v1")
    v1.check_credentials()

    # the server refuses or echoes the credential back
    emulator.inject(
        Fault(route="GET /api/v1/workflows", status=401, body={"message": f"unknown key {KEY}"})
    )
    catch(v2.list_workflows)
    emulator.inject(Fault(route="GET /api/v1/workflows", status=403))
    catch(v2.list_workflows)
    emulator.inject(
        Fault(route="GET /api/v1/workflows", status=500, body=f"<html>key={KEY}</html>")
    )
    catch(v2.list_workflows)
    emulator.inject(
        Fault(route="GET /api/v1/workflows", status=500, body=f"<html>password={PASSWORD}</html>")
    )
    catch(v1.list_workflows)
    emulator.inject(Fault(route="GET /api/v1/workflows", status=200, body=f"not json {KEY}"))
    catch(v2.list_workflows)
    emulator.inject(
        Fault(route="POST /api/v1/login", status=401, body={"message": f"bad password {PASSWORD}"})
    )
    catch(client("v1").check_credentials)
    emulator.expire_tokens()
    emulator.inject(Fault(route="GET /api/v1/workflows", status=401, times=2))
    catch(v1.list_workflows)
    # refusals, lost jobs, bad shapes
    catch(lambda: v2.execute("Nope"))
    catch(lambda: v1.execute("Draft only"))
    catch(lambda: v2.execute("Workflow 1", version="Whenever"))
    job = v2.execute("Workflow 1")
    emulator.inject(Fault(route="GET /api/v1/jobs/*", body={"state": "RUNNING"}))
    catch(lambda: v2.get_job(job.id))
    emulator.forget_jobs()
    catch(lambda: v1.get_job(job.id))
    emulator.inject(Fault(route="GET /api/v1/jobs/*", status=503, times=None))
    catch(lambda: v1.get_job(job.id))
    emulator.clear_faults()
    # transport failures, and an execute that may have started several jobs
    catch(client(base=f"http://127.0.0.1:{dead_port}").check_credentials)
    catch(client("v1", base=f"http://127.0.0.1:{dead_port}").check_credentials)
    emulator.inject(Fault(route="GET /api/v1/workflows", latency=0.3, times=2))
    catch(client(read_timeout=0.05).list_workflows)
    v2.execute("Workflow 1")
    client().execute("Workflow 1")
    client().execute("Workflow 1")
    emulator.inject(Fault(route="POST /api/v1/workflows/execute", drop=True))
    catch(lambda: client("v1").execute("Workflow 1"))

    assert len(errors) == 17
    assert {type(e).__name__ for e in errors} >= {
        "AuthenticationError",
        "ServerRefusedError",
        "ProtocolError",
        "WorkflowNotReadyError",
        "JobLostError",
        "TransportError",
    }
    tokens = [
        v
        for r in emulator.requests
        for k, v in r.headers.items()
        if k.lower() == "authorization" and v.startswith("Bearer ")
    ]
    secrets = [KEY, PASSWORD, *(t.removeprefix("Bearer ") for t in tokens)]
    assert len(secrets) >= 3
    texts = [everything_about(e) for e in errors]
    texts += [record.getMessage() + repr(record.args) for record in caplog.records]
    texts += [repr(c) for c in clients] + [str(c) for c in clients]
    texts += [repr(Credentials(api_key=KEY, username="alice", password=PASSWORD))]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    # the echoed credentials were redacted, not dropped: the messages still help
    assert any(f"unknown key {MASK}" in str(e) for e in errors)
    assert all(isinstance(e, ClientError) and e.url for e in errors)
    for made in clients:
        made.close()
