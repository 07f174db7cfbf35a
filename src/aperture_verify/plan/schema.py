"""Typed reads of raw ``plans.toml`` values that fail as one-line ``PlanError``s.

``loader.py`` assembles the plan; this module knows how to read one value: a
table with a fixed set of keys, a string from a list of choices, a duration, a
row range, a URL. Every failure names the file, the dotted key and the fix.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from aperture_verify.common.durations import parse_duration
from aperture_verify.common.labels import difference, nfc
from aperture_verify.common.redaction import is_secret_key
from aperture_verify.errors import PlanError

__all__ = [
    "CREDENTIAL_FIX",
    "CREDENTIAL_PROBLEM",
    "Where",
    "check_keys",
    "check_label",
    "check_no_control",
    "parse_toml",
    "quote_key",
    "read_bool",
    "read_choice",
    "read_duration",
    "read_int",
    "read_str",
    "read_str_list",
    "read_table",
    "read_toml_file",
    "show",
]

CREDENTIAL_PROBLEM = "credentials never go in the plans file"
CREDENTIAL_FIX = (
    "remove it and set APERTURE_API_KEY (api v2) or APERTURE_USERNAME and "
    "APERTURE_PASSWORD (api v1) in the environment"
)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def _normalize(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def printable(text: str) -> str:
    """*text* with every non-printable character escaped, so it stays on one line."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def quote_key(name: str) -> str:
    """A key as TOML would write it: bare when it can be, else double-quoted."""
    if _BARE_KEY.fullmatch(name):
        return name
    return printable(json.dumps(name, ensure_ascii=False))


def show(value: object, limit: int = 60) -> str:
    """A short, single-line ``repr`` of a user's value for an error message."""
    text = printable(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: object) -> str:
    """The TOML name of *value*'s type, with its article."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return "a date/time"
    return type(value).__name__


@dataclass(frozen=True)
class Where:
    """Where a value sits: the file (or override) it came from and its key path."""

    source: str
    path: tuple[str | int, ...] = ()

    def __truediv__(self, part: str | int) -> Where:
        return Where(self.source, (*self.path, part))

    @property
    def key(self) -> str:
        """The dotted key, labels quoted: ``workflows."Workflow 3".steps."Export"``."""
        text = ""
        for part in self.path:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                text += ("." if text else "") + quote_key(part)
        return text

    @property
    def name(self) -> str:
        """The last key of the path (the one a user would write ``name = ...`` for)."""
        for part in reversed(self.path):
            if isinstance(part, str):
                return quote_key(part)
        return "value"

    def error(self, problem: str, fix: str = "") -> PlanError:
        """A ``PlanError`` for this key."""
        return PlanError(self.source, self.key, problem, fix)


def read_toml_file(path: Path) -> dict[str, Any]:
    """The TOML file at *path*, parsed; a file that is missing, unreadable, not
    UTF-8 or not TOML is one ``PlanError`` naming it."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise PlanError(source, "", "file not found", "check the path, or create the file") from e
    except IsADirectoryError as e:
        raise PlanError(source, "", "is a directory", "give the path of the file") from e
    except PermissionError as e:
        raise PlanError(source, "", "cannot be read (permission denied)", "make it readable") from e
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise PlanError(source, "", f"cannot be read ({reason})", "check the path") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlanError(source, f"byte {e.start}", "is not UTF-8", "save the file as UTF-8") from e
    return parse_toml(text, source)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """*text* parsed as TOML; a syntax error becomes ``<file>: line L, column C: ...``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        position = _TOML_POSITION.search(message)
        if position:
            where = f"line {position[1]}, column {position[2]}"
            message = message[: position.start()]
        elif _TOML_END.search(message):
            where = "end of file"
            message = _TOML_END.sub("", message)
        else:
            where = ""
        problem = " ".join(printable(message).split()) or "invalid TOML"
        raise PlanError(source, where, problem, "fix the TOML syntax") from e
    except RecursionError as e:
        raise PlanError(source, "", "arrays or tables nested too deeply", "fix the TOML") from e
    except ValueError as e:  # defensive: tomllib reports its own errors as TOMLDecodeError
        raise PlanError(source, "", printable(str(e)), "fix the TOML syntax") from e


def suggest(name: str, allowed: Sequence[str]) -> str:
    """``did you mean 'x'? `` for the closest of *allowed*, or ``""``."""
    same = [a for a in allowed if _normalize(nfc(a)) == _normalize(nfc(name))]
    close = same or difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if not close:
        lowered = {a.lower(): a for a in allowed}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=1)]
    if not close:
        return ""
    # texts that look alike (a no-break space, a lookalike letter): name what differs
    differ = difference(name, close[0])
    return f"did you mean {close[0]!r}? " + (f"(the text given has {differ}) " if differ else "")


def read_table(value: object, where: Where, fix: str = "") -> dict[str, object]:
    """*value* as a table."""
    if not isinstance(value, dict):
        raise where.error(
            f"must be a table, not {type_name(value)}",
            fix or f"write it as a [{where.key}] table with its keys under it",
        )
    return value


def check_keys(
    table: Mapping[str, object],
    where: Where,
    allowed: Sequence[str],
    required: Mapping[str, str] | None = None,
    *,
    credentials: tuple[str, str] = (CREDENTIAL_PROBLEM, CREDENTIAL_FIX),
) -> None:
    """Refuse unknown keys (with a suggestion) and missing *required* ones (key → fix).

    An unknown key whose name holds a credential is refused as one, with
    *credentials* (problem, fix).
    """
    for key in table:
        if key not in allowed:
            if is_secret_key(key):
                raise (where / key).error(*credentials)
            raise (where / key).error(
                "unknown key", f"{suggest(key, allowed)}allowed keys: {', '.join(allowed)}"
            )
    for key, fix in (required or {}).items():
        if key not in table:
            raise (where / key).error("missing", fix)


def read_str(value: object, where: Where, example: str = "...") -> str:
    """A non-empty string without leading or trailing spaces."""
    if where.path and isinstance(where.path[-1], int):
        fix = f'write each entry as a quoted string, like "{example}"'
    else:
        fix = f'write it as {where.name} = "{example}"'
    if not isinstance(value, str):
        raise where.error(f"must be a string, not {type_name(value)}", fix)
    if not value.strip():
        raise where.error("must not be empty", fix)
    if value != value.strip():
        raise where.error(f"{show(value)} has leading or trailing spaces", "remove them")
    return value


def read_choice(value: object, where: Where, choices: Sequence[str]) -> str:
    """A string that is one of *choices*."""
    allowed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise where.error(f"must be a string, not {type_name(value)}", f"use one of: {allowed}")
    if value not in choices:
        raise where.error(
            f"{show(value)} is not allowed", f"{suggest(value, choices)}use one of: {allowed}"
        )
    return value


def read_bool(value: object, where: Where) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise where.error(
            f"must be true or false, not {type_name(value)}",
            f"write it as {where.name} = true or {where.name} = false (no quotes)",
        )
    return value


def read_int(value: object, where: Where, minimum: int, example: int) -> int:
    """An integer (not a boolean) of at least *minimum*."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(
            f"must be an integer, not {type_name(value)}",
            f"write it as {where.name} = {example} (no quotes)",
        )
    if value < minimum:
        raise where.error(f"must be at least {minimum}, not {value}", f"use a number ≥ {minimum}")
    return value


