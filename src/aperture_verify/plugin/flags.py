"""The plugin's options, declared: each one's flag, ini key (also its ``dest``),
environment variable and help, and their registration with pytest.

Declared here, read nowhere else but ``settings.resolve`` (command line >
environment > ini/plans.toml > default). Adding an option: one ``Option`` here,
one field of ``RunSettings`` and its line in ``settings._resolve``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Option:
    """One option: its flag, its ini key (also its ``dest``), its variable, its help."""

    flag: str
    ini: str
    env: str | None
    help: str
    switch: bool = False  # an on/off flag; its ini key and variable take true/false


OPTIONS: tuple[Option, ...] = (
    Option("--plans", "aperture_plans", None,
           "the plans file (default: plans.toml in the rootdir)"),
    Option("--plan", "aperture_plan", "APERTURE_PLAN", "the plan to run (default: default_plan)"),
    Option("--server-url", "aperture_server_url", "APERTURE_URL",
           "Data Studio URL, or 'emulator' (overrides [server] url)"),
    Option("--api", "aperture_api", "APERTURE_API", "API form: v2 (API key) or v1 (login)"),
    Option("--reports-dir", "aperture_reports_dir", None,
           "where report.html, junit.xml and results.json go (default: reports)"),
    Option("--phases-dir", "aperture_phases_dir", None,
           "the phase modules' directory (default: test_phases)"),
    Option("--deadline-grace", "aperture_deadline_grace", None,
           "time allowed past a workflow's max_duration before its job is cancelled "
           "(default: 5s)"),
    Option("--history", "aperture_history", "APERTURE_HISTORY",
           "the run history file, or 'false' for none (default: .aperture/history.sqlite "
           "beside plans.toml, or the plan's history key)"),
    Option("--phases", "aperture_phases", None, "run only these phases of the plan: 'a,b'"),
    Option("--from-phase", "aperture_from_phase", None, "run the plan from this phase on"),
    Option("--to-phase", "aperture_to_phase", None, "run the plan up to this phase (included)"),
    Option("--workflows", "aperture_workflows", None,
           "run only these workflows of the plan: 'Workflow 1, \"A, B\"'"),
    Option("--run", "aperture_run", None,
           "an ad-hoc plan instead of plans.toml's: 'W1; W2, W3; W4' (';' between phases)"),
    Option("--outage-budget", "aperture_outage_budget", None,
           "how long to keep trying to reach an unreachable server while a workflow is "
           "started or watched (overrides [server] outage_budget; default: 10m; 0s: do not "
           "wait)"),
    Option("--wait-for-server", "aperture_wait_for_server", None,
           "how long the run's first contact waits for an unreachable server (overrides "
           "[server] wait_for_server; default: the outage budget)"),
    # issue 22: the run lock, the server's dialect and space, an ad-hoc chain's limits
    Option("--lock-dir", "aperture_lock_dir", "APERTURE_LOCK_DIR",
           "where the run lock goes (default: a 'locks' folder beside the history store)"),
    Option("--dialect", "aperture_dialect", "APERTURE_DIALECT",
           "the server's API dialect, over [server] dialect: contract (2.x and later) or 1.x"),
    Option("--space", "aperture_space", "APERTURE_SPACE",
           "the Data Studio space of the workflows, over [server] space (default: Default)"),
    Option("--min-duration", "aperture_min_duration", None,
           "with --run: the shortest plausible run of each workflow of the chain (e.g. 5s)"),
    Option("--max-duration", "aperture_max_duration", None,
           "with --run: the longest allowed run of each workflow of the chain (e.g. 2h)"),
    Option("--no-lock", "aperture_no_lock", "APERTURE_NO_LOCK",
           "do not take the run lock: let this run overlap another run of the plan on the "
           "server", switch=True),
    Option("--no-history", "aperture_no_history", None,
           "neither read nor record the run history (same as --history=false)", switch=True),
    Option("--no-preflight", "aperture_no_preflight", "APERTURE_NO_PREFLIGHT",
           "do not check every selected workflow against the server's catalog before the "
           "first execute (each is still checked when its turn comes)", switch=True),
    Option("--warnings-fail", "aperture_warnings_fail", "APERTURE_WARNINGS_FAIL",
           "a warning fails its workflow (execution failure, exit status 12)", switch=True),
    Option("--resume", "aperture_resume", "APERTURE_RESUME",
           "run only what did not pass in the previous run (reports/results.json); "
           "carry the rest over", switch=True),
    Option("--dry-run", "aperture_dry_run", None,
           "log in, check every selected workflow is ready, print the plan; execute nothing",
           switch=True),
    # issue 21: notifications and pings (docs/notifications.md), the log's times
    Option("--no-notify", "aperture_no_notify", "APERTURE_NO_NOTIFY",
           "send no notification and no monitor ping for this run (APERTURE_NOTIFY, "
           "APERTURE_PING_URL and [notify] are ignored)", switch=True),
    Option("--utc", "aperture_utc", "APERTURE_UTC",
           "show times in the log and notifications in UTC (default: local time, zone "
           "named)", switch=True),
)  # fmt: skip

BY_INI = {o.ini: o for o in OPTIONS}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("aperture", "Aperture Data Studio workflow verification")
    for o in OPTIONS:
        suffix = f" [env {o.env}]" if o.env else ""
        if o.switch:
            group.addoption(o.flag, dest=o.ini, action="store_true", default=False,
                            help=o.help + suffix)  # fmt: skip
            parser.addini(o.ini, o.help + " (true/false)", default="")
        else:
            group.addoption(o.flag, dest=o.ini, default=None, help=o.help + suffix)
            parser.addini(o.ini, o.help, default="")
