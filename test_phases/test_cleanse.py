"""Phase "cleanse": its workflows, side by side (which ones: plans.toml, [phases.cleanse])."""

from __future__ import annotations

import pytest

from aperture_verify import PhaseResults, Verify, WorkflowSpec

pytestmark = pytest.mark.phase("cleanse")


def test_workflow(workflow: WorkflowSpec, verify: Verify) -> None:
    verify(workflow)


def test_validated_rows_were_exported(phase_results: PhaseResults) -> None:
    """A phase check: Workflow 3 exports every row it validated as passed."""
    (result,) = phase_results.require("Workflow 3")
    validate = next(s for s in result.steps if s.name == "Validate addresses")
    export = next(s for s in result.steps if s.name == "Export")
    assert export.rows_out == validate.passed_rows
