"""The plugin's options: one flag, one ini key and (some) an environment variable each.

Precedence, resolved in ``option()``: command line > environment > ini > default.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aperture_verify.client.outage import DEFAULT_OUTAGE_BUDGET
from aperture_verify.common.durations import parse_duration
from aperture_verify.errors import PlanError
from aperture_verify.execution.runner import DEADLINE_GRACE
from aperture_verify.plan import Plan, load_plan, load_plan_text
from aperture_verify.plan.overrides import adhoc_expectations, server_overrides
from aperture_verify.plan.selection import parse_chain

PLAN_KEY = pytest.StashKey[Plan]()  # the plan, loaded once per process

#: Upper bound on worker processes chosen by ``-n auto``.
MAX_AUTO_WORKERS = 32

OPTIONS = (
    # (flag, ini key, env var, help)
    ("--plans", "aperture_plans", None, "the plans file (default: plans.toml in the rootdir)"),
    ("--plan", "aperture_plan", "APERTURE_PLAN", "the plan to run (default: default_plan)"),
    (
        "--server-url",
        "aperture_server_url",
        "APERTURE_URL",
        "Data Studio URL, or 'emulator' (overrides [server] url)",
    ),
    ("--api", "aperture_api", "APERTURE_API", "API form: v2 (API key) or v1 (login)"),
    (
        "--reports-dir",
        "aperture_reports_dir",
        None,
        "where report.html, junit.xml and results.json go (default: reports)",
    ),
    (
        "--phases-dir",
        "aperture_phases_dir",
        None,
        "the phase modules' directory (default: test_phases)",
    ),
    (
        "--deadline-grace",
        "aperture_deadline_grace",
        None,
        "time allowed past a workflow's max_duration before its job is cancelled (default: 5s)",
    ),
    (
        "--history",
        "aperture_history",
        "APERTURE_HISTORY",
        "the run history file, or 'false' for none (default: .aperture/history.sqlite "
        "beside plans.toml, or the plan's history key)",
    ),
    ("--phases", "aperture_phases", None, "run only these phases of the plan: 'a,b'"),
    ("--from-phase", "aperture_from_phase", None, "run the plan from this phase on"),
    ("--to-phase", "aperture_to_phase", None, "run the plan up to this phase (included)"),
    (
        "--workflows",
        "aperture_workflows",
        None,
        "run only these workflows of the plan: 'Workflow 1, \"A, B\"'",
    ),
    (
        "--run",
        "aperture_run",
        None,
        "an ad-hoc plan instead of plans.toml's: 'W1; W2, W3; W4' (';' between phases)",
    ),
    (
        "--outage-budget",
        "aperture_outage_budget",
        None,
        "how long to keep trying to reach an unreachable server while a workflow is started "
        "or watched (overrides [server] outage_budget; default: 10m; 0s: do not wait)",
    ),
    # -- issue 22: the run lock, the dialect and an ad-hoc chain's durations --
    (
        "--lock-dir",
        "aperture_lock_dir",
        "APERTURE_LOCK_DIR",
        "where the run lock goes (default: a 'locks' folder beside the history store)",
    ),
    (
        "--dialect",
        "aperture_dialect",
        "APERTURE_DIALECT",
        "the server's API dialect, over [server] dialect: contract (2.x and later) or 1.x",
    ),
    (
        "--space",
        "aperture_space",
        "APERTURE_SPACE",
        "the Data Studio space of the workflows, over [server] space (default: Default)",
    ),
    (
        "--min-duration",
        "aperture_min_duration",
        None,
        "with --run: the shortest plausible run of each workflow of the chain (e.g. 5s)",
    ),
    (
        "--max-duration",
        "aperture_max_duration",
        None,
        "with --run: the longest allowed run of each workflow of the chain (e.g. 2h)",
    ),
    (
        "--wait-for-server",
        "aperture_wait_for_server",
        None,
        "how long the run's first contact waits for an unreachable server (overrides "
        "[server] wait_for_server; default: the outage budget)",
    ),
)

#: On/off flags: (flag, ini key, env var, help); the ini key takes true/false.
FLAGS = (
    (
        "--no-history",
        "aperture_no_history",
        None,
        "neither read nor record the run history (same as --history=false)",
    ),
    (
        "--no-preflight",
        "aperture_no_preflight",
        "APERTURE_NO_PREFLIGHT",
        "do not check every selected workflow against the server's catalog before the first "
        "execute (each is still checked when its turn comes)",
    ),
    (
        "--warnings-fail",
        "aperture_warnings_fail",
        "APERTURE_WARNINGS_FAIL",
        "a warning fails its workflow (execution failure, exit status 12)",
    ),
    (
        "--resume",
        "aperture_resume",
        "APERTURE_RESUME",
        "run only what did not pass in the previous run (reports/results.json); "
        "carry the rest over",
    ),
    (
        "--no-lock",
        "aperture_no_lock",
        "APERTURE_NO_LOCK",
        "do not take the run lock: let this run overlap another run of the plan on the server",
    ),
    (
        "--dry-run",
        "aperture_dry_run",
        None,
        "log in, check every selected workflow is ready, print the plan; execute nothing",
    ),
)

_FALSE = ("false", "no", "off", "0")
_TRUE = ("true", "yes", "on", "1")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("aperture", "Aperture Data Studio workflow verification")
    for flag, ini, env, text in OPTIONS:
        dest = ini
        suffix = f" [env {env}]" if env else ""
        group.addoption(flag, dest=dest, default=None, help=text + suffix)
        parser.addini(ini, text, default="")
    for flag, ini, env, text in FLAGS:
        suffix = f" [env {env}]" if env else ""
        group.addoption(flag, dest=ini, action="store_true", default=False, help=text + suffix)
        parser.addini(ini, text + " (true/false)", default="")


def flag(config: pytest.Config, ini: str) -> bool:
    """An on/off flag, resolved: command line > environment > ini > off."""
    if config.getoption(ini):
        return True
    for name, key, env, _text in FLAGS:
        if key != ini:
            continue
        for source, value in ((env, os.environ.get(env or "")), (ini, config.getini(ini))):
            text = str(value or "").strip().lower()
            if not text:
                continue
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise pytest.UsageError(
                f"{name} / {source}: {value!r} is not true or false; write true or false"
            )
    return False


def history_path(config: pytest.Config, plan: Plan) -> Path | None:
    """The history file, or ``None`` when the run keeps none.

    ``--no-history`` > ``--history`` > ``APERTURE_HISTORY`` > ini ``aperture_history``
    > the plan's ``history`` key > ``.aperture/history.sqlite`` beside plans.toml.
    """
    if flag(config, "aperture_no_history"):
        return None
    text = option(config, "aperture_history").strip()
    if not text:
        return plan.history.path
    if text.lower() in _FALSE:
        return None
    path = Path(text)
    return path if path.is_absolute() else config.rootpath / path


def option(config: pytest.Config, ini: str, default: str = "") -> str:
    """One option, resolved: command line > environment > ini > *default*."""
    value = config.getoption(ini)
    if value:
        return str(value)
    for _flag, key, env, _text in OPTIONS:
        if key == ini and env and os.environ.get(env):
            return os.environ[env]
    value = config.getini(ini)
    return str(value) if value else default


def origin(config: pytest.Config, ini: str) -> str:
    """How to name an option in a message: the flag when given there, else the ini key."""
    for name, key, env, _text in OPTIONS + FLAGS:
        if key == ini:
            if config.getoption(ini):
                return name
            if env and os.environ.get(env):
                return env
            return ini
    return ini


def path_option(config: pytest.Config, ini: str, default: str) -> Path:
    path = Path(option(config, ini, default))
    return path if path.is_absolute() else config.rootpath / path


def phases_dir(config: pytest.Config) -> Path:
    return path_option(config, "aperture_phases_dir", "test_phases")


def preflight_enabled(config: pytest.Config) -> bool:
    """On unless ``--no-preflight`` (or its ini key / variable) says otherwise."""
    return not flag(config, "aperture_no_preflight")


def select_phases_dir(config: pytest.Config) -> None:
    """``--phases-dir=DIR`` (or its ini key) without test paths runs that folder.

    pytest would otherwise collect ``testpaths`` (or the current directory) and
    the plugin, seeing no phase module among them, would stay out of the way.
    """
    given = config.getoption("aperture_phases_dir") or config.getini("aperture_phases_dir")
    if not given or config.args_source is pytest.Config.ArgsSource.ARGS:
        return
    target = phases_dir(config)
    if not target.is_dir():
        flag = "--phases-dir" if config.getoption("aperture_phases_dir") else "aperture_phases_dir"
        raise pytest.UsageError(
            f"{flag}: {given} is not a directory; give the folder of the phase modules"
        )
    config.args[:] = [str(target)]


def is_active(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):
        return "aperture" in config.workerinput
    if config.getoption("aperture_plan") or option(config, "aperture_run"):
        return True
    target = phases_dir(config).resolve()
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else config.invocation_params.dir / path).resolve()
        if path == target or target in path.parents or path in target.parents:
            return True
    return False


def _override(config: pytest.Config, ini: str, env: str) -> str | None:
    """A command-line or ini value for the plan loader, which reads *env* itself.

    The loader applies its keyword over the environment and names the source in
    its errors, so an ini value is passed only when the variable is not set.
    """
    value = config.getoption(ini)
    if value:
        return str(value)
    if os.environ.get(env):
        return None
    return str(config.getini(ini)) or None


def get_plan(config: pytest.Config) -> Plan:
    """The selected plan, loaded once per process; a bad plan is a usage error."""
    if PLAN_KEY not in config.stash:
        source = path_option(config, "aperture_plans", "plans.toml")
        url = _override(config, "aperture_server_url", "APERTURE_URL")
        api = _override(config, "aperture_api", "APERTURE_API")
        try:
            chain = adhoc_chain(config)
            server_keys = server_overrides(  # issue 22
                option(config, "aperture_dialect"), origin(config, "aperture_dialect"),
                option(config, "aperture_space"), origin(config, "aperture_space"),
            )  # fmt: skip
            expect = adhoc_expectations(option(config, "aperture_min_duration"),
                                        option(config, "aperture_max_duration"), chain)  # fmt: skip
            if chain is not None and not source.exists():
                # --run needs no plans file: the server comes from the environment alone.
                plan = load_plan_text(
                    "", f"--run (no {source.name})", url=url, api=api, adhoc=chain,
                    base_dir=source.parent, server_keys=server_keys, adhoc_expect=expect,
                )  # fmt: skip
            else:
                name = option(config, "aperture_plan") or None
                plan = load_plan(
                    source, name, url=url, api=api, environ=os.environ, adhoc=chain,
                    server_keys=server_keys, adhoc_expect=expect,
                )  # fmt: skip
            config.stash[PLAN_KEY] = plan
        except PlanError as e:
            raise pytest.UsageError(str(e)) from None
    return config.stash[PLAN_KEY]


def adhoc_chain(config: pytest.Config) -> tuple[tuple[str, ...], ...] | None:
    """``--run``'s phases of labels, or None; ``--run`` with ``--plan`` is refused."""
    text = option(config, "aperture_run")
    if not text:
        return None
    where = origin(config, "aperture_run")
    if option(config, "aperture_plan"):
        raise PlanError(
            where, "", f"an ad-hoc plan cannot be combined with {origin(config, 'aperture_plan')}",
            "drop one of the two",
        )  # fmt: skip
    return parse_chain(text, where)


