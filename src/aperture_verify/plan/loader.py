"""Assembling a :class:`~aperture_verify.plan.Plan` from a parsed ``plans.toml``.

The whole file is validated whichever plan is selected, so a typo in a plan
that is not run today still fails today. Overrides (``--server-url``,
``APERTURE_URL``...) are resolved here, in one place.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aperture_verify.common.labels import nfc
from aperture_verify.errors import PlanError
from aperture_verify.plan.adhoc import add_adhoc_plan
from aperture_verify.plan.history_keys import read_history
from aperture_verify.plan.model import Phase, Plan, WorkflowSpec
from aperture_verify.plan.notify import read_notify
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    check_label,
    check_no_control,
    listing,
    parse_toml,
    quote_key,
    read_choice,
    read_int,
    read_str,
    read_str_list,
    read_table,
    read_toml_file,
    show,
    suggest,
)
from aperture_verify.plan.server_keys import (
    SERVER_KEYS,
    given,
    read_dialect,
    read_profile,
    read_server,
)
from aperture_verify.plan.workflows import (
    Expect,
    WorkflowTable,
    listed_workflows,
    merge_expect,
    read_expect,
    read_workflows,
)

DEFAULT_MAX_PARALLEL = 4
"""``max_parallel`` of a plan that does not set it."""

TOP_KEYS = (
    "default_plan", "server", "defaults", "plans", "phases", "workflows", "history",
    "history_keep", "notify",
)  # fmt: skip
PLAN_KEYS = ("phases", "on_failure", "max_parallel")
PHASE_KEYS = ("workflows",)
ON_FAILURE = ("stop", "continue")


@dataclass(frozen=True)
class _PlanTable:
    phases: tuple[str, ...]
    on_failure: Literal["stop", "continue"]
    max_parallel: int


class PlanLoader:
    """Validates one plans file, reported as *source*; paths are relative to *base_dir*."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.root = Where(source)

    def load(
        self,
        raw: Mapping[str, object],
        plan_name: str | None = None,
        *,
        url: str | None = None,
        api: str | None = None,
        environ: Mapping[str, str],
    ) -> Plan:
        """The plan in the parsed file *raw* named *plan_name* (or the file's default),
        overrides applied."""
        root = self.root
        check_keys(raw, root, TOP_KEYS, required={
            "plans": 'add a [plans.<name>] table with phases = ["..."]',
            "phases": 'add a [phases.<name>] table with workflows = ["..."]',
        })  # fmt: skip
        server = read_table(raw.get("server", {}), root / "server")
        check_keys(server, root / "server", SERVER_KEYS)
        dialect = read_dialect(server, root / "server" / "dialect")
        profile = read_profile(server.get("profile", {}), root / "server" / "profile", dialect)
        defaults_at = root / "defaults"
        defaults = merge_expect(
            read_expect(raw.get("defaults", {}), defaults_at, profile),
            Expect.base(profile), defaults_at, defaults_at,
        )  # fmt: skip
        phases = self.phases(raw["phases"])
        plans = self.plans(raw["plans"], phases)
        listed = listed_workflows(phases)
        workflows = read_workflows(raw.get("workflows", {}), root / "workflows", listed, profile)
        expects = {
            label: merge_expect(table.expect, defaults, table.where, defaults_at)
            for label, table in workflows.items()
        }
        name = self.select(raw, plans, given(plan_name))
        settings = read_server(
            server, root / "server", self.base_dir, dialect, profile, given(url), given(api),
            environ,
        )  # fmt: skip

        def spec(label: str, phase: str) -> WorkflowSpec:
            return self.spec(label, phase, expects.get(label, defaults), workflows.get(label),
                             settings.space)  # fmt: skip

        chosen = plans[name]
        return Plan(
            name=name,
            phases=tuple(Phase(p, tuple(spec(w, p) for w in phases[p])) for p in chosen.phases),
            on_failure=chosen.on_failure,
            max_parallel=chosen.max_parallel,
            server=settings,
            source=Path(self.source),
            defined_phases=tuple(phases),
            history=read_history(raw, root, self.base_dir),
            notify=read_notify(raw, root, self.base_dir),
        )

    @staticmethod
    def spec(
        label: str, phase: str, expect: Expect, table: WorkflowTable | None, space: str
    ) -> WorkflowSpec:
        """The workflow *label* of *phase*, its table merged over the defaults."""
        if (
            expect.state is None or expect.version is None or expect.dependencies is None
            or expect.refresh_sources is None or expect.min_duration is None
            or expect.max_duration is None
        ):  # fmt: skip
            raise AssertionError("defaults are complete")
        return WorkflowSpec(
            label=label,
            phase=phase,
            space=(table.space if table else None) or space,
            state=expect.state,
            min_duration=expect.min_duration,
            max_duration=expect.max_duration,
            version=expect.version,
            dependencies=expect.dependencies,
            refresh_sources=expect.refresh_sources,
            parameters=table.parameters if table else (),
            sources=table.sources if table else (),
            steps=table.steps if table else (),
            warn_min_duration=expect.warn_min_duration,
            warn_max_duration=expect.warn_max_duration,
            anomaly=expect.anomaly is not False,
            anomaly_min_runs=expect.anomaly_min_runs or 0,
            anomaly_window=expect.anomaly_window or 0,
        )

    # -- [phases] and [plans] ---------------------------------------------------------------

    def phases(self, value: object) -> dict[str, tuple[str, ...]]:
        """``[phases.<name>]``: each a non-empty list of distinct workflow labels."""
        where = self.root / "phases"
        fix = 'add [phases.<name>] tables with workflows = ["..."]'
        table = read_table(value, where, fix)
        if not table:
            raise where.error("no phases defined", fix)
        result: dict[str, tuple[str, ...]] = {}
        for typed, item in table.items():
            w = where / check_label(typed, where / typed, "phase")
            name = nfc(typed)  # labels are compared in NFC (common/labels.py)
            if name in result:
                raise w.error(
                    "a second table for the same phase (the two names differ only in how "
                    "their accented letters are encoded, NFC or NFD)",
                    "merge the two tables into one",
                )
            phase = read_table(item, w, f"write it as [phases.{quote_key(typed)}]")
            check_keys(phase, w, PHASE_KEYS, required={
                "workflows": 'list the workflows: workflows = ["Workflow 1"]'})  # fmt: skip
            labels = tuple(
                nfc(label)
                for label in read_str_list(phase["workflows"], w / "workflows", '"Workflow 1"')
            )
            for i, label in enumerate(labels):
                check_no_control(label, w / "workflows" / i, "workflow label")
                if label in labels[:i]:
                    raise (w / "workflows" / i).error(
                        f"workflow {show(label)} is listed twice in this phase", "remove one"
                    )
            result[name] = labels
        return result

    def plans(self, value: object, phases: Mapping[str, tuple[str, ...]]) -> dict[str, _PlanTable]:
        """``[plans.<name>]``: known phases, each once, no workflow in two of them."""
        where = self.root / "plans"
        fix = 'add [plans.<name>] tables with phases = ["..."]'
        table = read_table(value, where, fix)
        if not table:
            raise where.error("no plans defined", fix)
        result: dict[str, _PlanTable] = {}
        for typed, item in table.items():
            w = where / check_label(typed, where / typed, "plan")
            name = nfc(typed)
            plan = read_table(item, w, f"write it as [plans.{quote_key(typed)}]")
            check_keys(plan, w, PLAN_KEYS, required={
                "phases": f"list the phases in order: phases = [{listing(phases)}]"})  # fmt: skip
            order = tuple(
                nfc(p) for p in read_str_list(plan["phases"], w / "phases", '"ingest", "publish"')
            )
            owner: dict[str, str] = {}
            for i, phase in enumerate(order):
                if phase not in phases:
                    raise (w / "phases" / i).error(
                        f"unknown phase {show(phase)}",
                        f"{suggest(phase, list(phases))}define [phases.{quote_key(phase)}] or "
                        f"use one of: {listing(phases)}",
                    )
                if phase in order[:i]:
                    raise (w / "phases" / i).error(
                        f"phase {show(phase)} is listed twice in this plan", "remove one"
                    )
                for j, label in enumerate(phases[phase]):
                    if label in owner:
                        raise (self.root / "phases" / phase / "workflows" / j).error(
                            f"workflow {show(label)} is also in phase {show(owner[label])} of "
                            f"plan {show(name)}",
                            "a workflow runs once per plan; remove it from one of the phases",
                        )
                    owner[label] = phase
            on_failure = "stop"
            if "on_failure" in plan:
                on_failure = read_choice(plan["on_failure"], w / "on_failure", ON_FAILURE)
            max_parallel = DEFAULT_MAX_PARALLEL
            if "max_parallel" in plan:
                max_parallel = read_int(plan["max_parallel"], w / "max_parallel", 1, 8)
            result[name] = _PlanTable(
                order, "continue" if on_failure == "continue" else "stop", max_parallel
            )
        return result

    def select(
        self, raw: Mapping[str, object], plans: Mapping[str, _PlanTable], wanted: str | None
    ) -> str:
        """``--plan``, else ``default_plan``, else the only plan."""
        known = f"use one of: {listing(plans)}"
        default = None
        if "default_plan" in raw:
            where = self.root / "default_plan"
            default = nfc(read_str(raw["default_plan"], where, next(iter(plans))))
            if default not in plans:
                raise where.error(
                    f"no plan named {show(default)}", suggest(default, list(plans)) + known
                )
        if wanted is not None:
            wanted = nfc(wanted)
            if wanted not in plans:
                raise PlanError(
                    "--plan", "", f"no plan named {show(wanted)} in {self.source}",
                    suggest(wanted, list(plans)) + known,
                )  # fmt: skip
            return wanted
        if default is not None:
            return default
        if len(plans) == 1:
            return next(iter(plans))
        raise (self.root / "default_plan").error(
            f"not set, and the file defines {len(plans)} plans",
            f"set default_plan, or pass --plan with one of: {listing(plans)}",
        )


