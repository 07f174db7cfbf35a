"""Reading schemas for what the suite needs: leaves by dotted path, names by synonyms,
state names by category.

Matching is by normalised name (lower case, no ``_``/``-``), so ``rowsIn``,
``rows_in`` and ``ROWS-IN`` are one name.
"""

from __future__ import annotations

from typing import Any

from aperture_verify.client.profile import CATEGORIES

STATE_WORDS = {
    "queued": (
        "QUEUED",
        "PENDING",
        "WAITING",
        "SCHEDULED",
        "SUBMITTED",
        "NEW",
        "CREATED",
        "NOT_STARTED",
        "READY",
        "ENQUEUED",
    ),
    "running": (
        "RUNNING",
        "IN_PROGRESS",
        "INPROGRESS",
        "EXECUTING",
        "STARTED",
        "PROCESSING",
        "ACTIVE",
        "STARTING",
    ),
    "completed": (
        "COMPLETED",
        "COMPLETE",
        "SUCCEEDED",
        "SUCCESS",
        "SUCCESSFUL",
        "DONE",
        "FINISHED",
    ),
    "failed": ("FAILED", "FAILURE", "ERROR", "ERRORED", "ERRORS"),
    "cancelled": ("CANCELLED", "CANCELED", "ABORTED", "STOPPED", "KILLED", "TERMINATED"),
}


def norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def leaves(
    schema: dict[str, Any], prefix: str = "", depth: int = 4
) -> list[tuple[str, dict[str, Any]]]:
    """Every property below *schema* that is not an object with properties, by dotted path
    (arrays are leaves: their items are not walked)."""
    out: list[tuple[str, dict[str, Any]]] = []
    props = schema.get("properties")
    if not isinstance(props, dict) or depth == 0:
        return out
    for name, sub in props.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(sub, dict) and isinstance(sub.get("properties"), dict):
            out += leaves(sub, path, depth - 1)
        else:
            out.append((path, sub if isinstance(sub, dict) else {}))
    return out


def last(path: str) -> str:
    return norm(path.rsplit(".", 1)[-1])


def named(
    fields: list[tuple[str, dict[str, Any]]], names: tuple[str, ...], kind: str | None = None
) -> list[str]:
    """Paths whose last name is one of *names* (in the order of *names*), of JSON *kind*."""
    wanted = [norm(n) for n in names]
    hits = [
        (wanted.index(last(p)), p)
        for p, s in fields
        if last(p) in wanted and (kind is None or _kind(s) == kind)
    ]
    return [p for _, p in sorted(hits)]


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "")
    if kind == "number":
        return "integer"
    return str(kind or "")


def kind_of(schema: dict[str, Any]) -> str:
    return _kind(schema)


def categorise(values: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """State names by category, and the names no category claims."""
    by: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    unknown = []
    for value in values:
        for category in CATEGORIES:
            if norm(value) in {norm(w) for w in STATE_WORDS[category]}:
                by[category].append(value)
                break
        else:
            unknown.append(value)
    return by, unknown


def state_fields(fields: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, list[str]]]:
    """Leaves whose enum holds a COMPLETED-like and a FAILED-like name."""
    out = []
    for path, schema in fields:
        enum = schema.get("enum")
        if isinstance(enum, list) and all(isinstance(v, str) for v in enum):
            by, _ = categorise(enum)
            if by["completed"] and by["failed"]:
                out.append((path, list(enum)))
    return out


def array_of_objects(fields: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Leaves that are arrays of objects, with their item schema."""
    return [
        (p, s["items"])
        for p, s in fields
        if _kind(s) == "array"
        and isinstance(s.get("items"), dict)
        and isinstance(s["items"].get("properties"), dict)
    ]