def deadline_grace(config: pytest.Config) -> float:
    text = option(config, "aperture_deadline_grace")
    if not text:
        return DEADLINE_GRACE
    try:
        return parse_duration(text)
    except ValueError as e:
        raise pytest.UsageError(f"--deadline-grace / aperture_deadline_grace: {e}") from None


def _duration_option(config: pytest.Config, ini: str, flag: str) -> float | None:
    text = option(config, ini)
    if not text:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as e:
        raise pytest.UsageError(f"{flag} / {ini}: {e} (write it like 90s, 10m or 1h)") from None
    if seconds < 0:
        raise pytest.UsageError(f"{flag} / {ini}: {text!r} is negative; use 0s or more")
    return seconds


def outage_budget(config: pytest.Config, plan: Plan) -> float:
    """Seconds an outage is ridden out: flag > ini > [server] outage_budget > 10m."""
    given = _duration_option(config, "aperture_outage_budget", "--outage-budget")
    if given is not None:
        return given
    if plan.server.outage_budget is not None:
        return plan.server.outage_budget
    return DEFAULT_OUTAGE_BUDGET


def wait_for_server(config: pytest.Config, plan: Plan) -> float:
    """Seconds the run's first contact waits: flag > ini > [server] > the outage budget."""
    given = _duration_option(config, "aperture_wait_for_server", "--wait-for-server")
    if given is not None:
        return given
    if plan.server.wait_for_server is not None:
        return plan.server.wait_for_server
    return outage_budget(config, plan)


def default_report_paths(config: pytest.Config) -> None:
    reports = path_option(config, "aperture_reports_dir", "reports")
    if getattr(config.option, "htmlpath", "missing") is None:
        config.option.htmlpath = str(reports / "report.html")
        config.option.self_contained_html = True
    if config.option.xmlpath is None:
        config.option.xmlpath = str(reports / "junit.xml")
