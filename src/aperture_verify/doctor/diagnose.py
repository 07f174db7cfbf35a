"""One doctor run: the document's reading, proven on live answers, printed, written, checked.

``diagnose`` maps the server (document, then live answers) and ends with the
credential and readiness checks under the proposed profile; ``check_configured``
(``--check``) proves the profile as configured in plans.toml on the live
server, without a document. Both print exactly one ``Result:`` line last and
return the exit status (docs/doctor.md).
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.profile import PAGING_KEYS, ApiProfile
from aperture_verify.common.files import write_atomic
from aperture_verify.doctor.discover import discover
from aperture_verify.doctor.document import ApiDocument, DocumentError, read_document
from aperture_verify.doctor.evidence import trial
from aperture_verify.doctor.live import LiveCheck
from aperture_verify.doctor.mapping import Finding, infer
from aperture_verify.doctor.readiness import CheckResult, run_checks
from aperture_verify.doctor.session import LiveSession
from aperture_verify.doctor.write import existing_profile, render_block, updated_text
from aperture_verify.errors import ClientError, PlanError
from aperture_verify.plan.loader import load_plan_text
from aperture_verify.plan.model import Plan

PROG = "aperture-doctor"
OK, USAGE, LOGIN, READINESS = 0, 4, 10, 11
NO_DOCUMENT, DIFFERS, INCOMPLETE, WRONG = 20, 21, 22, 23
MARK = {"ok": "ok", "differs": "differs", "missing": "MISSING", "ambiguous": "AMBIGUOUS"}
Out = Callable[[str], None]


def verify_of(server: Any) -> bool | str:
    if server.verify_tls and server.ca_bundle is not None:
        return str(server.ca_bundle)
    return bool(server.verify_tls)


def client_for(url: str, plan: Plan, credentials: Credentials, profile: ApiProfile) -> Any:
    s = plan.server
    return DataStudioClient(
        url, credentials, api=s.api, environment=s.environment, profile=profile,
        connect_timeout=s.connect_timeout, read_timeout=s.read_timeout, verify=verify_of(s),
    )  # fmt: skip


def diagnose(
    args: argparse.Namespace, path: Path, plan: Plan, credentials: Credentials, url: str,
    get: Any, out: Out, env: dict[str, str],
) -> int:  # fmt: skip
    server = plan.server
    found = discover(url, get)
    document: ApiDocument | None = None
    findings: list[Finding] = []
    proposal: dict[str, Any] = {}
    if found.document is None:
        out("API document: not found. Tried:")
        for problem in found.problems or found.tried:
            out(f"  {problem}")
    else:
        try:
            document = read_document(found.document)
            inference = infer(document, server.profile, server.api)
        except DocumentError as e:
            out(f"API document: {found.url} cannot be read: {e}")
            document = None
        except Exception as e:  # any shape a server's document may take must not crash us
            out(f"API document: {found.url} cannot be read ({type(e).__name__}: {e})")
            document = None
        else:
            out(f"API document: {found.url} ({document.version}), found through {found.via}")
            findings, proposal = inference.findings, inference.proposal
    live = LiveSession(url, credentials, api=server.api, environment=server.environment,
                       verify=verify_of(server),
                       timeout=(server.connect_timeout, server.read_timeout))  # fmt: skip
    result = LiveCheck(live, document, server.profile, proposal, plan, server.api).run()
    out(f"\nLive answers (read-only, {live.sent} requests):")
    for line in result.lines:
        out(line)
    if result.error:
        out(f"  stopped: {live.hide(result.error)}")
    by_need = {f.need: f for f in findings}
    undecided_list = any(
        f.need == "workflows route" and f.status in ("missing", "ambiguous")
        for f in result.findings
    )
    if undecided_list:  # the document's workflow fields belong to a route the answers did not prove
        for need in [n for n in by_need if n.startswith("workflow ")]:
            for key in by_need.pop(need).keys:
                proposal.pop(key, None)
    for f in result.findings:  # the live answers outrank the document, keys and all
        for key in by_need[f.need].keys if f.need in by_need else ():
            proposal.pop(key, None)
        by_need[f.need] = f
    findings = list(by_need.values())
    keys = {**proposal, **result.keys}
    if any(result.keys.get(k) for k in PAGING_KEYS):  # live pages outrank the document's
        keys.update({k: result.keys.get(k, "") for k in PAGING_KEYS})
    keys = {k: v for k, v in keys.items() if v != "" or getattr(ApiProfile(), k) != ""}
    if findings:
        print_findings(findings, out)
    profile = trial(server.profile, keys)
    todo = [f"{f.need}: {why(f)}" for f in findings if f.status in ("missing", "ambiguous")]
    complete = bool(findings) and not todo
    same = complete and all(f.status == "ok" for f in findings)
    if keys:
        what = "complete" if complete else "partial: the TODO lines say what is missing"
        out(f"\nProposed [server.profile] ({what}):\n")
        out(render_block(keys, todo))
    written = False
    if args.write and keys and not same:
        written = write(path, plan, keys, todo, out, env, args)
    listing = by_need.get("workflows route")
    undecided = listing is not None and listing.status in ("missing", "ambiguous")
    if undecided and live.answered and not result.error:
        out("\nCredentials: accepted (the live answers above)")
        out("Workflows: not checked: the workflow list is not established (see the TODO lines)")
        return verdict(INCOMPLETE, path, out)
    checks = run_client_checks(url, plan, credentials, profile, out)
    if checks.login_error is not None:
        return verdict(LOGIN, path, out)
    if checks.not_ready:
        return verdict(READINESS, path, out)
    if document is None:  # the routes to execute and watch jobs are the document's alone
        return verdict(NO_DOCUMENT, path, out)
    if not complete:
        return verdict(INCOMPLETE, path, out)
    if written or same:
        return verdict(OK, path, out)
    return verdict(DIFFERS, path, out)


def why(f: Finding) -> str:
    if f.status == "ambiguous":
        return "candidates " + " | ".join(f.candidates) + (f" ({f.note})" if f.note else "")
    return f"not found ({f.note or 'not in the document nor in the live answers'})"


def write(
    path: Path, plan: Plan, keys: dict[str, Any], todo: list[str], out: Out,
    env: dict[str, str], args: argparse.Namespace,
) -> bool:  # fmt: skip
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    new = updated_text(text, keys, todo)
    try:  # the file as it will be must load, or it is not written
        plans = tomllib.loads(new).get("plans", {})
        own = plan.name in plans if isinstance(plans, dict) else False
        load_plan_text(new, str(path), plan.name if own else None, url=args.server_url,
                       api=args.api, environ=env, adhoc=None if own else (("-",),))  # fmt: skip
    except PlanError as e:
        out(f"Not written: the new {path} would not load ({e})")
        return False
    write_atomic(path, new)
    kept = [k for k in existing_profile(text) if k not in keys]
    more = f", and your own keys {', '.join(kept)}" if kept else ""
    out(f"Wrote [server.profile] into {path} (comments and every other key kept{more}).")
    return True


def run_client_checks(
    url: str, plan: Plan, credentials: Credentials, profile: ApiProfile, out: Out
) -> CheckResult:
    with client_for(url, plan, credentials, profile) as client:
        result = run_checks(client, plan)
    if result.login_error is not None:
        what = "refused" if result.refused else "could not be checked"
        out(f"\nCredentials: {what}: {result.login_error}")
        return result
    how = (
        "login"
        if plan.server.api == "v1"
        else f"{profile.workflows_method} {profile.workflows_path}"
    )
    out(f"\nCredentials: accepted (read-only: {how})")
    total = len(plan.workflows)
    if total:
        out(
            f"Workflows of plan '{plan.name}': {len(result.ready)} of {total} ready to run as asked"
        )
    else:
        out("Workflows: none named (a plans.toml with [server] alone); give --run to check some")
    for label, reason in result.not_ready:
        out(f"  {label}: {reason}")
    return result


def check_configured(url: str, plan: Plan, credentials: Credentials, path: Path, out: Out) -> int:
    """``--check``: the profile as configured, proved on the live server, read-only."""
    profile = plan.server.profile
    out(f"Checking the configured [server.profile] of {path} against the live server")
    checks = run_client_checks(url, plan, credentials, profile, out)
    if checks.login_error is not None:
        return verdict(LOGIN, path, out)
    spaces = [w.space for w in plan.workflows] or [plan.server.space]
    wrong = False
    with client_for(url, plan, credentials, profile) as client:
        try:
            listed = client.list_workflows(spaces)
            out(f"Workflow list: {len(listed)} workflows read, every page followed")
            jobs = client._fetch_list("jobs", profile.path("jobs"), None, first_page_only=True)
            decoder = client.http.decoder(profile.method("jobs"), profile.path("jobs"))
            if not jobs:
                out("Job list: no job listed yet, so no live job could be decoded")
            for item in jobs[:3]:
                job = decoder.job(item)
                known = (
                    "" if profile.is_known(job.state) else " (a state the profile does not name)"
                )
                out(f"A live job, decoded: {job.id} of '{job.workflow_label}', {job.state}{known}, "
                    f"{len(job.steps)} steps")  # fmt: skip
        except ClientError as e:
            out(f"The configured profile does not read the live answers: {e}")
            wrong = True
    if checks.not_ready:
        return verdict(READINESS, path, out)
    if wrong:
        return verdict(WRONG, path, out)
    out("Result: the configured profile reads the live answers; credentials and workflows are "
        "fine (exit 0)")  # fmt: skip
    return OK


def verdict(status: int, path: Path, out: Out) -> int:
    out({
        OK: "Result: every need is mapped and proven on live answers; credentials and "
        "workflows are fine (exit 0)",
        DIFFERS: f"Result: the server's API differs from the configured profile; run "
        f"'{PROG} --write' to put the block above into {path} (exit 21)",
        INCOMPLETE: f"Result: incomplete: the block above has TODO lines for what neither the "
        f"document nor the live answers establish; complete them in {path}, then run "
        f"'{PROG} --check' (exit 22)",
        NO_DOCUMENT: "Result: no API document could be read, so the execute and job routes are "
        "as configured (the live answers proved the lists only); credentials and workflows are "
        "fine (exit 20)",
        WRONG: f"Result: the configured profile does not read the server's live answers; run "
        f"'{PROG} --write' or fix {path} (exit 23)",
        LOGIN: "Result: the credentials were refused or could not be checked (exit 10)",
        READINESS: "Result: a workflow of the plan cannot run as asked; see above (exit 11)",
    }[status])  # fmt: skip
    return status


def print_findings(findings: list[Finding], out: Out) -> None:
    out("\nWhat the suite needs (document, then live answers):")
    width = max(len(f.need) for f in findings)
    for f in findings:
        if f.status == "ok":
            text = f.found or "none"
        elif f.status == "differs":
            text = f"{f.found or 'none'}   (configured: {f.configured or '-'})"
        elif f.status == "ambiguous":
            text = "candidates: " + " | ".join(f.candidates) + " (none chosen)"
        else:
            text = f"not found (configured: {f.configured or '-'})"
        if f.note:
            text += f"; {f.note}"
        out(f"  {f.need:<{width}}  {MARK[f.status]:<9}  {text}")
