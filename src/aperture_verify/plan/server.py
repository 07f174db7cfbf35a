"""``[server]`` of ``plans.toml``: where the suite runs, with the command line's
and the environment's overrides (``--server-url`` > ``APERTURE_URL`` > the file)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aperture_verify.client.dialect import DEFAULT_DIALECT, Dialect, load_dialect
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.plan.model import ServerSettings
from aperture_verify.plan.schema import (
    Where,
    check_keys,
    read_bool,
    read_choice,
    read_duration,
    read_job_url,
    read_str,
    read_table,
    read_url,
    show,
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
