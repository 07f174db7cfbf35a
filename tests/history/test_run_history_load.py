"""The controller's reading of the history before a run: passing runs make the bands.

A failed night's duration (a workflow that died after a second, or one cancelled at
its deadline) says nothing of what the workflow usually takes: only passing runs
make a band, while the report's trend draws every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.history.records import RunRecord, WorkflowRecord
from aperture_verify.history.store import HistoryStore
from aperture_verify.plan import load_plan_text
from aperture_verify.plugin.past_runs import RunHistory

PLAN = """
[server]
url = "https://ads.example.com"
[plans.nightly]
phases = ["cleanse"]
[phases.cleanse]
workflows = ["Wörkflow 1", "Quiet"]
[workflows."Quiet"]
anomaly = false
"""

#: (outcome, duration) of Wörkflow 1, oldest first: the failed ones far off the usual
NIGHTS = [
    ("passed", 10.0), ("failed", 1.0), ("passed", 12.0), ("passed", 9.0),
    ("failed", 300.0), ("passed", 11.0), ("passed", 14.0), ("failed", 250.0),
    ("passed", 10.0), ("passed", 13.0),
]  # fmt: skip


def record(path: Path, nights: list[tuple[str, float]]) -> None:
    with HistoryStore.open(path) as store:
        for n, (outcome, duration) in enumerate(nights):
            rows = 5000 + 100 * n if outcome == "passed" else 7
            store.record(
                RunRecord(
                    run_id=f"run-{n}",
                    plan="nightly",
                    started_at=f"2026-11-{n + 1:02d}T04:00:00.000Z",
                    finished_at=None,
                    exit_status=0 if outcome == "passed" else 1,
                    verdict=outcome,
                    server_url="https://ads.example.com",
                    workflows=(
                        WorkflowRecord(
                            "Wörkflow 1", "cleanse", outcome, f"j{n}", None, duration,
                            (("Export", "rowsOut", rows),),
                        ),
                        WorkflowRecord("Quiet", "cleanse", "passed", f"q{n}", None, 2.0),
                    ),
                )
            )  # fmt: skip


def test_only_passing_runs_make_the_band_and_every_run_the_trend(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    record(path, NIGHTS)
    history = RunHistory(path, load_plan_text(PLAN))
    history.load()
    assert history.problem is None
    # passing: 10 12 9 11 14 10 13 -> median 11, MAD 1 x 1.4826, band 11 ± 5.9304
    found = history.usual["Wörkflow 1"]
    assert found.duration is not None
    assert found.duration.to_dict() == pytest.approx(
        {"median": 11.0, "low": 5.0696, "high": 16.9304, "runs": 7}
    )
    # rows of the passing nights only: 5000 + 100 n for n = 0 2 3 5 6 8 9 -> median 5500,
    # deviations 500 300 200 0 100 300 400 -> MAD 300 -> 4 x 300 x 1.4826 = 1779.12
    rows = found.row_band("Export", "rowsOut")
    assert rows is not None and (rows.median, rows.runs) == (5500.0, 7)
    assert rows.high == pytest.approx(5500 + 1779.12)
    assert history.trend["Wörkflow 1"] == [d for _, d in NIGHTS]
    assert "Quiet" not in history.usual  # anomaly = false: no band
    assert history.trend["Quiet"] == [2.0] * len(NIGHTS)


def test_the_window_and_min_runs_of_the_plan_are_used(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    record(path, NIGHTS)
    text = PLAN + '[workflows."Wörkflow 1"]\nanomaly_window = 3\nanomaly_min_runs = 3\n'
    history = RunHistory(path, load_plan_text(text))
    history.load()
    # the last 3 passing runs: 14 10 13 -> median 13; deviations 1 3 0 -> MAD 1 -> 5.9304
    found = history.usual["Wörkflow 1"].duration
    assert found is not None
    assert found.to_dict() == pytest.approx(
        {"median": 13.0, "low": 7.0696, "high": 18.9304, "runs": 3}
    )


def test_too_few_passing_runs_give_no_band(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    record(path, [("failed", 5.0)] * 6 + [("passed", 5.0)] * 4)
    history = RunHistory(path, load_plan_text(PLAN))
    history.load()
    assert "Wörkflow 1" not in history.usual  # 4 passing runs < 5
    assert len(history.trend["Wörkflow 1"]) == 10


def test_the_lookback_covers_three_windows_and_the_sparkline() -> None:
    plan = load_plan_text(PLAN)
    assert RunHistory(None, plan).lookback == 60  # 3 x the default window of 20
    small = load_plan_text(PLAN + '[workflows."Wörkflow 1"]\nanomaly_window = 5\n')
    assert RunHistory(None, small).lookback == 60  # Quiet keeps the default window
    both = load_plan_text(
        PLAN.replace("[workflows.", "[defaults]\nanomaly_window = 5\n[workflows.")
    )
    assert RunHistory(None, both).lookback == 20  # the sparkline's 20 runs


def test_a_missing_file_is_an_empty_history_and_a_bad_one_a_problem(tmp_path: Path) -> None:
    plan = load_plan_text(PLAN)
    missing = RunHistory(tmp_path / "none.sqlite", plan)
    missing.load()
    assert (missing.problem, missing.usual, missing.trend) == (None, {}, {})
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database, only text" * 100)
    broken = RunHistory(bad, plan)
    broken.load()
    assert broken.problem is not None and broken.problem.startswith("history not used: ")
    assert str(bad) in broken.problem
    assert broken.usual == {}
