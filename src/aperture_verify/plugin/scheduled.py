"""What a scheduled run needs from the plugin (issue 22), behind three calls.

- ``take_run_lock``: the run lock (execution/runlock.py), taken on the
  controller before the first request; a refused run ends at once with exit
  status 15 and writes no report, so the running one's stay as they are.
- ``release_run_lock``: after the reports are written (``pytest_unconfigure``).
- ``stopped_before_start``: a signal during the start-up (the wait for a
  server that is down, the login, the preflight) leaves reports that say so.
- ``from_another_folder``: plain ``pytest`` started outside the project folder
  (Task Scheduler with an empty "Start in", ``-c``, ``--rootdir``) runs the
  project's phases as if started there, or stops with one line naming the
  command to run; it never collects the current folder's tests.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.execution.exitcodes import EXIT_ALREADY_RUNNING
from aperture_verify.execution.runfolder import remove_abandoned_run_dirs
from aperture_verify.execution.runlock import RunLock, RunLockHeld, lock_path
from aperture_verify.plan.model import Plan
from aperture_verify.plugin.options import flag, history_path, option, path_option, phases_dir
from aperture_verify.plugin.signals import install_sigterm_handler
from aperture_verify.plugin.usage import wants_reports, write_usage_error_reports

__all__ = [
    "from_another_folder", "install_sigterm_handler", "release_run_lock", "say_notes",
    "stopped_before_start", "take_run_lock",
]  # fmt: skip

LOCK_KEY = pytest.StashKey[RunLock]()


def take_run_lock(config: pytest.Config, plan: Plan, dry_run: bool) -> None:
    """Lock the plan on its server for this run, or end the run with exit status 15.

    Nothing to lock for a run that executes nothing (a *dry_run*, ``--collect-only``),
    for ``--no-lock``, or against the embedded emulator (each run starts its own).
    """
    _say_removed(config, remove_abandoned_run_dirs())
    executes = not config.getoption("collectonly") and not dry_run
    if not executes or plan.server.is_emulator or flag(config, "aperture_no_lock"):
        return
    lock = RunLock(lock_path(lock_folder(config, plan), plan.name, plan.server.url), plan.name,
                   plan.server.url)  # fmt: skip
    try:
        lock.acquire()
    except RunLockHeld as e:
        pytest.exit(f"aperture: {e}", returncode=EXIT_ALREADY_RUNNING)
    except OSError as e:
        raise pytest.UsageError(
            f"--lock-dir / APERTURE_LOCK_DIR: the run lock cannot be written to "
            f"{lock.path.parent}: {e.strerror or type(e).__name__}; fix it or choose "
            "another folder (--no-lock to run without one)"
        ) from None
    config.stash[LOCK_KEY] = lock
    if lock.took_over:
        _line(config, f"aperture: {lock.took_over}")


def lock_folder(config: pytest.Config, plan: Plan) -> Path:
    """Where the run lock goes: ``--lock-dir`` > ``APERTURE_LOCK_DIR`` > ini > ``locks``
    beside the history store (the default store's folder when the run keeps none)."""
    text = option(config, "aperture_lock_dir").strip()
    if text:
        path = Path(text)
        return path if path.is_absolute() else config.rootpath / path
    store = history_path(config, plan) or plan.history.path
    if store is None:
        return plan.source.parent / ".aperture" / "locks"
    return store.parent / "locks"


def release_run_lock(config: pytest.Config) -> None:
    lock = config.stash.get(LOCK_KEY, None)
    if lock is not None:
        lock.release()
        del config.stash[LOCK_KEY]


def stopped_before_start(
    config: pytest.Config, stage: str = "the start-up (waiting for the server, login, preflight)"
) -> None:
    """A signal (or Ctrl-C) stopped the run during *stage*, before its first phase:
    the three reports say so (exit status 2), not the previous run's."""
    if wants_reports(config):
        write_usage_error_reports(
            config, f"the run was interrupted during {stage}", int(pytest.ExitCode.INTERRUPTED)
        )


def say_notes(tr: Any, notes: Sequence[str]) -> None:
    """The warnings met reading the credentials (stripped, a file others can read)."""
    for note in notes:
        tr.write_line(f"aperture: WARNING: {note}", yellow=True)


def _say_removed(config: pytest.Config, removed: Sequence[object]) -> None:
    if removed:
        _line(config, f"aperture: removed {len(removed)} run folder(s) left by killed runs")


def _line(config: pytest.Config, text: str) -> None:
    # Said at once, on stderr: the terminal reporter may not be configured yet.
    print(text, file=sys.stderr, flush=True)


_INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def from_another_folder(config: pytest.Config) -> None:
    """Plain ``pytest`` without test paths, started outside the project (its rootdir).

    pytest would collect the current folder (``testpaths`` count only in the
    rootdir itself): the plugin would stay inactive (exit 5), or run the plan and
    collect whatever lies below the current folder. Instead the project's phases
    folder is run, as ``pytest`` typed in the project would -- provided the
    project's own configuration is in force; if it is not (``--rootdir`` without
    ``-c``), one line says what to run.
    """
    if (
        hasattr(config, "workerinput")
        or config.args_source is not pytest.Config.ArgsSource.INVOCATION_DIR
    ):
        return
    root, here = config.rootpath, config.invocation_params.dir
    if here == root or root in here.parents:
        return  # in the project (or a folder of it): pytest's own rules
    if not path_option(config, "aperture_plans", "plans.toml").is_file() and not option(
        config, "aperture_run"
    ):
        return  # not a suite project: none of the plugin's business
    own = [p for p in (root / name for name in _INI_FILES) if _is_pytest_ini(p)]
    if own and (config.inipath is None or config.inipath.parent != root):
        raise pytest.UsageError(
            f"pytest was started in {here}, outside the project {root}, without the "
            f"project's configuration ({own[0].name}); run: aperture-verify --project {root} "
            "[options] (or: cd to the project and run pytest there)"
        )
    config.args[:] = [str(phases_dir(config))]


def _is_pytest_ini(path: Path) -> bool:
    """Whether *path* is a file pytest would take as the project's configuration."""
    if not path.is_file():
        return False
    if path.name in ("pytest.ini", ".pytest.ini"):
        return True
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    marker = "[tool.pytest.ini_options]" if path.name == "pyproject.toml" else "[pytest]"
    if path.name == "setup.cfg":
        marker = "[tool:pytest]"
    return marker in text
