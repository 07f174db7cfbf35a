"""Human durations: ``90s``, ``10m``, ``1h30m``, ``1m 30s``, ``1.5s``, ``250ms``.

Digits are ASCII only (Arabic-Indic or full-width digits are refused, not read
as numbers); parts may be separated by spaces, never split inside a number.
"""

from __future__ import annotations

import re

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s) *", re.ASCII)
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Seconds in *text*; raises ``ValueError`` with the accepted forms otherwise.

    Parts are written largest unit first, each unit at most once: ``1h30m``,
    ``2m15s``, ``1.5s``, ``250ms``, ``0s``, spaces allowed between parts
    (``1m 30s``). A bare number is refused, because "600" could mean seconds or
    minutes.
    """
    s = text.strip().lower()
    if not s:
        raise ValueError("empty duration")
    pos = 0
    total = 0.0
    seen: list[str] = []
    order = ["h", "m", "s", "ms"]
    for match in _PART.finditer(s):
        if match.start() != pos:
            break
        unit = match.group(2)
        if unit in seen or (seen and order.index(unit) <= order.index(seen[-1])):
            raise ValueError(f"unit '{unit}' out of order or repeated in {text!r}")
        seen.append(unit)
        total += float(match.group(1)) * _UNITS[unit]
        pos = match.end()
    if any(c.isdigit() and not c.isascii() for c in s):
        raise ValueError(f"cannot read {text!r} as a duration: write its digits as ASCII 0-9")
    if pos != len(s) or not seen:
        raise ValueError(
            f"cannot read {text!r} as a duration (write it like 90s, 10m, 1h30m or 250ms)"
        )
    return total


def format_duration(seconds: float) -> str:
    """A short human form: ``1.3s``, ``2m05s``, ``1h30m``; under 0.1 s ``1ms``, ``50ms``."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if 0 < seconds < 0.1:  # "0.0s" would hide it: milliseconds keep the value
        return f"{seconds * 1000:.3g}ms"
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds % 1 else f"{int(seconds)}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
