"""The HTTP core of the client: one session, one ``request()``, retries, auth, errors.

``ApiSession`` sends every call with a ``(connect, read)`` timeout and the
credential, logs in again when a 1.x token expires or is refused, retries
transient failures under a ``RetryPolicy``, and turns every failure into a
``ClientError`` subclass whose message reads ``<METHOD> <URL> -> <status>
<reason>: <server message>``. No message, log line or ``repr`` ever contains
the API key, password or token. ``DataStudioClient`` holds one and adds the
verbs, the way a requests ``Session`` holds its ``HTTPAdapter``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any, Self

import requests

from aperture_verify.client.auth import ApiKeyAuth, Auth, TokenAuth
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.decode import Decoder
from aperture_verify.client.failures import Failure, auth_hint, response_failure, transport_failure
from aperture_verify.client.profile import MISSING, ApiProfile, get_path
from aperture_verify.client.retry import NO_RETRY, RetryPolicy
from aperture_verify.client.rideout import RideOuts
from aperture_verify.client.tokens import jwt_lifetime
from aperture_verify.common.durations import parse_duration
from aperture_verify.common.redaction import redact, safe_url
from aperture_verify.errors import (
    AuthenticationError,
    ClientError,
    ProtocolError,
    ServerRefusedError,
    TransportError,
)

# Log under the client's name: users filter on "aperture_verify.client".
logger = logging.getLogger("aperture_verify.client")


def _package_version() -> str:
    try:
        return metadata.version("aperture-verify")
    except metadata.PackageNotFoundError:  # running from a source tree that was not installed
        return "unknown"


USER_AGENT = f"aperture-verify/{_package_version()}"
DEFAULT_TOKEN_LIFETIME = 3600.0  # 1.x tokens last an hour when the server does not say


@dataclass(frozen=True)
class ClientStats:
    """Counters of one client: HTTP requests sent (retries and logins included)."""

    requests: int = 0
    retries: int = 0
    logins: int = 0


class ApiSession:
    """A session with one Data Studio server: the HTTP core under ``DataStudioClient``.

    Thread-safe: several threads may share one session (token renewal is
    serialised). Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        api: str = "v2",
        environment: str = "default",
        profile: ApiProfile | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        verify: bool | str | os.PathLike[str] = True,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        credentials.require(api)
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.environment = environment
        self.profile = profile or ApiProfile()
        self.retry = retry or RetryPolicy()
        self.timeout = (connect_timeout, read_timeout)
        self.verify: bool | str = verify if isinstance(verify, bool) else os.fspath(verify)
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._stats = ClientStats()
        self._clock: Callable[[], float] = time.monotonic
        self._sleep: Callable[[float], None] = time.sleep
        # ``with session.riding_out(budget, during):`` -- see client/rideout.py
        self.riding_out = RideOuts(self.retry.seed)
        self._auth: Auth
        self._token_auth: TokenAuth | None = None
        if api == "v2":
            assert credentials.api_key is not None  # require() checked it
            self._auth = ApiKeyAuth(environment, credentials.api_key)
        else:
            assert credentials.password is not None
            self._token_auth = TokenAuth(
                lambda: self._log_in(credentials), credentials.password, clock=self._now
            )
            self._auth = self._token_auth

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({safe_url(self.base_url)!r}, api={self.api!r}, "
            f"environment={self.environment!r})"
        )

    # -- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP session (only if this client created it)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def stats(self) -> ClientStats:
        """A snapshot of the request counters."""
        with self._lock:
            return self._stats

    # -- the core --------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
        reconcile: Callable[[], Any] | None = None,
        headers_out: dict[str, str] | None = None,
        once: bool = False,
    ) -> Any:
        """Send one authenticated API call; return its decoded JSON body (``None`` if empty).

        Transient failures (connection errors, timeouts, 429, 502, 503, 504) are
        retried under the retry policy. With ``idempotent=False`` a failure
        that may have reached the server (read timeout, dropped connection,
        502, 504) is raised, not retried. Raises a ``ClientError`` subclass.

        *reconcile*, when given for a non-idempotent call, is asked after such
        an ambiguous failure (and the backoff) what the server did: what it
        returns other than ``None`` is returned instead of sending again.
        *headers_out* receives the headers of a successful answer (``Location``).

        *once*: a single attempt, no retry, no riding out an outage.
        """
        return self._send(
            method,
            path,
            json=json,
            params=params,
            idempotent=idempotent,
            reconcile=reconcile,
            headers_out=headers_out,
            once=once,
        )

    def log_in(self) -> None:
        """Log in now (1.x), to prove the credentials; an API key has nothing to do."""
        if self._token_auth is not None:
            self._token_auth.log_in()

    def decoder(self, method: str, path: str) -> Decoder:
        """The decoder of the answer to *method* *path* (its errors name the call)."""
        return Decoder(self.profile, method, safe_url(self.base_url + path))

    def redact(self, text: str) -> str:
        """*text* without any credential this session has held."""
        return redact(text, self._auth.secrets())

    def shown_url(self, path: str) -> str:
        """The URL of *path* as messages show it."""
        return safe_url(self.base_url + path)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
        authenticate: bool = True,
        reconcile: Callable[[], Any] | None = None,
        headers_out: dict[str, str] | None = None,
        once: bool = False,
    ) -> Any:
        # Returns the decoded body, or what *reconcile* returned when not None;
        # *headers_out* receives the headers of a successful answer.
        method = method.upper()
        url = self.base_url + path
        shown = self._show_url(url, params)
        started = self._clock()
        attempt = 0
        renewed = False
        policy = NO_RETRY if once else self.retry
        ride = None if once else self.riding_out.current()
        while True:
            attempt += 1
            # Per request, so a session passed in by the caller is left as it was.
            headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
            sent_auth = ""
            if authenticate:
                sent_auth = self._auth.header()
                headers["Authorization"] = sent_auth
            self._count(requests=1)
            logger.debug("%s %s attempt %d", method, path, attempt)
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=self.timeout,
                    verify=self.verify,
                )
            except requests.RequestException as e:
                failure = transport_failure(method, shown, _scrubbed(e), self.timeout)
                logger.debug("%s %s attempt %d failed: %s", method, path, attempt, failure.kind)
                if not failure.retryable:
                    raise self._error(failure) from e
            else:
                logger.debug(
                    "%s %s -> %d (attempt %d)", method, path, response.status_code, attempt
                )
                if ride is not None:
                    ride.answered(response.status_code)
                if 200 <= response.status_code < 300:
                    if headers_out is not None:
                        headers_out.update(response.headers)
                    return self._decode_body(method, shown, response)
                if (
                    response.status_code == 401
                    and authenticate
                    and not renewed
                    and self._auth.renew(sent_auth)
                ):
                    # An expired or revoked token: log in again, once per request.
                    renewed = True
                    attempt -= 1
                    continue
                failure = response_failure(method, shown, response, self.profile)
                if not failure.retryable:
                    raise self._error(failure)

            if ride is not None:
                ride.failed(self._clock(), self.redact(failure.message))
            if failure.ambiguous and not idempotent and reconcile is None:
                raise self._error(
                    failure,
                    note=f"not retried, because the server may already have acted on this {method}",
                ) from failure.cause
            elapsed = self._clock() - started
            delay = policy.next_delay(attempt, failure.retry_after)
            if ride is not None and (
                ride.record is not None or not policy.allows(attempt, elapsed, delay)
            ):
                # past the ordinary retries: ride the outage out, slowly, within its budget
                delay = ride.wait_or_raise(self._clock(), failure, self.redact)
            elif not policy.allows(attempt, elapsed, delay):
                raise self._gave_up(failure, attempt, elapsed, delay) from failure.cause
            logger.debug("%s %s retrying in %.2fs", method, path, delay)
            self._sleep(delay)
            if failure.ambiguous and not idempotent and reconcile is not None:
                adopted = reconcile()
                if adopted is not None:
                    return adopted
            self._count(retries=1)

    def _log_in(self, credentials: Credentials) -> tuple[str, float]:
        p = self.profile
        path = p.path("login")
        body = {
            p.login_username_field: credentials.username,
            p.login_password_field: credentials.password,
        }
        with self._lock:
            self._stats = _bump(self._stats, logins=1)
        method = p.method("login")
        data = self._send(method, path, json=body, authenticate=False)
        decoder = self.decoder(method, path)
        data = decoder.as_obj(data, "the login answer")
        token = get_path(data, p.token_field)
        if not isinstance(token, str) or not token:
            raise decoder.fail(f"the login answer has no usable '{p.token_field}'")
        if p.token_expiry == "jwt":
            return token, jwt_lifetime(token) or DEFAULT_TOKEN_LIFETIME
        if p.token_expiry != "field":
            return token, parse_duration(p.token_expiry)
        expires_in = get_path(data, p.expires_in_field) if p.expires_in_field else MISSING
        if expires_in is MISSING or expires_in is None:
            return token, DEFAULT_TOKEN_LIFETIME
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise decoder.fail(f"the login answer '{p.expires_in_field}' is not a number")
        return token, float(expires_in)

    def _now(self) -> float:
        return self._clock()

    def _decode_body(self, method: str, shown: str, response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            pass  # raised below, outside the handler: the decode error holds the whole body
        ctype = response.headers.get("Content-Type", "no Content-Type")
        text = self.redact(response.text[:200])
        raise ProtocolError(
            f"{method} {shown} -> {response.status_code} {response.reason}: the response "
            f"is not JSON ({ctype}): {text!r} (is the URL a Data Studio API server?)",
            method=method,
            url=shown,
            status=response.status_code,
        )

    def _count(self, requests: int = 0, retries: int = 0) -> None:
        with self._lock:
            self._stats = _bump(self._stats, requests=requests, retries=retries)

    def _show_url(self, url: str, params: Mapping[str, str] | None) -> str:
        if params:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, dict(params))
            url = prepared.url or url
        return safe_url(url)

    def _error(self, failure: Failure, note: str = "") -> ClientError:
        message = self.redact(failure.message + (f"; {note}" if note else ""))
        if failure.status in (401, 403):
            return AuthenticationError(
                message
                + auth_hint(self.api, self.environment, self.profile, failure.status, failure.url),
                **failure.fields(self.redact),
            )
        cls = TransportError if failure.status is None else ServerRefusedError
        return cls(message, **failure.fields(self.redact))

    def _gave_up(
        self, failure: Failure, attempts: int, elapsed: float, delay: float
    ) -> ClientError:
        why = ""
        if failure.retry_after is not None and elapsed + delay > self.retry.budget:
            left = max(0.0, self.retry.budget - elapsed)
            why = (
                f"; the server asked to wait {failure.retry_after:.1f}s, more than the "
                f"{left:.1f}s left of the {self.retry.budget:g}s retry budget"
            )
        noun = "attempt" if attempts == 1 else "attempts"
        message = self.redact(
            f"{failure.method} {failure.url}: gave up after {attempts} {noun} over "
            f"{elapsed:.1f}s{why}; last: {failure.message}"
        )
        cls = TransportError if failure.status is None else ServerRefusedError
        return cls(message, **failure.fields(self.redact))


def _bump(stats: ClientStats, requests: int = 0, retries: int = 0, logins: int = 0) -> ClientStats:
    return ClientStats(stats.requests + requests, stats.retries + retries, stats.logins + logins)


def _scrubbed(e: requests.RequestException) -> requests.RequestException:
    # A requests exception keeps the PreparedRequest, whose headers hold the
    # credential; chain the exception for its text, without that object.
    e.request = None
    e.response = None
    return e
