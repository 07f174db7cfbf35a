"""Real receivers for notifications and pings (the fixtures are in notify/conftest.py):
an HTTP server and an SMTP server on 127.0.0.1.

``http_receiver`` records every request (method, path, headers, body) and
answers by path: ``/broken/…`` with 500, ``/hang/…`` not at all until the
test ends; anything else with 200 ``OK``. ``smtp_receiver`` is aiosmtpd
keeping every message it is sent. ``https_receiver`` is ``http_receiver`` over
TLS. ``closed_port`` is a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import email
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class HttpReceiver:
    """A small HTTP server on 127.0.0.1:0 that records what it is sent."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "", scheme: str = "http", userinfo: str = "") -> str:
        return f"{scheme}://{userinfo}127.0.0.1:{self.port}{path}"

    def under(self, prefix: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for(self, prefix: str, count: int, timeout: float = 30.0) -> list[Received]:
        """The requests under *prefix* once there are *count* (fails past *timeout*)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.under(prefix)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{len(self.under(prefix))} request(s) under {prefix}, not {count}")


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with receiver.lock:
                receiver.requests.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
            if self.path.startswith("/hang"):
                receiver.release.wait(60)
                return
            status = 500 if self.path.startswith("/broken") else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


class SmtpController(Controller):
    """aiosmtpd on port 0: its start-up check connects to the port it was given, so the
    port the system chose is read first."""

    def _trigger_server(self) -> None:
        server: Any = self.server  # an asyncio.Server, typed as the abstract one
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class SmtpReceiver:
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def url(self, scheme: str = "mailto") -> str:
        return f"{scheme}://127.0.0.1:{self.port}?from=aperture@example.com&to=ops@example.com"


def mail_parts(message: Message) -> tuple[str, dict[str, bytes]]:
    """A received mail's plain text and its attachments (file name -> bytes)."""
    text = ""
    files: dict[str, bytes] = {}
    for part in message.walk():
        name = part.get_filename()
        payload = part.get_payload(decode=True)
        if name and isinstance(payload, bytes):
            files[name] = payload
        elif part.get_content_type() == "text/plain" and isinstance(payload, bytes):
            text = payload.decode(part.get_content_charset() or "utf-8")
    return text, files
