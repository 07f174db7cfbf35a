"""A worker imports only what workers use: every xdist worker pays for each import.

The worker's modules are imported in a fresh interpreter, as a worker would
(the entry point, the worker, its fixtures, the ad-hoc phase module), and the
package's modules that only the controller needs must not be among them.
"""

from __future__ import annotations

import json
import subprocess
import sys

WORKER_MODULES = (
    "aperture_verify.plugin.plugin",
    "aperture_verify.plugin.worker",
    "aperture_verify.plugin.fixtures",
    "aperture_verify.plugin.adhoc_phases",
)
#: The controller's alone: reports, the history's store, the emulator, the doctor.
CONTROLLER_ONLY = (
    "aperture_verify.reporting",
    "aperture_verify.emulator",
    "aperture_verify.doctor",
    "aperture_verify.history.store",
    "aperture_verify.history.records",
    "aperture_verify.history.sparkline",
    "aperture_verify.plugin.controller",
    "aperture_verify.plugin.reports",
    "aperture_verify.plugin.past_runs",
    "aperture_verify.plugin.announcer",
    "aperture_verify.plugin.dryrun",
    "aperture_verify.plugin.usage",
    "aperture_verify.plugin.before_run",
    "aperture_verify.plugin.phasemodules",
    "aperture_verify.plan.fingerprint",
    "aperture_verify.execution.resume",
    "sqlite3",
)


def imported_by_a_worker() -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(WORKER_MODULES)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout))


def test_a_worker_imports_nothing_only_the_controller_needs() -> None:
    loaded = imported_by_a_worker()
    wrong = sorted(
        m for m in loaded if any(m == c or m.startswith(c + ".") for c in CONTROLLER_ONLY)
    )
    assert not wrong, f"a worker imports the controller's modules: {wrong}"
    assert "aperture_verify.plugin.worker" in loaded, "the check saw the worker's imports"