def load_plan(
    path: Path,
    plan_name: str | None = None,
    *,
    url: str | None = None,
    api: str | None = None,
    environ: Mapping[str, str] | None = None,
    adhoc: Sequence[Sequence[str]] | None = None,
    server_keys: Mapping[str, str] | None = None,
    adhoc_expect: Mapping[str, str] | None = None,
) -> Plan:
    """Read and validate *path*, select *plan_name* (or ``default_plan``).

    With *adhoc* (``--run``'s phases of labels) that chain is the plan (plan/adhoc.py),
    its workflows' expectations overridden by *adhoc_expect* (``--min-duration``...).
    *server_keys* (``--dialect``, ``--space`` and their variables, plan/overrides.py)
    replace those keys of ``[server]``.

    *url* and *api* are the ``--server-url`` and ``--api`` options; they win over
    ``APERTURE_URL`` and ``APERTURE_API`` in *environ* (``os.environ`` when
    ``None``), which win over ``[server]``. Empty values count as not given.
    Relative paths in the file are relative to the file's folder. Every
    problem is a one-line :class:`PlanError`.
    """
    path = Path(path)
    read = functools.partial(read_toml_file, path)
    return _load(
        str(path),
        read,
        path.parent,
        plan_name,
        url,
        api,
        environ,
        adhoc,
        server_keys,
        adhoc_expect,
    )


