"""Reading ``[defaults]`` and ``[workflows."<label>"]``: what each workflow must do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass

from aperture_verify.client.profile import ApiProfile
from aperture_verify.common.durations import format_duration
from aperture_verify.common.labels import nfc
from aperture_verify.common.redaction import is_secret_key
from aperture_verify.history.bands import DEFAULT_MIN_RUNS, DEFAULT_WINDOW
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
    "warn_min_duration", "warn_max_duration", "anomaly", "anomaly_min_runs", "anomaly_window",
)  # fmt: skip
WORKFLOW_KEYS = ("space", *DEFAULT_KEYS, "parameters", "sources", "steps")
ROW_KEYS = ("rowsIn", "rowsOut", "passedRows", "failedRows")
STEP_KEYS = ("state", *ROW_KEYS)
RANGE_KEYS = ("min", "max", "warn_min", "warn_max")


@dataclass(frozen=True)
class Expect:
    """Expectations as written in ``[defaults]`` or a workflow's table; ``None`` = not set."""

    state: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    version: str | None = None
    dependencies: str | None = None
    refresh_sources: bool | None = None
    warn_min_duration: float | None = None
    warn_max_duration: float | None = None
    anomaly: bool | None = None
    anomaly_min_runs: int | None = None
    anomaly_window: int | None = None

    @classmethod
    def base(cls, profile: ApiProfile) -> Expect:
        """What holds when neither ``[defaults]`` nor the workflow says otherwise."""
        return cls(
            "COMPLETED", 0.0, 1800.0, "PublishedOnly", "PublishedOnly", False,
            None, None, True, DEFAULT_MIN_RUNS, DEFAULT_WINDOW,
        )  # fmt: skip


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
        state=None if (chosen := choice("state", states)) is None else profile.canonical(chosen),
        min_duration=duration("min_duration", False),
        max_duration=duration("max_duration", True),
        version=choice("version", versions),
        dependencies=choice("dependencies", versions),
        refresh_sources=(
            None
            if "refresh_sources" not in table
            else read_bool(table["refresh_sources"], where / "refresh_sources")
        ),
        warn_min_duration=duration("warn_min_duration", False),
        warn_max_duration=duration("warn_max_duration", True),
        anomaly=None if "anomaly" not in table else read_bool(table["anomaly"], where / "anomaly"),
        anomaly_min_runs=(
            None
            if "anomaly_min_runs" not in table
            else read_int(table["anomaly_min_runs"], where / "anomaly_min_runs", 2, 5)
        ),
        anomaly_window=(
            None
            if "anomaly_window" not in table
            else read_int(table["anomaly_window"], where / "anomaly_window", 2, 20)
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
    _check_warn_limits(own, merged, where, defaults)
    runs, window = merged.anomaly_min_runs, merged.anomaly_window
    if runs is not None and window is not None and window < runs:
        mine = own.anomaly_window is not None or own.anomaly_min_runs is not None
        raise ((where if mine else defaults) / "anomaly_window").error(
            f"anomaly_window {window} is below anomaly_min_runs {runs}",
            "the window must hold at least the runs needed: raise anomaly_window",
        )
    return merged


def _check_warn_limits(own: Expect, merged: Expect, where: Where, defaults: Where) -> None:
    """A warning limit must sit inside the failing limits, or it could never warn."""

    def at(key: str) -> Where:
        return where / key if getattr(own, key) is not None else defaults / key

    low, high = merged.min_duration, merged.max_duration
    wlow, whigh = merged.warn_min_duration, merged.warn_max_duration
    fmt = format_duration
    if whigh is not None and high is not None and whigh >= high:
        raise at("warn_max_duration").error(
            f"warn_max_duration {fmt(whigh)} is not below max_duration {fmt(high)}, so it could "
            "never warn",
            "lower warn_max_duration (a run past max_duration fails)",
        )
    if wlow is not None and low is not None and wlow <= low:
        raise at("warn_min_duration").error(
            f"warn_min_duration {fmt(wlow)} is not above min_duration {fmt(low)}, so it could "
            "never warn",
            "raise warn_min_duration (a run under min_duration fails)",
        )
    if wlow is not None and whigh is not None and wlow > whigh:
        raise at("warn_min_duration").error(
            f"warn_min_duration {fmt(wlow)} is above warn_max_duration {fmt(whigh)}",
            "lower warn_min_duration or raise warn_max_duration",
        )


def read_workflows(
    value: object, where: Where, listed: list[str], profile: ApiProfile
) -> dict[str, WorkflowTable]:
    """The ``[workflows]`` tables; each must name a workflow that some phase lists."""
    result: dict[str, WorkflowTable] = {}
    for given, item in read_table(value, where).items():
        w = where / given
        label = nfc(given)  # labels are compared in NFC (common/labels.py)
        if label in result:
            raise w.error(
                "a second table for the same workflow (the two labels differ only in how "
                "their accented letters are encoded, NFC or NFD)",
                "merge the two tables into one",
            )
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
            chosen = read_choice(table["state"], w / "state", profile.known_states)
            state = profile.canonical(chosen, step=True)  # the server's name → the suite's
        limits = [(k, read_limits(table[k], w / k)) for k in ROW_KEYS if k in table]
        rows = tuple((k, fail) for k, (fail, _) in limits if fail is not None)
        warn = tuple((k, soft) for k, (_, soft) in limits if soft is not None)
        result.append(StepExpectation(step=step, state=state, rows=rows, warn=warn))
    return tuple(result)


def read_limits(value: object, where: Where) -> tuple[Range | None, Range | None]:
    """A row count's failing range and its warning range (``warn_min``/``warn_max``)."""
    if not isinstance(value, dict) or not ({"warn_min", "warn_max"} & set(value)):
        return read_range(value, where), None
    hard = {k: v for k, v in value.items() if k not in ("warn_min", "warn_max")}
    fail = read_range(hard, where) if hard else None
    wlow, whigh = (
        None if key not in value else read_int(value[key], where / key, 0, 1000)
        for key in ("warn_min", "warn_max")
    )
    if wlow is not None and whigh is not None and wlow > whigh:
        raise (where / "warn_min").error(f"warn_min {wlow} is above warn_max {whigh}", "swap them")
    if fail is not None and wlow is not None and fail.min is not None and wlow <= fail.min:
        raise (where / "warn_min").error(
            f"warn_min {wlow} is not above min {fail.min}, so it could never warn",
            "raise warn_min or remove it",
        )
    if fail is not None and whigh is not None and fail.max is not None and whigh >= fail.max:
        raise (where / "warn_max").error(
            f"warn_max {whigh} is not below max {fail.max}, so it could never warn",
            "lower warn_max or remove it",
        )
    return fail, Range(wlow, whigh)


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
