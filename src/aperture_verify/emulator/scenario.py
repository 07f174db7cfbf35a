"""The emulator's scenario: which workflows exist and how their jobs behave.

A scenario is a TOML file (``demo/workflows.toml`` is one) parsed once with
``tomllib`` into the frozen objects below. Every mistake is a ``PlanError``
whose text is one line naming the file, the key and the fix. Step indices in
keys count from 1, as a person counts the ``[[...steps]]`` tables in the file.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aperture_verify.common.durations import parse_duration
from aperture_verify.emulator.outages import Outage, outages_from_toml
from aperture_verify.errors import PlanError

OUTCOMES = ("COMPLETED", "FAILED")


@dataclass(frozen=True)
class StepScript:
    """One step of a workflow: its final state and row counts when the job ends."""

    name: str
    type: str = "TRANSFORM"
    state: str = "COMPLETED"
    rows_in: int = 0
    rows_out: int = 0
    passed_rows: int | None = None
    failed_rows: int | None = None


@dataclass(frozen=True)
class WorkflowScript:
    """A workflow the emulator knows, and the script its jobs follow.

    Times are seconds. A job waits ``queue_time`` as QUEUED, runs for
    ``duration`` (± a uniform ``jitter``, never below 0), then ends in
    ``outcome`` (``COMPLETED`` or ``FAILED`` with ``error``). ``stuck`` jobs
    stay RUNNING for ever.
    """

    label: str
    space: str = "Demo"
    name: str | None = None
    published: bool = True
    has_draft: bool = False
    duration: float = 2.0
    jitter: float = 0.0
    queue_time: float = 0.05
    outcome: str = "COMPLETED"
    error: str | None = None
    steps: tuple[StepScript, ...] = ()
    stuck: bool = False

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a workflow needs a non-empty label")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")
        if min(self.duration, self.jitter, self.queue_time) < 0:
            raise ValueError("duration, jitter and queue_time must be ≥ 0")

    @property
    def display_name(self) -> str:
        """The workflow's name, which defaults to its external label."""
        return self.name if self.name is not None else self.label


@dataclass(frozen=True)
class Scenario:
    """Everything a scenario file holds. ``None`` auth values mean "not set in the file"."""

    workflows: tuple[WorkflowScript, ...] = ()
    environment: str | None = None
    token_lifetime: float | None = None
    api_keys: tuple[str, ...] = ()
    readonly_keys: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict, hash=False, repr=False)
    source: str = "<scenario>"
    outages: tuple[Outage, ...] = field(default=(), hash=False)  # copied by each Emulator

    def workflow(self, label: str) -> WorkflowScript | None:
        """The workflow with external label *label*, if the scenario has one."""
        for wf in self.workflows:
            if wf.label == label:
                return wf
        return None


# --- loading ---------------------------------------------------------------

