"""A scheduler's SIGTERM ends a run the way Ctrl-C does: jobs cancelled, reports written."""

from __future__ import annotations

import contextlib
import signal
from types import FrameType


def install_sigterm_handler() -> None:
    """SIGTERM (a scheduler stopping the run) is handled like Ctrl-C."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if hasattr(signal, "SIGTERM"):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(signal.SIGTERM, interrupt)
