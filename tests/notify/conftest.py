"""Fixtures of the notification tests: real receivers on 127.0.0.1 (see ``receivers``).

``http_receiver`` records every request and answers by path; ``https_receiver`` is the
same over TLS; ``smtp_receiver`` keeps every mail it is sent; ``closed_port`` is a port
nothing listens on.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from receivers import HttpReceiver, SmtpController, SmtpReceiver, serving


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with serving() as receiver:
        yield receiver


@pytest.fixture
def https_receiver(tmp_path: Path) -> Iterator[HttpReceiver]:
    """The same over HTTPS, with a self-signed certificate for 127.0.0.1 made by the
    ``openssl`` command (skipped without it): for targets that only speak HTTPS."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with serving(tls) as receiver:
        yield receiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    controller = SmtpController(receiver, hostname="127.0.0.1", port=0)
    controller.start()
    receiver.port = controller.port
    try:
        yield receiver
    finally:
        controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a target that is unreachable)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
