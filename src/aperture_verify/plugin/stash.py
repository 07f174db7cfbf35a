"""The plugin's ``config.stash`` / ``item.stash`` keys, in one place."""

from __future__ import annotations

import pytest

from aperture_verify.execution.results import WorkflowResult
from aperture_verify.plan.model import Plan
from aperture_verify.plugin.context import RunContext

PLAN_KEY = pytest.StashKey[Plan]()
CONTEXT_KEY = pytest.StashKey[RunContext]()
SESSION_KEY = pytest.StashKey[pytest.Session]()
RESULT_KEY = pytest.StashKey[WorkflowResult]()  # on a workflow test item
STAGE_KEY = pytest.StashKey[tuple[int, int]]()  # (phase index, stage) of an item
