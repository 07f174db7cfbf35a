"""The run's exit status: pytest's own, or one that says which kind of failure happened.

A scheduler script can react to these without parsing output:

====  =====================================================================
0     every workflow passed (pytest)
1     a hand-written phase check failed, nothing else (pytest)
2     interrupted: Ctrl-C, SIGTERM, ``-x`` (pytest)
3     internal error (pytest)
4     usage error: a bad ``plans.toml``, option or environment variable (pytest)
5     no tests collected (pytest)
10    login failure: the credentials were refused or the server could not be reached
11    readiness failure: a workflow does not exist or cannot be executed as asked
12    execution failure: a workflow ran and failed, timed out, or broke its expectations
13    a worker process crashed while running a workflow
14    server unreachable: the server could not be reached for longer than the outage budget
      while a workflow was being started or watched (its job may still be running)
15    already running: another run of the same plan against the same server holds the
      run lock (execution/runlock.py); nothing was sent, no report was written
====  =====================================================================

When several kinds happen in one run the lowest status wins (10 before 11
before 12 before 13 before 14): the earliest stage, the one to fix first; a
server outage is no fault of the workflows, so it comes last. Status 15 is never
mixed with the others: a refused run ran nothing.

Task Scheduler shows these as "Last Run Result" in hexadecimal (0x0, 0x1, 0x2,
0x4, 0xA ... 0xF); docs/scheduling.md has the table.
"""

from __future__ import annotations

from collections.abc import Iterable

from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult

EXIT_LOGIN_FAILURE = 10
EXIT_READINESS_FAILURE = 11
EXIT_EXECUTION_FAILURE = 12
EXIT_WORKER_CRASH = 13
EXIT_SERVER_UNREACHABLE = 14
EXIT_ALREADY_RUNNING = 15

_BY_KIND = {
    FailureKind.LOGIN: EXIT_LOGIN_FAILURE,
    FailureKind.READINESS: EXIT_READINESS_FAILURE,
    FailureKind.EXECUTION: EXIT_EXECUTION_FAILURE,
    FailureKind.CRASH: EXIT_WORKER_CRASH,
    FailureKind.UNREACHABLE: EXIT_SERVER_UNREACHABLE,
}


def exit_status_for(pytest_status: int, results: Iterable[WorkflowResult]) -> int:
    """Refine pytest's "tests failed" (1) into the kind of the first-stage failure."""
    if pytest_status != 1:
        return pytest_status
    codes = [
        _BY_KIND[r.failure_kind]
        for r in results
        if r.outcome is Outcome.FAILED and r.failure_kind is not None
    ]
    return min(codes) if codes else pytest_status


_PYTEST_KINDS = {
    0: "passed",
    1: "a phase check failed",
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
}


def describe_exit_status(status: int) -> str:
    """What *status* means, in the words of the table above: ``execution failure``."""
    if status in _PYTEST_KINDS:
        return _PYTEST_KINDS[status]
    for kind, code in _BY_KIND.items():
        if code == status:
            return kind.label
    return f"exit status {status}"
