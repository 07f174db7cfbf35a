"""The run's settings: every option read here, once, into a frozen ``RunSettings``.

Each option has a flag, an ini key and (some) an environment variable, listed
in ``flags.OPTIONS``. ``resolve()`` runs once per process, at the start of
``pytest_cmdline_main`` (before xdist sizes ``-n auto``), and decides every
value by the precedence command line > environment > ini (or plans.toml) >
default. Every usage error of the run is raised there, before the server is
contacted and before any worker starts. A worker does not read its options
again: it receives the controller's settings in ``workerinput``
(``to_workerinput`` / ``from_workerinput``).

No other module of the package reads a pytest option (``config.getoption``,
``config.getini``, ``config.option``); the architecture test holds that.
Adding an option: one ``Option`` in ``flags.OPTIONS``, one field of ``RunSettings``,
one line in ``resolve()`` (and in ``to_workerinput``/``from_workerinput`` if a
worker needs it) - see docs/architecture.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from aperture_verify.client.credentials import Credentials
from aperture_verify.client.rideout import DEFAULT_OUTAGE_BUDGET
from aperture_verify.common.durations import parse_duration
from aperture_verify.common.labels import nfc
from aperture_verify.errors import PlanError
from aperture_verify.execution.runner import DEADLINE_GRACE
from aperture_verify.notify.ping import ENV_PING
from aperture_verify.notify.targets import NotifyError, Targets
from aperture_verify.plan import Plan, load_plan, load_plan_text
from aperture_verify.plan.overrides import adhoc_expectations, server_overrides
from aperture_verify.plan.selection import Selection, parse_chain, select
from aperture_verify.plugin.flags import BY_INI as _BY_INI
from aperture_verify.plugin.scheduled import from_another_folder, into_another_project

if TYPE_CHECKING:  # --resume is the controller's alone: a worker never imports it
    from aperture_verify.execution.resume import Resume

#: Upper bound on worker processes chosen by ``-n auto``.
MAX_AUTO_WORKERS = 32

_FALSE = ("false", "no", "off", "0")
_TRUE = ("true", "yes", "on", "1")

#: The plugin's own phase module, collected for an ad-hoc plan (``--run``).
ADHOC_MODULE = Path(__file__).with_name("adhoc_phases.py")


@dataclass(frozen=True)
class PlanSource:
    """Where the plan comes from: enough for a worker to load the same plan."""

    plans_file: Path
    name: str | None
    url: str | None  # --server-url or its ini key; the loader reads APERTURE_URL itself
    api: str | None
    chain: tuple[tuple[str, ...], ...] | None  # --run's phases of labels
    #: issue 22: [server] keys given as options (--dialect, --space), and the limits
    #: --min-duration / --max-duration give each workflow of the chain
    server_keys: dict[str, str] | None = None
    adhoc_expect: dict[str, str] | None = None

    def load(self) -> Plan:
        if self.chain is not None and not self.plans_file.exists():
            # --run needs no plans file: the server comes from the environment alone.
            return load_plan_text(
                "", f"--run (no {self.plans_file.name})", url=self.url, api=self.api,
                adhoc=self.chain, base_dir=self.plans_file.parent,
                server_keys=self.server_keys, adhoc_expect=self.adhoc_expect,
            )  # fmt: skip
        return load_plan(
            self.plans_file, self.name, url=self.url, api=self.api, environ=os.environ,
            adhoc=self.chain, server_keys=self.server_keys, adhoc_expect=self.adhoc_expect,
        )  # fmt: skip


@dataclass(frozen=True)
class RunSettings:
    """Everything a run was asked to do, decided once (see the module doc)."""

    source: PlanSource
    plan: Plan
    selection: Selection
    phases_dir: Path
    reports_dir: Path
    credentials: Credentials = field(repr=False)  # from the environment; the emulator's own
    resume: Resume | None = None
    history_path: Path | None = None
    deadline_grace: float = DEADLINE_GRACE
    outage_budget: float = DEFAULT_OUTAGE_BUDGET
    wait_for_server: float = DEFAULT_OUTAGE_BUDGET
    preflight: bool = True
    warnings_fail: bool = False
    dry_run: bool = False
    collect_only: bool = False
    maxfail: int = 0  # -x / --maxfail: the run stops after this many failures (0: never)
    html_path: Path | None = None  # where pytest-html writes report.html
    junit_path: Path | None = None  # where pytest's LogXML writes junit.xml
    junit_prefix: str | None = None
    utc: bool = False  # the log's and the notifications' times in UTC, not local time
    # issue 21: the notification targets (Apprise services, their URLs hold secrets) and
    # the monitor's ping URL; None when not configured, --no-notify, a dry run or
    # --collect-only. The controller's only: never sent to a worker.
    notify_targets: Targets | None = field(default=None, repr=False, compare=False)
    ping_url: str | None = field(default=None, repr=False)
    lock_dir: Path | None = None  # issue 22: where the run lock goes; None: --no-lock

    @property
    def adhoc(self) -> bool:
        """An ad-hoc plan (``--run``): the plugin's own phase module runs it."""
        return self.source.chain is not None

    @property
    def auto_workers(self) -> int:
        """What ``-n auto`` starts: the widest selected phase, capped."""
        widest = self.selection.widest_phase
        return max(1, min(widest, self.plan.max_parallel, MAX_AUTO_WORKERS))

    def to_workerinput(self) -> dict[str, Any]:
        """What a worker needs of the settings, as plain data (no secret: see ``Handoff``)."""
        s = self.source
        return {
            "plans_file": str(s.plans_file),
            "plan": s.name,
            "url": s.url,
            "api": s.api,
            "chain": [list(p) for p in s.chain] if s.chain is not None else None,
            "server_keys": s.server_keys,
            "adhoc_expect": s.adhoc_expect,
            "selected": sorted(self.selection.labels),
            "phases_dir": str(self.phases_dir),
            "reports_dir": str(self.reports_dir),
            "deadline_grace": self.deadline_grace,
            "outage_budget": self.outage_budget,
            "warnings_fail": self.warnings_fail,
        }

    @classmethod
    def from_workerinput(cls, data: dict[str, Any]) -> RunSettings:
        """The controller's settings, on a worker: the same plan, the same selection."""
        chain = data["chain"]
        source = PlanSource(
            Path(data["plans_file"]), data["plan"], data["url"], data["api"],
            tuple(tuple(p) for p in chain) if chain is not None else None,
            data["server_keys"], data["adhoc_expect"],
        )  # fmt: skip
        try:
            plan = source.load()
        except PlanError as e:
            raise pytest.UsageError(str(e)) from None
        return cls(
            source=source,
            plan=plan,
            selection=Selection(plan, frozenset(data["selected"])),
            phases_dir=Path(data["phases_dir"]),
            reports_dir=Path(data["reports_dir"]),
            credentials=Credentials(),
            deadline_grace=float(data["deadline_grace"]),
            outage_budget=float(data["outage_budget"]),
            warnings_fail=bool(data["warnings_fail"]),
        )


