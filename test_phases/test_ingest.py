"""Phase "ingest": its workflows, side by side (which ones: plans.toml, [phases.ingest])."""

from __future__ import annotations

import pytest

from aperture_verify import Verify, WorkflowSpec

pytestmark = pytest.mark.phase("ingest")


def test_workflow(workflow: WorkflowSpec, verify: Verify) -> None:
    verify(workflow)
