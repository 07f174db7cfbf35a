"""The execute body template: filling it in (the client) and reading it back (the emulator).

A template is a JSON-like table. A string that is exactly one placeholder
(``"{parameters}"``) becomes the typed value (an object, a list, a boolean);
a member whose value is such a placeholder is left out when the value is
empty (no space, ``refresh`` false, no parameters, no sources). Placeholders
inside longer text are formatted as text; ``{{`` is a literal brace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aperture_verify.common.timestamps import format_timestamp

_WHOLE = re.compile(r"\{(\w+)\}")


def now_values(now: datetime | None = None) -> dict[str, Any]:
    """The time placeholders at *now*."""
    when = now or datetime.now(UTC)
    return {
        "now": format_timestamp(when),
        "now_epoch_s": int(when.timestamp()),
        "now_epoch_ms": int(when.timestamp() * 1000),
    }


def _empty(value: Any) -> bool:
    return value is None or value is False or value == {} or value == []


def render(template: Any, values: Mapping[str, Any]) -> Any:
    """*template* with *values* filled in."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, item in template.items():
            whole = _WHOLE.fullmatch(item) if isinstance(item, str) else None
            if whole is not None and _empty(values.get(whole.group(1))):
                continue
            out[key] = render(item, values)
        return out
    if isinstance(template, list):
        return [render(item, values) for item in template]
    if isinstance(template, str):
        whole = _WHOLE.fullmatch(template)
        if whole is not None:
            return values.get(whole.group(1))
        return template.format_map({k: "" if v is None else v for k, v in values.items()})
    return template


def read_back(template: Any, body: Any) -> dict[str, Any]:
    """The placeholder values a *body* rendered from *template* carries (where present)."""
    found: dict[str, Any] = {}
    if isinstance(template, dict) and isinstance(body, dict):
        for key, item in template.items():
            if key not in body:
                continue
            whole = _WHOLE.fullmatch(item) if isinstance(item, str) else None
            if whole is not None:
                found[whole.group(1)] = body[key]
            else:
                found.update(read_back(item, body[key]))
    return found


def location_of(template: Any, name: str, at: str = "") -> str | None:
    """The dotted path of the member that is exactly ``{name}``, if any."""
    if isinstance(template, dict):
        for key, item in template.items():
            here = f"{at}.{key}" if at else str(key)
            if item == "{" + name + "}":
                return here
            inner = location_of(item, name, here)
            if inner is not None:
                return inner
    return None