#: The run's settings in ``config.stash``; absent when the plugin is not active.
SETTINGS_KEY = pytest.StashKey[RunSettings]()
#: The plan's name as soon as it is known (a usage error's reports name it).
PLAN_NAME_KEY = pytest.StashKey[str]()


def resolve(config: pytest.Config) -> RunSettings | None:
    """The run's settings, or ``None`` when this pytest run is not a run of the suite.

    Every mistake is a ``pytest.UsageError`` raised here, in the order a user
    would fix them: the plan, the options, the phase modules, the reports folder.
    """
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        data = workerinput.get("aperture")
        if not data:
            return None
        settings = RunSettings.from_workerinput(data["settings"])
        if settings.adhoc or config.args_source is not pytest.Config.ArgsSource.ARGS:
            config.args = list(data["args"])  # what the controller chose: ADHOC_MODULE, ...
        _keyword_in_nfc(config)
        return settings
    if config.option.help or config.option.version:
        return None
    _select_phases_dir(config)
    from_another_folder(  # issue 22: plain pytest started outside the project
        config, _path_option(config, "aperture_plans", "plans.toml"),
        bool(_option(config, "aperture_run")),
        _path_option(config, "aperture_phases_dir", "test_phases"),
    )  # fmt: skip
    if not any(_option(config, o) for o in ("aperture_plans", "aperture_phases_dir")):
        into_another_project(config, "test_phases", pyargs=config.option.pyargs)
    if not _is_active(config):
        return None
    _test_paths_exist(config)
    _keyword_in_nfc(config)
    _expressions_parse(config)
    try:
        return _resolve(config)
    except PlanError as e:
        raise pytest.UsageError(str(e)) from None


