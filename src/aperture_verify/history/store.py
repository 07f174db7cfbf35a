"""The history store: one SQLite file (stdlib ``sqlite3``) of past runs.

Written only by the controller, at the end of a run, in one transaction.
Several runs may share one file (two CI jobs on one agent): the file is in
WAL mode and every connection waits (busy timeout) rather than fail when
another holds the write lock. A ``schema_version`` table lets later releases
migrate; a file written by a newer release is refused, never altered. Every
problem is a one-line :class:`HistoryError` naming the file.

Runs are kept by plan and server (``records.server_key``): bands, trends and
pruning read the runs of one plan on one server. Schema 1 had no server key;
opening such a file migrates it in one transaction (schema 2): each run's key
is derived from the URL it already stored, and that URL loses any credential
an imported file held.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aperture_verify.common.redaction import safe_url
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.history import schema
from aperture_verify.history.records import HistoryError, RunRecord
from aperture_verify.history.schema import create_tables, migrate

SCHEMA_VERSION = schema.SCHEMA_VERSION  # the schema this release writes

DEFAULT_KEEP = 200
BUSY_TIMEOUT = 10.0  # seconds another run may hold the write lock


@dataclass(frozen=True)
class RunRow:
    """One stored run, as ``aperture-history show`` lists it."""

    run_id: str
    plan: str
    started_at: str
    finished_at: str | None
    exit_status: int | None
    verdict: str
    server_url: str
    workflows: int
    passed: int
    server: str = ""


@dataclass(frozen=True)
class WorkflowRun:
    """One workflow in one stored run."""

    started_at: str
    outcome: str
    state: str | None
    duration: float | None
    job_id: str | None
    rows: list[tuple[str, str, int]]
    server: str = ""


@dataclass
class WorkflowHistory:
    """One workflow's past runs of a plan, oldest first."""

    label: str
    #: (run started_at, outcome, duration) of every run that has the workflow
    runs: list[tuple[str, str, float | None]] = field(default_factory=list)
    #: (step, metric) -> values of the passing runs
    rows: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    @property
    def passing_durations(self) -> list[float]:
        return [d for _, outcome, d in self.runs if outcome == "passed" and d is not None]


