"""The suite's exceptions: one root, one subclass per failure a user can act on.

Messages name the file and key, or the URL and HTTP status, and say what to do.
They never contain a password, an API key or a token.
"""

from __future__ import annotations


class ApertureError(Exception):
    """Root of every error raised by this package."""


class PlanError(ApertureError):
    """``plans.toml`` (or a setting that overrides it) is invalid.

    ``str()`` is one line: ``<file>: <key>: <problem>; <fix>``.
    """

    def __init__(self, source: str, key: str, problem: str, fix: str = "") -> None:
        self.source = source
        self.key = key
        self.problem = problem
        self.fix = fix
        where = f"{source}: {key}" if key else source
        text = f"{where}: {problem}"
        if fix:
            text += f"; {fix}"
        super().__init__(text)


class ClientError(ApertureError):
    """An error talking to a Data Studio server.

    Carries the method, URL and (when there was a response) the HTTP status and
    the server's message, so the failure can be reported as what it is.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        server_message: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.server_message = server_message
        super().__init__(message)


class AuthenticationError(ClientError):
    """The credentials were refused (HTTP 401/403) or the login call failed."""


class WorkflowNotReadyError(ClientError):
    """The workflow does not exist in the space, or cannot be executed as asked."""


class TransportError(ClientError):
    """The server could not be reached or did not answer in time, after retries."""


class ServerRefusedError(ClientError):
    """The server answered with an error status the client cannot recover from."""


class ProtocolError(ClientError):
    """The server answered, but not in the shape the API profile describes."""


class JobLostError(ServerRefusedError):
    """The server no longer knows a job the suite started (404 on a known job id)."""
