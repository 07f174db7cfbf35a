"""The history file's tables, and the migration of a file an older release wrote.

``SCHEMA_VERSION`` is kept in the file's ``schema_version`` table. Schema 2
added the server a run is kept under (``runs.server``, ``records.server_key``):
a schema-1 file is migrated when it is opened, in one write transaction, each
run's server derived from the URL it already stored (the only thing known of
it; an emulator run of schema 1 stored the emulator's loopback URL, so it stays
under that URL), and that URL cleared of any credential an imported file held.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aperture_verify.common.redaction import safe_url
from aperture_verify.history.records import HistoryError, server_key

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit_status INTEGER,
    verdict TEXT NOT NULL,
    server_url TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    server TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_plan ON runs (plan, started_at);
CREATE INDEX runs_by_plan_server ON runs (plan, server, started_at);
CREATE TABLE workflows (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    phase TEXT NOT NULL,
    outcome TEXT NOT NULL,
    job_id TEXT,
    state TEXT,
    duration REAL,
    rows TEXT NOT NULL,
    PRIMARY KEY (run, label)
) WITHOUT ROWID;
"""
# Schema 1 -> 2: the server a run is kept under, derived from the URL it stored.
_MIGRATE_1_TO_2 = """
ALTER TABLE runs ADD COLUMN server TEXT NOT NULL DEFAULT '';
UPDATE runs SET server = aperture_server_key(server_url),
    server_url = aperture_safe_url(server_url);
CREATE INDEX runs_by_plan_server ON runs (plan, server, started_at);
UPDATE schema_version SET version = 2;
"""
# ``workflows.rows``: the step row counts as a JSON array of [step, metric, value],
# in the job's order. One column rather than a row per count: a 200-workflow run
# is 200 inserts, not thousands, and the counts are only ever read per workflow.


def create_tables(conn: sqlite3.Connection) -> None:
    """The tables of an empty file, in the open write transaction."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))


def migrate(conn: sqlite3.Connection, version: int, path: Path) -> None:
    """Bring a file of schema *version* to ``SCHEMA_VERSION``, in the open transaction
    (a read one is turned into a write one: started again, holding the write lock)."""
    if version != 1:
        raise HistoryError(f"{path}: history schema {version} cannot be migrated")
    conn.execute("COMMIT")
    conn.execute("BEGIN IMMEDIATE")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    if row and row[0] == SCHEMA_VERSION:  # another process migrated it meanwhile
        return
    conn.create_function("aperture_server_key", 1, server_key, deterministic=True)
    conn.create_function("aperture_safe_url", 1, safe_url, deterministic=True)
    for statement in _MIGRATE_1_TO_2.split(";"):
        if statement.strip():
            conn.execute(statement)
