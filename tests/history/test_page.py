"""The history page: chart geometry with exact values, the page from a real store,
``aperture-history report``."""

from __future__ import annotations

import dataclasses
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aperture_verify.history.cli import main
from aperture_verify.history.page import (
    Limits,
    Point,
    RowLimits,
    chart,
    chart_anchor,
    chart_link,
    history_page,
)
from aperture_verify.history.records import RunRecord, WorkflowRecord
from aperture_verify.history.store import HistoryStore

NIGHTS = [10.0, 11.0, 10.0, 12.0, 10.0, 11.0, 30.0, 10.0]


def points(values: list[float], outcomes: dict[int, str] | None = None) -> list[Point]:
    outcomes = outcomes or {}
    return [
        Point(f"2026-01-{i + 1:02d}T02:00:00.000Z", outcomes.get(i, "passed"), v)
        for i, v in enumerate(values)
    ]


def test_a_night_outside_the_band_before_it_is_marked_warned() -> None:
    c = chart(points(NIGHTS), high=60.0, warn_high=20.0)
    assert [m["class"] for m in c["marks"]] == ["passed"] * 6 + ["warned", "passed"]
    # the band is known from the 6th night on (5 passing nights before it): x of nights 6..8
    (area,) = c["areas"]
    assert area.split()[0] == "464.6,105.7"  # night 6: median 10, band 7.5..12.5 (floor 25 %)
    assert [p.split(",")[0] for p in area.split()[:3]] == ["464.6", "546.3", "628.0"]
    # the scale runs to 1.1 x the max_duration line (60 s): it is drawn at y 20.7
    assert [(x["name"], x["y"], x["drawn"]) for x in c["lines"]] == [
        ("max", 20.7, True),
        ("warn max", 92.2, True),
    ]
    assert (c["warned"], c["failed"]) == (1, 0)


def test_a_failed_night_is_marked_and_left_out_of_the_band() -> None:
    values = [10.0, 10.0, 10.0, 10.0, 90.0, 10.0, 10.0]
    c = chart(points(values, {4: "failed"}), high=1800.0)
    assert [m["class"] for m in c["marks"]][4:] == ["failed", "passed", "passed"]
    # night 6 is judged against 4 passing nights: too few (min_runs 5), no band yet;
    # night 7 against 5: 10 s ± 2.5 s
    (area,) = c["areas"]
    assert len(area.split()) == 4  # a short bar around one night
    # a limit far above every value would flatten them: named, not drawn
    assert c["lines"] == [
        {"kind": "limit", "name": "max", "value": 1800.0, "drawn": False, "y": None,
         "text": "max 30m00s"}
    ]  # fmt: skip


def test_warn_limits_mark_a_night_without_a_band() -> None:
    c = chart(points([5.0, 9.0]), warn_high=8.0, anomaly=False)
    assert [m["class"] for m in c["marks"]] == ["passed", "warned"]
    assert c["areas"] == []


def test_anchors_are_stable_ids_even_for_labels_beyond_ascii() -> None:
    assert chart_anchor("Müller ✓ <1>") == chart_anchor("Müller ✓ <1>")
    assert re.fullmatch(r"w-M-ller-1-[0-9a-f]{8}", chart_anchor("Müller ✓ <1>"))
    assert chart_anchor("a b") != chart_anchor("a-b")
    assert chart_link("a b").startswith("history.html#w-a-b-")


def record(n: int, duration: float, rows: int, outcome: str = "passed") -> RunRecord:
    return RunRecord(
        run_id=f"run-{n}",
        plan="nightly",
        started_at=f"2026-11-{n + 1:02d}T04:00:00.000Z",
        finished_at=f"2026-11-{n + 1:02d}T04:10:00.000Z",
        exit_status=0 if outcome == "passed" else 12,
        verdict=outcome,
        server_url="https://ads.example.com/",
        workflows=(
            WorkflowRecord("Müller ✓", "load", outcome, f"j{n}", "COMPLETED", duration,
                           (("Export", "rowsOut", rows),)),
            WorkflowRecord("W2", "load", "passed", f"k{n}", "COMPLETED", 4.0, ()),
        ),
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    with HistoryStore.open(path) as s:
        for n, (d, rows) in enumerate([(10, 100), (11, 101), (10, 99), (12, 100), (10, 100)]):
            s.record(record(n, d, rows))
        s.record(record(5, 31, 100))  # a slow night: warned
        s.record(record(6, 10, 100, outcome="failed"))
    return path


def test_page_has_a_strip_and_a_chart_per_workflow(store: Path) -> None:
    limits = {"Müller ✓": Limits(max_duration=40.0, rows={("Export", "rowsOut"): RowLimits(min=1)})}
    with HistoryStore.open(store, create=False) as s:
        page = history_page(s, ["nightly"], limits=limits)
    assert re.findall(r'data-verdict="(\w+)"', page) == ["passed"] * 6 + ["failed"]
    charts = re.findall(r'<div class="chart" id="([^"]+)" data-label="([^"]+)">', page)
    assert charts == [(chart_anchor("Müller ✓"), "Müller ✓"), (chart_anchor("W2"), "W2")]
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 3  # Müller's duration and its rowsOut (it has a limit), W2's duration
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert 'data-warned="1" data-failed="1"' in svgs[0]
    assert 'class="limit-line"' in svgs[0] and "max 40s" in svgs[0]
    assert 'step "Export" rowsOut' in html.unescape(page)
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing to fetch


def test_the_command_writes_the_page_and_names_an_unknown_plan(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "h.html"
    out.parent.mkdir()
    assert main(["--history", str(store), "report", "--last", "3", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert len(re.findall(r'data-verdict="\w+"', page)) == 3
    assert "The plan's limits are not drawn" in page
    assert main(["--history", str(store), "report", "--plan", "nope", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"aperture-history: error: {store}: no runs of plan 'nope'; known: nightly"]


def test_runs_on_two_servers_are_charted_apart(tmp_path: Path) -> None:
    """Bands come from one server's runs: the page has a section per plan and server,
    and a run's own page only its server's."""
    path = tmp_path / "h.sqlite"
    with HistoryStore.open(path) as s:
        for n in range(3):
            s.record(record(n, 10.0, 100))
            other = record(n + 10, 50.0, 100)
            s.record(dataclasses.replace(other, server_url="https://other.example.com/"))
        both = history_page(s, ["nightly"])
        mine = history_page(s, ["nightly"], server="https://ads.example.com")
    sections = re.findall(r'<section class="plan" data-plan="nightly" data-server="([^"]*)">', both)
    assert sections == ["https://ads.example.com", "https://other.example.com"]
    ids = re.findall(r'<div class="chart" id="([^"]+)"', both)
    assert len(ids) == 4 and len(set(ids)) == 4  # Müller and W2 twice, each id once
    assert re.findall(r'data-server="([^"]*)"', mine) == ["https://ads.example.com"]
    assert len(re.findall(r'class="night night-passed"', mine)) == 3
