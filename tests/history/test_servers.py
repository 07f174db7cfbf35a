"""The history keyed by plan and server: bands, pruning, ``show --server``, a schema-1 file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from aperture_verify.history.cli import main
from aperture_verify.history.records import RunRecord, WorkflowRecord, run_from_results, server_key
from aperture_verify.history.store import SCHEMA_VERSION, HistoryStore

TEST, PROD = "https://test.example.com:7701", "https://prod.example.com:7701"


def run(n: int, server: str, duration: float, emulator: bool = False) -> RunRecord:
    return RunRecord(
        run_id=f"run-{n}",
        plan="nacht",
        started_at=f"2026-12-{1 + n:02d}T02:00:00.000Z",
        finished_at=None,
        exit_status=0,
        verdict="passed",
        server_url=server,
        workflows=(WorkflowRecord("Größe", "p", "passed", f"job-{n}", "COMPLETED", duration, ()),),
        emulator=emulator,
    )


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://ops:s3cret@Staging.Example.com:7701/", "https://staging.example.com:7701"),
        ("https://ads.example.com:443/api/?apikey=k&x=1#top", "https://ads.example.com/api"),
        ("http://ads.example.com:80", "http://ads.example.com"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("emulator", "emulator"),
        ("", ""),
    ],
)
def test_the_server_key_is_the_url_without_credentials_query_or_default_port(
    url: str, key: str
) -> None:
    assert server_key(url) == key


def test_an_emulator_run_is_kept_under_emulator_whatever_its_port() -> None:
    doc = {
        "version": 1, "plan": {"name": "nacht"}, "started_at": "2026-12-01T02:00:00.000Z",
        "server": {"url": "http://127.0.0.1:40123", "emulator": True}, "workflows": [],
    }  # fmt: skip
    assert run_from_results(doc).server == "emulator"
    doc["server"] = {"url": "https://u:pw@prod.example.com:7701/", "emulator": False}
    record = run_from_results(doc)
    assert record.server == PROD and record.server_url == "https://prod.example.com:7701/"


def test_bands_trends_and_pruning_are_per_server(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        for n in range(6):  # the two servers take turns; production is ten times slower
            store.record(run(n, TEST if n % 2 == 0 else PROD, 3.0 + n if n % 2 == 0 else 30.0 + n))
        assert store.servers("nacht") == [PROD, TEST]
        on_test = store.workflow_history("nacht", 50, TEST)["Größe"]
        assert on_test.passing_durations == [3.0, 5.0, 7.0]
        on_prod = store.workflow_history("nacht", 2, PROD)["Größe"]
        assert on_prod.passing_durations == [33.0, 35.0], "the last 2 runs of that server"
        mixed = store.workflow_history("nacht", 50)["Größe"]
        assert len(mixed.passing_durations) == 6
        assert [r.duration for r in store.workflow_runs("nacht", "Größe", 10, PROD)] == [
            31.0, 33.0, 35.0
        ]  # fmt: skip
        # keep 2 per plan and server: one run of each server goes, not two of one
        assert store.prune(2) == 2
        assert [r.run_id for r in store.runs("nacht", 10, TEST)] == ["run-2", "run-4"]
        assert [r.run_id for r in store.runs("nacht", 10, PROD)] == ["run-3", "run-5"]
        # recording prunes the run's own plan and server only
        store.record(run(6, TEST, 9.0), keep=1)
        assert [r.run_id for r in store.runs("nacht", 10, TEST)] == ["run-6"]
        assert len(store.runs("nacht", 10, PROD)) == 2


SCHEMA_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, plan TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT, exit_status INTEGER, verdict TEXT NOT NULL,
    server_url TEXT NOT NULL, recorded_at TEXT NOT NULL
);
CREATE INDEX runs_by_plan ON runs (plan, started_at);
CREATE TABLE workflows (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, label TEXT NOT NULL,
    phase TEXT NOT NULL, outcome TEXT NOT NULL, job_id TEXT, state TEXT, duration REAL,
    rows TEXT NOT NULL, PRIMARY KEY (run, label)
) WITHOUT ROWID;
INSERT INTO schema_version VALUES (1);
"""


def schema_1_file(path: Path) -> None:
    """A history as release 1 of the schema wrote it: no server key."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    urls = ["https://ops:pw@prod.example.com:7701/", TEST, "", "https://PROD.example.com:7701"]
    for n, url in enumerate(urls):
        conn.execute(
            "INSERT INTO runs VALUES (?, ?, 'nacht', ?, NULL, 0, 'passed', ?, 'x')",
            (n + 1, f"old-{n}", f"2026-11-0{n + 1}T02:00:00.000Z", url),
        )
        conn.execute(
            "INSERT INTO workflows VALUES (?, 'Größe', 'p', 'passed', NULL, 'COMPLETED', ?, '[]')",
            (n + 1, 10.0 + n),
        )
    conn.commit()
    conn.close()


def test_a_schema_1_file_is_migrated_with_the_server_of_each_stored_url(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    schema_1_file(path)
    with HistoryStore.open(path, create=False) as store:
        assert store.servers() == ["", PROD, TEST]
        assert [r.run_id for r in store.runs("nacht", 10, PROD)] == ["old-0", "old-3"]
        assert store.workflow_history("nacht", 10, PROD)["Größe"].passing_durations == [
            10.0, 13.0
        ]  # fmt: skip
        store.record(run(9, PROD, 14.0))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    urls = [r[0] for r in conn.execute("SELECT server_url FROM runs ORDER BY id")]
    assert urls[0] == "https://prod.example.com:7701/", "the credential an import kept is gone"
    assert all("pw" not in u for u in urls)
    with HistoryStore.open(path, create=False) as again:  # opened again: nothing to do
        assert len(again.runs("nacht", 10, PROD)) == 3


def test_show_filters_by_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "h.sqlite"
    files = []
    for n, url in enumerate([TEST, "https://u:pw@prod.example.com:7701/", TEST]):
        doc = {
            "version": 1, "run_id": f"r{n}", "plan": {"name": "nacht"},
            "server": {"url": url, "emulator": False}, "verdict": "passed", "exit_status": 0,
            "started_at": f"2026-12-0{n + 1}T02:00:00.000Z",
            "workflows": [{"label": "Größe", "phase": "p", "outcome": "passed",
                           "duration": 2.0 + n, "state": "COMPLETED"}],
        }  # fmt: skip
        files.append(tmp_path / f"r{n}.json")
        files[-1].write_text(json.dumps(doc), encoding="utf-8")
    assert main(["--history", str(store), "import", *map(str, files)]) == 0
    capsys.readouterr()

    assert (
        main(["--history", str(store), "show", "--server", "https://Prod.example.com:7701/"]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        "started                   plan              verdict      exit   passed  run id  server",
        f"2026-12-02T02:00:00.000Z  nacht             passed          0      1/1  r1      {PROD}",
    ]
    assert main(["--history", str(store), "show", "--workflow", "Größe", "--server", TEST]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Größe in plan nacht on {TEST}:",
        "started                   outcome      state        duration  rows",
        "2026-12-01T02:00:00.000Z  passed       COMPLETED        2.0s  -",
        "2026-12-03T02:00:00.000Z  passed       COMPLETED        4.0s  -",
    ]
    assert main(["--history", str(store), "show", "--server", "https://staging.example.com"]) == 1
    assert capsys.readouterr().err == (
        f"aperture-history: error: {store}: no runs on server 'https://staging.example.com'; "
        f"known: '{PROD}', '{TEST}'\n"
    )
