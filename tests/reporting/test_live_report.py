"""The live report: expected end along the remaining phases, the page and results.json
while a run goes on, the throttled background writer, a run left "running"."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from aperture_verify.execution.results import CarriedOver, Outcome
from aperture_verify.execution.resume import PreviousRun
from aperture_verify.history.bands import Band, Usual
from aperture_verify.plan.model import Phase, Plan, ServerSettings, WorkflowSpec
from aperture_verify.reporting.live import LiveReport, expected_remaining, usual_durations
from report_support import T0, at, failed_w3, ran

# -- expected end ----------------------------------------------------------------------


def test_expected_end_follows_the_phases_and_the_slots() -> None:
    """Phase 1: A runs (6 s left), B is past its usual time (counts as ending now), C
    waits for the first free slot (B's) and takes 30 s; phase 2: D alone, 5 s."""
    seconds, unknown = expected_remaining(
        [["A", "B", "C"], ["D"]],
        running={"A": 4.0, "B": 25.0},
        done=set(),
        usual={"A": 10.0, "B": 20.0, "C": 30.0, "D": 5.0},
        slots=2,
    )
    assert (seconds, unknown) == (35.0, [])


def test_one_slot_runs_a_phase_one_after_the_other() -> None:
    seconds, _ = expected_remaining(
        [["A", "B", "C"]], running={"A": 4.0}, done=set(), usual={"A": 10, "B": 20, "C": 30},
        slots=1,
    )  # fmt: skip
    assert seconds == 56.0


def test_finished_phases_cost_nothing_and_unknown_workflows_are_named() -> None:
    seconds, unknown = expected_remaining(
        [["A"], ["B", "C"], ["D"]],
        running={"B": 1.5},
        done={"A"},
        usual={"A": 99.0, "B": 4.0, "D": 7.0},
        slots=4,
    )
    # phase 2: B has 2.5 s left, C (no history) counts 0 s; phase 3: 7 s
    assert (seconds, unknown) == (9.5, ["C"])


def test_usual_duration_prefers_the_band_median_over_the_trend() -> None:
    band = Band(median=12.0, low=8.0, high=16.0, runs=5)
    found = usual_durations({"A": Usual(band)}, {"A": [1.0, 2.0, 3.0], "B": [4.0, 6.0, 5.0]})
    assert found == {"A": 12.0, "B": 5.0}


# -- the page and the document ----------------------------------------------------------


def spec(label: str, phase: str, max_duration: float = 60.0) -> WorkflowSpec:
    return WorkflowSpec(label, phase, "Demo", max_duration=max_duration)


def plan() -> Plan:
    return Plan(
        name="nightly",
        phases=(
            Phase("load", (spec("W1", "load"),)),
            Phase("cleanse", (spec("W2", "cleanse", 30.0), spec("W3", "cleanse"))),
            Phase("publish", (spec("Wö 5", "publish"),)),
        ),
        on_failure="continue",
        max_parallel=4,
        server=ServerSettings(url="https://ads.example.com"),
        source=Path("plans.toml"),
    )


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


def live(tmp_path: Path, clock: Clock, **kw: object) -> LiveReport:
    p = plan()
    return LiveReport(
        p,
        p.workflows,
        tmp_path / "report.html",
        tmp_path / "results.json",
        server_url="https://ads.example.com/",
        run_id="run-1",
        slots=2,
        usual={"W1": 2.0, "W2": 40.0, "W3": 5.0, "Wö 5": 3.0},
        links={"W2": "history.html#w-W2"},
        started_at=T0,
        now=clock,
        **kw,  # type: ignore[arg-type]
    )


def test_mid_run_page_shows_running_and_pending_and_refreshes(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock, secrets=["pw-123456"])
    report.start(background=False)
    report.workflow_ended(ran("W1", "load", 0.0, 1.5))
    clock.t = at(2.0)
    report.workflow_started("W2")
    report.workflow_started("W3")
    clock.t = at(5.0)
    report.workflow_ended(failed_w3())  # W3 ran 2.0 -> 3.0 on the server
    clock.t = at(37.0)  # W2 has run 35 s: past its max_duration (30 s), under its usual 40 s
    report.write()

    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="3"/>' in page
    assert "IN PROGRESS</span> since 2026-01-05 02:00:00 UTC (37s)" in page
    assert "phase 2 of 3: <b>cleanse</b>" in page
    # W2: 5 s left of its usual 40 s, then Wö 5's 3 s: the end expected at +45 s
    assert "expected end 02:00:45 UTC (in 8s)" in page
    running = page[page.index('<table class="av running">') :]
    running = running[: running.index("</table>")]
    assert (
        '<tr data-label="W2"><td><a href="history.html#w-W2">W2</a></td><td>cleanse</td>'
        '<td class="num over">35s</td><td class="num">40s</td><td class="num over">30s</td></tr>'
    ) in running
    assert 'data-label="W3"' not in running
    assert '<tr data-phase="publish" data-state="pending">' in page
    assert '<tr data-phase="load" data-state="done">' in page
    assert '<tr data-label="Wö 5" data-state="pending">' in page
    assert "<b>W3</b> (cleanse): execution failure" in page
    assert 'class="bar bar-running" data-label="W2"' in page
    assert 'class="no-job pending"' in page

    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == "running" and doc["exit_status"] is None
    assert [w["label"] for w in doc["workflows"]] == ["W1", "W3"]
    assert doc["progress"] == {
        "updated_at": "2026-01-05T02:00:37.000Z",
        "phase": "cleanse",
        "running": [
            {
                "label": "W2",
                "phase": "cleanse",
                "started_at": "2026-01-05T02:00:02.000Z",
                "elapsed": 35.0,
                "usual": 40.0,
            }
        ],
        "pending": ["Wö 5"],
        "expected_end": "2026-01-05T02:00:45.000Z",
    }


def test_a_closed_report_says_it_did_not_finish_and_stops_refreshing(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock)
    report.start(background=False)
    report.workflow_started("W1")
    clock.t = at(3)
    report.close()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "http-equiv" not in page and "<script" not in page
    assert "DID NOT FINISH" in page
    assert json.loads((tmp_path / "results.json").read_text())["verdict"] == "unfinished"


def test_the_next_run_names_the_run_left_running(tmp_path: Path) -> None:
    clock = Clock()
    killed = live(tmp_path, clock)
    killed.start(background=False)  # and never closed: the process was killed
    report = live(tmp_path, clock)
    report.start(background=False)
    assert report.previous_unfinished == ("run-1", "2026-01-05T02:00:00.000Z")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="previous-unfinished"' in page and "run id run-1" in page


def test_secrets_never_reach_the_live_files(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock, secrets=["pw-123456"])
    w1 = ran("W1", "load", 0.0, 1.5, outcome=Outcome.FAILED, message="login pw-123456 refused")
    report.start(background=False)
    report.workflow_ended(w1)
    report.write()
    for name in ("report.html", "results.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "pw-123456" not in text and "login" in text


@pytest.mark.parametrize("events", [40])
def test_the_writer_coalesces_events_and_keeps_up(tmp_path: Path, events: int) -> None:
    """Many events in a burst cost a few writes, not one each; the last one is written."""
    p = plan()
    labels = [f"X{i}" for i in range(events)]
    many = Plan(
        "many", (Phase("load", tuple(spec(x, "load") for x in labels)),), "continue", 4,
        ServerSettings(url="https://ads.example.com"), Path("plans.toml"),
    )  # fmt: skip
    del p
    report = LiveReport(
        many, many.workflows, tmp_path / "report.html", tmp_path / "results.json",
        server_url="https://ads.example.com/", min_interval=0.3, heartbeat=60,
    )  # fmt: skip
    began = time.monotonic()
    report.start()
    try:
        for label in labels:
            report.workflow_started(label)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
            if len(doc["progress"]["running"]) == events:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the last events were never written")
        took = time.monotonic() - began
    finally:
        report.close()
    # the first page, then one write per 0.3 s at most while events kept coming, then close
    assert 2 <= report.writes - 1 <= 2 + took / 0.3
    assert report.writes < events


def test_without_any_history_no_end_is_expected(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock)
    report.usual = {}
    report.start(background=False)
    report.workflow_started("W1")
    report.write()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "no expected end yet (no history of these workflows)" in page
    assert "expected end 0" not in page
    assert json.loads((tmp_path / "results.json").read_text())["progress"]["expected_end"] is None


def test_resume_reads_the_results_json_of_a_run_left_running(tmp_path: Path) -> None:
    """A killed run's live results.json is a run --resume can take up: what it finished."""
    clock = Clock()
    report = live(tmp_path, clock)
    report.start(background=False)
    report.workflow_ended(ran("W1", "load", 0.0, 1.5))
    report.workflow_started("W2")
    report.write()
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    previous = PreviousRun.from_data(data, "results.json")
    assert previous.run_id == "run-1" and previous.verdict == "running"
    assert {label: r.outcome for label, r in previous.results.items()} == {"W1": Outcome.PASSED}


def test_carried_over_workflows_stay_off_the_live_timeline(tmp_path: Path) -> None:
    """Their jobs ran hours before, in another run: the axis would stretch back to them."""
    clock = Clock()
    report = live(tmp_path, clock)
    report.start(background=False)
    old = ran("W1", "load", -7200.0, -7100.0)
    old.carried_over_from = CarriedOver("run-0", at(-7300))
    report.workflow_ended(old)
    report.workflow_started("W2")
    clock.t = at(10)
    report.write()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-label="W1" data-state="passed"' in page  # in the table, passed
    assert 'class="bar bar-passed" data-label="W1"' not in page  # not on the timeline
    assert "0 = 02:00:00 UTC" in page  # the axis starts with this run's first job


def test_more_workers_bring_the_expected_end_closer(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock)  # 2 slots: W2 (40 s) and W3 (5 s) side by side
    report.start(background=False)
    report.workflow_ended(ran("W1", "load", 0.0, 1.5))
    report.set_slots(1)  # one worker: W2 then W3, then Wö 5 (3 s)
    report.write()
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["progress"]["expected_end"] == "2026-01-05T02:00:48.000Z"


def test_usual_durations_read_after_the_first_page_are_used(tmp_path: Path) -> None:
    clock = Clock()
    report = live(tmp_path, clock)
    report.usual = {}
    report.start(background=False)  # the history is still being read
    report.set_usual({"W1": 2.0})
    report.workflow_started("W1")
    report.write()
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["progress"]["running"][0]["usual"] == 2.0
    assert doc["progress"]["expected_end"] == "2026-01-05T02:00:02.000Z"