def load_plan_text(
    text: str,
    source: str = "plans.toml",
    plan_name: str | None = None,
    *,
    url: str | None = None,
    api: str | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    adhoc: Sequence[Sequence[str]] | None = None,
    server_keys: Mapping[str, str] | None = None,
    adhoc_expect: Mapping[str, str] | None = None,
) -> Plan:
    """:func:`load_plan` on *text*, reported as *source*.

    Relative paths in the plan are resolved against *base_dir* (default: the
    folder of *source*).
    """
    base = Path(source).parent if base_dir is None else base_dir
    read = functools.partial(parse_toml, text, source)
    return _load(source, read, base, plan_name, url, api, environ, adhoc, server_keys, adhoc_expect)


def _load(
    source: str,
    read: Callable[[], Mapping[str, object]],
    base: Path,
    plan_name: str | None,
    url: str | None,
    api: str | None,
    environ: Mapping[str, str] | None,
    adhoc: Sequence[Sequence[str]] | None = None,
    server_keys: Mapping[str, str] | None = None,
    adhoc_expect: Mapping[str, str] | None = None,
) -> Plan:
    env = os.environ if environ is None else environ
    try:
        raw = read()
        if adhoc is not None:
            raw, plan_name = add_adhoc_plan(raw, adhoc, adhoc_expect)
        server = raw.get("server", {})
        if server_keys and isinstance(server, dict):  # --dialect, --space (issue 22)
            raw = {**raw, "server": {**server, **server_keys}}
        return PlanLoader(source, base).load(raw, plan_name, url=url, api=api, environ=env)
    except PlanError:
        raise
    except Exception as e:  # a shape the validator did not foresee must still be one line
        raise PlanError(
            source,
            "",
            f"internal error while reading the plan ({type(e).__name__})",
            "please report this together with the plans file",
        ) from e
