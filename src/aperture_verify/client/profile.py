"""The API profile: every route, body, field path and state name of one REST dialect.

The default values are the contract in ``docs/api.md`` (base path ``/api/v1``),
shipped as the dialect ``"contract"``; other dialects are TOML files in
``client/dialects/``. A plan picks one with ``[server] dialect`` and overrides
any key in ``[server.profile]``; nothing else in the package hard-codes a path,
a field name or a state name. ``profile_keys`` validates every key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

ROUTES = ("login", "workflows", "execute", "jobs", "job", "cancel")
CATEGORIES = ("queued", "running", "completed", "failed", "cancelled")
CANONICAL = {c: c.upper() for c in CATEGORIES}
"""The state names the suite reports and plans use, whatever the server calls them."""

MISSING = object()
PAGING_KEYS = (
    "list_next_field", "list_next_header", "list_last_field",
    "list_total_pages_field", "list_total_elements_field",
)  # fmt: skip
"""The keys that each say how a paged list ends; at most one is set."""


@dataclass(frozen=True)
class ApiProfile:
    """Routes, bodies, field paths and state names of one Data Studio REST API dialect."""

    # routes: path templates relative to the server URL; {label}, {space} and
    # {job_id} are filled in URL-encoded (profile_keys says which route takes which);
    # a workflows_path with {space} is listed once per space the plan uses
    login_path: str = "/api/v1/login"
    workflows_path: str = "/api/v1/workflows"
    execute_path: str = "/api/v1/workflows/execute"
    jobs_path: str = "/api/v1/jobs"
    job_path: str = "/api/v1/jobs/{job_id}"
    cancel_path: str = "/api/v1/jobs/{job_id}/cancel"
    login_method: str = "POST"
    workflows_method: str = "GET"
    execute_method: str = "POST"
    jobs_method: str = "GET"
    job_method: str = "GET"
    cancel_method: str = "POST"

    # login (1.x): request fields, token field, and how long a token lives:
    # "field" (expires_in_field, seconds), "jwt" (the token's own exp claim) or a duration
    login_username_field: str = "username"
    login_password_field: str = "password"
    token_field: str = "token"
    expires_in_field: str = "expiresIn"
    token_expiry: str = "field"

    # execute: the body as a template (None: built from the execute_*_field keys)
    execute_body: Mapping[str, Any] | None = None
    execute_label_field: str = "externalLabel"
    execute_space_field: str = "spaceExternalLabel"
    execute_version_field: str = "versionToExecute"
    execute_dependencies_field: str = "dependenciesToUse"
    execute_refresh_field: str = "refreshSources"
    execute_parameters_field: str = "workflowParameters"
    execute_sources_field: str = "sources"
    # each entry of the sources list: {step field: Source step label, dataset field: Dataset label}
    execute_source_step_field: str = "sourceExternalLabel"
    execute_source_dataset_field: str = "datasetExternalLabel"
    # where the new job's id is: "body" (job_id_field of the answer) or "location" (header)
    job_id_from: str = "body"

    # list-jobs query parameters
    jobs_label_param: str = "externalLabel"
    jobs_state_param: str = "state"

    # lists: "" = a bare JSON array; else the path of the array in a page object,
    # followed to the last page by ONE of: a next link in the body (list_next_field)
    # or in a header (list_next_header, RFC 8288 rel="next"), a last flag
    # (list_last_field), a total-pages or a total-elements count; the counted and
    # flagged ways ask for page page_first + n through page_param. page_size is
    # only asked for: a server may cap it, so the end is never judged by it.
    list_items_field: str = ""
    list_next_field: str = ""
    list_next_header: str = ""
    list_last_field: str = ""
    list_total_pages_field: str = ""
    list_total_elements_field: str = ""
    page_param: str = ""
    page_first: int = 0
    page_size_param: str = ""
    page_size: int = 0

    # workflow fields (dotted paths into the object)
    workflow_id_field: str = "id"
    workflow_name_field: str = "name"
    workflow_label_field: str = "externalLabel"
    workflow_space_field: str = "space"
    # published / draft: true when the value is true, a number above zero, or any
    # other value that is present and not null (a version object, a date)
    workflow_published_field: str = "published"
    workflow_draft_field: str = "hasDraft"
    # read when present: names of the workflow's parameters and Source steps
    workflow_parameters_field: str = "parameters"
    workflow_sources_field: str = "sources"

    # job fields
    job_id_field: str = "jobId"
    job_state_field: str = "state"
    job_workflow_field: str = "workflow"
    job_workflow_label_field: str = ""  # "" = workflow_label_field inside job_workflow_field
    job_submitted_field: str = "submittedAt"
    job_started_field: str = "startedAt"
    job_finished_field: str = "finishedAt"
    job_error_field: str = "error"
    job_steps_field: str = "steps"
    timestamp_format: str = "iso"  # "iso" | "epoch_s" | "epoch_ms"

    # step fields
    step_name_field: str = "name"
    step_type_field: str = "type"
    step_state_field: str = "state"
    step_rows_in_field: str = "rowsIn"
    step_rows_out_field: str = "rowsOut"
    step_passed_rows_field: str = "passedRows"
    step_failed_rows_field: str = "failedRows"

    # error body
    error_message_field: str = "message"

    # job state names per category; the first of each is what the emulator shows
    queued_states: tuple[str, ...] = ("QUEUED",)
    running_states: tuple[str, ...] = ("RUNNING",)
    completed_states: tuple[str, ...] = ("COMPLETED",)
    failed_states: tuple[str, ...] = ("FAILED",)
    cancelled_states: tuple[str, ...] = ("CANCELLED",)
    # step state names per category; empty = the job's names
    step_queued_states: tuple[str, ...] = ()
    step_running_states: tuple[str, ...] = ()
    step_completed_states: tuple[str, ...] = ()
    step_failed_states: tuple[str, ...] = ()
    step_cancelled_states: tuple[str, ...] = ()

    # execute: the version values the server accepts (PreferDraft-like first)
    version_values: tuple[str, ...] = ("PreferDraft", "PublishedOnly")

    # -- states ----------------------------------------------------------------------

    def states(self, category: str, *, step: bool = False) -> tuple[str, ...]:
        """The server's names for *category* (``"completed"``...), of jobs or of steps."""
        if step:
            names: tuple[str, ...] = getattr(self, f"step_{category}_states")
            if names:
                return names
        result: tuple[str, ...] = getattr(self, f"{category}_states")
        return result

    def category(self, state: str, *, step: bool = False) -> str | None:
        """The category of a server state name, ``None`` when the profile does not know it."""
        for category in CATEGORIES:
            if state in self.states(category, step=step) or state == CANONICAL[category]:
                return category
        return None

    def canonical(self, state: str, *, step: bool = False) -> str:
        """The suite's name for a server state (``SUCCEEDED`` → ``COMPLETED``); unknown: as is."""
        category = self.category(state, step=step)
        return state if category is None else CANONICAL[category]

    def shown(self, canonical: str, *, step: bool = False) -> str:
        """The server's first name for a suite state name (the emulator's side)."""
        for category in CATEGORIES:
            if canonical == CANONICAL[category]:
                return self.states(category, step=step)[0]
        return canonical

    @property
    def terminal_states(self) -> tuple[str, ...]:
        """Every final state name: the suite's own and the server's."""
        return tuple(
            dict.fromkeys(
                (*("COMPLETED", "FAILED", "CANCELLED"), *self.completed_states,
                 *self.failed_states, *self.cancelled_states)
            )
        )  # fmt: skip

    @property
    def known_states(self) -> tuple[str, ...]:
        names = [CANONICAL[c] for c in CATEGORIES]
        for c in CATEGORIES:
            names += [*self.states(c), *self.states(c, step=True)]
        return tuple(dict.fromkeys(names))

    def is_terminal(self, state: str) -> bool:
        return self.category(state) in ("completed", "failed", "cancelled")

    def is_known(self, state: str) -> bool:
        return self.category(state) is not None

    # -- routes and bodies -------------------------------------------------------------

    def path(self, name: str, **values: str) -> str:
        """The path of route *name* (``"job"`` → ``job_path``), values URL-encoded."""
        template: str = getattr(self, f"{name}_path")
        return template.format(**{k: quote(v, safe="") for k, v in values.items()})

    def method(self, name: str) -> str:
        method: str = getattr(self, f"{name}_method")
        return method

    @property
    def body_template(self) -> Mapping[str, Any]:
        """The execute body template: ``execute_body``, or the contract's from the field keys."""
        if self.execute_body is not None:
            return self.execute_body
        return {
            self.execute_label_field: "{label}",
            self.execute_space_field: "{space}",
            self.execute_version_field: "{version}",
            self.execute_dependencies_field: "{dependencies}",
            self.execute_refresh_field: "{refresh}",
            self.execute_parameters_field: "{parameters}",
            self.execute_sources_field: "{sources}",
        }

    @property
    def paged(self) -> bool:
        """Lists come in pages: in a page object, or bare arrays linked by a header."""
        return bool(self.list_items_field or self.list_next_header)

    @property
    def paging(self) -> str:
        """How a paged list is followed: the key that says when it ends, or ``""``."""
        for key in PAGING_KEYS:
            if getattr(self, key):
                return key
        return ""

    @property
    def workflows_per_space(self) -> bool:
        """The workflow list is read one space at a time (``{space}`` in its route)."""
        return "{space}" in self.workflows_path

    # -- keys --------------------------------------------------------------------------

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def get_path(data: Any, path: str) -> Any:
    """The value at dotted *path* (``timing.started``) in *data*, or ``MISSING``."""
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def put_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set *value* at dotted *path* in *data*, creating the objects between."""
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


DEFAULT_PROFILE = ApiProfile()
