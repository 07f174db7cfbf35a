"""What one process of a run knows: the plan, the server, the ledger, its client.

The controller (or the only process, without xdist) builds the run context:
it starts the embedded emulator when the plan asks for it, checks the login
once, fetches the workflow catalog once, and hands all of that to the
workers through ``workerinput``. A worker rebuilds its context from there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.models import Job, Workflow
from aperture_verify.client.outage import DEFAULT_OUTAGE_BUDGET, OutageRecord
from aperture_verify.common.files import write_atomic
from aperture_verify.common.secrets import safe_url
from aperture_verify.errors import ClientError, ProtocolError
from aperture_verify.execution.readiness import preflight as check_all
from aperture_verify.execution.runfolder import make_run_dir
from aperture_verify.execution.runner import DEADLINE_GRACE, WorkflowRunner
from aperture_verify.history.bands import Usual
from aperture_verify.plan.model import Plan
from aperture_verify.plugin.outages import OutageAnnouncer, OutageNotes
from aperture_verify.plugin.rundir import RunLedger

log = logging.getLogger(__name__)

#: The run's context in ``config.stash``, on the controller and on every worker.
CONTEXT_KEY = pytest.StashKey["RunContext"]()


@dataclass
class RunContext:
    """Per-process state of a run. Never printed: it holds credentials."""

    plan: Plan
    run_dir: Path
    url: str
    credentials: Credentials = field(repr=False)
    ledger: RunLedger
    login_error: str | None = None
    catalog: list[Workflow] | None = None
    #: Workflows of the plan the preflight found not ready, by label, with the reason.
    preflight_failures: dict[str, str] = field(default_factory=dict)
    #: A workflow test's node id -> its workflow label (pytest escapes non-ASCII in ids).
    labels_by_nodeid: dict[str, str] = field(default_factory=dict)
    emulator: Any = None  # the embedded Emulator, on the controller only
    owns_run_dir: bool = False
    _client: DataStudioClient | None = field(default=None, repr=False)
    _runner: WorkflowRunner | None = field(default=None, repr=False)
    deadline_grace: float = DEADLINE_GRACE
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # made once, on the controller
    usual: dict[str, Usual] = field(default_factory=dict)  # label -> bands from the history
    warnings_fail: bool = False
    resumed_from: tuple[str, datetime | None] | None = None  # (run id, start) of a resumed run
    selected: frozenset[str] | None = None  # the workflows this run executes (None: all)
    dry_run_status: int | None = None  # the exit status a dry run decided
    outage_budget: float = DEFAULT_OUTAGE_BUDGET
    announcer: OutageAnnouncer | None = None  # on the controller only
    run_line: str | None = None  # "run time 12.8s · 8 tests: 8 passed", once the run ended
    login_outages: list[OutageRecord] = field(default_factory=list)  # met at the login check
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- construction ----------------------------------------------------------

    @classmethod
    def for_controller(
        cls,
        plan: Plan,
        environ: Mapping[str, str],
        *,
        connect: bool,
        wait_for_server: float = DEFAULT_OUTAGE_BUDGET,
        announce: Callable[[str], None] | None = None,
        preflight: bool = True,
    ) -> RunContext:
        """Start the emulator if asked, check the login once, fetch the catalog and
        (with *preflight*) check every workflow of the plan against it.

        With *connect* false (``--collect-only``) nothing is started or called.
        The first contact waits up to *wait_for_server* for an unreachable
        server; *announce* writes a terminal line when the server is lost and back.
        Whatever goes wrong here, nothing is left behind: no run directory, no
        emulator.
        """
        server = plan.server
        if server.is_emulator:
            credentials, url = Credentials(api_key="unused"), "emulator"
        else:  # a missing credential is a usage error: before anything is created
            credentials = Credentials.from_env(api=server.api, environ=environ)
            url = server.url
        run_dir = make_run_dir()  # issue 22: its owner recorded, for the next run's clean-up
        ctx = cls(plan, run_dir, url, credentials, RunLedger(run_dir, writer=True))
        ctx.owns_run_dir = True
        try:
            if server.is_emulator and connect:
                ctx.emulator, ctx.credentials = _start_emulator(plan)
                ctx.url = ctx.emulator.url
            if announce is not None:
                ctx.announcer = OutageAnnouncer(run_dir, announce)
                ctx.announcer.start()
            if connect:
                ctx._check_login(wait_for_server)
                if preflight and ctx.catalog is not None:
                    ctx.preflight_failures = check_all(plan.workflows, ctx.catalog)
        except BaseException:
            ctx.close()
            raise
        return ctx

    @classmethod
    def for_worker(cls, plan: Plan, data: Mapping[str, Any]) -> RunContext:
        credentials = Credentials(
            api_key=data.get("api_key"),
            username=data.get("username"),
            password=data.get("password"),
        )
        catalog = data.get("catalog")
        return cls(
            plan,
            Path(data["run_dir"]),
            data["url"],
            credentials,
            RunLedger(Path(data["run_dir"]), writer=False),
            login_error=data.get("login_error"),
            preflight_failures=dict(data.get("preflight_failures") or {}),
            catalog=[Workflow(**w) for w in catalog] if catalog is not None else None,
            run_id=str(data.get("run_id") or ""),
            usual={k: Usual.from_dict(v) for k, v in (data.get("usual") or {}).items()},
            warnings_fail=bool(data.get("warnings_fail")),
        )

    def worker_data(self) -> dict[str, Any]:
        """What a worker needs, as plain data for ``workerinput``."""
        return {
            "run_dir": str(self.run_dir),
            "url": self.url,
            "api_key": self.credentials.api_key,
            "username": self.credentials.username,
            "password": self.credentials.password,
            "login_error": self.login_error,
            "preflight_failures": self.preflight_failures,
            "catalog": [asdict(w) for w in self.catalog] if self.catalog is not None else None,
            "run_id": self.run_id,
            "usual": {k: v.to_dict() for k, v in self.usual.items()},
            "warnings_fail": self.warnings_fail,
            "selected": sorted(
                self.selected
                if self.selected is not None
                else (w.label for w in self.plan.workflows)
            ),
        }

    # -- use -------------------------------------------------------------------

    @property
    def client(self) -> DataStudioClient:
        with self._lock:
            if self._client is None:
                server = self.plan.server
                verify: bool | str = server.verify_tls
                if server.verify_tls and server.ca_bundle is not None:
                    verify = str(server.ca_bundle)
                self._client = DataStudioClient(
                    self.url,
                    self.credentials,
                    api=server.api,
                    environment=server.environment,
                    profile=server.profile,
                    connect_timeout=server.connect_timeout,
                    read_timeout=server.read_timeout,
                    verify=verify,
                )
            return self._client

    @property
    def runner(self) -> WorkflowRunner:
        if self._runner is None:
            self._runner = WorkflowRunner(
                self.client,
                catalog=self.catalog,
                job_url=self.plan.server.job_url,
                deadline_grace=self.deadline_grace,
                on_job_started=self.job_started,
                on_job_ended=self.job_ended,
                usual=self.usual,
                warnings_fail=self.warnings_fail,
                job_active=self.job_active,
                outage_budget=self.outage_budget,
                on_outage=OutageNotes(self.run_dir),
            )
        return self._runner

    def _check_login(self, wait_for_server: float) -> None:
        notes = OutageNotes(self.run_dir)

        def begun(record: OutageRecord) -> None:
            notes(record)
            self.login_outages.append(record)  # the same record gets its end, if it ends

        try:
            with self.client.riding_out(wait_for_server, "login", on_begin=begun, on_end=notes):
                self.client.check_credentials()
                self.catalog = self.client.list_workflows()
        except ClientError as e:
            self.login_error = str(e)
            if e.status == 404:
                self.login_error += "; " + not_found_hint(self.url)
            elif e.status == 405 or isinstance(e, ProtocolError):
                self.login_error += (
                    " (the server does not speak the API profile of this plan: run "
                    "aperture-doctor to map its API into [server.profile])"
                )

    # Every job a process of the run starts is marked by a file in the run
    # directory until the process sees it end; the marker then moves to "ended".
    # Whoever survives an interruption (the controller, when a worker was killed
    # or stopped by Ctrl-C) can so cancel what is left and learn which job each
    # interrupted workflow had.

    @property
    def _active_dir(self) -> Path:
        return self.run_dir / "active"

    def job_started(self, job_id: str, label: str) -> None:
        self._active_dir.mkdir(exist_ok=True)
        # Atomic: the controller may read the folder while a worker writes to it.
        write_atomic(self._active_dir / _safe_name(job_id), f"{job_id}\n{label}")

    def job_active(self, job_id: str) -> bool:
        return (self._active_dir / _safe_name(job_id)).exists()

    def job_ended(self, job_id: str) -> None:
        ended = self.run_dir / "ended"
        ended.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # ended already (or never marked)
            os.replace(self._active_dir / _safe_name(job_id), ended / _safe_name(job_id))

    def unfinished_jobs(self) -> list[tuple[str, str]]:
        """(job id, workflow label) of jobs started in the run and not seen ending."""
        return _markers(self._active_dir)

    def ended_jobs(self) -> list[tuple[str, str]]:
        """(job id, workflow label) of jobs of the run seen ending (or cancelled)."""
        return _markers(self.run_dir / "ended")

    def in_outage(self) -> bool:
        """Whether some process of the run cannot reach the server now (controller only)."""
        if self.announcer is None:
            return False
        self.announcer.poll()
        return self.announcer.in_outage

    def cancel_unfinished_jobs(self, label: str | None = None) -> list[tuple[str, str, Job]]:
        """Cancel the run's jobs still marked active (of *label* only, if given).

        During an outage each cancel is attempted once, so that the end of an
        interrupted run does not wait on a server that cannot be reached.
        Returns (job id, label, the job as the cancel left it) of each job cancelled.
        """
        cancelled = []
        once = self.in_outage()
        for job_id, job_label in self.unfinished_jobs():
            if label is not None and job_label != label:
                continue
            try:
                job = self.client.cancel_job(job_id, once=once)
                cancelled.append((job_id, job_label, job))
            except ClientError as e:
                log.warning("could not cancel job %s: %s", job_id, e)
            self.job_ended(job_id)
        return cancelled

    def close(self) -> None:
        if self.announcer is not None:
            self.announcer.stop()
            self.announcer = None
        if self._client is not None:
            self._client.close()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self.owns_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def _markers(folder: Path) -> list[tuple[str, str]]:
    """(job id, label) of each job marker in *folder*."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):  # a marker being written
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # moved between the listing and the read
            continue
        job_id, _, label = text.partition("\n")
        found.append((job_id, label))
    return found


def _safe_name(job_id: str) -> str:
    # Never a leading ".": those are write_atomic's temporary files (and "..").
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in job_id)
    return "_" + name[1:] if name.startswith(".") else (name or "_")


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
