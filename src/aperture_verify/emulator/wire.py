"""What goes over the wire: the JSON shapes of the contract, and the request log.

Field names come from the ``ApiProfile``, so the emulator speaks whatever
dialect a plan configures.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from aperture_verify.client.profile import ApiProfile, put_path
from aperture_verify.common.redaction import MASK, is_secret_key
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.emulator.scenario import WorkflowScript
from aperture_verify.emulator.state import JobRecord


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received, in order of arrival.

    ``status`` is ``None`` while the request is being answered and when the
    connection was dropped on purpose. ``repr()`` hides the ``Authorization``
    header, any ``password`` and the like so assertion output never shows a credential.
    """

    method: str
    path: str
    query: Mapping[str, str] = field(hash=False)
    headers: Mapping[str, str] = field(hash=False)
    json: Any = field(hash=False)
    status: int | None
    at: float
    workflow_label: str | None
    elapsed: float | None = None  # seconds taken to answer (or drop)
    outage: str | None = None  # the kind of the outage that answered it ("503", "reset"...)

    def __repr__(self) -> str:
        headers = {k: (MASK if is_secret_key(k) else v) for k, v in self.headers.items()}
        body = self.json
        if isinstance(body, dict):
            body = {k: (MASK if is_secret_key(str(k)) else v) for k, v in body.items()}
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, "
            f"query={dict(self.query)!r}, headers={headers!r}, json={body!r}, "
            f"status={self.status!r}, workflow_label={self.workflow_label!r})"
        )


class Hangup(enum.Enum):
    """Answer nothing: ``RESET`` resets the connection (TCP RST) instead of closing it."""

    RESET = "reset"


@dataclass(frozen=True)
class Response:
    """What to send back."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def retry_after_value(seconds: float) -> str:
    """A ``Retry-After`` header value: whole seconds as an integer."""
    return str(int(seconds)) if seconds == int(seconds) else str(seconds)


def timestamp(profile: ApiProfile, value: datetime | None) -> str | int | None:
    """A time as the profile writes timestamps: ISO-8601 text or epoch seconds/milliseconds."""
    if value is None or profile.timestamp_format == "iso":
        return format_timestamp(value)
    seconds = value.timestamp()
    return int(seconds * 1000) if profile.timestamp_format == "epoch_ms" else int(seconds)


def list_page(
    profile: ApiProfile,
    entries: list[Any],
    path: str,
    query: Mapping[str, str],
    default_size: int,
) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """A list answer and its headers: the bare array, or one page of it in the
    profile's wrapper, with the profile's way to the next page (a link in the body
    or in a ``Link`` header, a last flag, a count of pages or entries).

    Pages hold ``page_size_param`` entries when the client asks, else
    *default_size* (small, so clients must follow pages); numbered from ``page_first``.
    """
    p = profile
    if not p.paged:
        return entries, ()
    size = default_size
    asked = query.get(p.page_size_param) if p.page_size_param else None
    if asked is not None and asked.isdigit() and int(asked) > 0:
        size = int(asked)
    page_key = p.page_param or "page"
    given = query.get(page_key, "")
    number = int(given) if given.isdigit() else p.page_first
    index = max(0, number - p.page_first)
    chunk = entries[index * size : (index + 1) * size]
    last = (index + 1) * size >= len(entries)
    following = None if last else path + "?" + urlencode({**query, page_key: str(number + 1)})
    headers: tuple[tuple[str, str], ...] = ()
    if p.list_next_header and following is not None:
        headers = ((p.list_next_header, f'<{following}>; rel="next"'),)
    if not p.list_items_field:
        return chunk, headers
    page: dict[str, Any] = {}
    put_path(page, p.list_items_field, chunk)
    if p.list_next_field:
        put_path(page, p.list_next_field, following)
    if p.list_last_field:
        put_path(page, p.list_last_field, last)
    if p.list_total_pages_field:
        put_path(page, p.list_total_pages_field, max(1, -(-len(entries) // size)))
    if p.list_total_elements_field:
        put_path(page, p.list_total_elements_field, len(entries))
    page.setdefault("totalElements", len(entries))
    page.setdefault("number", number)
    return page, headers


def json_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """*payload* as a JSON response."""
    return Response(status, json.dumps(payload).encode(), "application/json", headers)


def error_response(
    profile: ApiProfile,
    status: int,
    message: str,
    path: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    """A Spring-style error body: timestamp, status, error, message, path."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    body: dict[str, Any] = {"timestamp": format_timestamp(datetime.now(UTC)), "status": status}
    if profile.error_message_field.split(".")[0] != "error":
        body["error"] = reason
    put_path(body, profile.error_message_field, message)
    body.setdefault("path", path)
    return json_response(status, body, headers)


def workflow_json(profile: ApiProfile, wf_id: int, wf: WorkflowScript) -> dict[str, Any]:
    """A workflow as the list-workflows route shows it."""
    p = profile
    out: dict[str, Any] = {}
    for key, value in (
        (p.workflow_id_field, wf_id),
        (p.workflow_name_field, wf.display_name),
        (p.workflow_label_field, wf.label),
        (p.workflow_space_field, wf.space),
        (p.workflow_published_field, wf.published),
        (p.workflow_draft_field, wf.has_draft),
        (p.workflow_parameters_field, _named(wf.parameters, "name")),
        (p.workflow_sources_field, _named(wf.sources, "externalLabel")),
    ):
        if key and value is not None:
            put_path(out, key, value)
    return out


def _named(names: tuple[str, ...] | None, key: str) -> list[dict[str, str]] | None:
    return None if names is None else [{key: name} for name in names]


def job_json(profile: ApiProfile, job: JobRecord) -> dict[str, Any]:
    """A job in the contract's shape."""
    p = profile
    steps = []
    for s in job.steps:
        step: dict[str, Any] = {}
        state = p.shown(p.canonical(s.state), step=True)
        for key, value in (
            (p.step_name_field, s.name),
            (p.step_type_field, s.type),
            (p.step_state_field, state),
            (p.step_rows_in_field, s.rows_in),
            (p.step_rows_out_field, s.rows_out),
            # passed/failed rows exist only for steps that validate rows
            (p.step_passed_rows_field, s.passed_rows),
            (p.step_failed_rows_field, s.failed_rows),
        ):
            if key and (value is not None or key in (p.step_rows_in_field, p.step_rows_out_field)):
                put_path(step, key, value)
        steps.append(step)
    out: dict[str, Any] = {}
    put_path(out, p.job_id_field, job.job_id)
    put_path(out, p.job_state_field, job.state)
    if p.job_workflow_label_field:
        put_path(out, p.job_workflow_label_field, job.label)
    elif p.job_workflow_field:
        workflow: dict[str, Any] = {}
        for key, value in (
            (p.workflow_label_field, job.label),
            (p.workflow_name_field, job.name),
            (p.workflow_space_field, job.space),
        ):
            if key:
                put_path(workflow, key, value)
        put_path(out, p.job_workflow_field, workflow)
    for key, when in (
        (p.job_submitted_field, job.submitted_at),
        (p.job_started_field, job.started_at),
        (p.job_finished_field, job.finished_at),
    ):
        if key:
            put_path(out, key, timestamp(p, when))
    if p.job_error_field:
        put_path(out, p.job_error_field, job.error)
    if p.job_steps_field:
        put_path(out, p.job_steps_field, steps)
    return out
