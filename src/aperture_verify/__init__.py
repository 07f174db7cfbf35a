"""Verification suite for Experian Aperture Data Studio workflows.

Runs Data Studio workflows in ordered phases through pytest and pytest-xdist,
and proves that each one could start, ended in the expected state, took a
plausible time and produced the expected step results.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aperture_verify.execution.results import WorkflowResult
    from aperture_verify.plan.model import WorkflowSpec
    from aperture_verify.plugin.fixtures import PhaseResults, Verify

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # The public names phase modules use, imported lazily so that importing the
    # package (e.g. the emulator alone) does not pull in pytest.
    if name in {"Verify", "PhaseResults"}:
        from aperture_verify.plugin import fixtures

        return getattr(fixtures, name)
    if name == "WorkflowSpec":
        from aperture_verify.plan.model import WorkflowSpec

        return WorkflowSpec
    if name == "WorkflowResult":
        from aperture_verify.execution.results import WorkflowResult

        return WorkflowResult
    raise AttributeError(name)


__all__ = ["PhaseResults", "Verify", "WorkflowResult", "WorkflowSpec", "__version__"]
