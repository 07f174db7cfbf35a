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

from aperture_verify.client.profile import ApiProfile
from aperture_verify.common.secrets import MASK, is_secret_key
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
    return json_response(
        status,
        {
            "timestamp": format_timestamp(datetime.now(UTC)),
            "status": status,
            "error": reason,
            profile.error_message_field: message,
            "path": path,
        },
        headers,
    )


def workflow_json(profile: ApiProfile, wf_id: int, wf: WorkflowScript) -> dict[str, Any]:
    """A workflow as the list-workflows route shows it."""
    p = profile
    return {
        p.workflow_id_field: wf_id,
        p.workflow_name_field: wf.display_name,
        p.workflow_label_field: wf.label,
        p.workflow_space_field: wf.space,
        p.workflow_published_field: wf.published,
        p.workflow_draft_field: wf.has_draft,
    }


def job_json(profile: ApiProfile, job: JobRecord) -> dict[str, Any]:
    """A job in the contract's shape."""
    p = profile
    steps = []
    for s in job.steps:
        step: dict[str, Any] = {
            p.step_name_field: s.name,
            p.step_type_field: s.type,
            p.step_state_field: s.state,
            p.step_rows_in_field: s.rows_in,
            p.step_rows_out_field: s.rows_out,
        }
        # passed/failed rows exist only for steps that validate rows
        if s.passed_rows is not None:
            step[p.step_passed_rows_field] = s.passed_rows
        if s.failed_rows is not None:
            step[p.step_failed_rows_field] = s.failed_rows
        steps.append(step)
    return {
        p.job_id_field: job.job_id,
        p.job_state_field: job.state,
        p.job_workflow_field: {
            p.workflow_label_field: job.label,
            p.workflow_name_field: job.name,
            p.workflow_space_field: job.space,
        },
        p.job_submitted_field: format_timestamp(job.submitted_at),
        p.job_started_field: format_timestamp(job.started_at),
        p.job_finished_field: format_timestamp(job.finished_at),
        p.job_error_field: job.error,
        p.job_steps_field: steps,
    }
