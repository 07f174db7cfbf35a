"""What the history keeps of a run, read from a ``results.json`` document.

Recording at the end of a run and ``aperture-history import`` build their
records from the same data — the results.json document (docs/reports.md, "results.json,
version 1") — so an imported Jenkins artefact and a live run look alike.

A run is kept under its plan *and its server*: the same plan against a test,
a staging and a production server makes three histories, each with its own
bands. The server is its URL without credentials, query or default port
(``server_key``), or ``emulator`` for the bundled emulator (whose port changes
from run to run).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aperture_verify.common.redaction import safe_url
from aperture_verify.errors import ApertureError

#: The step metrics kept per step.
ROW_METRICS = ("rowsIn", "rowsOut", "passedRows", "failedRows")

_NAMESPACE = uuid.UUID("5b0c3c3e-8f0e-4e43-9a53-6a7e3b0c2d11")

#: The server key of runs against the bundled emulator.
EMULATOR = "emulator"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def server_key(url: str, emulator: bool = False) -> str:
    """The server a run is kept under: ``https://ads.example.com:7701/base``.

    The URL without ``user:password@``, query or fragment, with the scheme and
    host in lower case, without a default port or a trailing ``/``; ``emulator``
    for the bundled emulator. ``""`` when the URL is not known.
    """
    url = url.strip()
    if emulator or url == EMULATOR:
        return EMULATOR
    safe = safe_url(url)
    try:
        parts = urlsplit(safe)
        port = parts.port
    except ValueError:
        return safe.rstrip("/")
    if not parts.scheme or not parts.hostname:
        return safe.rstrip("/")
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower case, brackets of an IPv6 address removed
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


class HistoryError(ApertureError):
    """The history store or an imported file cannot be used; one line, naming it."""


@dataclass(frozen=True)
class WorkflowRecord:
    label: str
    phase: str
    outcome: str
    job_id: str | None
    state: str | None
    duration: float | None  # seconds, from the server's timestamps
    rows: tuple[tuple[str, str, int], ...] = ()  # (step, metric, value)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    plan: str
    started_at: str  # ISO 8601 UTC, as in results.json
    finished_at: str | None
    exit_status: int | None
    verdict: str
    server_url: str
    workflows: tuple[WorkflowRecord, ...]
    emulator: bool = False  # run against the bundled emulator

    @property
    def server(self) -> str:
        """The server the run is kept under (``server_key``)."""
        return server_key(self.server_url, self.emulator)


def run_id_of(doc: Mapping[str, Any]) -> str:
    """The document's ``run_id``; for older files, one derived from plan and times.

    The derived id is stable, so importing the same file twice is noticed.
    """
    given = doc.get("run_id")
    if isinstance(given, str) and given:
        return given
    key = f"{doc.get('plan', {}).get('name')}|{doc.get('started_at')}|{doc.get('finished_at')}"
    return uuid.uuid5(_NAMESPACE, key).hex


def run_from_results(doc: object, source: str = "results.json") -> RunRecord:
    """The record of a results.json document; a :class:`HistoryError` names what is wrong."""

    def bad(problem: str) -> HistoryError:
        return HistoryError(
            f"{source}: {problem}; is it a results.json written by aperture-verify?"
        )

    if not isinstance(doc, dict):
        raise bad("not a JSON object")
    version = doc.get("version")
    if version != 1:
        raise bad(f"unsupported version {version!r} (this release reads version 1)")
    plan = doc.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("name"), str):
        raise bad("plan.name is missing")
    started = doc.get("started_at")
    if not isinstance(started, str):
        raise bad("started_at is missing")
    server = doc.get("server")
    url = server.get("url") if isinstance(server, dict) else None
    entries = doc.get("workflows")
    if not isinstance(entries, list):
        raise bad("workflows is not a list")
    workflows = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise bad(f"workflows[{i}] has no label")
        if entry.get("carried_over") is True:
            continue  # --resume: its job ran in an earlier run, recorded there
        workflows.append(_workflow(entry))
    finished = doc.get("finished_at")
    status = doc.get("exit_status")
    return RunRecord(
        run_id=run_id_of(doc),
        plan=plan["name"],
        started_at=started,
        finished_at=finished if isinstance(finished, str) else None,
        exit_status=status if isinstance(status, int) else None,
        verdict=str(doc.get("verdict") or "unknown"),
        server_url=safe_url(url) if isinstance(url, str) else "",
        workflows=tuple(workflows),
        emulator=isinstance(server, dict) and server.get("emulator") is True,
    )


def _workflow(entry: Mapping[str, Any]) -> WorkflowRecord:
    duration = entry.get("duration")
    rows: list[tuple[str, str, int]] = []
    for step in entry.get("steps") or []:
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            continue
        for metric in ROW_METRICS:
            value = step.get(metric)
            if isinstance(value, int) and not isinstance(value, bool):
                rows.append((step["name"], metric, value))
    return WorkflowRecord(
        label=entry["label"],
        phase=str(entry.get("phase") or ""),
        outcome=str(entry.get("outcome") or "unknown"),
        job_id=entry.get("job_id") if isinstance(entry.get("job_id"), str) else None,
        state=entry.get("state") if isinstance(entry.get("state"), str) else None,
        duration=float(duration) if isinstance(duration, int | float) else None,
        rows=tuple(rows),
    )
