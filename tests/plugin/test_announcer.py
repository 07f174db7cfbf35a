"""The terminal hears of an outage once, however many processes of the run meet it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aperture_verify.client.rideout import OutageRecord
from aperture_verify.plugin.announcer import OutageAnnouncer, OutageNotes

T0 = datetime(2026, 11, 29, 2, 14, 7, tzinfo=UTC)


def local(ts: datetime) -> str:
    return ts.astimezone().strftime("%H:%M:%S")


def test_two_workers_in_one_outage_make_one_line_when_it_begins_and_one_when_it_ends(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    announcer = OutageAnnouncer(tmp_path, lines.append)
    gw0, gw1 = OutageNotes(tmp_path), OutageNotes(tmp_path)
    now = datetime.now(UTC)
    first = OutageRecord(started_at=now, during="polling", budget=600.0)
    second = OutageRecord(started_at=now + timedelta(seconds=2), during="execute", budget=600.0)
    gw0(first)
    announcer.poll()
    gw1(second)
    announcer.poll()
    assert lines == [
        f"aperture: server unreachable since {local(now)}, retrying until "
        f"{local(now + timedelta(seconds=600))} (during polling)"
    ]
    first.ended_at = now + timedelta(seconds=15)
    gw0(first)
    announcer.poll()
    assert len(lines) == 1, "gw1 still has no contact: the outage goes on"
    second.ended_at = now + timedelta(seconds=16)
    gw1(second)
    announcer.poll()
    assert lines[1] == f"aperture: server reachable again at {local(second.ended_at)} " + (
        "(unreachable for 16s)"
    )
    assert announcer.announced == 1 and not announcer.in_outage
    assert list(tmp_path.joinpath("outages").iterdir()) == [], "ended notes are removed"


def test_an_outage_past_its_budget_is_said_to_be_given_up(tmp_path: Path) -> None:
    lines: list[str] = []
    announcer = OutageAnnouncer(tmp_path, lines.append)
    notes = OutageNotes(tmp_path)
    record = OutageRecord(started_at=datetime.now(UTC), during="polling", budget=600.0)
    notes(record)
    announcer.poll()
    assert announcer.in_outage
    record.budget = 0.0  # as it stands when its budget has run out
    record.started_at -= timedelta(seconds=1)
    notes(record)
    announcer.poll()
    assert lines[-1].startswith("aperture: server still unreachable after 0s (since ")
    assert lines[-1].endswith("): gave up waiting")
    assert not announcer.in_outage


def test_the_announcer_thread_reads_the_notes_by_itself(tmp_path: Path) -> None:
    lines: list[str] = []
    announcer = OutageAnnouncer(tmp_path, lines.append, interval=0.02)
    announcer.start()
    try:
        OutageNotes(tmp_path)(OutageRecord(started_at=T0, during="login", budget=1e9))
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not lines and datetime.now(UTC) < deadline:
            announcer.join(0.02)
    finally:
        announcer.stop()
    assert lines and lines[0].startswith(f"aperture: server unreachable since {local(T0)}")
