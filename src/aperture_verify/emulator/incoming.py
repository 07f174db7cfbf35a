"""Reading requests: route templates as patterns, headers, typed members of a body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
