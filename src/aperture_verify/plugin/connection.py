"""The run's server: the embedded emulator, the login check, the catalog, the preflight.

The controller (or the only process) starts the embedded emulator when the
plan asks for it (``start_server``), then checks the login, fetches the
workflow catalog and checks every workflow of the plan against it
(``check_login``). The URL and the credentials go to each worker at once as a
``Handoff`` in ``workerinput`` (never to a file); what the login check found
(``LoginOutcome``) follows through the run directory, so that under xdist the
check overlaps the workers' start. A worker logs in with the same credentials
and judges readiness by the same catalog without asking again.
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
class LoginOutcome:
    """What the login check found: its error, the catalog, the preflight, the history's bands.

    Under xdist it reaches the workers through the run directory (``login.json``):
    the check runs while they start, and is over before the first test is sent.
    """

    login_error: str | None = None
    catalog: tuple[Workflow, ...] | None = None
    #: Workflows of the plan the preflight found not ready, by label, with the reason.
    preflight_failures: dict[str, str] = field(default_factory=dict)
    usual: dict[str, Usual] = field(default_factory=dict)  # label -> bands from the history

    def to_dict(self) -> dict[str, Any]:
        return {
            "login_error": self.login_error,
            "catalog": [_plain(w) for w in self.catalog] if self.catalog is not None else None,
            "preflight_failures": self.preflight_failures,
            "usual": {k: v.to_dict() for k, v in self.usual.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoginOutcome:
        catalog = data["catalog"]
        return cls(
            login_error=data["login_error"],
            catalog=tuple(_workflow(w) for w in catalog) if catalog is not None else None,
            preflight_failures=dict(data["preflight_failures"]),
            usual={k: Usual.from_dict(v) for k, v in data["usual"].items()},
        )


def _plain(workflow: Workflow) -> dict[str, Any]:
    """A catalog entry as JSON can carry it (its name sets as sorted lists)."""
    data = asdict(workflow)
    for key in ("parameters", "sources"):
        if data[key] is not None:
            data[key] = sorted(data[key])
    return data


def _workflow(data: dict[str, Any]) -> Workflow:
    sets = {k: frozenset(data[k]) for k in ("parameters", "sources") if data[k] is not None}
    return Workflow(**{**data, **sets})


@dataclass(frozen=True)
class Handoff:
    """What every process that runs tests receives from the controller as it starts
    (a worker: in ``workerinput``; the credentials never go to a file)."""

    run_dir: Path
    url: str
    credentials: Credentials = field(repr=False)
    run_id: str = ""
    #: Known at once without xdist; a worker reads it from ``login.json`` when needed.
    outcome: LoginOutcome | None = None

    def to_workerinput(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "url": self.url,
            "api_key": self.credentials.api_key,
            "username": self.credentials.username,
            "password": self.credentials.password,
            "run_id": self.run_id,
        }

    @classmethod
    def from_workerinput(cls, data: dict[str, Any]) -> Handoff:
        return cls(
            run_dir=Path(data["run_dir"]),
            url=data["url"],
            credentials=Credentials(
                api_key=data["api_key"], username=data["username"], password=data["password"]
            ),
            run_id=str(data["run_id"]),
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


def start_server(plan: Plan, credentials: Credentials) -> Connection:
    """The emulator started if the plan asks for one, and a client for the server."""
    conn = Connection("emulator", credentials)
    try:
        if plan.server.is_emulator:
            conn.emulator, conn.credentials = _start_emulator(plan)
            conn.url = conn.emulator.url
        else:
            conn.url = plan.server.url
        conn.client = make_client(plan, conn.url, conn.credentials)
    except BaseException:
        conn.close()
        raise
    return conn


def check_login(
    conn: Connection,
    plan: Plan,
    *,
    wait_for_server: float,
    preflight: bool,
    on_outage: Callable[[OutageRecord], None],
) -> None:
    """Check the login once, fetch the catalog and (with *preflight*) check every
    workflow of the plan against it; the findings go into *conn*.

    The first contact waits up to *wait_for_server* for an unreachable server;
    *on_outage* hears of an outage as it begins and ends.
    """
    assert conn.client is not None
    spaces = [w.space for w in plan.workflows]  # a per-space workflow list reads these
    _check_login(conn, conn.client, wait_for_server, on_outage, spaces)
    if preflight and conn.catalog is not None:
        conn.preflight_failures = not_ready(plan.workflows, conn.catalog)


def _check_login(
    conn: Connection,
    client: DataStudioClient,
    wait_for_server: float,
    on_outage: Callable[[OutageRecord], None],
    spaces: list[str],
) -> None:
    def begun(record: OutageRecord) -> None:
        on_outage(record)
        conn.login_outages.append(record)  # the same record gets its end, if it ends

    try:
        with client.riding_out(wait_for_server, "login", on_begin=begun, on_end=on_outage):
            client.check_credentials(spaces)
            conn.catalog = client.list_workflows(spaces)
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
