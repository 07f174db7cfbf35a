"""The README's main job, end to end: the demo plan of this repository on the embedded emulator."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from aperture_verify.common.timestamps import parse_timestamp
from phase_project import HANG_GUARD

pytestmark = pytest.mark.slow  # the demo plan, run by pytest in a subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_plan_runs_in_order_and_leaves_its_reports(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APERTURE_")}
    proc = subprocess.run(
        # "--reports-dir=DIR", not "--reports-dir DIR": pytest picks its rootdir before it
        # knows plugin options, and would take a separate existing path for a test path
        [sys.executable, "-m", "pytest", "-n", "auto", f"--reports-dir={tmp_path}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "8 passed" in proc.stdout
    assert "created: 3/3 workers" in proc.stdout  # -n auto: the widest phase, not the CPUs
    for name in ("report.html", "junit.xml", "results.json"):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "results.json").read_text())
    by_phase: dict[str, list[tuple[datetime, datetime]]] = {}
    for w in data["workflows"]:
        assert w["outcome"] == "passed" and w["state"] == "COMPLETED"
        span = (parse_timestamp(w["submitted_at"]), parse_timestamp(w["finished_at"]))
        by_phase.setdefault(w["phase"], []).append(span)
    assert list(by_phase) == ["ingest", "cleanse", "enrich", "publish"]
    phases = list(by_phase.values())
    for earlier, later in itertools.pairwise(phases):
        assert max(end for _, end in earlier) <= min(start for start, _ in later)
