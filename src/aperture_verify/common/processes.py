"""Whether a process of this machine is still alive, on POSIX and on Windows.

Used to tell a lock or a run folder left by a killed run (its process gone)
from one whose run is still going. ``os.kill(pid, 0)`` is the POSIX probe; on
Windows ``os.kill`` would *terminate* the process, so the probe asks the
kernel for the process's exit code instead.
"""

from __future__ import annotations

import os
import socket
import sys

__all__ = ["host_name", "pid_alive"]

_STILL_ACTIVE = 259  # GetExitCodeProcess's answer for a running process
_ERROR_ACCESS_DENIED = 5
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def host_name() -> str:
    """This machine's name, as a lock or a run folder records its owner's."""
    return socket.gethostname() or "localhost"


def pid_alive(pid: int) -> bool:
    """Whether process *pid* of this machine exists (a process we may not signal counts)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        # Access denied: it exists under another account. Anything else: no such process.
        return bool(kernel32.GetLastError() == _ERROR_ACCESS_DENIED)
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
