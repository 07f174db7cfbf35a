"""The run directory: every file the processes of a run share, in one place.

The controller creates a private temporary directory when the run starts and
removes it at the end; its path reaches each worker in ``workerinput``.
xdist's own channel carries the rest (``workerinput`` to a worker when it
starts, test reports to the controller as they happen); ``workeroutput``
arrives only when a worker ends, too late for any of these. So the one
protocol between the processes is this: **a file is written whole
(``write_atomic``) by one side and read by the other; nothing is appended**.

``login.json``
    written by the controller once the login check, the catalog, the
    preflight and the history's bands are known (``LoginOutcome``); read by
    each worker before its first test (the scheduler sends none before).
``ledger.json``
    written by the controller after each report (``RunLedger``); read by
    workers (skip rules, ``phase_results``) before a later phase's test.
``collection-<gw>.json``
    written by each worker after its collection; read by the controller when
    xdist says that worker's collection finished (the labels) and by the
    scheduler (each item's stage and barrier).
``jobs/active/<job>``
    written by the process that started the job, until it sees the job end;
    read by the controller to cancel what is left (a crash, an interruption,
    the end of the session).
``jobs/ended/<job>``
    the marker moved there when the job ended or was cancelled; read by the
    controller after Ctrl-C under xdist, for the interrupted workflows' times.
``outages/<pid>-<n>.json``
    written by any process meeting an outage (``OutageNotes``), once as it
    begins and once as it ends; polled by the controller's ``OutageAnnouncer``.
``owner.json``
    the controller's host and process id, written when the directory is made
    (execution/runfolder.py): the next run removes a directory whose owner was
    killed (issue 22).

Without xdist the only process plays both sides: the worker object hands its
collection to the controller object directly, and the ledger is one object.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aperture_verify.client.rideout import OutageRecord
from aperture_verify.common.files import write_atomic
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runfolder import make_run_dir

LEDGER_FILE = "ledger.json"
LOGIN_FILE = "login.json"
OUTAGES = "outages"
ACTIVE_JOBS = Path("jobs") / "active"
ENDED_JOBS = Path("jobs") / "ended"

#: One worker's collection: node id -> {"stage": [phase, stage], "barrier": index or
#: None, "label": the workflow label or None}.
Collection = dict[str, dict[str, Any]]


class RunDirectory:
    """The files of one run, on both sides of the protocol (see the module's table)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls) -> RunDirectory:
        """A new private directory (the controller, once per run)."""
        return cls(make_run_dir())  # issue 22: its owner recorded, for the next run's clean-up

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- login.json ------------------------------------------------------------

    def write_login(self, outcome: dict[str, Any]) -> None:
        write_atomic(self.path / LOGIN_FILE, json.dumps(outcome))

    def read_login(self) -> dict[str, Any] | None:
        path = self.path / LOGIN_FILE
        if not path.is_file():  # --collect-only: no login check
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # -- collection-<gw>.json --------------------------------------------------

    def _collection_file(self, worker_id: str) -> Path:
        return self.path / f"collection-{worker_id}.json"

    def write_collection(self, worker_id: str, collection: Collection) -> None:
        write_atomic(self._collection_file(worker_id), json.dumps(collection))

    def read_collection(self, worker_id: str) -> Collection | None:
        path = self._collection_file(worker_id)
        if not path.is_file():
            return None
        data: Collection = json.loads(path.read_text(encoding="utf-8"))
        return data

    def collected_tests(self) -> list[str]:
        """The tests (no barrier item) of the first worker's collection found, in
        collection order; none if no worker wrote one."""
        for path in sorted(self.path.glob("collection-*.json")):
            try:
                found = self.read_collection(path.stem.removeprefix("collection-"))
            except (OSError, ValueError):
                continue
            if found is not None:
                return [n for n, e in found.items() if e.get("barrier") is not None]
        return []

    # -- jobs/active, jobs/ended -----------------------------------------------
    # Every job a process of the run starts is marked until the process sees it
    # end; the marker then moves to "ended". Whoever survives an interruption
    # (the controller, when a worker was killed or stopped by Ctrl-C) can so
    # cancel what is left and learn which job each interrupted workflow had.

    def job_started(self, job_id: str, label: str) -> None:
        active = self.path / ACTIVE_JOBS
        active.mkdir(parents=True, exist_ok=True)
        # Atomic: the controller may read the folder while a worker writes to it.
        write_atomic(active / _safe_name(job_id), f"{job_id}\n{label}")

    def job_active(self, job_id: str) -> bool:
        return (self.path / ACTIVE_JOBS / _safe_name(job_id)).exists()

    def job_ended(self, job_id: str) -> None:
        ended = self.path / ENDED_JOBS
        ended.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # ended already (or never marked)
            os.replace(self.path / ACTIVE_JOBS / _safe_name(job_id), ended / _safe_name(job_id))

    def unfinished_jobs(self) -> list[tuple[str, str]]:
        """(job id, workflow label) of jobs started in the run and not seen ending."""
        return _markers(self.path / ACTIVE_JOBS)

    def ended_jobs(self) -> list[tuple[str, str]]:
        """(job id, workflow label) of jobs of the run seen ending (or cancelled)."""
        return _markers(self.path / ENDED_JOBS)

    # -- outages/ --------------------------------------------------------------

    def outage_notes(self) -> Iterator[tuple[Path, OutageRecord]]:
        """Each complete outage note, with its file (the reader deletes a note it is done with)."""
        try:
            paths = sorted((self.path / OUTAGES).glob("*.json"))
        except OSError:
            return
        for path in paths:
            try:
                yield path, OutageRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, AssertionError):
                continue  # being written: read it next time


