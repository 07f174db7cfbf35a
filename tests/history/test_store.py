"""The history store: one transaction per run, retention, concurrent writers, bad files."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from aperture_verify.history.records import (
    HistoryError,
    RunRecord,
    WorkflowRecord,
    run_from_results,
)
from aperture_verify.history.store import SCHEMA_VERSION, HistoryStore


def make_run(n: int, plan: str = "nightly", workflows: int = 3, duration: float = 3.0) -> RunRecord:
    return RunRecord(
        run_id=f"{plan}-{n:05d}",
        plan=plan,
        started_at=f"2026-11-{1 + n // 1000:02d}T04:{(n // 60) % 60:02d}:{n % 60:02d}.000Z",
        finished_at=None,
        exit_status=0,
        verdict="passed",
        server_url="https://ads.example.com",
        workflows=tuple(
            WorkflowRecord(
                f"Wörkflow {i}",
                "cleanse",
                "passed",
                f"job-{n}-{i}",
                "COMPLETED",
                duration + i,
                (("Export", "rowsOut", 1000 * (i + 1)),),
            )
            for i in range(workflows)
        ),
    )


def test_record_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "history.sqlite"
    with HistoryStore.open(path) as store:
        assert store.record(make_run(1))
        assert not store.record(make_run(1))  # same run id: skipped
        store.record(make_run(2, duration=4.0))
        runs = store.runs("nightly")
        assert [r.run_id for r in runs] == ["nightly-00001", "nightly-00002"]
        assert runs[0].workflows == 3 and runs[0].passed == 3
        hist = store.workflow_history("nightly", 50)
        assert hist["Wörkflow 1"].passing_durations == [4.0, 5.0]
        assert hist["Wörkflow 2"].rows[("Export", "rowsOut")] == [3000.0, 3000.0]
        one = store.workflow_runs("nightly", "Wörkflow 0", 10)
        assert [r.duration for r in one] == [3.0, 4.0]
        assert one[0].rows == [("Export", "rowsOut", 1000)]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_retention_keeps_the_last_runs_of_each_plan(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        for n in range(12):
            store.record(make_run(n), keep=5)
            store.record(make_run(n, plan="smoke"), keep=100)
        assert [r.run_id for r in store.runs("nightly", 100)] == [
            f"nightly-{n:05d}" for n in range(7, 12)
        ]
        assert len(store.runs("smoke", 100)) == 12
        assert store.prune(3) == 2 + 9
        assert len(store.runs(None, 100)) == 6
        # their workflows and rows went with them
        assert len(store.workflow_history("nightly", 100)["Wörkflow 0"].runs) == 3


def test_a_failed_workflow_does_not_count_towards_its_band(tmp_path: Path) -> None:
    run = make_run(1)
    failed = RunRecord(
        **{**run.__dict__, "run_id": "x", "workflows": (
            WorkflowRecord("Wörkflow 0", "cleanse", "failed", None, "FAILED", 99.0,
                           (("Export", "rowsOut", 1),)),
        )},
    )  # fmt: skip
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        store.record(run)
        store.record(failed)
        hist = store.workflow_history("nightly", 10)["Wörkflow 0"]
    assert hist.passing_durations == [3.0]
    assert hist.rows[("Export", "rowsOut")] == [1000.0]
    assert [o for _, o, _ in hist.runs] == ["passed", "failed"]


def _writer(path: str, first: int, count: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    with HistoryStore.open(Path(path)) as store:
        for n in range(first, first + count):
            store.record(make_run(n, workflows=20), keep=1000)


def test_two_processes_writing_one_store_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(path), i * 100, 40, barrier)) for i in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with HistoryStore.open(path) as store:
        assert store.integrity() == "ok"
        assert len(store.runs("nightly", 1000)) == 80
        assert len(store.workflow_history("nightly", 1000)["Wörkflow 19"].runs) == 80


def test_a_corrupt_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(HistoryError) as e:
        HistoryStore.open(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    assert "move it away or delete it" in str(e.value)


def test_another_sqlite_file_is_refused_not_altered(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE precious (x)")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="not an aperture-verify history"):
        HistoryStore.open(path)
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("precious",)]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore.open(path) as store:
        store.record(make_run(1))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="newer aperture-verify"):
        HistoryStore.open(path)


def test_a_store_locked_for_ever_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    try:
        with (
            pytest.raises(HistoryError, match="locked"),
            HistoryStore.open(path, busy_timeout=0.5) as store,
        ):
            store.record(make_run(1))
    finally:
        waited = time.monotonic() - started
        holder.execute("ROLLBACK")
        holder.close()
    # it waited for the lock as long as asked, and not the default of 10 s (a loaded
    # machine may add a second or two, never eight)
    assert 0.45 <= waited < 3.0, waited


def test_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot be used"):
        HistoryStore.open(blocker / "h.sqlite")


def test_records_from_results_json() -> None:
    doc = {
        "version": 1,
        "plan": {"name": "nightly"},
        "server": {"url": "https://ads.example.com"},
        "started_at": "2026-11-28T04:12:01.123Z",
        "finished_at": "2026-11-28T04:12:12.929Z",
        "exit_status": 0,
        "verdict": "passed",
        "workflows": [
            {"label": "W1", "phase": "p", "outcome": "passed", "duration": 2.5,
             "steps": [{"name": "S", "rowsOut": 7, "rowsIn": None, "failedRows": True}]},
        ],
    }  # fmt: skip
    run = run_from_results(doc)
    assert run.plan == "nightly" and run.exit_status == 0
    assert run.workflows[0].rows == (("S", "rowsOut", 7),)
    assert run.run_id == run_from_results(dict(doc)).run_id  # derived, stable
    assert run_from_results({**doc, "run_id": "abc"}).run_id == "abc"
    for bad, problem in (
        ([], "not a JSON object"),
        ({**doc, "version": 2}, "unsupported version 2"),
        ({**doc, "plan": {}}, "plan.name"),
        ({**doc, "workflows": [{}]}, r"workflows\[0\]"),
    ):
        with pytest.raises(HistoryError, match=problem):
            run_from_results(bad, "a.json")
