"""``aperture-verify``: run a project's suite from any folder (the command a scheduler calls).

::

    aperture-verify [--project DIR] [pytest options...]

The project folder is ``--project DIR``, else ``APERTURE_PROJECT``, else the
nearest folder holding ``plans.toml`` from the current folder upwards. The
command changes into it and runs pytest there, in this process, so the
project's own configuration (``pyproject.toml`` / ``pytest.ini``, its
``testpaths``, ``addopts`` and ``aperture_*`` keys) applies exactly as a
``pytest`` typed in that folder would; every other option is pytest's and is
passed through unchanged. Relative paths among them are therefore relative to
the project folder. The exit status is the run's (execution/exitcodes.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_VAR = "APERTURE_PROJECT"
PLANS_FILE = "plans.toml"
USAGE_ERROR = 4
_REWRITE_NOTICE = "Module already imported so cannot be rewritten; aperture_verify"

USAGE = f"""\
usage: aperture-verify [--project DIR] [pytest options...]

Runs the aperture-verify suite of a project folder from anywhere.

  --project DIR   the project folder (default: ${PROJECT_VAR}, else the nearest folder
                  holding {PLANS_FILE} from the current folder upwards)

Every other option goes to pytest, run in the project folder with the project's
own configuration: -n 2, --plan nightly, --resume, --run "W1; W2, W3" ...
Relative paths are relative to the project folder. See docs/scheduling.md.
"""


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
    for folder in (cwd, *cwd.parents):
        if (folder / PLANS_FILE).is_file():
            return folder
    raise LaunchError(
        f"no project: no {PLANS_FILE} in {cwd} or any folder above it; "
        f"give --project DIR or set {PROJECT_VAR}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: find the project, run pytest there, return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    try:
        given, rest = split_project(args)
        project = find_project(given, os.environ, Path.cwd())
    except LaunchError as e:
        print(f"aperture-verify: ERROR: {e}", file=sys.stderr)
        return USAGE_ERROR
    import pytest

    os.chdir(project)
    # This command imported the package before pytest could mark it for assertion
    # rewriting; the plugin's own asserts need none, so pytest's notice is noise.
    quiet = ["-W", f"ignore:{_REWRITE_NOTICE}:pytest.PytestAssertRewriteWarning"]
    return int(pytest.main([*quiet, *rest]))


if __name__ == "__main__":  # pragma: no cover - python -m aperture_verify.plugin.command
    sys.exit(main())
