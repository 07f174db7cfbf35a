"""Phase "enrich": its workflows, side by side (which ones: plans.toml, [phases.enrich])."""

from __future__ import annotations

import pytest

from aperture_verify import Verify, WorkflowSpec

pytestmark = pytest.mark.phase("enrich")


def test_workflow(workflow: WorkflowSpec, verify: Verify) -> None:
    verify(workflow)
