"""What a scheduled run needs from the plugin (issue 22), behind a few calls.

- ``take_run_lock``: the run lock (execution/runlock.py), taken by the
  controller before the first request; a refused run ends at once with exit
  status 15 and writes no report, so the running one's stay as they are. The
  controller releases it when it closes, after the reports.
- ``stopped_before_start``: a signal during the start-up (the wait for a
  server that is down, the login, the preflight) leaves reports that say so.
- ``from_another_folder``: plain ``pytest`` started outside the project folder
  (Task Scheduler with an empty "Start in", ``-c``, ``--rootdir``) runs the
  project's phases as if started there, or stops with one line naming the
  command to run; it never collects the current folder's tests.
- ``into_another_project``: test paths into the phases folder of a project that
  pytest did not take as its rootdir (a project without a pytest configuration
  file, named from outside it) stop with the same kind of line.

Options are resolved in settings.py; these take the resolved values.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _pytest.outcomes import Exit

from aperture_verify.common.project_folder import nearest_project
from aperture_verify.execution.exitcodes import EXIT_ALREADY_RUNNING
from aperture_verify.execution.runfolder import remove_abandoned_run_dirs
from aperture_verify.execution.runlock import RunLock, RunLockHeld, lock_path
from aperture_verify.plan.model import Plan

__all__ = [
    "PROJECT_KEY",
    "AlreadyRunning",
    "from_another_folder",
    "into_another_project",
    "stopped_before_start",
    "take_run_lock",
]


class AlreadyRunning(Exit):  # what pytest.exit() raises, under its own name
    """Ends the run with exit status 15. pytest prints it as ``AlreadyRunning: <why>``,
    the one line a refused run writes."""

    def __init__(self, why: str) -> None:
        super().__init__(why, returncode=EXIT_ALREADY_RUNNING)


def take_run_lock(plan: Plan, lock_dir: Path | None, *, executes: bool) -> RunLock | None:
    """Lock *plan* on its server for this run, or end the run with exit status 15.

    Nothing to lock for a run that *executes* nothing (a dry run, ``--collect-only``),
    without a *lock_dir* (``--no-lock``), or against the embedded emulator (each run
    starts its own). Run folders left by killed runs are removed first.
    """
    removed = remove_abandoned_run_dirs()
    if removed:
        _line(f"aperture: removed {len(removed)} run folder(s) left by killed runs")
    if not executes or lock_dir is None or plan.server.is_emulator:
        return None
    lock = RunLock(lock_path(lock_dir, plan.name, plan.server.url), plan.name, plan.server.url)
    try:
        lock.acquire()
    except RunLockHeld as e:
        raise AlreadyRunning(str(e)) from None
    except OSError as e:
        raise pytest.UsageError(
            f"--lock-dir / APERTURE_LOCK_DIR: the run lock cannot be written to "
            f"{lock.path.parent}: {e.strerror or type(e).__name__}; fix it or choose "
            "another folder (--no-lock to run without one)"
        ) from None
    if lock.took_over:
        _line(f"aperture: {lock.took_over}")
    return lock


def stopped_before_start(
    plan: str,
    paths: tuple[Path, Path, Path],
    stage: str = "the start-up (waiting for the server, login, preflight)",
    this_run: str | None = None,
) -> None:
    """A signal (or Ctrl-C) stopped the run during *stage*, before its first phase:
    the three reports at *paths* say so (exit status 2), not the previous run's."""
    from aperture_verify.plugin.usage import write_usage_error_reports

    write_usage_error_reports(
        paths,
        plan,
        f"the run was interrupted during {stage}",
        int(pytest.ExitCode.INTERRUPTED),
        this_run,  # its live results.json, if written, carries the last real run
    )


def _line(text: str) -> None:
    # Said at once, on stderr: the terminal reporter may not be configured yet.
    print(text, file=sys.stderr, flush=True)


_INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def from_another_folder(
    config: pytest.Config, plans_file: Path, adhoc: bool, phases_dir: Path
) -> None:
    """Plain ``pytest`` without test paths, started outside the project (its rootdir).

    pytest would collect the current folder (``testpaths`` count only in the
    rootdir itself): the plugin would stay inactive (exit 5), or run the plan and
    collect whatever lies below the current folder. Instead the project's phases
    folder is run, as ``pytest`` typed in the project would -- provided the
    project's own configuration is in force; if it is not (``--rootdir`` without
    ``-c``), one line says what to run.
    """
    no_paths = config.args_source is pytest.Config.ArgsSource.INVOCATION_DIR
    if hasattr(config, "workerinput") or not no_paths:
        return
    root, here = config.rootpath, config.invocation_params.dir
    if here == root or root in here.parents:
        return  # in the project (or a folder of it): pytest's own rules
    if not plans_file.is_file() and not adhoc:
        return  # not a suite project: none of the plugin's business
    own = [p for p in (root / name for name in _INI_FILES) if _is_pytest_ini(p)]
    if own and (config.inipath is None or config.inipath.parent != root):
        raise pytest.UsageError(
            f"pytest was started in {here}, outside the project {root}, without the "
            f"project's configuration ({own[0].name}); run: aperture-verify --project {root} "
            "[options] (or: cd to the project and run pytest there)"
        )
    config.args[:] = [str(phases_dir)]


#: The project folder of test paths into a project that is not pytest's rootdir
#: (``into_another_project``): its reports, not the rootdir's, say why the run stopped.
PROJECT_KEY = pytest.StashKey[Path]()


def into_another_project(config: pytest.Config, phases_name: str, *, pyargs: bool) -> None:
    """Test paths into the *phases_name* folder of a project (the nearest folder above
    them holding plans.toml) that pytest did not take as its rootdir.

    Without a pytest configuration file in the project, ``pytest /srv/nightly/test_phases``
    started elsewhere takes the current folder, or the phases folder itself, as its
    rootdir: the plugin would look for plans.toml there (not found), or not take the
    run for a run of the suite at all (every test errors on its fixtures). Not checked
    with ``--pyargs``, nor (the caller) when ``--plans`` or ``--phases-dir`` is given.
    """
    if hasattr(config, "workerinput") or pyargs:
        return
    here, root = config.invocation_params.dir, config.rootpath.resolve()
    for arg in config.args:
        path = (here / arg.split("::")[0]).resolve()
        project = nearest_project(path)
        if project is None or project == root:
            continue
        phases = project / phases_name
        if path == phases or phases in path.parents:
            config.stash[PROJECT_KEY] = project
            raise pytest.UsageError(
                f"{arg}: pytest took {root} as its rootdir, not the project {project} "
                f"that holds it; run: aperture-verify --project {project} [options] "
                "(or: cd to the project and run pytest there)"
            )


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
    marker = {"pyproject.toml": "[tool.pytest.ini_options]", "setup.cfg": "[tool:pytest]"}
    return marker.get(path.name, "[pytest]") in text
