"""``[server]`` of ``plans.toml``: where the suite runs, with the command line's
and the environment's overrides (``--server-url`` > ``APERTURE_URL`` > the file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from string import Formatter
from urllib.parse import urlsplit

from aperture_verify.client.dialect import DEFAULT_DIALECT, Dialect, load_dialect
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.plan.model import ServerSettings
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    printable,
    read_bool,
    read_choice,
    read_duration,
    read_str,
    read_table,
    show,
    type_name,
)

URL_ENV = "APERTURE_URL"
API_ENV = "APERTURE_API"

SERVER_KEYS = (
    "url", "api", "environment", "space", "verify_tls", "ca_bundle", "connect_timeout",
    "read_timeout", "job_url", "emulator_workflows", "profile", "dialect", "emulator_profile",
    "outage_budget", "wait_for_server",
)  # fmt: skip
APIS = ("v1", "v2")


def given(value: str | None) -> str | None:
    """*value*, or ``None`` when it is unset or blank (an empty CI variable)."""
    return value if value is not None and value.strip() else None


def read_dialect(server: Mapping[str, object], where: Where) -> Dialect:
    """``[server] dialect``: the shipped profile the overrides start from."""
    name = read_str(server.get("dialect", DEFAULT_DIALECT), where, "1.x")
    return load_dialect(name, where.source, "server.dialect")


def read_profile(value: object, where: Where, dialect: Dialect) -> ApiProfile:
    """``[server.profile]``: overrides of the dialect's profile."""
    table = read_table(value, where)
    check_keys(table, where, ApiProfile.field_names())
    return apply_overrides(dialect.profile, table, where.source)


def read_server(
    table: Mapping[str, object],
    w: Where,
    base_dir: Path,
    dialect: Dialect,
    profile: ApiProfile,
    url: str | None,
    api: str | None,
    env: Mapping[str, str],
) -> ServerSettings:
    """``[server]`` with ``--server-url``/``APERTURE_URL`` and ``--api``/``APERTURE_API``."""
    file_url = None if "url" not in table else read_url(table["url"], w / "url")
    file_api = dialect.api if "api" not in table else read_choice(table["api"], w / "api", APIS)
    environment = read_str(table.get("environment", "default"), w / "environment", "default")
    space = read_str(table.get("space", "Default"), w / "space", "Default")
    verify_tls = read_bool(table.get("verify_tls", True), w / "verify_tls")
    connect = read_duration(
        table.get("connect_timeout", "5s"), w / "connect_timeout", positive=True
    )
    read = read_duration(table.get("read_timeout", "30s"), w / "read_timeout", positive=True)
    outage_budget, wait_for_server = (
        None if key not in table else read_duration(table[key], w / key)
        for key in ("outage_budget", "wait_for_server")
    )
    job_url = None if "job_url" not in table else read_job_url(table["job_url"], w / "job_url")
    ca_bundle = None
    if "ca_bundle" in table:
        ca_bundle = existing_file(table["ca_bundle"], w / "ca_bundle", base_dir)
        if not verify_tls:
            raise (w / "ca_bundle").error(
                "is unused because verify_tls = false", "remove one of the two"
            )
    emulator_text = None
    if "emulator_workflows" in table:
        emulator_text = read_str(
            table["emulator_workflows"], w / "emulator_workflows", "demo/workflows.toml"
        )

    env_url, env_api = given(env.get(URL_ENV)), given(env.get(API_ENV))
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

    emulator_profile = None
    if "emulator_profile" in table:
        emulator_profile = existing_file(
            table["emulator_profile"], w / "emulator_profile", base_dir
        )
    emulator_workflows = None
    if effective_url == "emulator":
        if emulator_text is None:
            because = f" (from {url_origin})" if url_origin else ""
            raise (w / "emulator_workflows").error(
                f'missing, and the server url is "emulator"{because}',
                'set emulator_workflows = "path/to/workflows.toml" '
                "(relative to the plans file) in [server]",
            )
        emulator_workflows = existing_file(emulator_text, w / "emulator_workflows", base_dir)
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
        dialect=dialect.name,
        emulator_profile=emulator_profile,
        outage_budget=outage_budget,
        wait_for_server=wait_for_server,
    )


def existing_file(value: object, where: Where, base_dir: Path) -> Path:
    """A path relative to the plans file's folder (*base_dir*), which must name a file."""
    path = base_dir / read_str(value, where, "path/to/file")
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


def _url_problem(value: str, *, what: str) -> tuple[str, str] | None:
    """Why *value* is not an http(s) URL with a host, or ``None`` when it is one."""
    creds = (
        "credentials never go in URLs; remove the part before '@' and set APERTURE_API_KEY, "
        "or APERTURE_USERNAME and APERTURE_PASSWORD, in the environment"
    )
    if any(c.isspace() or not c.isprintable() for c in value):
        return f"{show(value)} contains spaces or control characters", f"write {what} without them"
    if "://" not in value:
        if "@" in value:
            return f"the {what} contains a user name or password", creds
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:/", value):  # a mistyped scheme: 'htp:/host'
            return (
                f"{show(value)} does not start with http:// or https://",
                "write it like https://ads.example.com:7701",
            )
        port = "" if re.search(r":\d+(/|$)", value) else ":7701"
        return f"{show(value)} has no scheme", f"write https://{value}{port}"
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {show(parts.scheme)} is not supported", "use http:// or https://"
    if "@" in parts.netloc:
        return f"the {what} contains a user name or password", creds
    if not parts.hostname:
        return f"{show(value)} has no host", "write it like https://ads.example.com:7701"
    try:
        parts.port  # noqa: B018 - the property validates the port
    except ValueError:
        return f"{show(value)} has an invalid port", "use a number from 1 to 65535"
    return None


def read_url(value: object, where: Where) -> str:
    """``"emulator"`` or an http(s) server URL; a trailing ``/`` is dropped."""
    fix = 'write "emulator" or a URL like "https://ads.example.com:7701"'
    if not isinstance(value, str):
        raise where.error(f"must be a string, not {type_name(value)}", fix)
    if value == "emulator":
        return value
    if value.strip().lower() == "emulator":
        raise where.error(f"{show(value)} is not recognised", 'write "emulator" exactly')
    if not value:
        raise where.error("must not be empty", fix)
    problem = _url_problem(value, what="server URL")
    if problem:
        raise where.error(*problem)
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise where.error(
            f"{show(value)} has a query or fragment", "give only scheme, host, port and path"
        )
    return value.rstrip("/")


def read_job_url(value: object, where: Where) -> str:
    """A link template for a job, such as ``https://ads.example.com/#/jobs/{job_id}``."""
    fix = 'write it like "https://ads.example.com:7701/#/jobs/{job_id}"'
    if not isinstance(value, str):
        raise where.error(f"must be a string, not {type_name(value)}", fix)
    problem = _url_problem(value, what="job URL")
    if problem:
        raise where.error(*problem)
    try:
        fields = [name for _, name, _, _ in Formatter().parse(value) if name is not None]
    except ValueError as e:
        raise where.error(f"{show(value)} has unbalanced braces", fix) from e
    if "job_id" not in fields:
        raise where.error(f"{show(value)} does not contain {{job_id}}", fix)
    others = sorted(set(fields) - {"job_id"})
    if others:
        raise where.error(
            f"unknown placeholder {{{printable(others[0])}}}", "only {job_id} is filled in"
        )
    return value
