"""Assembling a :class:`~aperture_verify.plan.Plan` from a parsed ``plans.toml``.

The whole file is validated whichever plan is selected, so a typo in a plan
that is not run today still fails today. Overrides (``--server-url``,
``APERTURE_URL``...) are resolved here, in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aperture_verify.client.profile import ApiProfile
from aperture_verify.errors import PlanError
from aperture_verify.plan.model import Phase, Plan, ServerSettings, WorkflowSpec
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    check_label,
    listing,
    parse_toml,
    quote_key,
    read_bool,
    read_choice,
    read_duration,
    read_int,
    read_job_url,
    read_str,
    read_str_list,
    read_table,
    read_url,
    show,
    suggest,
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

URL_ENV = "APERTURE_URL"
API_ENV = "APERTURE_API"

TOP_KEYS = ("default_plan", "server", "defaults", "plans", "phases", "workflows")
SERVER_KEYS = (
    "url", "api", "environment", "space", "verify_tls", "ca_bundle", "connect_timeout",
    "read_timeout", "job_url", "emulator_workflows", "profile",
)  # fmt: skip
PLAN_KEYS = ("phases", "on_failure", "max_parallel")
PHASE_KEYS = ("workflows",)
APIS = ("v1", "v2")
ON_FAILURE = ("stop", "continue")


@dataclass(frozen=True)
class _PlanTable:
    phases: tuple[str, ...]
    on_failure: Literal["stop", "continue"]
    max_parallel: int


def _given(value: str | None) -> str | None:
    """*value*, or ``None`` when it is unset or blank (an empty CI variable)."""
    return value if value is not None and value.strip() else None


class PlanLoader:
    """Validates one plans file, reported as *source*; paths are relative to *base_dir*."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.root = Where(source)

    def load(
        self,
        text: str,
        plan_name: str | None = None,
        *,
        url: str | None = None,
        api: str | None = None,
        environ: Mapping[str, str],
    ) -> Plan:
        """The plan in *text* named *plan_name* (or the file's default), overrides applied."""
        raw = parse_toml(text, self.source)
        root = self.root
        check_keys(raw, root, TOP_KEYS, required={
            "plans": 'add a [plans.<name>] table with phases = ["..."]',
            "phases": 'add a [phases.<name>] table with workflows = ["..."]',
        })  # fmt: skip
        server = read_table(raw.get("server", {}), root / "server")
        check_keys(server, root / "server", SERVER_KEYS)
        profile = self.profile(server.get("profile", {}))
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
        name = self.select(raw, plans, _given(plan_name))
        settings = self.server(server, profile, _given(url), _given(api), environ)

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
        )

    # -- [server] ---------------------------------------------------------------------------

    def profile(self, value: object) -> ApiProfile:
        """``[server.profile]``: API profile overrides."""
        where = self.root / "server" / "profile"
        table = read_table(value, where)
        check_keys(table, where, ApiProfile.field_names())
        return ApiProfile.from_overrides(table, self.source)

    def server(
        self,
        table: Mapping[str, object],
        profile: ApiProfile,
        url: str | None,
        api: str | None,
        env: Mapping[str, str],
    ) -> ServerSettings:
        """``[server]`` with ``--server-url``/``APERTURE_URL`` and ``--api``/``APERTURE_API``."""
        w = self.root / "server"
        file_url = None if "url" not in table else read_url(table["url"], w / "url")
        file_api = "v2" if "api" not in table else read_choice(table["api"], w / "api", APIS)
        environment = read_str(table.get("environment", "default"), w / "environment", "default")
        space = read_str(table.get("space", "Default"), w / "space", "Default")
        verify_tls = read_bool(table.get("verify_tls", True), w / "verify_tls")
        connect = read_duration(
            table.get("connect_timeout", "5s"), w / "connect_timeout", positive=True
        )
        read = read_duration(table.get("read_timeout", "30s"), w / "read_timeout", positive=True)
        job_url = None if "job_url" not in table else read_job_url(table["job_url"], w / "job_url")
        ca_bundle = None
        if "ca_bundle" in table:
            ca_bundle = self.existing_file(table["ca_bundle"], w / "ca_bundle")
            if not verify_tls:
                raise (w / "ca_bundle").error(
                    "is unused because verify_tls = false", "remove one of the two"
                )
        emulator_text = None
        if "emulator_workflows" in table:
            emulator_text = read_str(
                table["emulator_workflows"], w / "emulator_workflows", "demo/workflows.toml"
            )

        env_url, env_api = _given(env.get(URL_ENV)), _given(env.get(API_ENV))
        if url is not None:
            effective_url, url_origin = read_url(url, Where("--server-url")), "--server-url"
        elif env_url is not None:
            effective_url, url_origin = read_url(env_url, Where(URL_ENV)), URL_ENV
        elif file_url is not None:
            effective_url, url_origin = file_url, ""
        else:
            raise (w / "url").error(
                "missing",
                'set url = "https://ads.example.com:7701" (or "emulator") in [server], '
                f"or pass --server-url, or set {URL_ENV}",
            )
        if api is not None:
            effective_api = read_choice(api, Where("--api"), APIS)
        elif env_api is not None:
            effective_api = read_choice(env_api, Where(API_ENV), APIS)
        else:
            effective_api = file_api

        emulator_workflows = None
        if effective_url == "emulator":
            if emulator_text is None:
                because = f" (from {url_origin})" if url_origin else ""
                raise (w / "emulator_workflows").error(
                    f'missing, and the server url is "emulator"{because}',
                    'set emulator_workflows = "path/to/workflows.toml" '
                    "(relative to the plans file) in [server]",
                )
            emulator_workflows = self.existing_file(emulator_text, w / "emulator_workflows")
        elif emulator_text is not None and file_url is not None and file_url != "emulator":
            raise (w / "emulator_workflows").error(
                'is only used when url = "emulator"', 'remove it, or set url = "emulator"'
            )
        return ServerSettings(
            url=effective_url,
            api="v1" if effective_api == "v1" else "v2",
            environment=environment,
            space=space,
            profile=profile,
            verify_tls=verify_tls,
            ca_bundle=ca_bundle,
            connect_timeout=connect,
            read_timeout=read,
            job_url=job_url,
            emulator_workflows=emulator_workflows,
        )

    def existing_file(self, value: object, where: Where) -> Path:
        """A path relative to the plans file's folder, which must name a file."""
        path = self.base_dir / read_str(value, where, "path/to/file")
        try:
            found = path.is_file()
        except OSError as e:  # a name too long for the file system, say
            raise where.error(
                f"cannot use {show(str(path))} ({e.strerror or type(e).__name__})",
                "fix the path",
            ) from e
        if not found:
            raise where.error(
                f"file {show(str(path))} not found",
                "fix the path (relative paths are relative to the plans file's folder)",
            )
        return path

    # -- [phases] and [plans] ---------------------------------------------------------------

    def phases(self, value: object) -> dict[str, tuple[str, ...]]:
        """``[phases.<name>]``: each a non-empty list of distinct workflow labels."""
        where = self.root / "phases"
        fix = 'add [phases.<name>] tables with workflows = ["..."]'
        table = read_table(value, where, fix)
        if not table:
            raise where.error("no phases defined", fix)
        result: dict[str, tuple[str, ...]] = {}
        for name, item in table.items():
            w = where / check_label(name, where / name, "phase")
            phase = read_table(item, w, f"write it as [phases.{quote_key(name)}]")
            check_keys(phase, w, PHASE_KEYS, required={
                "workflows": 'list the workflows: workflows = ["Workflow 1"]'})  # fmt: skip
            labels = read_str_list(phase["workflows"], w / "workflows", '"Workflow 1"')
            for i, label in enumerate(labels):
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
        for name, item in table.items():
            w = where / check_label(name, where / name, "plan")
            plan = read_table(item, w, f"write it as [plans.{quote_key(name)}]")
            check_keys(plan, w, PLAN_KEYS, required={
                "phases": f"list the phases in order: phases = [{listing(phases)}]"})  # fmt: skip
            order = read_str_list(plan["phases"], w / "phases", '"ingest", "publish"')
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
            default = read_str(raw["default_plan"], where, next(iter(plans)))
            if default not in plans:
                raise where.error(
                    f"no plan named {show(default)}", suggest(default, list(plans)) + known
                )
        if wanted is not None:
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
) -> Plan:
    """Read and validate *path*, select *plan_name* (or ``default_plan``).

    *url* and *api* are the ``--server-url`` and ``--api`` options; they win over
    ``APERTURE_URL`` and ``APERTURE_API`` in *environ* (``os.environ`` when
    ``None``), which win over ``[server]``. Empty values count as not given.
    Relative paths in the file are relative to the file's folder. Every
    problem is a one-line :class:`PlanError`.
    """
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise PlanError(source, "", "file not found", "check the path, or create the file") from e
    except IsADirectoryError as e:
        raise PlanError(source, "", "is a directory", "give the path of the plans file") from e
    except PermissionError as e:
        raise PlanError(source, "", "cannot be read (permission denied)", "make it readable") from e
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise PlanError(source, "", f"cannot be read ({reason})", "check the path") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlanError(source, f"byte {e.start}", "is not UTF-8", "save the file as UTF-8") from e
    return load_plan_text(
        text, source, plan_name, url=url, api=api, environ=environ, base_dir=path.parent
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
) -> Plan:
    """:func:`load_plan` on *text*, reported as *source*.

    Relative paths in the plan are resolved against *base_dir* (default: the
    folder of *source*).
    """
    base = Path(source).parent if base_dir is None else base_dir
    env = os.environ if environ is None else environ
    try:
        return PlanLoader(source, base).load(text, plan_name, url=url, api=api, environ=env)
    except PlanError:
        raise
    except Exception as e:  # a shape the validator did not foresee must still be one line
        raise PlanError(
            source,
            "",
            f"internal error while reading the plan ({type(e).__name__})",
            "please report this together with the plans file",
        ) from e
