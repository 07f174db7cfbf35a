"""The one timestamp format: ISO 8601, UTC, milliseconds, ``Z``.

The API contract, results.json, the run directory's files and the emulator
all write ``2026-05-04T09:30:00.125Z``; reading accepts any ISO-8601 text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

__all__ = ["format_timestamp", "parse_timestamp"]


@overload
def format_timestamp(value: datetime) -> str: ...


@overload
def format_timestamp(value: None) -> None: ...


def format_timestamp(value: datetime | None) -> str | None:
    """*value* as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (a naive datetime is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """An aware datetime from ISO-8601 text, with ``Z`` or an offset, with or without fractions.

    Text without an offset is taken as UTC, which is what the contract sends.
    Raises ``ValueError`` on anything else.
    """
    text = value.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when
