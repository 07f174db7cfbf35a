"""Data Studio credentials, read from the environment and never shown.

2.x and later servers take an API key (``APERTURE_API_KEY``); 1.x servers take
a username and password (``APERTURE_USERNAME``, ``APERTURE_PASSWORD``) that the
client exchanges for a token. Credentials live only in the environment, never
in ``plans.toml``, and no ``repr``, ``str``, log line or error message shows a
secret value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aperture_verify.errors import PlanError

API_KEY_VAR = "APERTURE_API_KEY"
USERNAME_VAR = "APERTURE_USERNAME"
PASSWORD_VAR = "APERTURE_PASSWORD"

_FIXES = {
    API_KEY_VAR: (
        f"export {API_KEY_VAR}=<your Data Studio API key> "
        "(created in Data Studio under System > API keys)"
    ),
    USERNAME_VAR: f"export {USERNAME_VAR}=<your Data Studio user name> (1.x servers)",
    PASSWORD_VAR: f"export {PASSWORD_VAR}=<your Data Studio password> (1.x servers)",
}


@dataclass(frozen=True)
class Credentials:
    """What the client authenticates with: an API key (v2) or a username and password (v1).

    Secret fields are excluded from the generated ``repr`` and comparison
    output; ``repr``/``str`` say only which fields are set.
    """

    api_key: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, api: str = "v2", environ: Mapping[str, str] | None = None) -> Credentials:
        """Credentials for *api* (``"v1"`` or ``"v2"``) from *environ* (default ``os.environ``).

        A missing or empty variable is a one-line ``PlanError`` naming the
        variable and how to set it; the value of a variable is never echoed.
        """
        if environ is None:
            import os

            environ = os.environ
        if api == "v2":
            return cls(api_key=_require(environ, API_KEY_VAR))
        if api == "v1":
            return cls(
                username=_require(environ, USERNAME_VAR),
                password=_require(environ, PASSWORD_VAR),
            )
        raise PlanError("server", "api", f"unknown API version {api!r}", 'use "v1" or "v2"')

    def require(self, api: str) -> None:
        """Raise ``PlanError`` unless these credentials carry what *api* needs."""
        if api == "v2":
            if not self.api_key:
                raise PlanError("credentials", API_KEY_VAR, "is not set", _FIXES[API_KEY_VAR])
        elif api == "v1":
            for value, var in ((self.username, USERNAME_VAR), (self.password, PASSWORD_VAR)):
                if not value:
                    raise PlanError("credentials", var, "is not set", _FIXES[var])
        else:
            raise PlanError("server", "api", f"unknown API version {api!r}", 'use "v1" or "v2"')

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values held (API key, password), for redaction; never log this."""
        return tuple(s for s in (self.api_key, self.password) if s)

    def __repr__(self) -> str:
        shown = [
            f"{name}=<set>" for name in ("api_key", "username", "password") if getattr(self, name)
        ]
        return f"Credentials({', '.join(shown)})"

    __str__ = __repr__


def _require(environ: Mapping[str, str], var: str) -> str:
    value = environ.get(var, "")
    if not value.strip():
        problem = "is empty" if var in environ else "is not set"
        raise PlanError("environment", var, problem, _FIXES[var])
    return value
