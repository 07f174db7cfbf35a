"""The REST API the emulator serves: routes, validation, faults.

Independent of the HTTP plumbing (``server.py``): ``Api.serve`` takes a
parsed request and returns a ``Response`` (or ``None`` for "close the
connection without answering"). Paths, field names and state names all come
from the ``ApiProfile``, so the emulator speaks whatever dialect a plan sets.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from aperture_verify.client.body import read_back
from aperture_verify.client.dialect import ApiDocs
from aperture_verify.client.profile import ApiProfile, put_path
from aperture_verify.client.tokens import make_jwt
from aperture_verify.emulator.auth import Authenticator
from aperture_verify.emulator.faults import FaultSet, fault_response
from aperture_verify.emulator.incoming import BadRequest, header, read_execute
from aperture_verify.emulator.incoming import pattern as route_pattern
from aperture_verify.emulator.openapi import DocSite
from aperture_verify.emulator.outage_windows import Outage, OutageSchedule
from aperture_verify.emulator.scenario import WorkflowScript
from aperture_verify.emulator.state import JobRecord, JobStore
from aperture_verify.emulator.wire import (
    Hangup,
    RecordedRequest,
    Response,
    error_response,
    job_json,
    json_response,
    list_page,
    retry_after_value,
    workflow_json,
)


class Api:
    """Routes one request at a time; safe to call from many handler threads."""

    def __init__(
        self,
        *,
        profile: ApiProfile,
        auth: Authenticator,
        jobs: JobStore,
        faults: FaultSet,
        workflows: tuple[WorkflowScript, ...],
        outages: OutageSchedule | None = None,
        on_request: Callable[[RecordedRequest], None] | None = None,
        docs: ApiDocs | None = None,
        page_size: int = 2,
    ) -> None:
        self.profile = profile
        self.outages = outages if outages is not None else OutageSchedule()
        self.docs = DocSite(profile, docs or ApiDocs())
        self.page_size = page_size
        self.auth = auth
        self.jobs = jobs
        self.faults = faults
        self.on_request = on_request
        self._lock = threading.Lock()
        self._workflows: dict[str, tuple[int, WorkflowScript]] = {}
        self._requests: list[RecordedRequest] = []
        for wf in workflows:
            self.add_workflow(wf)
        p = profile
        # (name, method, pattern); order matters only for overlapping templates
        self._routes: list[tuple[str, str, re.Pattern[str]]] = [
            (name, p.method(name), route_pattern(getattr(p, f"{name}_path")))
            for name in ("login", "workflows", "execute", "jobs", "cancel", "job")
        ]

    # --- scenario and request log ---------------------------------------------

    def add_workflow(self, wf: WorkflowScript) -> None:
        """Add *wf*, or replace the workflow with its label (keeping its id)."""
        with self._lock:
            known = self._workflows.get(wf.label)
            wf_id = known[0] if known else len(self._workflows) + 1
            self._workflows[wf.label] = (wf_id, wf)

    def workflow(self, label: str) -> WorkflowScript | None:
        with self._lock:
            known = self._workflows.get(label)
            return known[1] if known else None

    def workflow_list(self) -> list[tuple[int, WorkflowScript]]:
        with self._lock:
            return list(self._workflows.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _finish(
        self, rec: RecordedRequest, status: int | None, began: float, outage: str | None = None
    ) -> None:
        done = replace(rec, status=status, elapsed=time.monotonic() - began, outage=outage)
        with self._lock:
            for i in range(len(self._requests) - 1, -1, -1):
                if self._requests[i] is rec:
                    self._requests[i] = done
                    break
        if self.on_request is not None:
            self.on_request(done)

    # --- serving ---------------------------------------------------------------

    def serve(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        raw_body: bytes,
    ) -> Response | Hangup | None:
        """Answer one request; ``None`` means: close the connection, send nothing;
        ``Hangup.RESET``: reset it."""
        began = time.monotonic()
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        document = self.docs.serve(method, path)
        if document is not None:  # the API document and its UI need no credential
            return document
        try:
            body: Any = json.loads(raw_body) if raw_body.strip() else None
            body_ok = True
        except ValueError:
            body, body_ok = None, False
        name, params, allowed = self._route(method, path)
        label = self._workflow_of(name, params, query, body)
        rec = RecordedRequest(
            method, path, dict(query), dict(headers), body, None, time.time(), label
        )
        with self._lock:
            self._requests.append(rec)
        self.outages.note_request(name, label)
        outage = self.outages.take(method, path)
        if outage is not None:
            return self._outage_answer(
                outage, rec, began, method, path, query, headers, body, body_ok
            )
        fault = self.faults.take_response_fault(method, path, label)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.drop:
                self._finish(rec, None, began)
                return None
            if fault.status is not None or fault.body is not None:
                response = fault_response(self.profile, fault, path)
                self._finish(rec, response.status, began)
                return response
        response = self._dispatch(
            name, params, allowed, method, path, query, headers, body, body_ok
        )
        if fault is not None and fault.drop_after_processing:
            self._finish(rec, None, began)
            return None
        self._finish(rec, response.status, began)
        return response

    def _outage_answer(
        self,
        outage: Outage,
        rec: RecordedRequest,
        began: float,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        body_ok: bool,
    ) -> Response | Hangup:
        if outage.kind == "503":
            extra: tuple[tuple[str, str], ...] = ()
            if outage.retry_after is not None:
                extra = (("Retry-After", retry_after_value(outage.retry_after)),)
            response = self.error(
                outage.status, "Service unavailable (emulated outage)", path, extra
            )
            self._finish(rec, response.status, began, outage.kind)
            return response
        if outage.processed:
            name, params, allowed = self._route(method, path)
            self._dispatch(name, params, allowed, method, path, query, headers, body, body_ok)
        self._finish(rec, None, began, outage.kind)
        return Hangup.RESET

    def _route(self, method: str, path: str) -> tuple[str | None, dict[str, str], list[str]]:
        allowed: list[str] = []
        for name, route_method, pattern in self._routes:
            match = pattern.fullmatch(path)
            if match:
                if route_method == method:
                    return name, {k: unquote(v) for k, v in match.groupdict().items()}, []
                allowed.append(route_method)
        return None, {}, allowed

    def _workflow_of(
        self, name: str | None, params: Mapping[str, str], query: Mapping[str, str], body: Any
    ) -> str | None:
        """The workflow a request concerns, for fault matching and the request log."""
        if name == "execute":
            label = params.get("label") or read_back(self.profile.body_template, body).get("label")
            return label if isinstance(label, str) else None
        if name in ("job", "cancel"):
            return self.jobs.label_of(params["job_id"])
        if name == "jobs":
            return query.get(self.profile.jobs_label_param)
        return None

    def _dispatch(
        self,
        name: str | None,
        params: Mapping[str, str],
        allowed: list[str],
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        body_ok: bool,
    ) -> Response:
        if name is None:
            if allowed:
                return self.error(
                    405,
                    f"Request method '{method}' is not supported",
                    path,
                    headers=(("Allow", ", ".join(sorted(set(allowed)))),),
                )
            return self.error(404, f"No endpoint {method} {path}", path)
        if name == "login":
            return self._login(path, body, body_ok)
        auth = self.auth.check(header(headers, "Authorization"))
        if not auth.ok:
            return self.error(auth.status, auth.message, path)
        if name in ("execute", "cancel") and auth.readonly:
            what = "execute workflows" if name == "execute" else "cancel jobs"
            return self.error(403, f"This API key does not have permission to {what}", path)
        try:
            if name == "workflows":  # of one space, when the route names it
                entries = [workflow_json(self.profile, i, wf) for i, wf in self.workflow_list()
                           if params.get("space", wf.space) == wf.space]  # fmt: skip
                return self.json(
                    200, *list_page(self.profile, entries, path, query, self.page_size)
                )
            if name == "execute":
                return self._execute(path, params, body, body_ok)
            if name == "jobs":
                label = query.get(self.profile.jobs_label_param) or None
                state = query.get(self.profile.jobs_state_param) or None
                entries = [self.job_json(j) for j in self.jobs.all(label, state)]
                return self.json(
                    200, *list_page(self.profile, entries, path, query, self.page_size)
                )
            if name == "job":
                record = self.jobs.get(params["job_id"])
                if record is None:
                    return self.error(404, f"No job with id '{params['job_id']}'", path)
                return self.json(200, self.job_json(record))
            return self._cancel(path, params["job_id"])
        except BadRequest as e:
            return self.error(400, str(e), path)

    # --- routes ----------------------------------------------------------------

    def _login(self, path: str, body: Any, body_ok: bool) -> Response:
        p = self.profile
        if not body_ok or not isinstance(body, dict):
            return self.error(
                400,
                "Malformed JSON request body: expected "
                f'{{"{p.login_username_field}": ..., '
                f'"{p.login_password_field}": ...}}',
                path,
            )
        username = body.get(p.login_username_field)
        password = body.get(p.login_password_field)
        if not isinstance(username, str) or not isinstance(password, str):
            return self.error(
                400,
                f"'{p.login_username_field}' and '{p.login_password_field}' must be strings",
                path,
            )
        token = self.auth.login(username, password, issue=self._issue_token)
        if token is None:
            return self.error(401, "Bad credentials", path)
        answer: dict[str, Any] = {}
        put_path(answer, p.token_field, token)
        if p.token_expiry == "field" and p.expires_in_field:
            put_path(answer, p.expires_in_field, int(self.auth.token_lifetime))
        return self.json(200, answer)

    def _issue_token(self, issued_at: float, lifetime: float) -> str:
        if self.profile.token_expiry != "jwt":
            return secrets.token_urlsafe(32)
        # as 1.x tokens seen in public code: exp/iat in epoch ms, padded base64
        return make_jwt(
            {
                "sub": "emulator",
                "jti": secrets.token_urlsafe(12),
                "iat": int(issued_at * 1000),
                "exp": int((issued_at + lifetime) * 1000),
            }
        )

    def _execute(self, path: str, params: Mapping[str, str], body: Any, body_ok: bool) -> Response:
        p = self.profile
        asked = read_execute(p, body, body_ok, params)
        label, space, version, names = asked.label, asked.space, asked.version, asked.names
        prefer_draft, published_only = p.version_values[0], p.version_values[-1]
        wf = self.workflow(label)
        if wf is None or (space is not None and wf.space != space):
            where = f" in space '{space}'" if space is not None else ""
            return self.error(404, f"No workflow with external label '{label}'{where}", path)
        unknown = asked.unknown_names(p, wf.parameters, wf.sources)
        if unknown is not None:
            raise BadRequest(unknown)
        if version == prefer_draft and wf.has_draft:
            chosen = "draft"
        elif wf.published:
            chosen = "published"
        elif version == prefer_draft:
            return self.error(
                409, f"Workflow '{label}' has no published version and no draft to execute", path
            )
        else:
            return self.error(
                409,
                f"Workflow '{label}' has no published version "
                f"({names['version']} is {published_only})",
                path,
            )
        stuck = self.faults.take_stuck(label)
        record = self.jobs.submit(
            wf, body=body, parameters=asked.parameters, version=chosen, stuck=stuck
        )
        self.outages.note_job(label, record.submitted_at.timestamp() + wf.queue_time)
        if p.job_id_from == "location":
            where = p.path("job", job_id=record.job_id)
            return Response(201, b"", "application/json", (("Location", where),))
        answer: dict[str, Any] = {}
        put_path(answer, p.job_id_field, record.job_id)
        put_path(answer, p.job_state_field, record.state)
        return self.json(202, answer)

    def _cancel(self, path: str, job_id: str) -> Response:
        outcome, record = self.jobs.cancel(job_id)
        if record is None:
            return self.error(404, f"No job with id '{job_id}'", path)
        if outcome == "terminal":
            return self.error(409, f"Job '{job_id}' has already finished ({record.state})", path)
        return self.json(202, self.job_json(record))

    # --- JSON ----------------------------------------------------------------

    def job_json(self, job: JobRecord) -> dict[str, Any]:
        """A job in the contract's shape."""
        return job_json(self.profile, job)

    @staticmethod
    def json(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        return json_response(status, payload, headers)

    def error(
        self, status: int, message: str, path: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        """A Spring-style error body."""
        return error_response(self.profile, status, message, path, headers)
