"""Plumbing of the hand-written foreign servers: a threaded HTTP server on 127.0.0.1:0,
JSON answers, and jobs that run on the wall clock.

Nothing here comes from the emulator: these servers exist to prove the suite
and ``aperture-doctor`` against APIs the project did not generate, so they
share no code with its profile, codec or document generator.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, unquote, urlsplit

DOCUMENTS = Path(__file__).resolve().parent / "documents"
KEY = "foreign-key-7c1d"
USER, PASSWORD = "ada", "foreign-pass-2e9b"


def iso(at: float | None) -> str | None:
    """A Spring-style ISO-8601 UTC time, or ``None``."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Flow:
    """A workflow of a foreign server: how its jobs end and how long they take."""

    label: str
    space: str = ""
    published: bool = True
    draft: bool = False
    seconds: float = 0.6
    ends: str = "COMPLETED"  # the final state's category: COMPLETED, FAILED, or STOPPED


@dataclass
class Run:
    """One job of a foreign server; its state follows the clock."""

    id: str
    flow: Flow
    submitted: float = field(default_factory=time.time)
    cancelled_at: float | None = None

    def phase(self, now: float | None = None) -> tuple[str, float | None, float | None]:
        """(category, started, finished): QUEUED for 0.1 s, RUNNING, then its end."""
        now = time.time() if now is None else now
        started = self.submitted + 0.1
        if self.cancelled_at is not None:
            return (
                "CANCELLED",
                (started if self.cancelled_at > started else None),
                self.cancelled_at,
            )
        if now < started:
            return "QUEUED", None, None
        if now < started + self.flow.seconds:
            return "RUNNING", started, None
        return self.flow.ends, started, started + self.flow.seconds


class Answer(Exception):
    """An HTTP answer raised from a handler."""

    def __init__(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class ForeignServer:
    """A started server: ``with Server(flows) as s: s.url``; ``s.jobs`` lists its runs."""

    handler: ClassVar[type[http.server.BaseHTTPRequestHandler]]

    def __init__(self, flows: list[Flow]) -> None:
        self.flows = flows
        self.runs: dict[str, Run] = {}
        self.lock = threading.Lock()
        self.executes = 0
        self.requests: list[str] = []
        owner = self

        class Bound(self.handler):  # type: ignore[name-defined,misc]
            server_state = owner

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bound)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def new_run(self, flow: Flow, numeric: bool = False) -> Run:
        with self.lock:
            self.executes += 1
            run_id = str(1000 + self.executes) if numeric else uuid.uuid4().hex[:12]
            run = Run(run_id, flow)
            self.runs[run_id] = run
            return run

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.shutdown()
        self._http.server_close()


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """Answers every method through ``route(method, path, query, body)``."""

    server_state: ClassVar[Any]
    protocol_version = "HTTP/1.1"

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        raise NotImplementedError

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.server_state.requests.append(f"{self.command} {self.path}")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            answer = Answer(400, self.error(400, "Bad Request", "JSON parse error"))
        else:
            try:
                answer = self.route(self.command, unquote(parts.path), query, body)
            except Answer as raised:
                answer = raised
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        if isinstance(answer.body, bytes | str):
            data = answer.body.encode() if isinstance(answer.body, str) else answer.body
            kind = "text/html" if data.lstrip().startswith(b"<") else "application/javascript"
        else:
            data = b"" if answer.body is None else json.dumps(answer.body).encode()
            kind = "application/json"
        self.send_response(answer.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status: int, error: str, message: str) -> dict[str, Any]:
        """Spring Boot's error body."""
        return {"timestamp": iso(time.time()), "status": status, "error": error,
                "message": message, "path": urlsplit(self.path).path}  # fmt: skip

    def document(self, name: str) -> Answer:
        return Answer(200, json.loads((DOCUMENTS / name).read_text(encoding="utf-8")))

    def log_message(self, *args: object) -> None:
        pass

    do_GET = do_POST = do_DELETE = do_PUT = _handle


def page_of(
    items: list[Any], query: dict[str, str], cap: int, first: int = 0
) -> tuple[list[Any], dict[str, int]]:
    """The page *number* of *items* (counted from *first*, as Spring Data counts from 0)
    at the asked size, capped at *cap*."""
    try:
        number = max(first, int(query.get("page", str(first))))
        size = min(cap, max(1, int(query.get("size", "20"))))
    except ValueError:
        raise Answer(400, {"message": "page and size are numbers"}) from None
    total_pages = (len(items) + size - 1) // size
    meta = {"size": size, "number": number, "totalElements": len(items), "totalPages": total_pages}
    at = number - first
    return items[at * size : (at + 1) * size], meta
