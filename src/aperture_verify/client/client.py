"""The Data Studio REST client: start, watch and cancel workflow jobs.

``DataStudioClient`` is a session-shaped client: thin verbs here, each turning
the profile's JSON into typed models, over the one core ``request()`` of the
``http.ApiSession`` it holds (timeouts, auth, retries, error translation). Every path,
field and state name comes from the ``ApiProfile``.

``execute`` is not blindly retried; see ``DataStudioClient.execute`` and
``docs/client.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack
from urllib.parse import unquote, urlsplit

import requests

from aperture_verify.client.body import now_values, render
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.http import ApiSession, ClientStats
from aperture_verify.client.models import Job, Workflow
from aperture_verify.client.paging import MAX_PAGES, fetch_list
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.retry import RetryPolicy
from aperture_verify.client.rideout import RideOuts, ServerUnreachableError
from aperture_verify.client.seen_jobs import JobBook
from aperture_verify.errors import (
    AuthenticationError,
    ClientError,
    JobLostError,
    ProtocolError,
    ServerRefusedError,
    TransportError,
    WorkflowNotReadyError,
)

__all__ = ["ClientStats", "DataStudioClient", "RetryPolicy"]


class SessionOptions(TypedDict, total=False):
    """The keyword options of ``DataStudioClient``, handed to its ``ApiSession``."""

    api: str
    environment: str
    profile: ApiProfile | None
    connect_timeout: float
    read_timeout: float
    verify: bool | str | os.PathLike[str]
    retry: RetryPolicy | None
    session: requests.Session | None


class DataStudioClient:
    """A client of one Data Studio server.

    ``DataStudioClient(base_url, credentials, api="v2", environment="default",
    profile=ApiProfile(), connect_timeout=5.0, read_timeout=30.0, verify=True,
    retry=RetryPolicy(), session=None)``. Thread-safe; a context manager.
    Unknown job states are kept as they are, logged once per client and
    treated by callers as still running (``profile.is_terminal(state)``).
    """

    CLOCK_SKEW_TOLERANCE = 120.0
    """Seconds a job's ``submittedAt`` (server clock) may precede the start of
    an execute (client clock) and still be adopted by reconciliation."""

    def __init__(
        self, base_url: str, credentials: Credentials, **options: Unpack[SessionOptions]
    ) -> None:
        """Raises ``PlanError`` if *credentials* lack what *api* needs; sends nothing."""
        self.http = ApiSession(base_url, credentials, **options)
        self._jobs = JobBook(self.http.profile, self.http.redact)

    def __repr__(self) -> str:
        return repr(self.http).replace(type(self.http).__name__, type(self).__name__, 1)

    # -- what the core holds ------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def api(self) -> str:
        return self.http.api

    @property
    def environment(self) -> str:
        return self.http.environment

    @property
    def profile(self) -> ApiProfile:
        return self.http.profile

    @property
    def riding_out(self) -> RideOuts:
        """``with client.riding_out(budget, during):`` -- see ``client/rideout.py``."""
        return self.http.riding_out

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the request counters."""
        return self.http.stats

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """One API call through the core (see ``ApiSession.request``)."""
        return self.http.request(method, path, json=json, params=params, idempotent=idempotent)

    def close(self) -> None:
        """Close the HTTP session (only if this client created it)."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the verbs -------------------------------------------------------------

    def check_credentials(self, spaces: Iterable[str] | None = None) -> None:
        """Prove the credentials work: v1 logs in, v2 lists workflows (of *spaces*
        when the workflow list is read per space; the job list without any).

        Raises ``AuthenticationError`` when they are refused.
        """
        if self.api == "v1":
            self.http.log_in()
        elif self.profile.workflows_per_space and not spaces:
            self._fetch_list("jobs", self.profile.path("jobs"), None, first_page_only=True)
        else:
            self.list_workflows(spaces)

    def list_workflows(self, spaces: Iterable[str] | None = None) -> list[Workflow]:
        """Every workflow the credential can see; with ``{space}`` in the profile's
        workflows route, every workflow of each of *spaces* (a workflow that does
        not name its space is of the space it was listed under)."""
        p = self.profile
        if not p.workflows_per_space:
            path = p.path("workflows")
            decoder = self.http.decoder(p.method("workflows"), path)
            return [decoder.workflow(item) for item in self._fetch_list("workflows", path, None)]
        wanted = list(dict.fromkeys(spaces or ()))
        if not wanted:
            raise ProtocolError(
                f"workflows_path {p.workflows_path!r} lists one space at a time and no space "
                "was given (set space in [server] or for the workflow in plans.toml)"
            )
        found: list[Workflow] = []
        for space in wanted:
            path = p.path("workflows", space=space)
            decoder = self.http.decoder(p.method("workflows"), path)
            entries = self._fetch_list("workflows", path, None)
            found += [decoder.workflow(item, space=space) for item in entries]
        return found

    def execute(
        self,
        label: str,
        *,
        space: str | None = None,
        version: str = "PublishedOnly",
        dependencies: str = "PublishedOnly",
        refresh_sources: bool = False,
        parameters: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> Job:
        """Start the workflow with external *label*; return the new job.

        *sources* maps Source step external labels to Dataset external labels;
        it is sent as a list of objects with the profile's source field names.
        Raises ``WorkflowNotReadyError`` when the server does not know the
        workflow (404), it has no published version (409) or it refuses the
        body (400: say, a parameter the workflow does not have): the job never
        started, so the workflow could not be started.

        Not blindly retried. Failures that prove the request never reached the
        server (connection refused, connect timeout, DNS) and 429/503 (refused
        before acting) are retried like any call. After an ambiguous failure
        (read timeout, connection dropped after sending, 502, 504) the client
        waits its backoff, then lists the jobs of *label* and adopts a job
        submitted since this call began (less ``CLOCK_SKEW_TOLERANCE``) that it
        has never seen: exactly one is returned; none means nothing started,
        so the execute is sent again; several raise ``TransportError`` naming
        them.
        """
        p = self.profile
        pairs = (sources.items() if isinstance(sources, Mapping) else sources) if sources else ()
        body = render(
            p.body_template,
            {
                "label": label,
                "space": space,
                "version": version,
                "dependencies": dependencies,
                "refresh": refresh_sources,
                "parameters": dict(parameters) if parameters else None,
                "sources": [
                    {p.execute_source_step_field: step, p.execute_source_dataset_field: dataset}
                    for step, dataset in pairs
                ],
                **now_values(),
            },
        )
        path = p.path("execute", label=label, space=space or "")
        method = p.method("execute")
        since = datetime.now(UTC) - timedelta(seconds=self.CLOCK_SKEW_TOLERANCE)
        headers: dict[str, str] = {}
        try:
            result = self.http.request(
                method,
                path,
                json=body,
                headers_out=headers,
                idempotent=False,
                reconcile=lambda: self._reconcile_execute(label, since),
            )
        except ServerRefusedError as e:
            why = {
                404: f"no workflow with external label '{label}'"
                + (f" in space '{space}'" if space else "")
                + f": {e} (check the plan's label and space against Data Studio)",
                409: f"no published version of workflow '{label}' to execute "
                f"({p.execute_version_field}={version}): {e} (publish it in Data "
                'Studio, or set version = "PreferDraft" for it in the plan)',
                400: f"the server refused to execute workflow '{label}': {e} (check this "
                "workflow's parameters and sources in the plan against Data Studio; if "
                "every execute is refused, check the API profile with aperture-doctor)",
            }.get(e.status or 0)
            if why is None:
                raise
            raise WorkflowNotReadyError(
                why,
                method=e.method,
                url=e.url,
                status=e.status,
                server_message=e.server_message,
            ) from e
        if isinstance(result, Job):  # adopted by reconciliation
            return self._jobs.remember(result)
        decoder = self.http.decoder(method, path)
        if p.job_id_from == "location":
            return self.get_job(self._location_id(headers, decoder))
        data = decoder.as_obj(result, "the execute answer")
        if decoder.get(data, p.job_state_field) is not None:
            return self._jobs.remember(decoder.job(data, label=label))
        job_id = decoder.get(data, p.job_id_field)  # an id alone: ask for the job
        if isinstance(job_id, int) and not isinstance(job_id, bool):
            job_id = str(job_id)
        if not isinstance(job_id, str) or not job_id:
            raise decoder.fail(f"the execute answer has no usable '{p.job_id_field}'")
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> Job:
        """The job's current state. Raises ``JobLostError`` if the server forgot it (404)."""
        path = self.profile.path("job", job_id=job_id)
        method = self.profile.method("job")
        try:
            body = self.http.request(method, path)
        except ServerRefusedError as e:
            if e.status == 404:
                raise self._lost(job_id, e) from e
            raise
        return self._jobs.remember(self.http.decoder(method, path).job(body))

    def list_jobs(self, label: str | None = None, state: str | None = None) -> list[Job]:
        """Jobs the server knows (complete, running, queued), optionally filtered."""
        return [self._jobs.remember(job) for job in self._list_jobs(label, state)]

    def cancel_job(self, job_id: str, *, once: bool = False) -> Job:
        """Cancel the job (*once*: one attempt, no retry); a finished job (409) is returned."""
        path = self.profile.path("cancel", job_id=job_id)
        method = self.profile.method("cancel")
        try:
            body = self.http.request(method, path, once=once)  # cancelling twice is harmless
        except ServerRefusedError as e:
            if e.status == 409:
                return self.get_job(job_id)
            if e.status == 404:
                raise self._lost(job_id, e) from e
            raise
        if body is None or (isinstance(body, dict) and not body):
            return self.get_job(job_id)  # a bare 202/204: ask how the job ended up
        return self._jobs.remember(self.http.decoder(method, path).job(body))

    # -- helpers -----------------------------------------------------------------

    def _list_jobs(self, label: str | None, state: str | None) -> list[Job]:
        params: dict[str, str] = {}
        if label is not None:
            params[self.profile.jobs_label_param] = label
        if state is not None:
            params[self.profile.jobs_state_param] = state
        path = self.profile.path("jobs")
        decoder = self.http.decoder(self.profile.method("jobs"), path)
        jobs = [decoder.job(item) for item in self._fetch_list("jobs", path, params or None)]
        for job in jobs:
            self._jobs.note_state(job)
        return jobs

    MAX_PAGES = MAX_PAGES

    def _fetch_list(
        self,
        route: str,
        path: str,
        params: dict[str, str] | None,
        *,
        first_page_only: bool = False,
    ) -> list[Any]:
        """Every entry of a list route (``client/paging.py``)."""
        return fetch_list(
            self.http, route, path, params, first_page_only=first_page_only,
            max_pages=self.MAX_PAGES,
        )  # fmt: skip

    def _location_id(self, headers: Mapping[str, str], decoder: Any) -> str:
        location = next((v for k, v in headers.items() if k.lower() == "location"), "")
        segments = [s for s in urlsplit(location).path.split("/") if s]
        if not segments:
            raise decoder.fail(
                "the execute answer has no Location header with the job's path "
                '(set job_id_from = "body" if the id is in the body)'
            )
        return unquote(segments[-1])

    def _reconcile_execute(self, label: str, since: datetime) -> Job | None:
        try:
            jobs = self._list_jobs(label, None)
        except (AuthenticationError, ServerUnreachableError):
            raise
        except ClientError as e:
            raise TransportError(
                f"execute of '{label}' failed in a way that may have started a job, and "
                f"listing its jobs to find out failed too: {e} (check Data Studio for a "
                "job of this workflow before running again)",
                method=e.method,
                url=e.url,
                status=e.status,
                server_message=e.server_message,
            ) from e
        execute_url = self.http.shown_url(self.profile.path("execute", label=label, space=""))
        return self._jobs.adopt(label, since, jobs, execute_url)

    def _lost(self, job_id: str, e: ClientError) -> JobLostError:
        return JobLostError(
            f"the server no longer knows job {job_id} (restarted?): {e}",
            method=e.method,
            url=e.url,
            status=e.status,
            server_message=e.server_message,
        )