_TOP_KEYS = ("auth", "workflows", "outages")
_AUTH_KEYS = ("environment", "token_lifetime", "api_keys", "readonly_keys", "users")
_WORKFLOW_KEYS = (
    "space",
    "name",
    "published",
    "has_draft",
    "duration",
    "jitter",
    "queue_time",
    "outcome",
    "error",
    "stuck",
    "steps",
)
_STEP_KEYS = ("name", "type", "state", "rowsIn", "rowsOut", "passedRows", "failedRows")


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate the scenario file at *path*; raises ``PlanError``."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(source, "", "file not found", "check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanError(source, "", f"cannot read the file ({e})", "check the path") from e
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML *text*; *source* names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlanError(source, "", f"not valid TOML ({e})", "fix the syntax") from e
    return scenario_from_dict(data, source)


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario table."""
    _check_keys(data, _TOP_KEYS, "", source)
    auth = _table(data.get("auth", {}), "auth", source)
    _check_keys(auth, _AUTH_KEYS, "auth", source)
    workflows_table = _table(data.get("workflows", {}), "workflows", source)
    workflows = tuple(_workflow(label, raw, source) for label, raw in workflows_table.items())
    token_lifetime = None
    if "token_lifetime" in auth:
        token_lifetime = _duration(auth["token_lifetime"], "auth.token_lifetime", source)
        if token_lifetime <= 0:
            raise PlanError(
                source,
                "auth.token_lifetime",
                "must be longer than 0s",
                'write it like token_lifetime = "1h"',
            )
    users_raw = _table(auth.get("users", {}), "auth.users", source)
    users: dict[str, str] = {}
    for name, password in users_raw.items():
        users[name] = _string(password, f"auth.users.{_quote(name)}", source)
    return Scenario(
        workflows=workflows,
        environment=(
            _string(auth["environment"], "auth.environment", source)
            if "environment" in auth
            else None
        ),
        token_lifetime=token_lifetime,
        api_keys=_strings(auth.get("api_keys", []), "auth.api_keys", source),
        readonly_keys=_strings(auth.get("readonly_keys", []), "auth.readonly_keys", source),
        users=users,
        source=source,
        outages=outages_from_toml(data["outages"], source) if "outages" in data else (),
    )


def _workflow(label: str, raw: Any, source: str) -> WorkflowScript:
    where = f"workflows.{_quote(label)}"
    if not label.strip():
        raise PlanError(
            source,
            where,
            "a workflow's external label cannot be empty",
            'name it like [workflows."Workflow 1"]',
        )
    table = _table(raw, where, source)
    _check_keys(table, _WORKFLOW_KEYS, where, source)
    outcome = _string(table.get("outcome", "COMPLETED"), f"{where}.outcome", source)
    if outcome not in OUTCOMES:
        raise PlanError(
            source,
            f"{where}.outcome",
            f"unknown outcome {outcome!r}",
            f"use one of: {', '.join(OUTCOMES)}",
        )
    error = _string(table["error"], f"{where}.error", source) if "error" in table else None
    if outcome == "FAILED" and error is None:
        raise PlanError(
            source,
            f"{where}.error",
            "a FAILED workflow needs an error message",
            'add error = "..." (what the job reports when it fails)',
        )
    if outcome == "COMPLETED" and error is not None:
        raise PlanError(
            source,
            f"{where}.error",
            "only a FAILED workflow has an error",
            'remove error or set outcome = "FAILED"',
        )
    steps_raw = table.get("steps", [])
    if not isinstance(steps_raw, list):
        raise PlanError(
            source,
            f"{where}.steps",
            "must be an array of tables",
            f"write each step as [[{where}.steps]]",
        )
    steps = tuple(
        _step(raw_step, f"{where}.steps[{i}]", source)
        for i, raw_step in enumerate(steps_raw, start=1)
    )
    seen: set[str] = set()
    for i, step in enumerate(steps, start=1):
        if step.name in seen:
            raise PlanError(
                source,
                f"{where}.steps[{i}].name",
                f"step name {step.name!r} is used twice",
                "give each step of a workflow its own name",
            )
        seen.add(step.name)
    return WorkflowScript(
        label=label,
        space=_string(table.get("space", "Demo"), f"{where}.space", source),
        name=_string(table["name"], f"{where}.name", source) if "name" in table else None,
        published=_bool(table.get("published", True), f"{where}.published", source),
        has_draft=_bool(table.get("has_draft", False), f"{where}.has_draft", source),
        duration=_duration(table.get("duration", "2s"), f"{where}.duration", source),
        jitter=_duration(table.get("jitter", "0s"), f"{where}.jitter", source),
        queue_time=_duration(table.get("queue_time", "50ms"), f"{where}.queue_time", source),
        outcome=outcome,
        error=error,
        steps=steps,
        stuck=_bool(table.get("stuck", False), f"{where}.stuck", source),
    )


def _step(raw: Any, where: str, source: str) -> StepScript:
    table = _table(raw, where, source)
    _check_keys(table, _STEP_KEYS, where, source)
    if "name" not in table:
        raise PlanError(
            source, f"{where}.name", "every step needs a name", 'add name = "..." to the step'
        )
    return StepScript(
        name=_string(table["name"], f"{where}.name", source),
        type=_string(table.get("type", "TRANSFORM"), f"{where}.type", source),
        state=_string(table.get("state", "COMPLETED"), f"{where}.state", source),
        rows_in=_rows(table.get("rowsIn", 0), f"{where}.rowsIn", source),
        rows_out=_rows(table.get("rowsOut", 0), f"{where}.rowsOut", source),
        passed_rows=(
            _rows(table["passedRows"], f"{where}.passedRows", source)
            if "passedRows" in table
            else None
        ),
        failed_rows=(
            _rows(table["failedRows"], f"{where}.failedRows", source)
            if "failedRows" in table
            else None
        ),
    )


# --- value checks ----------------------------------------------------------


def _quote(name: str) -> str:
    """A table key as TOML writes it: bare when it can be, quoted otherwise."""
    if name and all(c.isalnum() or c in "-_" for c in name) and name.isascii():
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(where: str, key: str) -> str:
    return f"{where}.{_quote(key)}" if where else _quote(key)


def _check_keys(
    table: Mapping[str, Any], allowed: tuple[str, ...], where: str, source: str
) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(allowed)}"
            raise PlanError(source, _key(where, key), "unknown key", fix)


def _table(value: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlanError(
            source, where, f"must be a table, not {_kind(value)}", f"write it as [{where}]"
        )
    return value


def _string(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlanError(
            source,
            where,
            f"must be a non-empty string, not {_kind(value)}",
            'write it in quotes, like "..."',
        )
    return value


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PlanError(
            source, where, "must be a list of non-empty strings", 'write it like ["..."]'
        )
    return tuple(value)


def _bool(value: Any, where: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise PlanError(
            source,
            where,
            f"must be true or false, not {_kind(value)}",
            "write true or false without quotes",
        )
    return value


def _rows(value: Any, where: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(
            source,
            where,
            f"must be a whole number ≥ 0, not {value!r}",
            "write a row count like 1000",
        )
    return value


def _duration(value: Any, where: str, source: str) -> float:
    if not isinstance(value, str):
        raise PlanError(
            source,
            where,
            f"must be a duration string, not {_kind(value)}",
            'write it in quotes, like "2s", "1.5s" or "250ms"',
        )
    try:
        return parse_duration(value)
    except ValueError as e:
        raise PlanError(source, where, str(e), 'write it like "2s", "1.5s" or "250ms"') from e


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
