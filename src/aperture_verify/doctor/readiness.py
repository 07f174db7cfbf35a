"""Read-only checks: the credentials work, and every workflow of the plan can run as asked.

Nothing here executes a workflow: the credential check is a login (1.x) or a
list of workflows (2.x and later), and readiness reads that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aperture_verify.client.client import DataStudioClient
from aperture_verify.errors import AuthenticationError, ClientError
from aperture_verify.execution.runner import WorkflowFailed, WorkflowRunner
from aperture_verify.plan.model import Plan


@dataclass
class CheckResult:
    login_error: str | None = None
    ready: list[str] = field(default_factory=list)
    not_ready: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    refused: bool = False  # the credential itself was refused (not a route or a network problem)


def run_checks(client: DataStudioClient, plan: Plan) -> CheckResult:
    result = CheckResult()
    spaces = [w.space for w in plan.workflows] or [plan.server.space]
    try:
        client.check_credentials(spaces)
        catalog = client.list_workflows(spaces)
    except AuthenticationError as e:
        result.login_error, result.refused = str(e), True
        return result
    except ClientError as e:
        result.login_error = str(e)
        return result
    runner = WorkflowRunner(client, catalog=catalog)
    for spec in plan.workflows:
        try:
            runner.check_ready(spec)
        except WorkflowFailed as e:
            result.not_ready.append((spec.label, str(e)))
        else:
            result.ready.append(spec.label)
    return result
