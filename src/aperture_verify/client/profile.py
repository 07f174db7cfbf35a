"""The API profile: every path, field name and state name of the REST contract.

The default values are the contract in ``API-CONTRACT.md`` (base path
``/api/v1``). A real server may name things differently; a plan overrides any
of them in ``[server.profile]`` and nothing else in the package hard-codes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aperture_verify.errors import PlanError


@dataclass(frozen=True)
class ApiProfile:
    """Paths, field names and state names of one Data Studio REST API dialect."""

    # paths (relative to the server URL); {job_id} is substituted
    login_path: str = "/api/v1/login"
    workflows_path: str = "/api/v1/workflows"
    execute_path: str = "/api/v1/workflows/execute"
    jobs_path: str = "/api/v1/jobs"
    job_path: str = "/api/v1/jobs/{job_id}"
    cancel_path: str = "/api/v1/jobs/{job_id}/cancel"

    # login request / response fields (1.x)
    login_username_field: str = "username"
    login_password_field: str = "password"
    token_field: str = "token"
    expires_in_field: str = "expiresIn"

    # execute request fields
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

    # list-jobs query parameters
    jobs_label_param: str = "externalLabel"
    jobs_state_param: str = "state"

    # workflow fields
    workflow_id_field: str = "id"
    workflow_name_field: str = "name"
    workflow_label_field: str = "externalLabel"
    workflow_space_field: str = "space"
    workflow_published_field: str = "published"
    workflow_draft_field: str = "hasDraft"

    # job fields
    job_id_field: str = "jobId"
    job_state_field: str = "state"
    job_workflow_field: str = "workflow"
    job_submitted_field: str = "submittedAt"
    job_started_field: str = "startedAt"
    job_finished_field: str = "finishedAt"
    job_error_field: str = "error"
    job_steps_field: str = "steps"

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

    # state names
    queued_states: tuple[str, ...] = ("QUEUED",)
    running_states: tuple[str, ...] = ("RUNNING",)
    completed_states: tuple[str, ...] = ("COMPLETED",)
    failed_states: tuple[str, ...] = ("FAILED",)
    cancelled_states: tuple[str, ...] = ("CANCELLED",)

    # execute: the version values the server accepts
    version_values: tuple[str, ...] = ("PreferDraft", "PublishedOnly")

    @property
    def terminal_states(self) -> tuple[str, ...]:
        return self.completed_states + self.failed_states + self.cancelled_states

    @property
    def known_states(self) -> tuple[str, ...]:
        return self.queued_states + self.running_states + self.terminal_states

    def is_terminal(self, state: str) -> bool:
        return state in self.terminal_states

    def is_known(self, state: str) -> bool:
        return state in self.known_states

    def path(self, name: str, **values: str) -> str:
        """The path called *name* (``"job"`` → ``job_path``) with values filled in."""
        template: str = getattr(self, f"{name}_path")
        return template.format(**values)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "extra")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any], source: str = "plans.toml") -> ApiProfile:
        """The default profile with *overrides* applied; unknown keys are errors."""
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        values: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise PlanError(
                    source,
                    f"server.profile.{key}",
                    "unknown API profile key",
                    f"use one of: {', '.join(sorted(known))}",
                )
            default = getattr(cls(), key)
            if isinstance(default, tuple):
                if isinstance(value, str):
                    value = (value,)
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    raise PlanError(
                        source,
                        f"server.profile.{key}",
                        "must be a list of strings",
                        'write it as ["NAME", ...]',
                    )
                value = tuple(value)
            elif not isinstance(value, str) or not value:
                raise PlanError(
                    source,
                    f"server.profile.{key}",
                    "must be a non-empty string",
                    f'write it as {key} = "..."',
                )
            values[key] = value
        return cls(**values)


DEFAULT_PROFILE = ApiProfile()
