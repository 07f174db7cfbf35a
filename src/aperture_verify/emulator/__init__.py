"""A local stand-in for an Aperture Data Studio server, speaking its REST API.

Used as the embedded server for the demo, as the backbone of the project's
tests, and standalone (``python -m aperture_verify.emulator``)::

    scenario = load_scenario(Path("demo/workflows.toml"))
    with Emulator(scenario, api_keys=("k1",)) as emu:
        requests.get(emu.url_for("/api/v1/workflows"),
                     headers={"Authorization": "default k1"})
"""

from __future__ import annotations

from aperture_verify.emulator.emulator import Emulator
from aperture_verify.emulator.faults import Fault
from aperture_verify.emulator.outage_windows import Outage
from aperture_verify.emulator.scenario import (
    Scenario,
    StepScript,
    WorkflowScript,
    load_scenario,
    parse_scenario,
)
from aperture_verify.emulator.state import JobRecord
from aperture_verify.emulator.wire import RecordedRequest

__all__ = [
    "Emulator",
    "Fault",
    "JobRecord",
    "Outage",
    "RecordedRequest",
    "Scenario",
    "StepScript",
    "WorkflowScript",
    "load_scenario",
    "parse_scenario",
]
