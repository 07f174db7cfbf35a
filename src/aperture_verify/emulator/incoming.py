"""Reading requests: route templates as patterns, headers, typed members of a body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aperture_verify.client.body import location_of, read_back
from aperture_verify.client.profile import ApiProfile

BODY_NAMES = ("label", "space", "version", "dependencies", "refresh", "parameters", "sources")


class BadRequest(Exception):
    """The request is malformed: answered 400 with this message."""


def pattern(template: str) -> re.Pattern[str]:
    """A profile path template (``/api/v1/jobs/{job_id}``) as a regex (values URL-encoded)."""
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(regex)


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def optional(
    given: Mapping[str, Any], key: str, kind: type, what: str, names: Mapping[str, str]
) -> Any:
    """``given[key]`` when present and not null, checked to be of *kind*."""
    value = given.get(key)
    if value is None:
        return None
    # bool is an int in Python; JSON true is never a valid string/object/array
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadRequest(f"'{names[key]}' must be {what}")
    return value


@dataclass(frozen=True)
class ExecuteRequest:
    """An execute request's members, read back through the profile's body template."""

    label: str
    space: str | None
    version: str
    dependencies: str | None
    parameters: dict[str, Any]
    sources: list[dict[str, Any]]
    #: Where each member is in the body (``workflowParameters``...), for messages.
    names: dict[str, str]

    def unknown_names(self, profile: ApiProfile, parameters: Any, sources: Any) -> str | None:
        """Why a workflow that lists *parameters* / *sources* refuses this request, if it does.

        ``None`` for a list means the workflow does not list them: any name is taken.
        """
        steps = [s.get(profile.execute_source_step_field) for s in self.sources]
        for key, given, listed, what in (
            ("parameters", list(self.parameters), parameters, "parameter"),
            ("sources", steps, sources, "Source step"),
        ):
            unknown = [n for n in given if listed is not None and n not in listed]
            if unknown:
                known = ", ".join(f"'{n}'" for n in listed) or "none"
                return (
                    f"Workflow '{self.label}' has no {what} '{unknown[0]}' in "
                    f"'{self.names[key]}' (its {what}s: {known})"
                )
        return None


def read_execute(
    profile: ApiProfile, body: Any, body_ok: bool, params: Mapping[str, str]
) -> ExecuteRequest:
    """The execute request *body* (and path *params*), checked member by member."""
    if not body_ok:
        raise BadRequest("Malformed JSON request body")
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    template = profile.body_template
    given = {**read_back(template, body), **params}
    names = {name: location_of(template, name) or name for name in BODY_NAMES}
    label = given.get("label")
    if not isinstance(label, str) or not label:
        raise BadRequest(f"'{names['label']}' is required and must be a string")
    space = optional(given, "space", str, "a string", names)
    version = optional(given, "version", str, "a string", names) or profile.version_values[-1]
    dependencies = optional(given, "dependencies", str, "a string", names)
    for key, value in (("version", version), ("dependencies", dependencies)):
        if value is not None and value not in profile.version_values:
            raise BadRequest(
                f"'{names[key]}' must be one of {', '.join(profile.version_values)}, not '{value}'"
            )
    optional(given, "refresh", bool, "true or false", names)
    parameters = optional(given, "parameters", dict, "an object", names) or {}
    sources = optional(given, "sources", list, "an array", names) or []
    if not all(isinstance(s, dict) for s in sources):
        raise BadRequest(f"'{names['sources']}' must be an array of objects")
    return ExecuteRequest(label, space, version, dependencies, parameters, sources, names)
