"""Faults the emulator injects on purpose: error statuses, slowness, dropped connections.

A ``Fault`` is matched against each request as ``"METHOD PATH"`` (``fnmatch``
pattern, query string excluded) and, when ``workflow`` is set, only against
requests that concern that workflow. The first active fault that matches is
used and its ``times`` counts down by one; a fault at 0 is removed.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aperture_verify.client.profile import ApiProfile
from aperture_verify.emulator.wire import Response, error_response, retry_after_value


@dataclass(eq=False)
class Fault:
    """One injected misbehaviour. See the module docstring for matching.

    - ``status``: answer this status (a Spring-style error body unless ``body``
      is given). ``retry_after`` adds a ``Retry-After`` header in seconds.
    - ``body`` / ``content_type``: answer this body instead (a ``str``/``bytes``
      as is, anything else as JSON); without ``status`` the status is 200.
    - ``latency``: sleep this many seconds before answering (or dropping).
    - ``drop``: close the connection without answering, before processing.
    - ``drop_after_processing``: process the request (an execute really starts
      a job), then close the connection without answering.
    - ``stuck`` (with ``workflow``): the next ``times`` jobs of that workflow
      (``times=None``: all of them) stay RUNNING for ever. Decided when the job
      is started; a stuck fault never changes a response.

    ``times=None`` means for ever. ``hits`` counts the requests (or jobs) it
    has acted on; ``remaining`` is what is left of ``times``.
    """

    route: str = "*"
    workflow: str | None = None
    status: int | None = None
    times: int | None = 1
    latency: float = 0.0
    drop: bool = False
    drop_after_processing: bool = False
    retry_after: float | None = None
    body: Any = None
    content_type: str | None = None
    stuck: bool = False
    hits: int = field(default=0, init=False)
    remaining: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError("times must be ≥ 1, or None for ever")
        if self.latency < 0:
            raise ValueError("latency must be ≥ 0")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.drop and self.drop_after_processing:
            raise ValueError("choose drop or drop_after_processing, not both")
        if self.stuck:
            if self.workflow is None:
                raise ValueError("a stuck fault needs workflow=")
            if self.status is not None or self.drop or self.drop_after_processing:
                raise ValueError(
                    "a stuck fault changes jobs, not responses: give it no status or drop"
                )
        self.remaining = self.times

    def matches(self, method: str, path: str, workflow: str | None) -> bool:
        """Whether this fault applies to the request ``method path`` about *workflow*."""
        if self.workflow is not None and self.workflow != workflow:
            return False
        return fnmatch.fnmatchcase(f"{method} {path}", self.route)

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0


class FaultSet:
    """The active faults, in order of injection; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take_response_fault(self, method: str, path: str, workflow: str | None) -> Fault | None:
        """The first response fault matching the request, counted down by one."""
        with self._lock:
            for fault in self._faults:
                if not fault.stuck and fault.matches(method, path, workflow):
                    self._consume(fault)
                    return fault
        return None

    def take_stuck(self, workflow: str) -> bool:
        """Whether a new job of *workflow* must stay RUNNING (counts a stuck fault down)."""
        with self._lock:
            for fault in self._faults:
                if fault.stuck and fault.workflow == workflow:
                    self._consume(fault)
                    return True
        return False

    def _consume(self, fault: Fault) -> None:
        fault.hits += 1
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)


def fault_response(profile: ApiProfile, fault: Fault, path: str) -> Response:
    """What a response fault answers: its status, and its body or a Spring error body."""
    status = fault.status if fault.status is not None else 200
    headers: tuple[tuple[str, str], ...] = ()
    if fault.retry_after is not None:
        headers = (("Retry-After", retry_after_value(fault.retry_after)),)
    if fault.body is None:
        return error_response(profile, status, f"Injected fault: {status}", path, headers)
    if isinstance(fault.body, bytes | str):
        raw = fault.body.encode() if isinstance(fault.body, str) else fault.body
        return Response(status, raw, fault.content_type or "text/plain; charset=utf-8", headers)
    return Response(
        status,
        json.dumps(fault.body).encode(),
        fault.content_type or "application/json",
        headers,
    )
