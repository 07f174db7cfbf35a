"""``Emulator``: a Data Studio stand-in on a real socket, with handles for tests.

It serves the contract in ``API-CONTRACT.md`` (or any ``ApiProfile``) from a
background thread, keeps a log of the requests it received, and lets a test
change the scenario, inject faults and outages, expire credentials and
"restart" while it runs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TypeVar

from aperture_verify.client.dialect import ApiDocs
from aperture_verify.client.profile import DEFAULT_PROFILE, ApiProfile
from aperture_verify.emulator.api import Api
from aperture_verify.emulator.auth import Authenticator
from aperture_verify.emulator.faults import Fault, FaultSet
from aperture_verify.emulator.outage_windows import Outage, OutageSchedule
from aperture_verify.emulator.scenario import Scenario, WorkflowScript
from aperture_verify.emulator.server import EmulatorHTTPServer
from aperture_verify.emulator.state import JobRecord, JobStore
from aperture_verify.emulator.wire import RecordedRequest

T = TypeVar("T")


class Emulator:
    """A Data Studio REST API emulator. ``start()`` it, or use it as a context manager.

    Credentials not passed here are taken from the scenario's ``[auth]`` table;
    the environment defaults to ``default`` and tokens live one hour. A key in
    ``readonly_keys`` may read but gets 403 on execute and cancel.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        api_keys: Iterable[str] | None = None,
        readonly_keys: Iterable[str] | None = None,
        users: Mapping[str, str] | None = None,
        environment: str | None = None,
        token_lifetime: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        profile: ApiProfile = DEFAULT_PROFILE,
        docs: ApiDocs | None = None,
        page_size: int = 2,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        sc = self.scenario
        self.host = host
        self.port = port
        self.profile = profile
        self._auth = Authenticator(
            api_keys=sc.api_keys if api_keys is None else api_keys,
            readonly_keys=sc.readonly_keys if readonly_keys is None else readonly_keys,
            users=sc.users if users is None else users,
            environment=environment or sc.environment or "default",
            token_lifetime=token_lifetime or sc.token_lifetime or 3600.0,
        )
        self._jobs = JobStore(profile, seed=seed)
        self._faults = FaultSet()
        self._outages = OutageSchedule()
        self._outages.on_change = self._outages_changed
        self._api = Api(
            profile=profile,
            auth=self._auth,
            jobs=self._jobs,
            faults=self._faults,
            workflows=sc.workflows,
            outages=self._outages,
            on_request=on_request,
            docs=docs,
            page_size=page_size,
        )
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._started = False
        self._pending_outages = [dataclasses.replace(o) for o in sc.outages]
        self._listener_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind and serve in a background thread; raises ``OSError`` if the port is taken."""
        if self._started:
            raise RuntimeError("the emulator is already running")
        self._listen()
        self._started = True
        self._stopping.clear()
        self._watcher = threading.Thread(
            target=self._watch_outages, name=f"aperture-emulator-outages:{self.port}", daemon=True
        )
        self._watcher.start()
        pending, self._pending_outages = self._pending_outages, []
        for outage in pending:
            self._outages.add(outage)
        return self

    def stop(self) -> None:
        """Stop serving and close every connection. Safe to call twice."""
        if not self._started:
            return
        self._started = False
        self._stopping.set()
        self._wake.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        with self._listener_lock:
            self._unlisten()

    def _listen(self) -> None:
        server = EmulatorHTTPServer((self.host, self.port), self._api, self._record_error)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"aperture-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _unlisten(self) -> None:
        server = self._server
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        self._server = None  # only now: ``listening`` is false once the port is closed
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        """Started and not stopped (also while a refused outage has closed the listener)."""
        return self._started

    @property
    def listening(self) -> bool:
        """Whether the port accepts connections now (not during a refused outage)."""
        return self._server is not None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._started else "stopped"
        return f"<Emulator {where} workflows={len(self._api.workflow_list())}>"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        """The full URL of *path* (``/api/v1/jobs``) on this emulator."""
        return self.url + ("" if path.startswith("/") else "/") + path

    @property
    def docs(self) -> ApiDocs:
        """Where this emulator serves its API document and Swagger UI entry point."""
        return self._api.docs.docs

    # --- credentials ---------------------------------------------------------------

    @property
    def environment(self) -> str:
        return self._auth.environment

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self._auth.api_keys

    @property
    def readonly_keys(self) -> tuple[str, ...]:
        return self._auth.readonly_keys

    @property
    def token_lifetime(self) -> float:
        return self._auth.token_lifetime

    def expire_tokens(self) -> None:
        """Every 1.x token issued so far now gets 401 "token expired"."""
        self._auth.expire_all()

    def revoke_tokens(self) -> None:
        """Every 1.x token issued so far now gets 401 "token revoked"."""
        self._auth.revoke_all()

    # --- scenario, jobs, faults -------------------------------------------------------

    @property
    def workflows(self) -> list[WorkflowScript]:
        return [wf for _, wf in self._api.workflow_list()]

    def add_workflow(self, workflow: WorkflowScript) -> None:
        """Add a workflow, or replace the one with the same label; jobs already started
        keep the script they started with."""
        self._api.add_workflow(workflow)

    @property
    def jobs(self) -> list[JobRecord]:
        """A snapshot of every job, in order of submission."""
        return self._jobs.all()

    def job(self, job_id: str) -> JobRecord:
        """The job *job_id* now; ``KeyError`` if the emulator does not know it."""
        record = self._jobs.get(job_id)
        if record is None:
            raise KeyError(job_id)
        return record

    def release(self, job_id: str) -> bool:
        """End the stuck job *job_id* now, as its script says; ``False`` if it is not stuck.

        For tests that hold a job RUNNING until something else has happened."""
        return self._jobs.release(job_id)

    def forget_jobs(self) -> None:
        """Forget every job, as a restarted server would: their ids now answer 404."""
        self._jobs.forget()

    def inject(self, fault: Fault) -> Fault:
        """Activate *fault* (after those already active); returns it, to read ``hits``."""
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still active, in order of injection."""
        return self._faults.active()

    # --- outages ---------------------------------------------------------------------

    def add_outage(self, outage: Outage) -> Outage:
        """Schedule *outage* (see ``emulator.outages``); returns it, to read its window
        and ``hits``. Before ``start()`` it waits for the start; ``after="start"`` then
        means the emulator's start, and otherwise this call."""
        if not self._started:
            self._pending_outages.append(outage)
            return outage
        return self._outages.add(outage)

    @property
    def outages(self) -> list[Outage]:
        """Every outage scheduled, in order (the scenario's first)."""
        return self._outages.all() + list(self._pending_outages)

    def end_outages(self) -> None:
        """End every outage now; one not yet begun never will."""
        self._pending_outages.clear()
        self._outages.end_all()

    def _outages_changed(self) -> None:
        self._wake.set()

    def _watch_outages(self) -> None:
        """Close the listener while a refused outage lasts, and reopen it on the same port."""
        while not self._stopping.is_set():
            self._wake.clear()
            refusing, next_change = self._outages.refusing()
            retry = False
            with self._listener_lock:
                if self._stopping.is_set():
                    return
                if refusing and self._server is not None:
                    self._unlisten()
                elif not refusing and self._server is None:
                    try:
                        self._listen()
                    except OSError as e:  # someone took the port meanwhile: try again soon
                        e.add_note(f"reopening the emulator's port {self.port} after an outage")
                        self._record_error(e)
                        retry = True
            timeout = None if next_change is None else max(0.0, next_change - time.time())
            if retry:
                timeout = 0.1
            self._wake.wait(timeout)

    # --- request log and errors -------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the start (or ``clear_requests()``)."""
        return self._api.requests

    def clear_requests(self) -> None:
        self._api.clear_requests()

    def _record_error(self, error: BaseException) -> None:
        with self._errors_lock:
            self._errors.append(error)

    def check(self) -> None:
        """Re-raise the first exception a handler thread raised since the last check."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.add_note(f"(and {len(errors) - 1} more error(s) in the emulator)")
            raise first

    def wait_until(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll *predicate* until it returns something truthy, and return that.

        Raises ``TimeoutError`` after *timeout* seconds. Meant for tests: wait
        for a condition with a deadline instead of sleeping.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)
