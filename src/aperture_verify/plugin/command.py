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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aperture_verify.common.project_folder import (
    PLANS_FILE,
    PROJECT_VAR,
    LaunchError,
    find_project,
    split_project,
)

if TYPE_CHECKING:  # pytest itself is imported once the project is found
    import pytest

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
    return int(pytest.main([*quiet, *rest], plugins=[_ProgramName()]))


class _ProgramName:
    """pytest's own usage lines (a bad ``-n`` value, say) name this command, not the
    ``pytest.main()`` that pytest.main gives them."""

    def pytest_addoption(self, parser: pytest.Parser) -> None:
        parser.prog = "aperture-verify"


if __name__ == "__main__":  # pragma: no cover - python -m aperture_verify.plugin.command
    sys.exit(main())
