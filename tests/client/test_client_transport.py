"""Classifying failed attempts, error text, URL and secret hygiene — without a server."""

from __future__ import annotations

import http.client

import pytest
import requests
import urllib3.exceptions

from aperture_verify.client.failures import (
    Failure,
    response_failure,
    server_message,
    transport_failure,
)
from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator import Emulator

URL = "http://127.0.0.1:9/api/v1/jobs"
TIMEOUT = (1.0, 2.0)


def fake_response(
    status: int, body: bytes, headers: dict[str, str] | None = None, reason: str = "Reason"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = body
    response.headers.update(headers or {})
    response.encoding = "utf-8"
    return response


def refused() -> requests.ConnectionError:
    conn = urllib3.connection.HTTPConnection("127.0.0.1", 9)
    new = urllib3.exceptions.NewConnectionError(
        conn, "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", new))  # type: ignore[arg-type]


def dropped() -> requests.ConnectionError:
    inner = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", inner))


def test_connection_refused_never_reached_the_server() -> None:
    failure = transport_failure("POST", URL, refused(), TIMEOUT)
    assert failure.retryable and not failure.ambiguous
    assert failure.kind == "refused"
    assert "could not connect" in failure.message
    assert "HTTPConnection object" not in failure.message


def test_dns_failure_never_reached_the_server() -> None:
    conn = urllib3.connection.HTTPConnection("nowhere.invalid", 80)
    error = requests.ConnectionError(
        urllib3.exceptions.MaxRetryError(
            None,  # type: ignore[arg-type]
            "/",
            urllib3.exceptions.NameResolutionError("nowhere.invalid", conn, OSError("x")),  # type: ignore[arg-type]
        )
    )
    assert not transport_failure("POST", URL, error, TIMEOUT).ambiguous


def test_connect_timeout_never_reached_the_server() -> None:
    failure = transport_failure("POST", URL, requests.ConnectTimeout("slow"), TIMEOUT)
    assert not failure.ambiguous
    assert "1s (connect timeout)" in failure.message


def test_read_timeout_is_ambiguous() -> None:
    failure = transport_failure("POST", URL, requests.ReadTimeout("slow"), TIMEOUT)
    assert failure.retryable and failure.ambiguous
    assert failure.message == f"POST {URL} -> no answer within 2s (read timeout)"


def test_dropped_connection_is_ambiguous() -> None:
    failure = transport_failure("POST", URL, dropped(), TIMEOUT)
    assert failure.ambiguous
    assert "Remote end closed connection" in failure.message


def test_tls_failure_is_not_retried() -> None:
    failure = transport_failure("GET", URL, requests.exceptions.SSLError("bad cert"), TIMEOUT)
    assert not failure.retryable
    assert "CA bundle" in failure.message


@pytest.mark.parametrize(
    ("status", "retryable", "ambiguous"),
    [
        (429, True, False),
        (503, True, False),
        (502, True, True),
        (504, True, True),
        (500, False, False),
        (400, False, False),
        (404, False, False),
    ],
)
def test_status_classes(status: int, retryable: bool, ambiguous: bool) -> None:
    failure = response_failure("POST", URL, fake_response(status, b"{}"), ApiProfile())
    assert (failure.retryable, failure.ambiguous) == (retryable, ambiguous)


def test_status_message_shows_the_spring_message() -> None:
    body = (
        b'{"timestamp": "x", "status": 404, "error": "Not Found", '
        b'"message": "No workflow with external label \'X\'", "path": "/p"}'
    )
    failure = response_failure(
        "POST", URL, fake_response(404, body, reason="Not Found"), ApiProfile()
    )
    assert failure.message == f"POST {URL} -> 404 Not Found: No workflow with external label 'X'"
    assert failure.server_message == "No workflow with external label 'X'"


def test_status_message_falls_back_to_200_chars_of_text() -> None:
    response = fake_response(500, b"<html>" + b"x" * 500 + b"</html>", reason="Server Error")
    said = server_message(response, ApiProfile())
    assert said.startswith("<html>xx") and len(said) == 200


def test_retry_after_is_read_from_retryable_answers() -> None:
    failure = response_failure(
        "GET", URL, fake_response(429, b"", {"Retry-After": "2"}), ApiProfile()
    )
    assert failure.retry_after == 2.0
    assert failure.message == f"GET {URL} -> 429 Reason"


def _text(failure: Failure) -> str:
    return failure.message.split(" -> ", 1)[1]


def _tls_failure(reason: str) -> requests.exceptions.SSLError:
    import ssl

    inner = ssl.SSLError(1, reason)
    return requests.exceptions.SSLError(
        urllib3.exceptions.MaxRetryError(None, "/x", urllib3.exceptions.SSLError(inner))  # type: ignore[arg-type]
    )


HTTPS = "https://user:pw@ds.example.com:7701/api/v1/jobs"


@pytest.mark.parametrize(
    "reason",
    [
        "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
        "[SSL: RECORD_LAYER_FAILURE] record layer failure (_ssl.c:1000)",
        "[SSL: HTTP_REQUEST] http request (_ssl.c:1000)",
    ],
)
def test_a_server_answering_tls_in_plain_http_is_told_to_use_http(reason: str) -> None:
    failure = transport_failure("GET", HTTPS, _tls_failure(reason), TIMEOUT)
    assert _text(failure).endswith(
        "(the server answers in plain HTTP: use http://ds.example.com:7701 if that is meant)"
    )
    assert "CA bundle" not in _text(failure) and "pw" not in _text(failure)
    assert (failure.kind, failure.retryable, failure.ambiguous) == ("invalid", False, False)


def test_an_untrusted_certificate_is_told_to_set_the_ca_bundle() -> None:
    reason = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)"
    failure = transport_failure("GET", HTTPS, _tls_failure(reason), TIMEOUT)
    assert _text(failure) == (
        f"TLS handshake failed: {reason} (set the server's CA bundle, or turn TLS "
        "verification off for a test server)"
    )


def test_https_against_the_plain_http_emulator(emulator: Emulator) -> None:
    url = f"https://127.0.0.1:{emulator.port}/api/v1/workflows"
    with pytest.raises(requests.exceptions.SSLError) as caught:
        requests.get(url, timeout=5)
    failure = transport_failure("GET", url, caught.value, TIMEOUT)
    assert _text(failure).endswith(
        f"(the server answers in plain HTTP: use http://127.0.0.1:{emulator.port} if that is meant)"
    )
