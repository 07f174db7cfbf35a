"""Command-line overrides of a plan for scheduled one-line calls (issue 22).

``--dialect`` / ``APERTURE_DIALECT`` names a shipped dialect over ``[server]
dialect``; ``--min-duration`` / ``--max-duration`` give every workflow of an
ad-hoc ``--run`` chain its limits (step limits stay in plans.toml). Checked
here, before the plan is read, so that a mistake names the option, not a key
of plans.toml.
"""

from __future__ import annotations

from collections.abc import Sequence

from aperture_verify.client.dialect import dialect_names
from aperture_verify.common.durations import parse_duration
from aperture_verify.errors import PlanError


def dialect_override(name: str, where: str) -> str | None:
    """*name* (from *where*: the flag or the variable) if a shipped dialect, None if empty."""
    name = name.strip()
    if not name:
        return None
    if name not in dialect_names():
        raise PlanError(
            where, "", f"unknown dialect {name!r}", f"use one of: {', '.join(dialect_names())}"
        )
    return name


def adhoc_expectations(
    min_text: str, max_text: str, chain: Sequence[Sequence[str]] | None
) -> dict[str, str] | None:
    """The ``[workflows]`` keys that ``--min-duration`` / ``--max-duration`` give each
    workflow of *chain*, or None when neither is given."""
    given: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for text, key, name in (
        (min_text, "min_duration", "--min-duration"),
        (max_text, "max_duration", "--max-duration"),
    ):
        text = text.strip()
        if not text:
            continue
        if chain is None:
            raise PlanError(
                name, "", "applies to an ad-hoc --run chain only",
                f"add --run, or set {key} in plans.toml for the plan's workflows",
            )  # fmt: skip
        try:
            seconds[key] = parse_duration(text)
        except ValueError as e:
            raise PlanError(name, "", str(e), "write it like 90s, 10m or 1h") from None
        if seconds[key] < 0:
            raise PlanError(name, "", f"{text!r} is negative", "use 0s or more")
        given[key] = text
    if len(seconds) == 2 and seconds["min_duration"] > seconds["max_duration"]:
        raise PlanError(
            "--min-duration", "", f"{given['min_duration']} is longer than --max-duration "
            f"{given['max_duration']}", "give a minimum below the maximum",
        )  # fmt: skip
    return given or None
