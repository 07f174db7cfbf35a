"""What is checked on the controller before anything runs: the phase modules and the
reports folder. A mistake in either is one usage-error line, before the server is
contacted (docs/checks.md, "Bad input")."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from aperture_verify.plan.model import Plan
from aperture_verify.plugin import phasemodules


def check_phase_modules(
    plan: Plan, phases_dir: Path, root: Path, patterns: list[str], *, whole_plan: bool
) -> None:
    """The phase modules' mistakes, refused in one place (see phasemodules.py);
    *whole_plan*: the run asks for the whole phases directory, so every phase needs one."""
    try:
        modules = phasemodules.scan(phases_dir, root, patterns)
        phasemodules.check(modules, plan, root, phases_dir, whole_plan=whole_plan)
    except phasemodules.PhaseModuleError as e:
        raise pytest.UsageError(str(e)) from None


def check_report_paths(reports: Path, html: Path | None, junit: Path | None) -> None:
    """The reports can be written where they go: checked before anything runs.

    Each report's folder is created if missing and a file is written to it and
    removed; a report path that is a folder is refused too.
    """
    targets = [("--reports-dir / aperture_reports_dir", reports, True)]
    if html is not None:
        targets.append(("--html", html, False))
    if junit is not None:
        targets.append(("--junitxml", junit, False))
    for flag, path, is_dir in targets:
        folder = path if is_dir else path.parent
        if not is_dir and path.is_dir():
            raise pytest.UsageError(f"{flag}: {path} is a folder; give a file path for the report")
        problem = writable_folder_problem(folder)
        if problem is not None:
            raise pytest.UsageError(
                f"{flag}: the reports cannot be written to {folder}: {problem}; "
                "fix it or choose another folder"
            )


def writable_folder_problem(folder: Path) -> str | None:
    """Why no file can be written in *folder* (created if missing), or None."""
    if folder.exists() and not folder.is_dir():
        return "it is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".aperture-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return e.strerror or type(e).__name__
    return None
