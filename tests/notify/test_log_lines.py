"""The log's skip reasons after a stage failure that stops every workflow alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.plugin.rundir import RunLedger


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (FailureKind.LOGIN, "the login failed"),
        (FailureKind.READINESS, "the readiness check failed (Wörk 1 is not ready)"),
        (FailureKind.EXECUTION, "Wörk 1 (phase 'ingest') failed (execution failure)"),
    ],
)
def test_a_later_phase_is_skipped_for_the_stage_that_failed(
    tmp_path: Path, kind: FailureKind, reason: str
) -> None:
    ledger = RunLedger(tmp_path, writer=True)
    failed = WorkflowResult("Wörk 1", "ingest", outcome=Outcome.FAILED, failure_kind=kind)
    ledger.record(failed)
    ledger.record(WorkflowResult("W2", "ingest"))
    assert ledger.failure_reason({"ingest"}) == reason
    assert ledger.failure_reason({"other"}) is None