def _expressions_parse(config: pytest.Config) -> None:
    """A malformed ``-k`` or ``-m`` is one usage line before anything starts: pytest
    finds it only while selecting, and under xdist in each worker, which the phase
    scheduler cannot survive. pytest's parser is not public: without it (a future
    pytest), pytest's own check stands."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - a pytest without this module
        return
    for flag, text in (("-k", config.option.keyword), ("-m", config.option.markexpr)):
        if text and text.strip():
            try:
                Expression.compile(text.lstrip())
            except SyntaxError as e:
                raise pytest.UsageError(
                    f"Wrong expression passed to '{flag}': {e.text}: at column {e.offset}: {e.msg}"
                ) from None


def _test_paths_exist(config: pytest.Config) -> None:
    """A test path given that does not exist is a usage error before the server is
    contacted: pytest says so only after its collection (under xdist, not at all)."""
    if config.option.pyargs:
        return
    bases = (config.invocation_params.dir, config.rootpath)
    for arg in config.args:
        part = arg.split("::")[0]
        if part and not any((base / part).exists() for base in bases):
            raise pytest.UsageError(
                f"{part}: file or directory not found; name a phase module (or none, for "
                "the whole plan)"
            )


def _keyword_in_nfc(config: pytest.Config) -> None:
    """``-k`` matches the workflow tests' ids, their labels, in NFC (common/labels.py):
    a label typed decomposed (NFD) on the command line selects the same workflow."""
    if config.option.keyword:
        config.option.keyword = nfc(config.option.keyword)


def _resolve(config: pytest.Config) -> RunSettings:
    # The checks before the run are the controller's alone: a worker never imports them.
    from aperture_verify.plugin.before_run import check_phase_modules, check_report_paths

    chain = _adhoc_chain(config)
    source = PlanSource(
        _path_option(config, "aperture_plans", "plans.toml"),
        _option(config, "aperture_plan") or None,
        _override(config, "aperture_server_url", "APERTURE_URL"),
        _override(config, "aperture_api", "APERTURE_API"),
        chain,
        server_overrides(
            _option(config, "aperture_dialect"), _origin(config, "aperture_dialect"),
            _option(config, "aperture_space"), _origin(config, "aperture_space"),
        ),
        adhoc_expectations(
            _option(config, "aperture_min_duration"), _option(config, "aperture_max_duration"),
            chain,
        ),
    )  # fmt: skip
    plan = source.load()
    config.stash[PLAN_NAME_KEY] = plan.name
    workers = getattr(config.option, "numprocesses", None)  # xdist's -n; None: no xdist
    if isinstance(workers, int) and workers < 0:  # xdist would start no worker, and go on
        raise pytest.UsageError(f"-n: {workers} is negative; give 0 or more, auto or logical")
    grace = _duration(config, "aperture_deadline_grace")
    if grace is None:  # "0s" is a grace of nothing, not the default
        grace = DEADLINE_GRACE
    reports_dir = _path_option(config, "aperture_reports_dir", "reports")
    selection, resume = _selection(config, plan, reports_dir)
    dry_run = _switch(config, "aperture_dry_run")
    collect_only = bool(config.getoption("collectonly"))
    phases_dir = _path_option(config, "aperture_phases_dir", "test_phases")
    if source.chain is not None:
        config.args = [str(ADHOC_MODULE)]  # the plugin's own phase module, not test_phases/
    budget = _duration(config, "aperture_outage_budget")
    if budget is None:
        budget = plan.server.outage_budget
    if budget is None:
        budget = DEFAULT_OUTAGE_BUDGET
    wait = _duration(config, "aperture_wait_for_server")
    if wait is None:
        wait = plan.server.wait_for_server if plan.server.wait_for_server is not None else budget
    if source.chain is None:  # an ad-hoc chain runs the plugin's own module
        check_phase_modules(
            plan, phases_dir, config.rootpath, config.getini("python_files"),
            whole_plan=_whole_plan_selected(config, phases_dir),
        )  # fmt: skip
    if not collect_only and not dry_run:
        _default_report_paths(config, reports_dir)
    html_path, junit_path = _report_paths(config)
    if not collect_only and not dry_run:
        check_report_paths(reports_dir, html_path, junit_path)
    credentials = Credentials(api_key="unused")
    if not plan.server.is_emulator:  # a missing credential is a usage error
        credentials = Credentials.from_env(api=plan.server.api, environ=os.environ)
    notifies = not collect_only and not dry_run and not _switch(config, "aperture_no_notify")
    notify_targets, ping_url = _notify(plan) if notifies else (None, None)
    return RunSettings(
        source=source,
        plan=plan,
        selection=selection,
        phases_dir=phases_dir,
        reports_dir=reports_dir,
        credentials=credentials,
        resume=resume,
        history_path=_history_path(config, plan),
        deadline_grace=grace,
        outage_budget=budget,
        wait_for_server=wait,
        preflight=not _switch(config, "aperture_no_preflight"),
        warnings_fail=_switch(config, "aperture_warnings_fail"),
        dry_run=dry_run,
        collect_only=collect_only,
        maxfail=int(config.option.maxfail or 0),
        html_path=html_path,
        junit_path=junit_path,
        junit_prefix=config.option.junitprefix,
        utc=_switch(config, "aperture_utc"),
        notify_targets=notify_targets,
        ping_url=ping_url,
        lock_dir=None if _switch(config, "aperture_no_lock") else _lock_dir(config, plan),
    )


def _notify(plan: Plan) -> tuple[Targets | None, str | None]:
    """issue 21: the notification targets (``APERTURE_NOTIFY``, ``[notify] config``) and
    the ping URL (``APERTURE_PING_URL``, ``[notify] ping_url``); a mistake, or targets
    without Apprise installed, is a usage error."""
    try:
        targets = Targets.load(plan.notify, os.environ)
    except NotifyError as e:
        raise pytest.UsageError(str(e)) from None
    return targets, os.environ.get(ENV_PING, "").strip() or plan.notify.ping_url


# -- what the run does with pytest's own options ----------------------------------


def run_in_this_process(config: pytest.Config) -> None:
    """No xdist workers: nothing can run (the login failed) or nothing is executed."""
    config.option.dist = "no"
    config.option.tx = []
    config.option.numprocesses = 0


def uses_workers(config: pytest.Config) -> bool:
    """Whether xdist will start workers for this run (its ``DSession``)."""
    return config.getoption("dist", "no") != "no" and not config.getoption("collectonly")


def usage_error_report_paths(
    config: pytest.Config, project: Path | None
) -> tuple[Path, Path, Path] | None:
    """(results.json, junit.xml, report.html) a usage error leaves, or None when this
    invocation is not a run of the suite; *project*: when not the rootdir (scheduled.py)."""
    try:
        if hasattr(config, "workerinput") or config.getoption("collectonly", False):
            return None
        if project is None and not (_is_active(config) or config.getoption("aperture_phases_dir")):
            return None
        reports = _path_option(config, "aperture_reports_dir", "reports", project)
    except Exception:  # the options themselves are what is wrong
        return None
    here = config.invocation_params.dir
    html = getattr(config.option, "htmlpath", None)
    xml = config.option.xmlpath
    return (
        reports / "results.json",
        here / xml if xml else reports / "junit.xml",
        here / html if html else reports / "report.html",
    )


# -- reading one option ------------------------------------------------------------


def _option(config: pytest.Config, ini: str, default: str = "") -> str:
    """One option, resolved: command line > environment > ini > *default*.

    A flag given an empty value (``--workflows ""``, ``--workflows "$UNSET"`` in a
    scheduler's script) is refused: taken as absent it would run the whole plan."""
    value = config.getoption(ini)
    if value is not None and not str(value).strip():
        raise pytest.UsageError(
            f"{_BY_INI[ini].flag}: an empty value; give a value or leave the option out"
        )
    if value:
        return str(value)
    env = _BY_INI[ini].env
    if env and os.environ.get(env):
        return os.environ[env]
    value = config.getini(ini)
    return str(value) if value else default


def _switch(config: pytest.Config, ini: str) -> bool:
    """An on/off flag, resolved: command line > environment > ini > off."""
    if config.getoption(ini):
        return True
    o = _BY_INI[ini]
    for source, value in ((o.env, os.environ.get(o.env or "")), (ini, config.getini(ini))):
        text = str(value or "").strip().lower()
        if not text:
            continue
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise pytest.UsageError(
            f"{o.flag} / {source}: {value!r} is not true or false; write true or false"
        )
    return False


def _origin(config: pytest.Config, ini: str) -> str:
    """How to name an option in a message: the flag when given there, else the ini key."""
    o = _BY_INI[ini]
    if config.getoption(ini):
        return o.flag
    if o.env and os.environ.get(o.env):
        return o.env
    return ini


def _path_option(config: pytest.Config, ini: str, default: str, base: Path | None = None) -> Path:
    path = Path(_option(config, ini, default))
    return path if path.is_absolute() else (base or config.rootpath) / path


def _duration(config: pytest.Config, ini: str) -> float | None:
    text = _option(config, ini)
    if not text:
        return None
    flag = _BY_INI[ini].flag
    try:
        seconds = parse_duration(text)
    except ValueError as e:
        hint = "" if "write it like" in str(e) else " (write it like 90s, 10m or 1h)"
        raise pytest.UsageError(f"{flag} / {ini}: {e}{hint}") from None
    if seconds < 0:
        raise pytest.UsageError(f"{flag} / {ini}: {text!r} is negative; use 0s or more")
    return seconds


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


def _adhoc_chain(config: pytest.Config) -> tuple[tuple[str, ...], ...] | None:
    """``--run``'s phases of labels, or None; ``--run`` with ``--plan`` is refused."""
    text = _option(config, "aperture_run")
    if not text:
        return None
    where = _origin(config, "aperture_run")
    if _option(config, "aperture_plan"):
        raise PlanError(
            where, "", f"an ad-hoc plan cannot be combined with {_origin(config, 'aperture_plan')}",
            "drop one of the two",
        )  # fmt: skip
    return parse_chain(text, where)


def _selection(config: pytest.Config, plan: Plan, reports: Path) -> tuple[Selection, Resume | None]:
    """The selection flags, narrowed by ``--resume`` (which reads the previous results.json)."""
    selection = select(
        plan,
        **{
            name: (text, _origin(config, ini))
            for name, ini in (
                ("phases", "aperture_phases"),
                ("from_phase", "aperture_from_phase"),
                ("to_phase", "aperture_to_phase"),
                ("workflows", "aperture_workflows"),
            )
            if (text := _option(config, ini))
        },
    )
    resume = None
    if _switch(config, "aperture_resume"):
        from aperture_verify.execution.resume import PreviousRun, plan_resume
        from aperture_verify.plan.fingerprint import plan_fingerprint

        previous = PreviousRun.read(reports / "results.json")
        resume = plan_resume(plan, plan_fingerprint(plan), previous)
        selection = selection.narrowed(resume.to_run, "--resume")
    if not selection.labels:
        raise pytest.UsageError(
            f"{' and '.join(selection.reasons)}: together they leave no workflow of plan "
            f"'{plan.name}' to run; widen the selection"
        )
    return selection, resume


def _history_path(config: pytest.Config, plan: Plan) -> Path | None:
    """``--no-history`` > ``--history`` > ``APERTURE_HISTORY`` > ini ``aperture_history``
    > the plan's ``history`` key > ``.aperture/history.sqlite`` beside plans.toml."""
    if _switch(config, "aperture_no_history"):
        return None
    text = _option(config, "aperture_history").strip()
    if not text:
        return plan.history.path
    if text.lower() in _FALSE:
        return None
    path = Path(text)
    return path if path.is_absolute() else config.rootpath / path


def _lock_dir(config: pytest.Config, plan: Plan) -> Path:
    """Where the run lock goes (issue 22): ``--lock-dir`` > ``APERTURE_LOCK_DIR`` > ini >
    ``locks`` beside the history store (the default store's folder when the run keeps none)."""
    if _option(config, "aperture_lock_dir").strip():
        return _path_option(config, "aperture_lock_dir", "")
    store = _history_path(config, plan) or plan.history.path
    return (store.parent if store is not None else plan.source.parent / ".aperture") / "locks"


def _select_phases_dir(config: pytest.Config) -> None:
    """``--phases-dir=DIR`` (or its ini key) without test paths runs that folder.

    pytest would otherwise collect ``testpaths`` (or the current directory) and
    the plugin, seeing no phase module among them, would stay out of the way.
    """
    given = config.getoption("aperture_phases_dir") or config.getini("aperture_phases_dir")
    if not given or config.args_source is pytest.Config.ArgsSource.ARGS:
        return
    target = _path_option(config, "aperture_phases_dir", "test_phases")
    if not target.is_dir():
        flag = "--phases-dir" if config.getoption("aperture_phases_dir") else "aperture_phases_dir"
        raise pytest.UsageError(
            f"{flag}: {given} is not a directory; give the folder of the phase modules"
        )
    config.args[:] = [str(target)]


def _is_active(config: pytest.Config) -> bool:
    """A run of the suite: its arguments include the phases directory, or it names a plan."""
    if config.getoption("aperture_plan") or _option(config, "aperture_run"):
        return True
    target = _path_option(config, "aperture_phases_dir", "test_phases").resolve()
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else config.invocation_params.dir / path).resolve()
        if path == target or target in path.parents or path in target.parents:
            return True
    return False


