"""HTTP plumbing: a threading HTTP/1.1 server that hands each request to ``Api``.

Every response carries ``Content-Length`` so clients can keep connections
alive. An exception in a handler becomes a 500 for the client and is kept
for ``Emulator.check()`` to re-raise in the test that caused it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aperture_verify.emulator.api import Api
from aperture_verify.emulator.wire import Hangup


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that knows its ``Api`` and its open connections."""

    daemon_threads = True
    # a restarted emulator (CLI, or a test) must be able to take its port back at once
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], api: Api, on_error: Callable[[BaseException], None]
    ) -> None:
        self.api = api
        self.on_error = on_error
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self._conn_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (say, after its read timeout) is normal, not an error."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, ConnectionError | TimeoutError):
            return
        self.on_error(error)

    def close_connections(self) -> None:
        """Shut every kept-alive connection, so a stopped emulator really stops answering."""
        with self._conn_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    server_version = "ApertureEmulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            if getattr(self, "_reset", False):
                # SO_LINGER 0: close() sends RST, not FIN; the server's own shutdown of
                # the socket afterwards fails quietly
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                for stream in (self.rfile, self.wfile):  # they hold the socket open
                    with contextlib.suppress(OSError):
                        stream.close()
                self.connection.close()
            else:
                super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator's request log (and the CLI's access log) replace this."""

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            target = urlsplit(self.path)
            query = dict(parse_qsl(target.query, keep_blank_values=True))
            response = self.server.api.serve(
                self.command, target.path, query, dict(self.headers.items()), raw
            )
        except Exception as e:
            self.server.on_error(e)
            response = self.server.api.error(
                500, f"Emulator error: {type(e).__name__}: {e}", self.path.split("?")[0]
            )
        if response is None or isinstance(response, Hangup):
            # answer nothing: the client sees the connection close (or reset) mid-request
            self.close_connection = True
            self._reset = response is Hangup.RESET
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # every method goes through the same router, which answers 404/405 as Spring would
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle
