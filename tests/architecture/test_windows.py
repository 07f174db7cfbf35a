"""Nothing in the package that only POSIX has, unless a Windows branch guards it (issue 22).

Every use of a POSIX-only call, constant, keyword or module in ``src/`` must
sit under a platform check (``sys.platform``, ``os.name``, ``hasattr(...)``):
inside its ``if``/conditional/``and``, or after an ``if`` of the same block
that returns for Windows. The scanner is tested on samples of both kinds so
that it cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "aperture_verify"

#: module -> attributes that exist (or behave) on POSIX only. ``os.kill`` is here:
#: on Windows it terminates the process whatever the signal.
POSIX_ONLY = {
    "os": {
        "kill", "killpg", "getpgid", "getpgrp", "setsid", "setpgrp", "getuid", "geteuid",
        "getgid", "getegid", "fork", "forkpty", "uname", "sync", "mkfifo", "chown", "lchown",
        "nice", "WNOHANG", "statvfs", "getloadavg", "pipe2", "sched_getaffinity", "fchmod",
    },
    "signal": {
        "SIGHUP", "SIGKILL", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGPIPE",
        "SIGSTOP", "SIGCONT", "alarm", "pause", "setitimer", "siginterrupt", "pthread_kill",
        "pthread_sigmask", "sigwait",
    },
    "time": {"tzset"},
}  # fmt: skip
POSIX_MODULES = {"fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "syslog"}
POSIX_KEYWORDS = {"start_new_session", "preexec_fn", "pass_fds"}
GUARDS = ("sys.platform", "os.name", "hasattr(", "platform.system")


def _guarded_test(node: ast.AST) -> bool:
    return any(guard in ast.unparse(node) for guard in GUARDS)


def _returns(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Return | ast.Raise)


def posix_only_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) of each unguarded POSIX-only use in *source*."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent

    def guarded(node: ast.AST) -> bool:
        current = node
        while current in parents:
            parent = parents[current]
            if isinstance(parent, ast.If | ast.IfExp | ast.BoolOp) and _guarded_test(
                parent.test if isinstance(parent, ast.If | ast.IfExp) else parent
            ):
                return True
            if isinstance(parent, ast.Try) and any(
                "ImportError" in ast.unparse(h) or "AttributeError" in ast.unparse(h)
                for h in parent.handlers
            ):
                return True
            # an earlier `if <platform check>: return ...` in the same block
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if isinstance(block, list) and current in block:
                    before = block[: block.index(current)]
                    if any(
                        isinstance(s, ast.If) and _guarded_test(s.test) and _returns(s.body)
                        for s in before
                    ):
                        return True
            current = parent
        return False

    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in POSIX_ONLY.get(node.value.id, set()):
                what = f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] in POSIX_MODULES]
            what = f"import {names[0]}" if names else None
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in POSIX_MODULES:
            what = f"from {node.module} import"
        elif isinstance(node, ast.keyword) and node.arg in POSIX_KEYWORDS:
            what = f"{node.arg}="
        if what is not None and not guarded(node):
            found.append((getattr(node, "lineno", 0), what))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_posix_only_call_without_a_windows_branch(path: Path) -> None:
    uses = posix_only_uses(path.read_text(encoding="utf-8"))
    assert uses == [], f"{path}: POSIX only, without a Windows branch: {uses}"


def test_the_scanner_finds_unguarded_uses() -> None:
    source = """
import fcntl
import os, signal, subprocess
os.killpg(1, signal.SIGKILL)
subprocess.Popen(["x"], start_new_session=True)
def f(pid):
    if pid:
        return os.kill(pid, 0)
"""
    assert posix_only_uses(source) == [
        (2, "import fcntl"),
        (4, "os.killpg"),
        (4, "signal.SIGKILL"),
        (5, "start_new_session="),
        (8, "os.kill"),
    ]


def test_the_scanner_accepts_guarded_uses() -> None:
    source = """
import os, sys, signal
if sys.platform != "win32":
    import fcntl
name = os.uname().nodename if hasattr(os, "uname") else "x"
def alive(pid):
    if sys.platform == "win32":
        return windows(pid)
    os.kill(pid, 0)
ok = sys.platform != "win32" and os.getuid() == 0
try:
    import pwd
except ImportError:
    pwd = None
"""
    assert posix_only_uses(source) == []
