"""Reading ``[defaults]`` and ``[workflows."<label>"]``: what each workflow must do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass

from aperture_verify.client.profile import ApiProfile
from aperture_verify.common.durations import format_duration
from aperture_verify.common.secrets import is_secret_key
from aperture_verify.plan.model import ParamValue, Range, StepExpectation
from aperture_verify.plan.schema import (
    CREDENTIAL_FIX,
    Where,
    check_keys,
    check_label,
    quote_key,
    read_bool,
    read_choice,
    read_duration,
    read_int,
    read_str,
    read_table,
    suggest,
    type_name,
)

DEFAULT_KEYS = (
    "state", "min_duration", "max_duration", "version", "dependencies", "refresh_sources",
)  # fmt: skip
WORKFLOW_KEYS = ("space", *DEFAULT_KEYS, "parameters", "sources", "steps")
ROW_KEYS = ("rowsIn", "rowsOut", "passedRows", "failedRows")
STEP_KEYS = ("state", *ROW_KEYS)
RANGE_KEYS = ("min", "max")


@dataclass(frozen=True)
class Expect:
    """Expectations as written in ``[defaults]`` or a workflow's table; ``None`` = not set."""

    state: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    version: str | None = None
    dependencies: str | None = None
    refresh_sources: bool | None = None

    @classmethod
    def base(cls, profile: ApiProfile) -> Expect:
        """What holds when neither ``[defaults]`` nor the workflow says otherwise."""
        completed = profile.completed_states[0] if profile.completed_states else "COMPLETED"
        return cls(completed, 0.0, 1800.0, "PublishedOnly", "PublishedOnly", False)


@dataclass(frozen=True)
class WorkflowTable:
    """One validated ``[workflows."<label>"]`` table."""

    where: Where
    expect: Expect
    space: str | None
    parameters: tuple[tuple[str, ParamValue], ...]
    sources: tuple[tuple[str, str], ...]
    steps: tuple[StepExpectation, ...]


def read_expect(
    value: object, where: Where, profile: ApiProfile, allowed: tuple[str, ...] = DEFAULT_KEYS
) -> Expect:
    """The expectation keys of a ``[defaults]`` or workflow table (other *allowed* keys pass)."""
    table = read_table(value, where)
    check_keys(table, where, allowed)
    states, versions = profile.terminal_states, profile.version_values

    def choice(key: str, choices: tuple[str, ...]) -> str | None:
        return None if key not in table else read_choice(table[key], where / key, choices)

    def duration(key: str, positive: bool) -> float | None:
        if key not in table:
            return None
        return read_duration(table[key], where / key, positive=positive)

    return Expect(
        state=choice("state", states),
        min_duration=duration("min_duration", False),
        max_duration=duration("max_duration", True),
        version=choice("version", versions),
        dependencies=choice("dependencies", versions),
        refresh_sources=(
            None
            if "refresh_sources" not in table
            else read_bool(table["refresh_sources"], where / "refresh_sources")
        ),
    )


def merge_expect(own: Expect, base: Expect, where: Where, defaults: Where) -> Expect:
    """*own* over *base*; refuses min_duration above max_duration.

    The error names *own*'s key when *own* set one of the two, else the key in
    *defaults*.
    """
    merged = Expect(
        *(mine if mine is not None else theirs for mine, theirs in zip(
            astuple(own), astuple(base), strict=True
        ))
    )  # fmt: skip
    low, high = merged.min_duration, merged.max_duration
    if low is not None and high is not None and low > high:
        if own.min_duration is not None:
            at = where / "min_duration"
        elif own.max_duration is not None:
            at = where / "max_duration"
        else:
            at = defaults / "min_duration"
        raise at.error(
            f"min_duration {format_duration(low)} is above max_duration {format_duration(high)}",
            "lower min_duration or raise max_duration",
        )
    return merged


