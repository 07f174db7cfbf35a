"""Data Studio credentials, read from the environment or from files, and never shown.

2.x and later servers take an API key (``APERTURE_API_KEY``); 1.x servers take
a username and password (``APERTURE_USERNAME``, ``APERTURE_PASSWORD``) that the
client exchanges for a token. Credentials live only in the environment, never
in ``plans.toml``, and no ``repr``, ``str``, log line or error message shows a
secret value.

A scheduler without a per-task environment (Windows Task Scheduler, a Docker
secret) names a file instead: ``APERTURE_API_KEY_FILE``,
``APERTURE_USERNAME_FILE``, ``APERTURE_PASSWORD_FILE`` (the Docker-secrets
convention). The file is read once, its trailing line break dropped; a file
other users may read is warned about (POSIX; on Windows its ACL decides, which
``contrib/register-task.ps1`` sets). Surrounding whitespace around a value --
a key pasted from a mail -- is stripped with a warning that names the
variable, never the value.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aperture_verify.errors import PlanError

API_KEY_VAR = "APERTURE_API_KEY"
USERNAME_VAR = "APERTURE_USERNAME"
PASSWORD_VAR = "APERTURE_PASSWORD"
FILE_SUFFIX = "_FILE"

_FIXES = {
    API_KEY_VAR: (
        f"export {API_KEY_VAR}=<your Data Studio API key> "
        "(created in Data Studio under System > API keys), "
        f"or {API_KEY_VAR}{FILE_SUFFIX}=<a file holding it>"
    ),
    USERNAME_VAR: f"export {USERNAME_VAR}=<your Data Studio user name> (1.x servers)",
    PASSWORD_VAR: (
        f"export {PASSWORD_VAR}=<your Data Studio password> (1.x servers), "
        f"or {PASSWORD_VAR}{FILE_SUFFIX}=<a file holding it>"
    ),
}


@dataclass(frozen=True)
class Credentials:
    """What the client authenticates with: an API key (v2) or a username and password (v1).

    Secret fields are excluded from the generated ``repr`` and comparison
    output; ``repr``/``str`` say only which fields are set. ``notes`` are the
    warnings met while reading them (a stripped value, a file others can read):
    one line each, without any value, for the run to show once.
    """

    api_key: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    notes: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_env(cls, api: str = "v2", environ: Mapping[str, str] | None = None) -> Credentials:
        """Credentials for *api* (``"v1"`` or ``"v2"``) from *environ* (default ``os.environ``).

        Each value comes from its variable or from the file its ``*_FILE``
        variable names (not both). A missing or empty value is a one-line
        ``PlanError`` naming the variable and how to set it; a value is never
        echoed.
        """
        if environ is None:
            environ = os.environ
        notes: list[str] = []
        if api == "v2":
            return cls(api_key=_require(environ, API_KEY_VAR, notes), notes=tuple(notes))
        if api == "v1":
            return cls(
                username=_require(environ, USERNAME_VAR, notes),
                password=_require(environ, PASSWORD_VAR, notes),
                notes=tuple(notes),
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


def _require(environ: Mapping[str, str], var: str, notes: list[str]) -> str:
    """*var*'s value, from the environment or its file, stripped; *notes* gets the warnings."""
    file_var = var + FILE_SUFFIX
    path_text = environ.get(file_var, "")
    if path_text.strip() and environ.get(var, ""):
        raise PlanError(
            "environment", var, f"is set together with {file_var}", "unset one of the two"
        )
    if path_text.strip():
        where = file_var
        value = _read_file(file_var, Path(path_text.strip()), notes)
        problem = f"names an empty file ({path_text.strip()})"
    else:
        where = var
        value = environ.get(var, "")
        problem = "is empty" if var in environ else "is not set"
    stripped = value.strip()
    if not stripped:
        raise PlanError("environment", where, problem, _FIXES[var])
    if stripped != value:
        lead, trail = len(value) - len(value.lstrip()), len(value) - len(value.rstrip())
        notes.append(
            f"{where}: the value had surrounding whitespace ({lead} leading, {trail} trailing "
            "character(s)); it was stripped - remove it at the source"
        )
    return stripped


def _read_file(file_var: str, path: Path, notes: list[str]) -> str:
    """The file's text without its one trailing line break (what ``echo >`` adds)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PlanError(
            "environment", file_var, f"cannot read {path}: {e.strerror or type(e).__name__}",
            "give the path of a readable file holding only the secret",
        ) from None  # fmt: skip
    try:
        text = data.decode("utf-8-sig")  # a BOM, as Notepad may write, is not part of it
    except UnicodeDecodeError:
        raise PlanError(
            "environment", file_var, f"{path} is not UTF-8 text",
            "write the secret as plain text (UTF-8)",
        ) from None  # fmt: skip
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    problem = readable_by_others(path)
    if problem is not None:
        notes.append(f"{file_var}: {path} {problem}")
    return text


def readable_by_others(path: Path) -> str | None:
    """Why other users may read the secret file *path*, or None.

    POSIX only: on Windows the file's ACL decides and the mode bits say nothing
    about it (``contrib/register-task.ps1`` restricts the ACL to the task's account).
    """
    if sys.platform == "win32":
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return (
            f"can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"restrict it: chmod 600 {path}"
        )
    return None
