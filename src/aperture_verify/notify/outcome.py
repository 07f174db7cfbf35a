"""What became of one notification or ping: shown in the log and kept in results.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["NotificationOutcome"]


@dataclass(frozen=True)
class NotificationOutcome:
    """One message to one target, or one ping. *target* never holds a secret."""

    kind: Literal["notification", "ping"]
    target: str  # "json://hooks.example.com/…": no user, password, token or path
    status: Literal["sent", "failed", "timeout"]
    reason: str | None = None  # why it failed, redacted
    event: str | None = None  # a ping's: start or end

    @property
    def ok(self) -> bool:
        return self.status == "sent"

    def to_dict(self) -> dict[str, Any]:
        """The entry in results.json's ``notifications``."""
        entry: dict[str, Any] = {
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "reason": self.reason,
        }
        if self.event is not None:
            entry["event"] = self.event
        return entry

    def warning(self) -> str:
        """The one log line of a failure (the run's exit status is not changed by it)."""
        what = f"{self.event} ping" if self.kind == "ping" else "notification"
        why = f": {self.reason}" if self.reason else ""
        return f"aperture: WARNING: {what} to {self.target} {self.status}{why}"
