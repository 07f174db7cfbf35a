"""The run ledger: every workflow result of the run so far, shared between processes.

The controller (or the only process) records each result as its report
arrives and rewrites ``ledger.json`` in the run directory atomically. A worker
reads it when a test of a later phase starts: the scheduler dispatches phase
N+1 only after every report of phase N reached the controller, so the file a
worker reads is complete for the phases before its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aperture_verify.common.files import write_atomic
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult

LEDGER_FILE = "ledger.json"


class RunLedger:
    """Results by workflow label, in the order they were recorded."""

    def __init__(self, run_dir: Path, *, writer: bool) -> None:
        self.run_dir = run_dir
        self.writer = writer
        self._results: dict[str, WorkflowResult] = {}
        self._check_failures: dict[str, str] = {}  # failed phase check name -> its phase
        self._seen: tuple[int, int, int] | None = None

    @property
    def path(self) -> Path:
        return self.run_dir / LEDGER_FILE

    def record(self, result: WorkflowResult) -> None:
        self._results[result.label] = result
        if self.writer:
            self._write()

    def record_check_failure(self, phase: str, name: str) -> None:
        """A hand-written phase check failed: the phase failed, like a workflow would."""
        self._check_failures[name] = phase
        if self.writer:
            self._write()

    def _write(self) -> None:
        data: dict[str, Any] = {
            "results": [r.to_dict() for r in self._results.values()],
            "check_failures": self._check_failures,
        }
        write_atomic(self.path, json.dumps(data))

    def refresh(self) -> None:
        """Re-read the file when another process wrote it since the last read."""
        if self.writer:
            return
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return
        # Every write replaces the file (a new inode), so this changes on each write
        # even when two writes fall in the same coarse mtime tick.
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._seen:
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self._results = {d["label"]: WorkflowResult.from_dict(d) for d in data["results"]}
        self._check_failures = dict(data["check_failures"])
        self._seen = seen

    def get(self, label: str) -> WorkflowResult | None:
        self.refresh()
        return self._results.get(label)

    def results(self) -> list[WorkflowResult]:
        self.refresh()
        return list(self._results.values())

    def check_failures(self) -> dict[str, str]:
        """The failed hand-written phase checks: test name -> its phase."""
        self.refresh()
        return dict(self._check_failures)

    def first_failure(self, phases: set[str]) -> WorkflowResult | None:
        """The first failed workflow recorded in one of *phases*, if any."""
        for result in self.results():
            if result.phase in phases and result.outcome is Outcome.FAILED:
                return result
        return None

    def failure_reason(self, phases: set[str]) -> str | None:
        """Why a later phase must not run: the first failure in *phases*, if any."""
        failed = self.first_failure(phases)
        if failed is not None:
            # A login or readiness failure stops the run for every workflow alike:
            # the reason says so rather than naming the first workflow it hit.
            if failed.failure_kind is FailureKind.LOGIN:
                return "the login failed"
            if failed.failure_kind is FailureKind.READINESS:
                return f"the readiness check failed ({failed.label} is not ready)"
            kind = failed.failure_kind.label if failed.failure_kind else "failure"
            return f"{failed.label} (phase '{failed.phase}') failed ({kind})"
        for name, phase in self._check_failures.items():
            if phase in phases:
                return f"the phase check {name} (phase '{phase}') failed"
        return None
