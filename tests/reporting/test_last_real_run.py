"""--resume resumes the last real run: runs that executed nothing carry it along."""

from __future__ import annotations

import json
from pathlib import Path

from aperture_verify.reporting.results_json import last_real_run

REAL = {"version": 1, "run_id": "r1", "verdict": "failed"}


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_real_run_is_itself(tmp_path: Path) -> None:
    assert last_real_run(write(tmp_path / "results.json", REAL)) == REAL


def test_an_empty_run_or_a_usage_error_carries_the_real_run(tmp_path: Path) -> None:
    for verdict in ("empty", "error"):
        doc = {"version": 1, "run_id": "r2", "verdict": verdict, "previous_run": REAL}
        assert last_real_run(write(tmp_path / "results.json", doc)) == REAL


def test_nothing_to_carry(tmp_path: Path) -> None:
    assert last_real_run(tmp_path / "missing.json") is None
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2", encoding="utf-8")
    assert last_real_run(junk) is None
    empty_first = {"version": 1, "run_id": "r3", "verdict": "empty", "previous_run": None}
    assert last_real_run(write(tmp_path / "results.json", empty_first)) is None


def test_the_ending_runs_own_live_document_carries_the_real_run(tmp_path: Path) -> None:
    """The live report rewrote results.json during this run (r4); a run that ends having
    executed nothing hands on what its live document carried, not itself."""
    live = {"version": 1, "run_id": "r4", "verdict": "running", "previous_run": REAL}
    path = write(tmp_path / "results.json", live)
    assert last_real_run(path, this_run="r4") == REAL
    # a killed run's live document, read by a later run, is a real run of its own
    assert last_real_run(path, this_run="r5") == live
    assert last_real_run(path) == live
