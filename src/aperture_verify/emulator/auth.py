"""Credentials the emulator accepts: 2.x API keys and 1.x login tokens.

2.x sends ``Authorization: <environment> <key>``; 1.x logs in with a username
and password and sends ``Authorization: Bearer <token>``. Messages never
repeat a credential back.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AuthResult:
    """The outcome of checking one request's credential."""

    ok: bool
    status: int = 200  # 401 or 403 when not ok
    message: str = ""
    readonly: bool = False


@dataclass
class _Token:
    username: str
    issued_at: float
    state: str = "valid"  # "valid" | "expired" | "revoked"


class Authenticator:
    """Checks ``Authorization`` headers and issues 1.x tokens. Thread-safe."""

    def __init__(
        self,
        *,
        api_keys: Iterable[str],
        readonly_keys: Iterable[str] = (),
        users: Mapping[str, str],
        environment: str,
        token_lifetime: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_keys = tuple(api_keys)
        self.readonly_keys = tuple(readonly_keys)
        self.users = dict(users)
        self.environment = environment
        self.token_lifetime = token_lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}

    def login(
        self,
        username: str,
        password: str,
        issue: Callable[[float, float], str] | None = None,
    ) -> str | None:
        """A new token for good credentials, ``None`` otherwise.

        *issue(issued_at, lifetime)* makes the token's text (random by default).
        """
        expected = self.users.get(username)
        # compare even for an unknown user, so timing does not tell which part was wrong
        matches = hmac.compare_digest((expected or "\0").encode(), password.encode())
        if expected is None or not matches:
            return None
        issued_at = self._clock()
        token = (
            secrets.token_urlsafe(32) if issue is None else issue(issued_at, self.token_lifetime)
        )
        with self._lock:
            self._tokens[token] = _Token(username, issued_at)
        return token

    def check(self, header: str | None) -> AuthResult:
        """Check an ``Authorization`` header value."""
        if header is None or not header.strip():
            return AuthResult(
                False,
                401,
                "Full authentication is required to access this "
                "resource: send an Authorization header",
            )
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if not credential:
            return AuthResult(
                False,
                401,
                "Malformed Authorization header: expected "
                "'<environment> <API key>' or 'Bearer <token>'",
            )
        if scheme.lower() == "bearer":
            return self._check_token(credential)
        return self._check_key(scheme, credential)

    def _check_key(self, environment: str, key: str) -> AuthResult:
        if environment != self.environment:
            return AuthResult(False, 401, f"Unknown environment '{environment}'")
        for candidate in self.readonly_keys:
            if hmac.compare_digest(candidate.encode(), key.encode()):
                return AuthResult(True, readonly=True)
        for candidate in self.api_keys:
            if hmac.compare_digest(candidate.encode(), key.encode()):
                return AuthResult(True)
        return AuthResult(False, 401, "Invalid API key")

    def _check_token(self, token: str) -> AuthResult:
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return AuthResult(False, 401, "Invalid token")
            if entry.state == "valid" and self._clock() - entry.issued_at >= self.token_lifetime:
                entry.state = "expired"
            if entry.state == "expired":
                return AuthResult(False, 401, "token expired")
            if entry.state == "revoked":
                return AuthResult(False, 401, "token revoked")
            return AuthResult(True)

    def expire_all(self) -> None:
        """Every token issued so far is now expired."""
        self._mark_all("expired")

    def revoke_all(self) -> None:
        """Every token issued so far is now revoked."""
        self._mark_all("revoked")

    def _mark_all(self, state: str) -> None:
        with self._lock:
            for entry in self._tokens.values():
                if entry.state == "valid":
                    entry.state = state
