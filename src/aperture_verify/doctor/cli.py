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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import requests

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.dialect import Dialect, load_dialect, load_profile_file
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.common.files import write_atomic
from aperture_verify.doctor.checks import CheckResult, run_checks
from aperture_verify.doctor.discover import discover, same_server
from aperture_verify.doctor.document import DocumentError, read_document
from aperture_verify.doctor.infer import Finding, Inference, infer
from aperture_verify.doctor.ini import read_ini
from aperture_verify.doctor.write import render_block, updated_text
from aperture_verify.errors import PlanError
from aperture_verify.plan.loader import load_plan, load_plan_text
from aperture_verify.plan.model import Plan
from aperture_verify.plan.server_keys import API_ENV, URL_ENV

PROG = "aperture-doctor"
PLAN_ENV = "APERTURE_PLAN"
OK, USAGE, LOGIN, READINESS = 0, 4, 10, 11
NO_DOCUMENT, DIFFERS, INCOMPLETE = 20, 21, 22
MARK = {"ok": "ok", "differs": "differs", "missing": "MISSING", "ambiguous": "AMBIGUOUS"}


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
        "--write", action="store_true", help="put the proposed block into the plans file"
    )
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
        plan = load_plan(path, plan_name, url=args.server_url, api=args.api, environ=env)
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
    found = discover(url, _getter(server, credentials))
    inference: Inference | None = None
    if found.document is None:
        out("API document: not found. Tried:")
        for problem in found.problems or found.tried:
            out(f"  {problem}")
        out("  (give the suite's [server.profile] by hand: docs/api.md lists every key)")
    else:
        try:
            document = read_document(found.document)
            inference = infer(document, server.profile, server.api)
        except DocumentError as e:
            out(f"API document: {found.url} cannot be read: {e}")
        except Exception as e:  # any shape a server's document may take must not crash us
            out(f"API document: {found.url} cannot be read ({type(e).__name__}: {e})")
        else:
            out(f"API document: {found.url} ({document.version}), found through {found.via}")
    profile = server.profile
    status = NO_DOCUMENT
    if inference is not None:
        _print_findings(inference.findings, out)
        proposal = inference.proposal
        try:
            proposed = apply_overrides(
                load_dialect(server.dialect).profile, proposal, "the proposal"
            )
        except PlanError as e:
            out(f"The proposal is not a valid profile ({e}); fix it by hand.")
            proposed = None
        if proposed is not None:
            complete = inference.complete
            what = "complete" if complete else "partial: complete the keys marked above by hand"
            out(f"\nProposed [server.profile] ({what}):\n")
            out(render_block(proposal))
            profile = proposed
            same = all(f.status == "ok" for f in inference.findings)
            status = OK if same else DIFFERS if complete else INCOMPLETE
            if args.write and complete and not same:
                status = _write(path, plan, proposal, out, env, args)
    checks = _checks(url, plan, credentials, profile, out)
    if checks.login_error is not None:
        return LOGIN
    if checks.not_ready:
        return READINESS
    out(_verdict(status, path))
    return status


def _write(
    path: Path,
    plan: Plan,
    proposal: dict[str, Any],
    out: _Out,
    env: dict[str, str],
    args: argparse.Namespace,
) -> int:
    text = path.read_text(encoding="utf-8-sig")
    new = updated_text(text, proposal)
    try:  # the file as it will be must load, or it is not written
        load_plan_text(new, str(path), plan.name, url=args.server_url, api=args.api, environ=env)
    except PlanError as e:
        out(f"Not written: the new {path} would not load ({e})")
        return DIFFERS
    write_atomic(path, new)
    out(f"Wrote [server.profile] into {path} (comments and every other key kept).")
    return OK


def _checks(
    url: str, plan: Plan, credentials: Credentials, profile: ApiProfile, out: _Out
) -> CheckResult:
    server = plan.server
    verify: bool | str = server.verify_tls
    if server.verify_tls and server.ca_bundle is not None:
        verify = str(server.ca_bundle)
    with DataStudioClient(
        url,
        credentials,
        api=server.api,
        environment=server.environment,
        profile=profile,
        connect_timeout=server.connect_timeout,
        read_timeout=server.read_timeout,
        verify=verify,
    ) as client:
        result = run_checks(client, plan)
    if result.login_error is not None:
        what = "refused" if result.refused else "could not be checked"
        out(f"\nCredentials: {what}: {result.login_error}")
        return result
    how = "login" if server.api == "v1" else f"{profile.workflows_method} {profile.workflows_path}"
    out(f"\nCredentials: accepted (read-only: {how})")
    total = len(plan.workflows)
    out(f"Workflows of plan '{plan.name}': {len(result.ready)} of {total} ready to run as asked")
    for label, why in result.not_ready:
        out(f"  {label}: {why}")
    return result


def _verdict(status: int, path: Path) -> str:
    return {
        OK: "Result: every need is mapped and found; credentials and workflows are fine (exit 0)",
        DIFFERS: f"Result: the server's API differs from the configured profile; run "
        f"'{PROG} --write' to put the block above into {path} (exit 21)",
        INCOMPLETE: "Result: some needs are missing from the document or ambiguous; complete "
        "the block above by hand (exit 22)",
        NO_DOCUMENT: "Result: no API document could be read; credentials and workflows are "
        "fine (exit 20)",
    }[status]


def _print_findings(findings: list[Finding], out: _Out) -> None:
    out("\nWhat the suite needs, in the server's document:")
    width = max(len(f.need) for f in findings)
    for f in findings:
        if f.status == "ok":
            text = f.found
        elif f.status == "differs":
            text = f"{f.found}   (configured: {f.configured or '-'})"
        elif f.status == "ambiguous":
            text = "candidates: " + " | ".join(f.candidates) + " (none chosen)"
        else:
            text = f"not in the document (configured: {f.configured or '-'})"
        if f.note:
            text += f"; {f.note}"
        out(f"  {f.need:<{width}}  {MARK[f.status]:<9}  {text}")


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
