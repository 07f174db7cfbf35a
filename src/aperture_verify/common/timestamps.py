"""The one timestamp format: ISO 8601, UTC, milliseconds, ``Z``; and the one for people.

The API contract, results.json, the run directory's files and the emulator
all write ``2026-05-04T09:30:00.125Z``; reading accepts any ISO-8601 text.
What a person reads the next morning (the terminal log, notifications) is in
the machine's local time with its zone named, or in UTC marked as such
(``local_time``): never a bare clock time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

__all__ = ["format_timestamp", "local_time", "parse_timestamp"]


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


def local_time(
    value: datetime, *, utc: bool = False, date: bool = True, millis: bool = False
) -> str:
    """*value* for a person: ``2026-12-07 05:09:57 CET`` in the machine's local zone (the
    zone's name always shown), or in UTC with *utc* (``2026-12-07 04:09:57 UTC``).

    Without *date*, the clock time and zone only; *millis* adds milliseconds. A naive
    datetime is taken as UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC) if utc else value.astimezone()
    clock = "%H:%M:%S.%f" if millis else "%H:%M:%S"
    text = value.strftime(f"%Y-%m-%d {clock}" if date else clock)
    if millis:
        text = text[:-3]
    return f"{text} {value.tzname() or value.strftime('%z')}"
