"""The run's server: the embedded emulator, the login check, the catalog, the preflight.

The controller (or the only process) connects once (``connect``): it starts
the embedded emulator when the plan asks for it, checks the login, fetches
the workflow catalog and checks every workflow of the plan against it. What
it found goes to each worker as a ``Handoff`` in ``workerinput``, with the
credentials (never written to a file), so a worker logs in with the same
credentials and judges readiness by the same catalog without asking again.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.models import Workflow
from aperture_verify.client.rideout import OutageRecord
from aperture_verify.common.redaction import safe_url
from aperture_verify.errors import ClientError, ProtocolError
from aperture_verify.execution.readiness import not_ready
from aperture_verify.history.bands import Usual
from aperture_verify.plan.model import Plan


@dataclass(frozen=True)
class Handoff:
    """What the controller found out before the tests, for every process that runs them."""

    run_dir: Path
    url: str
    credentials: Credentials = field(repr=False)
    run_id: str = ""
    login_error: str | None = None
    catalog: tuple[Workflow, ...] | None = None
    #: Workflows of the plan the preflight found not ready, by label, with the reason.
    preflight_failures: dict[str, str] = field(default_factory=dict)
    usual: dict[str, Usual] = field(default_factory=dict)  # label -> bands from the history

    def to_workerinput(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "url": self.url,
            "api_key": self.credentials.api_key,
            "username": self.credentials.username,
            "password": self.credentials.password,
            "run_id": self.run_id,
            "login_error": self.login_error,
            "catalog": [asdict(w) for w in self.catalog] if self.catalog is not None else None,
            "preflight_failures": self.preflight_failures,
            "usual": {k: v.to_dict() for k, v in self.usual.items()},
        }

    @classmethod
    def from_workerinput(cls, data: dict[str, Any]) -> Handoff:
        catalog = data["catalog"]
        return cls(
            run_dir=Path(data["run_dir"]),
            url=data["url"],
            credentials=Credentials(
                api_key=data["api_key"], username=data["username"], password=data["password"]
            ),
            run_id=str(data["run_id"]),
            login_error=data["login_error"],
            catalog=tuple(Workflow(**w) for w in catalog) if catalog is not None else None,
            preflight_failures=dict(data["preflight_failures"]),
            usual={k: Usual.from_dict(v) for k, v in data["usual"].items()},
        )


def make_client(plan: Plan, url: str, credentials: Credentials) -> DataStudioClient:
    """A client for the run's server, as the plan's ``[server]`` describes it."""
    server = plan.server
    verify: bool | str = server.verify_tls
    if server.verify_tls and server.ca_bundle is not None:
        verify = str(server.ca_bundle)
    return DataStudioClient(
        url,
        credentials,
        api=server.api,
        environment=server.environment,
        profile=server.profile,
        connect_timeout=server.connect_timeout,
        read_timeout=server.read_timeout,
        verify=verify,
    )


@dataclass
class Connection:
    """The controller's link to the run's server, once ``connect`` checked it."""

    url: str
    credentials: Credentials = field(repr=False)
    client: DataStudioClient | None = field(default=None, repr=False)
    emulator: Any = None  # the embedded Emulator, when the plan asks for one
    login_error: str | None = None
    catalog: list[Workflow] | None = None
    preflight_failures: dict[str, str] = field(default_factory=dict)
    login_outages: list[OutageRecord] = field(default_factory=list)  # met at the login check

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.credentials.api_key, self.credentials.password) if s]

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None


def connect(
    plan: Plan,
    credentials: Credentials,
    *,
    wait_for_server: float,
    preflight: bool,
    on_outage: Callable[[OutageRecord], None],
) -> Connection:
    """Start the emulator if asked, check the login once, fetch the catalog and (with
    *preflight*) check every workflow of the plan against it.

    The first contact waits up to *wait_for_server* for an unreachable server;
    *on_outage* hears of an outage as it begins and ends. On an exception
    nothing is left running.
    """
    conn = Connection("emulator", credentials)
    try:
        if plan.server.is_emulator:
            conn.emulator, conn.credentials = _start_emulator(plan)
            conn.url = conn.emulator.url
        else:
            conn.url = plan.server.url
        conn.client = make_client(plan, conn.url, conn.credentials)
        _check_login(conn, conn.client, wait_for_server, on_outage)
        if preflight and conn.catalog is not None:
            conn.preflight_failures = not_ready(plan.workflows, conn.catalog)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_login(
    conn: Connection,
    client: DataStudioClient,
    wait_for_server: float,
    on_outage: Callable[[OutageRecord], None],
) -> None:
    def begun(record: OutageRecord) -> None:
        on_outage(record)
        conn.login_outages.append(record)  # the same record gets its end, if it ends

    try:
        with client.riding_out(wait_for_server, "login", on_begin=begun, on_end=on_outage):
            client.check_credentials()
            conn.catalog = client.list_workflows()
    except ClientError as e:
        conn.login_error = str(e)
        if e.status == 404:
            conn.login_error += "; " + not_found_hint(conn.url)
        elif e.status == 405 or isinstance(e, ProtocolError):
            conn.login_error += (
                " (the server does not speak the API profile of this plan: run "
                "aperture-doctor to map its API into [server.profile])"
            )


def _start_emulator(plan: Plan) -> tuple[Any, Credentials]:
    from aperture_verify.client.dialect import load_dialect, load_profile_file
    from aperture_verify.emulator import Emulator, load_scenario

    server = plan.server
    assert server.emulator_workflows is not None
    scenario = load_scenario(server.emulator_workflows)
    # the bundled emulator speaks the plan's profile, or the file emulator_profile names
    # (a server the plan does not describe: what aperture-doctor is for)
    if server.emulator_profile is not None:
        speaks = load_profile_file(server.emulator_profile)
    else:
        speaks = dataclasses.replace(load_dialect(server.dialect), profile=server.profile)
    if server.api == "v1":
        username, password = "aperture-demo", secrets.token_urlsafe(16)
        keys: tuple[str, ...] = ()
        users = {username: password}
        credentials = Credentials(username=username, password=password)
    else:
        key = secrets.token_urlsafe(24)
        keys, users = (key,), {}
        credentials = Credentials(api_key=key)
    emulator = Emulator(
        scenario,
        api_keys=keys,
        users=users or None,
        environment=server.environment,
        profile=speaks.profile,
        docs=speaks.docs,
    )
    emulator.start()
    return emulator, credentials


def not_found_hint(url: str) -> str:
    """What a 404 on the run's first call means, and how to check it."""
    base = safe_url(url).rstrip("/")
    return (
        "the server has no such path: the URL or the API base path is probably wrong. "
        f"Check the server's Swagger page ({base}/api/docs/index.html for Data Studio 2.x "
        f"and later, {base}/api/v1/swagger-ui.html for 1.x) and fix [server] url, or "
        "run aperture-doctor to map its API into [server.profile]"
    )
