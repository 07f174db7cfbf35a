"""A scheduler's stop ends a run the way Ctrl-C does: jobs cancelled, reports written.

SIGTERM (cron's kill, systemd, Jenkins' abort), SIGHUP (the terminal went away)
and, on Windows, SIGBREAK (Ctrl-Break, ``CTRL_BREAK_EVENT`` sent to the
console group) raise ``KeyboardInterrupt`` in the main thread. The handlers are
installed as soon as the plugin knows the run is its own, before the start-up
wait for a server that is down. While the reports are written a signal is held
back (``deferred``) and the run ends with exit status 2 after them. A run stops
once: a stop signal repeated while it is stopping (a supervisor sending SIGTERM
twice) is recorded, not raised again in the middle of the clean-up.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals handled like Ctrl-C, where the platform has them.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)
)

_deferred = threading.Event()  # while set, a signal is recorded instead of raised
_stopping = threading.Event()  # set by the first stop signal of the run
_received: list[int] = []


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if _deferred.is_set() or _stopping.is_set():
        _received.append(signum)
        return
    _stopping.set()
    raise KeyboardInterrupt(f"signal {signum}")


def install_sigterm_handler() -> None:
    """SIGTERM, SIGHUP and SIGBREAK (a scheduler stopping the run) are handled like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        return
    _stopping.clear()
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            if signum != signal.SIGTERM and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # `nohup` asked for SIGHUP to be ignored: it stays ignored
            signal.signal(signum, _interrupt)


def stop_signal_received() -> bool:
    """Whether a stop signal (SIGTERM, SIGHUP, SIGBREAK) ended or is ending this run."""
    return _stopping.is_set()


@contextlib.contextmanager
def deferred() -> Iterator[list[int]]:
    """Hold stop signals back for the block (the reports being written); yields the
    list of those received, for the caller to end the run with exit status 2."""
    _received.clear()
    _deferred.set()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, _interrupt)  # Ctrl-C too
    try:
        yield _received
    finally:
        _deferred.clear()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
