"""``aperture-doctor``: read the server's API document, map it, check credentials and workflows.

It reads the same ``plans.toml``, flags and environment variables as the
suite, never executes a workflow, and ends with one of the exit statuses
below (docs/doctor.md). Bad input is one ``ERROR:`` line; no server answer
ends in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import requests

from aperture_verify.client.credentials import Credentials
from aperture_verify.client.dialect import Dialect, load_dialect, load_profile_file
from aperture_verify.doctor.diagnose import PROG, USAGE, check_configured, diagnose
from aperture_verify.doctor.discover import same_server
from aperture_verify.doctor.ini import read_ini
from aperture_verify.errors import PlanError
from aperture_verify.plan.loader import load_plan_text
from aperture_verify.plan.model import Plan
from aperture_verify.plan.selection import parse_chain
from aperture_verify.plan.server_keys import API_ENV, URL_ENV

PLAN_ENV = "APERTURE_PLAN"


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Find the Data Studio server's OpenAPI document, map what the suite needs, "
        "propose a [server.profile] block, and check the credentials and the plan's workflows "
        "with read-only calls. Never executes a workflow.",
    )
    parser.add_argument(
        "--plans", default=None, metavar="FILE", help="plans file (ini aperture_plans, plans.toml)"
    )
    parser.add_argument("--plan", default=None, metavar="NAME", help=f"plan (${PLAN_ENV})")
    parser.add_argument("--server-url", default=None, metavar="URL", help="server ($APERTURE_URL)")
    parser.add_argument("--api", default=None, choices=("v1", "v2"), help="auth ($APERTURE_API)")
    parser.add_argument(
        "--run", default=None, metavar="CHAIN",
        help='an ad-hoc plan as for pytest: "W1; W2, W3" (ini aperture_run)',
    )  # fmt: skip
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write", action="store_true",
        help="put what was established into the plans file (TODO lines for the rest)",
    )  # fmt: skip
    mode.add_argument(
        "--check", action="store_true",
        help="prove the profile configured in the plans file on the live server, read-only",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    out = _Out()
    try:
        args = _parser().parse_args(argv)
        ini = read_ini(Path.cwd())
        # the suite's precedence: flag > environment > ini > plans.toml > default
        path = Path(args.plans or ini.get("aperture_plans") or "plans.toml")
        args.server_url = args.server_url or _unless(env, URL_ENV, ini.get("aperture_server_url"))
        args.api = args.api or _unless(env, API_ENV, ini.get("aperture_api"))
        plan_name = args.plan or env.get(PLAN_ENV) or ini.get("aperture_plan")
        chain_text = args.run or ini.get("aperture_run")
        plan = _load(path, plan_name, chain_text, args, env)
        credentials, emulator = _credentials(plan, env)
    except (_Usage, PlanError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return USAGE
    for note in credentials.notes:  # issue 22/25: a stripped value, a key file others can read
        print(f"WARNING: {note}", file=sys.stderr)
    try:
        return _doctor(args, path, plan, credentials, emulator, out, env)
    finally:
        if emulator is not None:
            emulator.stop()


def _load(
    path: Path, name: str | None, chain_text: str | None, args: argparse.Namespace,
    env: dict[str, str],
) -> Plan:  # fmt: skip
    """The plan as the suite would load it; a plans file with ``[server]`` alone (or none,
    with the environment) gives a plan without workflows unless ``--run`` names some."""
    chain = parse_chain(chain_text, "--run") if chain_text else None
    if chain is not None and name:
        raise PlanError("--run", "", "an ad-hoc plan cannot be combined with --plan",
                        "drop one of the two")  # fmt: skip
    if not path.is_file():
        if chain is None and path.exists():
            raise PlanError(str(path), "", "is not a file", "fix --plans")
        text, source = "", f"--run (no {path.name})"
    else:
        text, source = path.read_text(encoding="utf-8-sig"), str(path)
    has_plans = "plans" in (tomllib.loads(text) if text else {}) if _toml_ok(text) else True
    placeholder = chain is None and not has_plans
    plan = load_plan_text(
        text, source, name, url=args.server_url, api=args.api, environ=env,
        adhoc=(("-",),) if placeholder else chain, base_dir=path.parent,
    )  # fmt: skip
    return dataclasses.replace(plan, phases=()) if placeholder else plan


def _toml_ok(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False  # the loader reports it, as one line
    return True


def _unless(env: dict[str, str], var: str, value: str | None) -> str | None:
    """*value* (from the ini file) unless the environment variable *var* is set."""
    return None if env.get(var, "").strip() else value


def _doctor(
    args: argparse.Namespace,
    path: Path,
    plan: Plan,
    credentials: Credentials,
    emulator: Any,
    out: _Out,
    env: dict[str, str],
) -> int:
    server = plan.server
    url = emulator.url if emulator is not None else server.url
    out(f"{PROG}: plan '{plan.name}' on {url} (api {server.api}, dialect '{server.dialect}')")
    if args.check:
        return check_configured(url, plan, credentials, path, out)
    return diagnose(args, path, plan, credentials, url, _getter(server, credentials), out, env)


def _credentials(plan: Plan, env: dict[str, str]) -> tuple[Credentials, Any]:
    server = plan.server
    if not server.is_emulator:
        return Credentials.from_env(server.api, env), None
    from aperture_verify.emulator import Emulator, load_scenario

    assert server.emulator_workflows is not None
    speaks: Dialect = (
        load_profile_file(server.emulator_profile)
        if server.emulator_profile is not None
        else dataclasses.replace(load_dialect(server.dialect), profile=server.profile)
    )
    secret = secrets.token_urlsafe(24)
    users = {"aperture-demo": secret} if server.api == "v1" else {}
    emulator = Emulator(
        load_scenario(server.emulator_workflows),
        api_keys=(secret,),
        users=users,
        environment=server.environment,
        profile=speaks.profile,
        docs=speaks.docs,
    ).start()
    if server.api == "v1":
        return Credentials(username="aperture-demo", password=secret), emulator
    return Credentials(api_key=secret), emulator


def _getter(plan_server: Any, credentials: Credentials) -> Callable[[str], requests.Response]:
    session = requests.Session()
    verify: bool | str = plan_server.verify_tls
    if plan_server.verify_tls and plan_server.ca_bundle is not None:
        verify = str(plan_server.ca_bundle)
    timeout = (plan_server.connect_timeout, plan_server.read_timeout)
    base = plan_server.url

    def get(url: str) -> requests.Response:
        response = session.get(url, timeout=timeout, verify=verify)
        if (
            response.status_code in (401, 403)
            and credentials.api_key
            and (base == "emulator" or same_server(base, url))
        ):  # a document behind the API key: ask again with it, on this server only
            header = f"{plan_server.environment} {credentials.api_key}"
            response = session.get(
                url, timeout=timeout, verify=verify, headers={"Authorization": header}
            )
        return response

    return get


class _Out:
    def __call__(self, text: str) -> None:
        print(text, flush=True)
