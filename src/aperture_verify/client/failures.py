"""What went wrong with one HTTP attempt, and whether trying again can help.

The client turns each failed attempt into a ``Failure``: its message (``<METHOD>
<URL> -> <status> <reason>: <server message>``), whether it is worth retrying,
and whether it is *ambiguous* — the server may have acted on the request even
though no answer arrived — which decides whether a non-idempotent call (execute)
may simply be sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from aperture_verify.client.profile import ApiProfile, get_path
from aperture_verify.client.retry import parse_retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# 429 and 503 say the server refused before acting; 502 and 504 come from a
# gateway that may have passed the request on before it gave up.
AMBIGUOUS_STATUSES = frozenset({502, 504})
MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class Failure:
    """One failed attempt."""

    method: str
    url: str
    message: str
    kind: str  # "status", "refused" (never reached the server), "timeout", "dropped", "invalid"
    retryable: bool
    ambiguous: bool
    status: int | None = None
    server_message: str | None = None
    retry_after: float | None = None
    cause: BaseException | None = None

    def fields(self, redact: Callable[[str], str]) -> dict[str, Any]:
        """Keyword arguments for a ``ClientError``."""
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "server_message": None if self.server_message is None else redact(self.server_message),
        }


def server_message(response: requests.Response, profile: ApiProfile) -> str:
    """The Spring error body's ``message``, else the start of the raw text."""
    text = response.text
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = get_path(data, profile.error_message_field)
        if isinstance(message, str) and message:
            return message[: MESSAGE_LIMIT * 5]
    return " ".join(text[:MESSAGE_LIMIT].split())


def response_failure(
    method: str, url: str, response: requests.Response, profile: ApiProfile
) -> Failure:
    """A failed attempt that got an HTTP error status."""
    status = response.status_code
    said = server_message(response, profile)
    line = f"{method} {url} -> {status} {response.reason or ''}".rstrip()
    if said:
        line += f": {said}"
    retryable = status in RETRY_STATUSES
    return Failure(
        method=method,
        url=url,
        message=line,
        kind="status",
        retryable=retryable,
        ambiguous=status in AMBIGUOUS_STATUSES,
        status=status,
        server_message=said or None,
        retry_after=parse_retry_after(response.headers.get("Retry-After")) if retryable else None,
    )


def auth_hint(api: str, environment: str, profile: ApiProfile, status: int | None, url: str) -> str:
    """What to check when a call got 401 or 403."""
    if status == 403:
        return (
            "; the credential lacks permission for this call (grant it in Data "
            "Studio, or use a credential that has it)"
        )
    if api == "v2":
        return (
            f"; the API key was refused: check APERTURE_API_KEY (missing, mistyped "
            f"or expired) and the environment label '{environment}'"
        )
    if url.endswith(profile.path("login")):
        return "; the login was refused: check APERTURE_USERNAME and APERTURE_PASSWORD"
    return (
        "; the server refused a token it had just issued (check the user's "
        "permissions and the API profile's login path)"
    )


def transport_failure(
    method: str, url: str, error: requests.RequestException, timeout: tuple[float, float]
) -> Failure:
    """A failed attempt that got no HTTP answer."""
    connect_timeout, read_timeout = timeout

    def make(kind: str, text: str, *, retryable: bool = True, ambiguous: bool) -> Failure:
        return Failure(
            method=method,
            url=url,
            message=f"{method} {url} -> {text}",
            kind=kind,
            retryable=retryable,
            ambiguous=ambiguous,
            cause=error,
        )

    if isinstance(error, requests.exceptions.ConnectTimeout):
        return make(
            "refused",
            f"no connection within {connect_timeout:g}s (connect timeout)",
            ambiguous=False,
        )
    if isinstance(error, requests.exceptions.ReadTimeout):
        return make("timeout", f"no answer within {read_timeout:g}s (read timeout)", ambiguous=True)
    if isinstance(error, requests.exceptions.SSLError):
        reason = _reason(error)
        return make(
            "invalid",
            f"TLS handshake failed: {reason} ({_tls_hint(url, reason)})",
            retryable=False,
            ambiguous=False,
        )
    if isinstance(
        error,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return make("invalid", f"invalid URL: {_reason(error)}", retryable=False, ambiguous=False)
    if isinstance(error, requests.exceptions.ConnectionError):
        root = _root(error)
        if isinstance(root, urllib3.exceptions.ReadTimeoutError):
            return make(
                "timeout", f"no answer within {read_timeout:g}s (read timeout)", ambiguous=True
            )
        if isinstance(
            root, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        ):
            # Includes NameResolutionError: the request was never sent.
            return make("refused", f"could not connect: {_reason(error)}", ambiguous=False)
        return make(
            "dropped", f"connection dropped without an answer: {_reason(error)}", ambiguous=True
        )
    return make("dropped", f"no answer: {_reason(error)}", ambiguous=True)


#: What OpenSSL says when the other end answers a TLS hello in plain HTTP (OpenSSL 1.1/3.0,
#: then 3.2 and later).
_PLAIN_HTTP = ("wrong version number", "record layer failure", "http request")


def _tls_hint(url: str, reason: str) -> str:
    """What to do about a failed TLS handshake: a server speaking plain HTTP needs an
    http:// URL, not a CA bundle."""
    if any(words in reason.lower() for words in _PLAIN_HTTP):
        host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        return f"the server answers in plain HTTP: use http://{host} if that is meant"
    return "set the server's CA bundle, or turn TLS verification off for a test server"


def _root(error: BaseException) -> BaseException:
    # requests wraps urllib3's MaxRetryError, whose .reason is the real cause.
    inner: BaseException = error
    for _ in range(5):
        arg = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        reason = getattr(arg if arg is not None else inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
        elif arg is not None:
            inner = arg
        else:
            break
    return inner


def _reason(error: BaseException) -> str:
    """A short description: an OS error's text, else the innermost exception's."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    leaf: BaseException = error
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return str(current.strerror)
        children = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            children.append(reason)
        if not children:
            leaf = current
        stack.extend(children)
    text = str(leaf) or type(leaf).__name__
    # urllib3 prefixes "<HTTPConnection object at 0x...>: "; keep the message.
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    return " ".join(text.split())[:MESSAGE_LIMIT]
