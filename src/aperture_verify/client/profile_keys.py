"""Validating API profile keys: every mistake is one ``PlanError`` line naming the key.

A typo'd key, a path template with a placeholder its route cannot fill, an
execute body with an unknown placeholder, a field path that cannot be a path
(``a..b``, `` x``), an unknown method or format: all are refused before
anything is sent.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from aperture_verify.client.profile import PAGING_KEYS, ROUTES, ApiProfile
from aperture_verify.common.durations import parse_duration
from aperture_verify.errors import PlanError

PATH_PLACEHOLDERS = {
    "login": (),
    "workflows": ("space",),
    "execute": ("label", "space"),
    "jobs": (),
    "job": ("job_id",),
    "cancel": ("job_id",),
}
BODY_PLACEHOLDERS = (
    "label", "space", "version", "dependencies", "refresh", "parameters", "sources",
    "now", "now_epoch_s", "now_epoch_ms",
)  # fmt: skip
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CHOICES = {
    "job_id_from": ("body", "location"),
    "timestamp_format": ("iso", "epoch_s", "epoch_ms"),
}
# keys that may be "" (meaning: none)
OPTIONAL_FIELDS = (
    "list_items_field", "list_next_field", "list_last_field", "page_param", "page_size_param",
    "list_next_header", "list_total_pages_field", "list_total_elements_field",
    "job_workflow_label_field", "job_error_field", "job_steps_field", "job_submitted_field",
    "expires_in_field", "job_workflow_field", "workflow_id_field", "workflow_name_field",
    "workflow_space_field", "workflow_published_field", "workflow_draft_field",
    "workflow_parameters_field", "workflow_sources_field",
    "step_type_field", "step_state_field", "step_rows_in_field", "step_rows_out_field",
    "step_passed_rows_field", "step_failed_rows_field", "jobs_label_param", "jobs_state_param",
)  # fmt: skip
_FIELD_PATH = re.compile(r"[^.\s{}\[\]]+(\.[^.\s{}\[\]]+)*")


def read_overrides(
    overrides: Mapping[str, Any], source: str, prefix: str = "server.profile"
) -> dict[str, Any]:
    """Validated profile values from a ``[server.profile]``-like table."""
    known = ApiProfile.field_names()
    default = ApiProfile()
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        at = f"{prefix}.{key}"
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise PlanError(
                source, at, "unknown API profile key", hint + "the keys are listed in docs/api.md"
            )
        values[key] = _read(key, value, getattr(default, key), source, at)
    return values


def apply_overrides(
    base: ApiProfile,
    overrides: Mapping[str, Any],
    source: str = "plans.toml",
    prefix: str = "server.profile",
) -> ApiProfile:
    """*base* with *overrides* applied; raises ``PlanError`` for any bad key."""
    profile = dataclasses.replace(base, **read_overrides(overrides, source, prefix))
    check_profile(profile, source, prefix)
    return profile


def check_profile(p: ApiProfile, source: str, prefix: str) -> None:
    """What only the whole profile can tell: the execute route must name the workflow."""
    template = p.body_template
    in_path = "{label}" in p.execute_path
    if not in_path and "label" not in placeholders_of(template):
        raise PlanError(
            source,
            f"{prefix}.execute_body",
            "names no workflow: neither it nor execute_path holds {label}",
            'add e.g. externalLabel = "{label}"',
        )
    ways = [key for key in PAGING_KEYS if getattr(p, key)]
    if len(ways) > 1:
        raise PlanError(
            source, f"{prefix}.{ways[1]}", f"and {ways[0]} are both set",
            "keep the one the server's pages carry (one way to find the last page)",
        )  # fmt: skip
    numbered = ("list_last_field", "list_total_pages_field", "list_total_elements_field")
    if ways and ways[0] in numbered and not p.page_param:
        raise PlanError(
            source, f"{prefix}.page_param", f"is needed to follow {ways[0]}",
            'set page_param = "page" (the query parameter of the page number)',
        )  # fmt: skip
    if ways and ways[0] != "list_next_header" and not p.list_items_field:
        raise PlanError(
            source, f"{prefix}.list_items_field", "is needed for paged lists",
            'set it to the field of the page that holds the entries, e.g. "content"',
        )  # fmt: skip


def _read(key: str, value: Any, default: Any, source: str, at: str) -> Any:
    def fail(problem: str, fix: str) -> PlanError:
        return PlanError(source, at, problem, fix)

    if key == "execute_body":
        if not isinstance(value, dict):
            raise fail(
                "must be a table", 'write it as execute_body = { externalLabel = "{label}" }'
            )
        _check_body(value, source, at)
        return value
    if key == "page_size":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10000:
            raise fail("must be a whole number from 0 to 10000", "write e.g. page_size = 100")
        return value
    if key == "page_first":
        if isinstance(value, bool) or value not in (0, 1):
            raise fail(
                f"is {value!r}, not 0 or 1",
                "write page_first = 0 (pages counted from 0, as Spring does) or 1",
            )
        return value
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail("must be a list of strings", 'write it as ["NAME", ...]')
        empty_ok = key.startswith("step_")
        if not value and not empty_ok:
            raise fail("must name at least one state", 'write it as ["NAME", ...]')
        return tuple(value)
    if not isinstance(value, str):
        raise fail("must be a string", f'write it as {key} = "..."')
    if key.endswith("_path"):
        return _read_path(key[: -len("_path")], value, fail)
    if key.endswith("_method"):
        if value.upper() not in METHODS:
            raise fail(f"is {value!r}, not an HTTP method", f"use one of {', '.join(METHODS)}")
        return value.upper()
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise fail(f"is {value!r}", f"use one of {', '.join(map(repr, CHOICES[key]))}")
        return value
    if key == "token_expiry":
        if value not in ("field", "jwt"):
            try:
                seconds = parse_duration(value)
            except ValueError as e:
                raise fail(
                    f"is {value!r}", f'use "field", "jwt" or a duration like "1h" ({e})'
                ) from None
            if seconds <= 0:
                raise fail("must be longer than 0s", 'use e.g. "1h"')
        return value
    if not value:
        if key in OPTIONAL_FIELDS:
            return value
        raise fail("must not be empty", f'write it as {key} = "..."')
    if key.endswith("_param"):
        return value
    if key == "list_next_header":
        if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
            raise fail(f"{value!r} is not a header name", 'write it as list_next_header = "Link"')
        return value
    if key.endswith("_field") and not _FIELD_PATH.fullmatch(value):
        raise fail(
            f"{value!r} cannot be a field path",
            'write names separated by dots, e.g. "timing.started"',
        )
    return value


#: ASCII a URL path cannot hold as it is (RFC 3986): it must be percent-encoded. "{}" are
#: placeholders, "?" may start a query; non-ASCII is left to requests, which encodes it.
_MUST_ENCODE = frozenset(' "<>\\^`|#[]') | {chr(c) for c in (*range(32), 127)}


def _read_path(route: str, value: str, fail: Any) -> str:
    if not value.startswith("/"):
        raise fail(f"{value!r} is not a path", 'write it as "/api/v1/..."')
    bad = list(dict.fromkeys(c for c in value if c in _MUST_ENCODE))
    if bad:
        named = ", ".join("a space" if c == " " else f"{c!r} (U+{ord(c):04X})" for c in bad)
        codes = ", ".join(f"{'a space' if c == ' ' else c} is {quote(c, safe='')}" for c in bad)
        raise fail(
            f"{value!r} holds {named}, which a URL path must percent-encode",
            f"write it encoded ({codes}): "
            f'"{quote(value, safe="".join(set(value) - _MUST_ENCODE))}"',
        )
    allowed = PATH_PLACEHOLDERS.get(route, ())
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as e:
        raise fail(
            f"{value!r} is not a path template ({e})", "write placeholders as {job_id}"
        ) from None
    for name in names:
        if name not in allowed:
            can = ", ".join("{" + a + "}" for a in allowed) or "no placeholder"
            raise fail(f"unknown placeholder {{{name}}}", f"this route takes {can}")
    if route in ("job", "cancel") and "job_id" not in names:
        raise fail("has no {job_id}", 'write it as "/api/v1/jobs/{job_id}"')
    return value


def placeholders_of(template: Any) -> set[str]:
    """Every placeholder name in an execute body template."""
    found: set[str] = set()
    if isinstance(template, dict):
        for item in template.values():
            found |= placeholders_of(item)
    elif isinstance(template, list):
        for item in template:
            found |= placeholders_of(item)
    elif isinstance(template, str):
        found |= {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
    return found


def _check_body(template: Any, source: str, at: str) -> None:
    if isinstance(template, dict):
        for key, item in template.items():
            _check_body(item, source, f"{at}.{key}")
    elif isinstance(template, list):
        for i, item in enumerate(template):
            _check_body(item, source, f"{at}[{i}]")
    elif isinstance(template, str):
        try:
            names = placeholders_of(template)
        except ValueError as e:
            raise PlanError(
                source, at, f"{template!r} is not a template ({e})", "write {{ for a brace"
            ) from None
        for name in sorted(names):
            if name not in BODY_PLACEHOLDERS:
                close = difflib.get_close_matches(name, BODY_PLACEHOLDERS, n=1)
                hint = f"did you mean {{{close[0]}}}? " if close else ""
                raise PlanError(
                    source,
                    at,
                    f"unknown placeholder {{{name}}}",
                    hint + "use " + ", ".join("{" + b + "}" for b in BODY_PLACEHOLDERS),
                )


__all__ = ["ROUTES", "apply_overrides", "placeholders_of", "read_overrides"]
