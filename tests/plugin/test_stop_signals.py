"""The stop signals' handler (issue 22): like Ctrl-C, held back while the reports are written,
and ``nohup``'s ignored SIGHUP left ignored."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator

import pytest

from aperture_verify.plugin.signals import STOP_SIGNALS, deferred, install_sigterm_handler

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals: main thread"
)


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (*STOP_SIGNALS, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_sigterm_interrupts_like_ctrl_c() -> None:
    install_sigterm_handler()
    with pytest.raises(KeyboardInterrupt, match=f"signal {int(signal.SIGTERM)}"):
        signal.raise_signal(signal.SIGTERM)


def test_a_signal_while_the_reports_are_written_waits_for_them() -> None:
    install_sigterm_handler()
    with deferred() as received:
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)  # Ctrl-C too
        assert received == [signal.SIGTERM, signal.SIGINT]
    with pytest.raises(KeyboardInterrupt):  # and afterwards a signal interrupts again
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(sys.platform == "win32", reason="SIGHUP is POSIX")
def test_an_ignored_sighup_stays_ignored_and_a_default_one_interrupts() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup leaves it
    install_sigterm_handler()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    install_sigterm_handler()
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGHUP)