def _whole_plan_selected(config: pytest.Config, pdir: Path) -> bool:
    """Whether the run asks for the whole phases directory (no file, -k or -m narrowing it)."""
    target = pdir.resolve()
    return (
        any(
            (config.invocation_params.dir / a.split("::")[0]).resolve() in (target, *target.parents)
            for a in config.args
        )
        and not config.getoption("keyword")
        and not config.getoption("markexpr")
    )


def _default_report_paths(config: pytest.Config, reports: Path) -> None:
    """report.html and junit.xml go to the reports folder unless given."""
    if getattr(config.option, "htmlpath", "missing") is None:
        config.option.htmlpath = str(reports / "report.html")
        config.option.self_contained_html = True
    if config.option.xmlpath is None:
        config.option.xmlpath = str(reports / "junit.xml")


def _report_paths(config: pytest.Config) -> tuple[Path | None, Path | None]:
    """(report.html, junit.xml) as pytest-html and LogXML resolve them, when asked for."""
    html = getattr(config.option, "htmlpath", None)  # None: pytest-html absent or not asked
    xml = config.option.xmlpath
    return (
        Path.cwd() / Path(os.path.expandvars(html)).expanduser() if html else None,
        Path(os.path.abspath(os.path.expanduser(os.path.expandvars(xml)))) if xml else None,
    )
