"""The ``[notify]`` table of ``plans.toml``: when a finished run tells someone, and pings.

The targets themselves are Apprise URLs, which carry secrets (tokens, passwords,
signed webhook paths): they come from ``APERTURE_NOTIFY`` or from an Apprise
configuration file that ``config`` names, never from this file. A URL written
here is refused, like a credential. See docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aperture_verify.plan.model import NOTIFY_EVENTS, NotifySettings
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    read_duration,
    read_str,
    read_str_list,
    read_table,
    type_name,
)

NOTIFY_KEYS = ("config", "on", "report_url", "timeout", "ping_url")

#: Keys a user might try for the targets themselves: refused as secrets, with the way out.
_TARGET_KEYS = ("url", "urls", "target", "targets", "apprise", "notify")

TARGETS_PROBLEM = "notification targets carry secrets and never go in the plans file"
TARGETS_FIX = (
    "set APERTURE_NOTIFY to the Apprise URL(s), or write them in an Apprise config file "
    'and name it here: config = "notify.yml" (see docs/notifications.md)'
)


def read_notify(raw: Mapping[str, object], root: Where, base_dir: Path) -> NotifySettings:
    """The ``[notify]`` table (absent: the defaults, and nothing configured)."""
    if "notify" not in raw:
        return NotifySettings()
    where = root / "notify"
    table = read_table(raw["notify"], where)
    for key in table:
        if key in _TARGET_KEYS:
            raise (where / key).error(TARGETS_PROBLEM, TARGETS_FIX)
    check_keys(table, where, NOTIFY_KEYS, credentials=(TARGETS_PROBLEM, TARGETS_FIX))
    settings = NotifySettings()
    config: Path | None = None
    if "config" in table:
        text = read_str(table["config"], where / "config", "notify.yml")
        if "://" in text:  # an Apprise URL where the file's name belongs
            raise (where / "config").error(TARGETS_PROBLEM, TARGETS_FIX)
        config = Path(text).expanduser()
        config = config if config.is_absolute() else base_dir / config
    on = settings.on
    if "on" in table:
        on = _read_on(table["on"], where / "on")
    report_url = None
    if "report_url" in table:
        report_url = read_str(
            table["report_url"], where / "report_url", "${BUILD_URL}artifact/reports/report.html"
        )
    timeout = settings.timeout
    if "timeout" in table:
        timeout = read_duration(table["timeout"], where / "timeout", positive=True)
    ping_url = None
    if "ping_url" in table:
        ping_url = read_str(table["ping_url"], where / "ping_url", "https://hc-ping.com/<uuid>")
        if not ping_url.startswith(("http://", "https://")):
            raise (where / "ping_url").error(
                "must be an http:// or https:// URL",
                'write it like ping_url = "https://hc-ping.com/<uuid>"',
            )
    return NotifySettings(
        config=config, on=on, report_url=report_url, timeout=timeout, ping_url=ping_url
    )


def _read_on(value: object, where: Where) -> tuple[str, ...]:
    example = '"failure", "recovery"'
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise where.error(
            f"must be an array of strings, not {type_name(value)}",
            f"write it as on = [{example}]",
        )
    names = read_str_list(value, where, example)
    for i, name in enumerate(names):
        if name not in NOTIFY_EVENTS:
            raise (where / i).error(
                f"{name!r} is not a kind of run",
                f"use any of: {', '.join(NOTIFY_EVENTS)}",
            )
    return tuple(dict.fromkeys(names))