def read_workflows(
    value: object, where: Where, listed: list[str], profile: ApiProfile
) -> dict[str, WorkflowTable]:
    """The ``[workflows]`` tables; each must name a workflow that some phase lists."""
    result: dict[str, WorkflowTable] = {}
    for label, item in read_table(value, where).items():
        w = where / label
        if label not in listed:
            raise w.error(
                "no phase lists this workflow (a typo?)",
                f"{suggest(label, listed)}labels are case-sensitive; fix the label or add it "
                "to a phase's workflows",
            )
        table = read_table(item, w, f"write it as [workflows.{quote_key(label)}]")
        expect = read_expect(table, w, profile, WORKFLOW_KEYS)
        space = None if "space" not in table else read_str(table["space"], w / "space", "Demo")
        result[label] = WorkflowTable(
            where=w,
            expect=expect,
            space=space,
            parameters=read_parameters(table.get("parameters", {}), w / "parameters"),
            sources=read_sources(table.get("sources", {}), w / "sources"),
            steps=read_steps(table.get("steps", {}), w / "steps", profile),
        )
    return result


def read_parameters(value: object, where: Where) -> tuple[tuple[str, ParamValue], ...]:
    """Workflow parameters: names to scalar values, never a credential."""
    table = read_table(value, where, 'write it as parameters = { name = "value" }')
    result: list[tuple[str, ParamValue]] = []
    for name, item in table.items():
        w = where / check_label(name, where / name, "parameter")
        if is_secret_key(name):
            raise w.error("credentials never go in the plans file", CREDENTIAL_FIX)
        if not isinstance(item, str | int | float | bool):
            raise w.error(
                f"must be a string, number or boolean, not {type_name(item)}",
                "workflow parameters are scalars",
            )
        result.append((name, item))
    return tuple(result)


def read_sources(value: object, where: Where) -> tuple[tuple[str, str], ...]:
    """Source step label → dataset label."""
    table = read_table(value, where, 'write it as sources = { "Source step" = "Dataset" }')
    return tuple(
        (check_label(step, where / step, "source step"), read_str(item, where / step, "Dataset"))
        for step, item in table.items()
    )


def read_steps(value: object, where: Where, profile: ApiProfile) -> tuple[StepExpectation, ...]:
    """Step label → expected state and row counts."""
    result = []
    for step, item in read_table(value, where).items():
        w = where / check_label(step, where / step, "step")
        table = read_table(item, w, 'write it as steps."Step" = { state = "COMPLETED" }')
        check_keys(table, w, STEP_KEYS)
        if not table:
            raise w.error("expects nothing", "add a state or a row count, or remove it")
        state = None
        if "state" in table:
            state = read_choice(table["state"], w / "state", profile.known_states)
        rows = tuple((k, read_range(table[k], w / k)) for k in ROW_KEYS if k in table)
        result.append(StepExpectation(step=step, state=state, rows=rows))
    return tuple(result)


def read_range(value: object, where: Where) -> Range:
    """A row count: an integer (exact) or ``{ min = ..., max = ... }``."""
    fix = f"write {where.name} = 1000 (exact) or {where.name} = {{ min = 1, max = 1000 }}"
    if isinstance(value, int) and not isinstance(value, bool):
        count = read_int(value, where, 0, 1000)
        return Range(count, count)
    if not isinstance(value, dict):
        raise where.error(f"must be an integer or a table, not {type_name(value)}", fix)
    check_keys(value, where, RANGE_KEYS)
    if not value:
        raise where.error("has neither min nor max", fix)
    low = None if "min" not in value else read_int(value["min"], where / "min", 0, 1)
    high = None if "max" not in value else read_int(value["max"], where / "max", 0, 1000)
    if low is not None and high is not None and low > high:
        raise (where / "min").error(f"min {low} is above max {high}", "swap them")
    return Range(low, high)


def listed_workflows(phases: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every workflow label some phase lists, first mention first."""
    return list(dict.fromkeys(w for labels in phases.values() for w in labels))
