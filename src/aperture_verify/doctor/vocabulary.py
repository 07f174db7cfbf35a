"""The vocabulary of the doctor's rules: names each need goes by, small schema readings."""

from __future__ import annotations

import re
from typing import Any

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.fields import array_of_objects, kind_of, last, leaves

BODY_NAMES = {
    "label": ("externalLabel", "workflowExternalLabel", "workflowLabel"),
    "space": ("spaceExternalLabel", "spaceLabel", "space"),
    "version": ("versionToExecute", "version"),
    "dependencies": ("dependenciesToUse", "dependencies"),
    "refresh": ("refreshSources", "refresh"),
    "parameters": ("workflowParameters", "parameters", "params"),
    "sources": ("sources", "sourceReplacements"),
}
LABEL_NAMES = ("externalLabel", "workflowExternalLabel", "workflowLabel", "label")
ID_NAMES = ("jobId", "id", "runId", "executionId", "jobUuid", "uuid", "jobKey")
ITEMS_NAMES = ("content", "items", "data", "results", "elements", "jobs", "workflows")


def list_items(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if kind_of(schema) == "array" and isinstance(schema.get("items"), dict):
        return "", schema["items"]
    arrays = array_of_objects(leaves(schema))
    preferred = [a for a in arrays if last(a[0]) in ITEMS_NAMES] or arrays
    if len(preferred) == 1:
        return preferred[0]
    return None, {}


def format_of(schema: dict[str, Any]) -> str | None:
    if kind_of(schema) == "string":
        return "iso"
    text = str(schema.get("description", "")).lower()
    if "milli" in text:
        return "epoch_ms"
    if "second" in text:
        return "epoch_s"
    return None


def shape(template: dict[str, Any], at: str = "") -> str:
    """A body template as its placeholder places and literal keys, for comparison."""
    parts = []
    for key, value in sorted(template.items()):
        here = f"{at}.{key}" if at else key
        if isinstance(value, dict):
            parts.append(shape(value, here))
        elif isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
            parts.append(f"{here}={value}")
        else:
            parts.append(here)
    return ", ".join(parts)


def pages(page: tuple[str, ...]) -> str:
    items, nxt, lst, number, size, total, link = page
    if link:
        return f"{link} header, rel=next" + (f" over '{items}'" if items else "")
    if not items:
        return "bare arrays"
    how = (
        f"next link '{nxt}'"
        if nxt
        else f"total pages '{total}', page '{number}'"
        if total
        else f"last flag '{lst}', page '{number}'"
        if lst
        else "one page"
    )
    return f"'{items}' with {how}" + (f", size '{size}'" if size else "")


def id_from(p: ApiProfile) -> str:
    return "Location header" if p.job_id_from == "location" else "answer body"


def lifetime(p: ApiProfile) -> str:
    return f"field {p.expires_in_field}" if p.token_expiry == "field" else p.token_expiry
