"""The project folder a command works in: ``--project DIR``, else ``APERTURE_PROJECT``,
else the nearest folder holding ``plans.toml`` from the current folder upwards.

``aperture-verify`` runs the suite there; ``aperture-doctor`` and
``aperture-history`` read the project's plans.toml and history there when told
(``--project`` or ``APERTURE_PROJECT``), so a scheduler's "start in" folder does
not matter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_VAR = "APERTURE_PROJECT"
PLANS_FILE = "plans.toml"


class LaunchError(Exception):
    """A one-line usage problem of the command itself."""


def split_project(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """``--project DIR`` / ``--project=DIR`` taken out of *argv*; the rest is pytest's."""
    project: str | None = None
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest.append(arg)
            rest.extend(args)
            break
        if arg == "--project":
            value = next(args, None)
            if value is None or not value.strip():
                raise LaunchError("--project: give the project folder, like --project /srv/nightly")
            project = value
        elif arg.startswith("--project="):
            project = arg.split("=", 1)[1]
            if not project.strip():
                raise LaunchError("--project: give the project folder, like --project=/srv/nightly")
        else:
            rest.append(arg)
    return project, rest


def nearest_project(start: Path) -> Path | None:
    """The nearest folder holding plans.toml: *start* itself or one above it."""
    return next((f for f in (start, *start.parents) if (f / PLANS_FILE).is_file()), None)


def find_project(given: str | None, environ: Mapping[str, str], cwd: Path) -> Path:
    """The project folder: *given* > ``APERTURE_PROJECT`` > plans.toml upwards from *cwd*."""
    for source, text in (("--project", given), (PROJECT_VAR, environ.get(PROJECT_VAR))):
        if text and text.strip():
            folder = (cwd / Path(text.strip()).expanduser()).resolve()
            if not folder.is_dir():
                raise LaunchError(f"{source}: {folder} is not a folder; give the project folder")
            if not (folder / PLANS_FILE).is_file():
                raise LaunchError(
                    f"{source}: {folder} has no {PLANS_FILE}; give the folder that holds it"
                )
            return folder
    found = nearest_project(cwd)
    if found is not None:
        return found
    raise LaunchError(
        f"no project: no {PLANS_FILE} in {cwd} or any folder above it; "
        f"give --project DIR or set {PROJECT_VAR}"
    )