_NOTE_NUMBERS = itertools.count()  # one sequence per process: notes never share a name


class OutageNotes:
    """One process's notes of the outages it meets, in ``<run dir>/outages/``."""

    def __init__(self, run_dir: Path) -> None:
        self.folder = run_dir / OUTAGES
        self._lock = threading.Lock()
        self._ids: dict[int, str] = {}

    def __call__(self, record: OutageRecord) -> None:
        """Note *record*: begun, or ended when its ``ended_at`` is set."""
        with self._lock:
            if id(record) not in self._ids:
                self._ids[id(record)] = f"{os.getpid()}-{next(_NOTE_NUMBERS)}"
            name = self._ids[id(record)]
        data = record.to_dict()
        data["until"] = record.until.isoformat()
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / f"{name}.json", json.dumps(data))


def _markers(folder: Path) -> list[tuple[str, str]]:
    """(job id, label) of each job marker in *folder*."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):  # a marker being written
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # moved between the listing and the read
            continue
        job_id, _, label = text.partition("\n")
        found.append((job_id, label))
    return found


def _safe_name(job_id: str) -> str:
    # Never a leading ".": those are write_atomic's temporary files (and "..").
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in job_id)
    return "_" + name[1:] if name.startswith(".") else (name or "_")


# -- ledger.json -----------------------------------------------------------------


class RunLedger:
    """Every workflow result of the run so far, by label, in the order recorded.

    The controller (*writer*) records each result as its report arrives and
    rewrites ``ledger.json`` atomically. A worker reads it when a test of a
    later phase starts: the scheduler dispatches phase N+1 only after every
    report of phase N reached the controller, so the file a worker reads is
    complete for the phases before its own.
    """

    def __init__(self, run_dir: Path, *, writer: bool) -> None:
        self.run_dir = run_dir
        self.writer = writer
        self._results: dict[str, WorkflowResult] = {}
        self._check_failures: dict[str, str] = {}  # failed phase check name -> its phase
        self._seen: tuple[int, int, int] | None = None

    @property
    def path(self) -> Path:
        return self.run_dir / LEDGER_FILE

    def record(self, result: WorkflowResult) -> None:
        self._results[result.label] = result
        if self.writer:
            self._write()

    def record_check_failure(self, phase: str, name: str) -> None:
        """A hand-written phase check failed: the phase failed, like a workflow would."""
        self._check_failures[name] = phase
        if self.writer:
            self._write()

    def _write(self) -> None:
        data: dict[str, Any] = {
            "results": [r.to_dict() for r in self._results.values()],
            "check_failures": self._check_failures,
        }
        write_atomic(self.path, json.dumps(data))

    def refresh(self) -> None:
        """Re-read the file when another process wrote it since the last read."""
        if self.writer:
            return
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return
        # Every write replaces the file (a new inode), so this changes on each write
        # even when two writes fall in the same coarse mtime tick.
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._seen:
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self._results = {d["label"]: WorkflowResult.from_dict(d) for d in data["results"]}
        self._check_failures = dict(data["check_failures"])
        self._seen = seen

    def get(self, label: str) -> WorkflowResult | None:
        self.refresh()
        return self._results.get(label)

    def results(self) -> list[WorkflowResult]:
        self.refresh()
        return list(self._results.values())

    def check_failures(self) -> dict[str, str]:
        """The failed hand-written phase checks: test name -> its phase."""
        self.refresh()
        return dict(self._check_failures)

    def first_failure(self, phases: set[str]) -> WorkflowResult | None:
        """The first failed workflow recorded in one of *phases*, if any."""
        for result in self.results():
            if result.phase in phases and result.outcome is Outcome.FAILED:
                return result
        return None

    def failure_reason(self, phases: set[str]) -> str | None:
        """Why a later phase must not run: the first failure in *phases*, if any."""
        failed = self.first_failure(phases)
        if failed is not None:
            # A login or readiness failure stops the run for every workflow alike:
            # the reason says so rather than naming the first workflow it hit.
            if failed.failure_kind is FailureKind.LOGIN:
                return "the login failed"
            if failed.failure_kind is FailureKind.READINESS:
                return f"the readiness check failed ({failed.label} is not ready)"
            kind = failed.failure_kind.label if failed.failure_kind else "failure"
            return f"{failed.label} (phase '{failed.phase}') failed ({kind})"
        for name, phase in self._check_failures.items():
            if phase in phases:
                return f"the phase check {name} (phase '{phase}') failed"
        return None
