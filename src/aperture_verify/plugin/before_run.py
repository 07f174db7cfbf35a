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
from aperture_verify.plugin.options import path_option, phases_dir


def check_phase_modules(config: pytest.Config, plan: Plan) -> None:
    """The phase modules' mistakes, refused in one place (see phasemodules.py)."""
    pdir = phases_dir(config)
    try:
        modules = phasemodules.scan(pdir, config.rootpath, config.getini("python_files"))
        phasemodules.check(
            modules, plan, config.rootpath, pdir, whole_plan=_whole_plan_selected(config, pdir)
        )
    except phasemodules.PhaseModuleError as e:
        raise pytest.UsageError(str(e)) from None


def _whole_plan_selected(config: pytest.Config, pdir: Path) -> bool:
    """Whether the run asks for the whole phases directory (no file, -k or -m narrowing it)."""
    target = pdir.resolve()
    return (
        any(
            (config.invocation_params.dir / a.split("::")[0]).resolve() in (target, *target.parents)
            for a in config.args
        )
        and not config.getoption("keyword")
        and not config.getoption("markexpr")
    )


def check_report_paths(config: pytest.Config) -> None:
    """The reports can be written where they go: checked before anything runs.

    Each report's folder is created if missing and a file is written to it and
    removed; a report path that is a folder is refused too.
    """
    reports = path_option(config, "aperture_reports_dir", "reports")
    targets = [("--reports-dir / aperture_reports_dir", reports, True)]
    html = getattr(config.option, "htmlpath", None)
    if html:
        targets.append(("--html", Path(html), False))
    if config.option.xmlpath:
        targets.append(("--junitxml", Path(config.option.xmlpath), False))
    for flag, path, is_dir in targets:
        path = path if path.is_absolute() else config.invocation_params.dir / path
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
