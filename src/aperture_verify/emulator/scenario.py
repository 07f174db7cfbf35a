"""The emulator's scenario: which workflows exist and how their jobs behave.

A scenario is a TOML file (``demo/workflows.toml`` is one) read into the
frozen objects below by the same value readers as ``plans.toml``
(``aperture_verify.plan.schema``): every mistake is a ``PlanError`` whose text
is one line naming the file, the key and the fix, and a key that would hold a
credential is refused outside ``[auth]``. Step indices in keys count from 1, as
a person counts the ``[[...steps]]`` tables in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aperture_verify.emulator.outage_windows import SCENARIO_CREDENTIALS, Outage, outages_from_toml
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    check_label,
    parse_toml,
    read_bool,
    read_choice,
    read_duration,
    read_int,
    read_str,
    read_table,
    read_toml_file,
    type_name,
)

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
    #: Listed with the workflow when given, as a server that shows them would.
    parameters: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None

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
    outages: tuple[Outage, ...] = field(default=(), hash=False)  # copied by each Emulator
    source: str = "<scenario>"

    def workflow(self, label: str) -> WorkflowScript | None:
        """The workflow with external label *label*, if the scenario has one."""
        for wf in self.workflows:
            if wf.label == label:
                return wf
        return None


# --- loading ---------------------------------------------------------------

TOP_KEYS = ("auth", "workflows", "outages")
AUTH_KEYS = ("environment", "token_lifetime", "api_keys", "readonly_keys", "users")
WORKFLOW_KEYS = (
    "space", "name", "published", "has_draft", "duration", "jitter", "queue_time",
    "outcome", "error", "stuck", "steps", "parameters", "sources",
)  # fmt: skip
STEP_KEYS = ("name", "type", "state", "rowsIn", "rowsOut", "passedRows", "failedRows")


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate the scenario file at *path*; raises ``PlanError``."""
    path = Path(path)
    return scenario_from_dict(read_toml_file(path), str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML *text*; *source* names it in error messages."""
    return scenario_from_dict(parse_toml(text, source), source)


def scenario_from_dict(data: Mapping[str, object], source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario table."""
    root = Where(source)
    check_keys(data, root, TOP_KEYS, credentials=SCENARIO_CREDENTIALS)
    auth_at = root / "auth"
    auth = read_table(data.get("auth", {}), auth_at)
    check_keys(auth, auth_at, AUTH_KEYS, credentials=SCENARIO_CREDENTIALS)
    workflows_at = root / "workflows"
    workflows_table = read_table(data.get("workflows", {}), workflows_at)
    workflows = tuple(
        _workflow(check_label(label, workflows_at / label, "workflow"), raw, workflows_at / label)
        for label, raw in workflows_table.items()
    )
    users_at = auth_at / "users"
    users = {
        check_label(name, users_at / name, "user"): read_str(password, users_at / name)
        for name, password in read_table(auth.get("users", {}), users_at).items()
    }
    return Scenario(
        workflows=workflows,
        environment=(
            read_str(auth["environment"], auth_at / "environment", "default")
            if "environment" in auth
            else None
        ),
        token_lifetime=(
            read_duration(auth["token_lifetime"], auth_at / "token_lifetime", positive=True)
            if "token_lifetime" in auth
            else None
        ),
        api_keys=_strings(auth.get("api_keys", []), auth_at / "api_keys"),
        readonly_keys=_strings(auth.get("readonly_keys", []), auth_at / "readonly_keys"),
        users=users,
        outages=outages_from_toml(data["outages"], source) if "outages" in data else (),
        source=source,
    )


def _strings(value: object, where: Where) -> tuple[str, ...]:
    """An array of strings, which may be empty."""
    if not isinstance(value, list):
        raise where.error(
            f"must be an array of strings, not {type_name(value)}",
            f'write it as {where.name} = ["..."]',
        )
    return tuple(read_str(item, where / i, "...") for i, item in enumerate(value))


def _workflow(label: str, raw: object, where: Where) -> WorkflowScript:
    table = read_table(raw, where)
    check_keys(table, where, WORKFLOW_KEYS, credentials=SCENARIO_CREDENTIALS)
    outcome = read_choice(table.get("outcome", "COMPLETED"), where / "outcome", OUTCOMES)
    error = read_str(table["error"], where / "error") if "error" in table else None
    if outcome == "FAILED" and error is None:
        raise (where / "error").error(
            "a FAILED workflow needs an error message",
            'add error = "..." (what the job reports when it fails)',
        )
    if outcome == "COMPLETED" and error is not None:
        raise (where / "error").error(
            "only a FAILED workflow has an error", 'remove error or set outcome = "FAILED"'
        )
    steps_raw = table.get("steps", [])
    if not isinstance(steps_raw, list):
        raise (where / "steps").error(
            "must be an array of tables", f"write each step as [[{where.key}.steps]]"
        )
    steps = tuple(_step(raw_step, where / "steps" / i) for i, raw_step in enumerate(steps_raw))
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.name in seen:
            raise (where / "steps" / i / "name").error(
                f"step name {step.name!r} is used twice",
                "give each step of a workflow its own name",
            )
        seen.add(step.name)
    return WorkflowScript(
        label=label,
        space=read_str(table.get("space", "Demo"), where / "space", "Demo"),
        name=read_str(table["name"], where / "name") if "name" in table else None,
        published=read_bool(table.get("published", True), where / "published"),
        has_draft=read_bool(table.get("has_draft", False), where / "has_draft"),
        duration=read_duration(table.get("duration", "2s"), where / "duration"),
        jitter=read_duration(table.get("jitter", "0s"), where / "jitter"),
        queue_time=read_duration(table.get("queue_time", "50ms"), where / "queue_time"),
        outcome=outcome,
        error=error,
        steps=steps,
        stuck=read_bool(table.get("stuck", False), where / "stuck"),
        parameters=(
            _strings(table["parameters"], where / "parameters") if "parameters" in table else None
        ),
        sources=_strings(table["sources"], where / "sources") if "sources" in table else None,
    )


def _step(raw: object, where: Where) -> StepScript:
    table = read_table(raw, where, f"write each step as a [[{where.key.rsplit('[', 1)[0]}]] table")
    check_keys(
        table,
        where,
        STEP_KEYS,
        required={"name": 'every step needs a name: add name = "..." to the step'},
        credentials=SCENARIO_CREDENTIALS,
    )

    def rows(key: str) -> int | None:
        return read_int(table[key], where / key, 0, 1000) if key in table else None

    return StepScript(
        name=read_str(table["name"], where / "name", "Load customers"),
        type=read_str(table.get("type", "TRANSFORM"), where / "type", "TRANSFORM"),
        state=read_str(table.get("state", "COMPLETED"), where / "state", "COMPLETED"),
        rows_in=rows("rowsIn") or 0,
        rows_out=rows("rowsOut") or 0,
        passed_rows=rows("passedRows"),
        failed_rows=rows("failedRows"),
    )
