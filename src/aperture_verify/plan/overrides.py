"""Command-line overrides of a plan for scheduled one-line calls (issue 22).

``--dialect`` / ``APERTURE_DIALECT`` names a shipped dialect over ``[server]
dialect``, ``--space`` / ``APERTURE_SPACE`` the Data Studio space over
``[server] space`` (without plans.toml: ``Default``); ``--min-duration`` /
``--max-duration`` give every workflow of an ad-hoc ``--run`` chain its limits
(step limits stay in plans.toml). Checked here, before the plan is read, so
that a mistake names the option, not a key of plans.toml.
"""

from __future__ import annotations

from collections.abc import Sequence

from aperture_verify.client.dialect import dialect_names
from aperture_verify.common.durations import parse_duration
from aperture_verify.errors import PlanError


def server_overrides(
    dialect: str, dialect_where: str, space: str, space_where: str
) -> dict[str, str] | None:
    """The ``[server]`` keys given on the command line or in the environment, checked:
    *dialect* must be a shipped dialect, *space* a name without surrounding spaces.
    Each ``*_where`` is the flag or variable it came from, for the message."""
    keys: dict[str, str] = {}
    dialect = dialect.strip()
    if dialect:
        if dialect not in dialect_names():
            raise PlanError(
                dialect_where, "", f"unknown dialect {dialect!r}",
                f"use one of: {', '.join(dialect_names())}",
            )  # fmt: skip
        keys["dialect"] = dialect
    if space:
        if space != space.strip():
            raise PlanError(
                space_where, "", f"{space!r} has surrounding spaces",
                "write the space's name as Data Studio shows it",
            )  # fmt: skip
        keys["space"] = space
    return keys or None


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