class HistoryStore:
    """An open history file; use :meth:`open` and close it (or use ``with``)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, busy_timeout: float = BUSY_TIMEOUT
    ) -> HistoryStore:
        """Open (and with *create*, create) the store at *path*."""
        path = Path(path)
        if not create and not path.is_file():
            raise HistoryError(f"{path}: no history file there; check --history, or record a run")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise _error(path, e) from e
        store = cls(path, conn)
        # While another process turns a new file to WAL, SQLite may answer "locked"
        # without waiting (no busy handler there): try again until the busy timeout.
        deadline = time.monotonic() + busy_timeout
        try:
            while True:
                try:
                    with store._guard():
                        store._prepare(busy_timeout, create)
                    return store
                except HistoryError as e:
                    busy = isinstance(e.__cause__, sqlite3.OperationalError) and (
                        "locked" in str(e.__cause__) or "busy" in str(e.__cause__)
                    )
                    if not busy or time.monotonic() >= deadline:
                        raise
                time.sleep(0.02)
        except BaseException:
            conn.close()
            raise

    def _prepare(self, busy_timeout: float, create: bool) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(
                f"{self.path}: cannot use write-ahead logging (journal mode {mode}); "
                "put the history on a local disk"
            )
        conn.execute("PRAGMA synchronous = NORMAL")
        self._check_schema(create)

    def _check_schema(self, create: bool) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE" if create else "BEGIN")
        try:
            has = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if has is None:
                other = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if other:
                    raise HistoryError(
                        f"{self.path}: is an SQLite file but not an aperture-verify history; "
                        "point --history at another file"
                    )
                if not create:
                    raise HistoryError(f"{self.path}: the history is empty")
                create_tables(conn)
            else:
                row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
                version = row[0] if row else None
                if not isinstance(version, int):
                    raise HistoryError(f"{self.path}: its schema_version table is empty")
                if version > SCHEMA_VERSION:
                    raise HistoryError(
                        f"{self.path}: written by a newer aperture-verify (history schema "
                        f"{version}, this release knows {SCHEMA_VERSION}); upgrade, or point "
                        "--history at another file"
                    )
                if version < SCHEMA_VERSION:
                    migrate(conn, version, self.path)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise _error(self.path, e) from e

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that a busy store waits, not fails."""
        with self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    # -- writing -----------------------------------------------------------------

    def record(self, run: RunRecord, keep: int = DEFAULT_KEEP) -> bool:
        """Store *run* and drop its plan's runs beyond the last *keep*, in one transaction.

        Returns False (and changes nothing) when the run id is already stored.
        """
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone():
                return False
            cur = conn.execute(
                "INSERT INTO runs (run_id, plan, started_at, finished_at, exit_status, verdict,"
                " server_url, recorded_at, server) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id, run.plan, run.started_at, run.finished_at, run.exit_status,
                    run.verdict, safe_url(run.server_url), _now(), run.server,
                ),
            )  # fmt: skip
            rid = cur.lastrowid
            conn.executemany(
                "INSERT OR REPLACE INTO workflows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        rid, w.label, w.phase, w.outcome, w.job_id, w.state, w.duration,
                        json.dumps(w.rows, ensure_ascii=False, separators=(",", ":")),
                    )
                    for w in run.workflows
                ],
            )  # fmt: skip
            self._prune(conn, keep, run.plan, run.server)
        return True

    def prune(self, keep: int, plan: str | None = None) -> int:
        """Keep the last *keep* runs of *plan* (every plan when ``None``) on each server;
        the number removed."""
        with self._write() as conn:
            return self._prune(conn, keep, plan)

    @staticmethod
    def _prune(
        conn: sqlite3.Connection, keep: int, plan: str | None, server: str | None = None
    ) -> int:
        if plan is not None and server is not None:
            groups = [(plan, server)]
        else:
            where, args = ("WHERE plan = ?", [plan]) if plan is not None else ("", [])
            groups = conn.execute(
                f"SELECT DISTINCT plan, server FROM runs {where}", args
            ).fetchall()
        removed = 0
        for name, host in groups:
            # The newest run past the ones kept, found by walking the index: nothing to do
            # (the usual case) costs *keep* index steps, not a scan of the plan's runs.
            first_gone = conn.execute(
                "SELECT started_at, id FROM runs WHERE plan = ? AND server = ?"
                " ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?",
                (name, host, max(0, keep)),
            ).fetchone()
            if first_gone is None:
                continue
            cur = conn.execute(
                "DELETE FROM runs WHERE plan = ? AND server = ? AND (started_at, id) <= (?, ?)",
                (name, host, *first_gone),
            )
            removed += cur.rowcount
        return removed

    # -- reading -----------------------------------------------------------------

    def runs(
        self, plan: str | None = None, last: int = 20, server: str | None = None
    ) -> list[RunRow]:
        """The last *last* runs (of *plan*, on *server*), oldest first."""
        where, args = _where(plan, server)
        with self._guard():
            rows = self._conn.execute(
                "SELECT r.run_id, r.plan, r.started_at, r.finished_at, r.exit_status, r.verdict,"
                " r.server_url, count(w.label), coalesce(sum(w.outcome = 'passed'), 0), r.server"
                " FROM runs r LEFT JOIN workflows w ON w.run = r.id"
                f" WHERE r.id IN (SELECT id FROM runs {where}"
                " ORDER BY started_at DESC, id DESC LIMIT ?)"
                " GROUP BY r.id ORDER BY r.started_at DESC, r.id DESC",
                [*args, max(0, last)],
            ).fetchall()
        return [RunRow(*row) for row in reversed(rows)]

    def plans(self) -> list[str]:
        with self._guard():
            return [r[0] for r in self._conn.execute("SELECT DISTINCT plan FROM runs ORDER BY 1")]

    def servers(self, plan: str | None = None) -> list[str]:
        """The servers runs (of *plan*) are kept under."""
        where, args = _where(plan, None)
        with self._guard():
            found = self._conn.execute(f"SELECT DISTINCT server FROM runs {where} ORDER BY 1", args)
            return [r[0] for r in found]

    def workflow_history(
        self, plan: str, last: int, server: str | None = None
    ) -> dict[str, WorkflowHistory]:
        """Per workflow, its part of the last *last* runs of *plan* (on *server*: of one
        server, as the run's bands must be), oldest first."""
        where, args = _where(plan, server)
        with self._guard():
            found = self._conn.execute(
                "SELECT w.label, w.outcome, w.duration, w.rows, r.started_at"
                " FROM runs r JOIN workflows w ON w.run = r.id"
                f" WHERE r.id IN (SELECT id FROM runs {where}"
                " ORDER BY started_at DESC, id DESC LIMIT ?)"
                " ORDER BY r.started_at, r.id",
                (*args, max(0, last)),
            ).fetchall()
        result: dict[str, WorkflowHistory] = {}
        for label, outcome, duration, rows, started in found:
            wh = result.get(label)
            if wh is None:
                wh = result[label] = WorkflowHistory(label)
            wh.runs.append((started, outcome, duration))
            if outcome == "passed":
                for step, metric, value in _rows(rows):
                    wh.rows.setdefault((step, metric), []).append(float(value))
        return result

    def workflow_runs(
        self, plan: str, label: str, last: int, server: str | None = None
    ) -> list[WorkflowRun]:
        """One workflow's last *last* runs of *plan* (on *server*), oldest first, with
        its step rows."""
        extra, args = ("AND r.server = ?", [server]) if server is not None else ("", [])
        with self._guard():
            found = self._conn.execute(
                "SELECT r.started_at, w.outcome, w.state, w.duration, w.job_id, w.rows, r.server"
                " FROM workflows w JOIN runs r ON r.id = w.run WHERE r.plan = ? AND w.label = ?"
                f" {extra} ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
                (plan, label, *args, max(0, last)),
            ).fetchall()
        return [
            WorkflowRun(started, outcome, state, duration, job_id, _rows(rows), host)
            for started, outcome, state, duration, job_id, rows, host in reversed(found)
        ]

    def integrity(self) -> str:
        with self._guard():
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def _where(plan: str | None, server: str | None) -> tuple[str, list[str]]:
    """A ``WHERE`` on the runs table for *plan* and *server* (each ``None``: any)."""
    terms = [(t, v) for t, v in (("plan = ?", plan), ("server = ?", server)) if v is not None]
    if not terms:
        return "", []
    return "WHERE " + " AND ".join(t for t, _ in terms), [v for _, v in terms if v is not None]


def _rows(text: str) -> list[tuple[str, str, int]]:
    """The step row counts stored as JSON; anything malformed is left out."""
    try:
        items = json.loads(text)
    except (TypeError, ValueError):
        return []
    return [
        (str(i[0]), str(i[1]), int(i[2]))
        for i in items if isinstance(i, list) and len(i) == 3 and isinstance(i[2], int)
    ]  # fmt: skip


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


def _error(path: Path, e: BaseException) -> HistoryError:
    text = str(e) or type(e).__name__
    if "not a database" in text or "malformed" in text:
        return HistoryError(f"{path}: not a readable history ({text}); move it away or delete it")
    if "locked" in text or "busy" in text:
        return HistoryError(
            f"{path}: still locked by another process after waiting ({text}); "
            "is a run stuck? the history was not used"
        )
    if isinstance(e, OSError):
        text = e.strerror or text
    return HistoryError(f"{path}: cannot be used ({text}); check the path and its permissions")