def read_duration(value: object, where: Where, *, positive: bool = False) -> float:
    """Seconds in a duration string like ``"90s"``, ``"10m"`` or ``"1h30m"``."""
    fix = "write it like 90s, 10m, 1h30m or 250ms (largest unit first, each unit once)"
    if not isinstance(value, str):
        hint = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            hint = f'a bare number is ambiguous: write {where.name} = "{value}s" for seconds; '
        raise where.error(f"must be a duration string, not {type_name(value)}", hint + fix)
    if value.strip().startswith("-"):
        raise where.error(f"{show(value)} is negative", "durations must be 0s or more")
    try:
        seconds = parse_duration(value)
    except ValueError as e:
        if any(c.isdigit() and not c.isascii() for c in value):  # a full-width digit looks ASCII
            raise where.error(
                f"cannot read {value!a} as a duration: its digits are not ASCII",
                "write its digits as ASCII 0-9",
            ) from e
        raise where.error(f"cannot read {show(value)} as a duration", fix) from e
    if not math.isfinite(seconds) or seconds > 366 * 86400:
        raise where.error(f"{show(value)} is too long", "use at most a year (8784h)")
    if positive and seconds <= 0:
        raise where.error(f"{show(value)} must be more than 0s", fix)
    return seconds


def read_str_list(value: object, where: Where, example: str) -> tuple[str, ...]:
    """A non-empty array of non-empty strings."""
    if not isinstance(value, list):
        raise where.error(
            f"must be an array of strings, not {type_name(value)}",
            f"write it as {where.name} = [{example}]",
        )
    if not value:
        raise where.error("must not be empty", f"list at least one: {where.name} = [{example}]")
    item_example = example.split(",")[0].strip().strip('"')
    return tuple(read_str(item, where / i, item_example) for i, item in enumerate(value))


def listing(names: Iterable[str]) -> str:
    """Names for a message: ``'a', 'b'`` (or ``none``)."""
    items = [show(n) for n in names]
    return ", ".join(items) if items else "none"


def check_label(name: str, where: Where, what: str) -> str:
    """*name* (a table key that is a label) when it is non-empty and not padded with spaces."""
    if not name.strip() or name != name.strip():
        raise where.error(
            f"{what} name {show(name)} is empty or has leading or trailing spaces", "fix the name"
        )
    return check_no_control(name, where, f"{what} name")


def check_no_control(text: str, where: Where, what: str) -> str:
    """*text* when it holds no newline or other control character.

    A label travels into node ids, the terminal, junit.xml (where XML 1.0 cannot
    carry most control characters) and file names; none of them can hold one.
    """
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise where.error(
            f"{what} {show(text)} holds a control character ({printable(bad)})",
            "remove it: a label is one line of printable text",
        )
    return text
