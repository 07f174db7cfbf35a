"""On the controller (or the only process): collect verdicts, set the exit status."""

from __future__ import annotations

from typing import Any

import pytest

from .context import RunContext
from .exitcodes import exit_status_for
from .results import FailureKind, Outcome, WorkflowResult


class RunRecorder:
    """Records each workflow's verdict in the ledger as its report arrives."""

    def __init__(self, config: pytest.Config, ctx: RunContext) -> None:
        self.config = config
        self.ctx = ctx

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "aperture", None)
        if data is not None:
            self.ctx.ledger.record(WorkflowResult.from_dict(data))
        elif str(report.when) == "???" and report.failed:  # an xdist worker died running it
            spec = self._spec_for(report.nodeid)
            if spec is not None:
                result = WorkflowResult(spec.label, spec.phase, outcome=Outcome.FAILED)
                result.failure_kind = FailureKind.CRASH
                result.message = str(report.longrepr)
                self.ctx.ledger.record(result)

    def _spec_for(self, nodeid: str) -> Any:
        for spec in self.ctx.plan.workflows:
            if nodeid.endswith(f"[{spec.label}]"):
                return spec
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        status = exit_status_for(int(exitstatus), self.ctx.ledger.results())
        if status != exitstatus:
            session.exitstatus = status

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from .summary import write_terminal_summary

        write_terminal_summary(terminalreporter, self.ctx)
