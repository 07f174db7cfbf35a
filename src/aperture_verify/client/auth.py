"""The two ways a Data Studio server takes credentials.

2.x and later: ``Authorization: <environment label> <API key>`` on every call.
1.x: a login call trades username and password for a token that expires
(after an hour by default); later calls send ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Auth(Protocol):
    """What the client needs from an authentication scheme."""

    def header(self) -> str:
        """The ``Authorization`` value for the next request (may log in first)."""

    def renew(self, sent: str) -> bool:
        """After a 401 to *sent*: drop that credential; ``True`` if a new one may work."""

    def secrets(self) -> tuple[str, ...]:
        """Every secret this scheme has held, for redaction."""


class ApiKeyAuth:
    """2.x API key. A refused key stays refused, so ``renew`` is always ``False``."""

    def __init__(self, environment: str, api_key: str) -> None:
        self._value = f"{environment} {api_key}"
        self._api_key = api_key

    def header(self) -> str:
        return self._value

    def renew(self, sent: str) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def __repr__(self) -> str:
        return "ApiKeyAuth(<key hidden>)"


Login = Callable[[], tuple[str, float]]
"""Performs the login call; returns ``(token, expires_in_seconds)``."""


class TokenAuth:
    """1.x bearer token: logs in when there is no token or it is about to expire.

    A lock serialises logins, so threads that find the token expired (or get a
    401) together cause one login, not one each.
    """

    # Log in again this long before the server says the token expires, so a
    # request sent just before expiry does not arrive just after it.
    MAX_SAFETY_MARGIN = 60.0
    SAFETY_FRACTION = 0.1

    def __init__(
        self, login: Login, password: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._login = login
        self._password = password
        self._clock = clock
        self._lock = threading.RLock()  # re-entrant: redaction during a login reads secrets()
        self._token: str | None = None
        self._renew_at = 0.0
        self._issued: list[str] = []

    def header(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._log_in()
            assert self._token is not None
            return f"Bearer {self._token}"

    def log_in(self) -> None:
        """Log in now, whether or not the current token is still good."""
        with self._lock:
            self._log_in()

    def renew(self, sent: str) -> bool:
        with self._lock:
            if self._token is not None and sent == f"Bearer {self._token}":
                self._token = None
            # Either we dropped the refused token or another thread already
            # replaced it; in both cases the next header() is worth a try.
            return True

    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            return (self._password, *self._issued)

    def _log_in(self) -> None:
        token, expires_in = self._login()
        margin = min(self.MAX_SAFETY_MARGIN, expires_in * self.SAFETY_FRACTION)
        self._token = token
        self._issued.append(token)
        del self._issued[:-8]  # old tokens are dead anyway; keep a few for redaction
        self._renew_at = self._clock() + expires_in - margin

    def __repr__(self) -> str:
        return f"TokenAuth(logged_in={self._token is not None})"
