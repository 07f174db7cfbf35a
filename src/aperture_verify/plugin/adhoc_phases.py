"""The phase module of an ad-hoc plan (``--run "W1; W2, W3"``), shipped with the plugin.

With ``--run`` pytest collects this module instead of the phases directory:
its one test is parametrized with every workflow of the ad-hoc plan, each
item in its workflow's phase, so no phase module has to be written.
"""

from __future__ import annotations

from pathlib import Path

from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plugin.fixtures import Verify

#: What pytest is given to collect for an ad-hoc plan.
MODULE_PATH = Path(__file__)


def test_workflow(workflow: WorkflowSpec, verify: Verify) -> None:
    verify(workflow)
