"""The suite's ini keys (``aperture_plans``, ``aperture_plan``...) as pytest would read them.

Only the files in the working directory are read, in pytest's order:
``pytest.ini`` (``[pytest]``), then ``pyproject.toml``
(``[tool.pytest.ini_options]``).
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from aperture_verify.errors import PlanError


def read_ini(folder: Path) -> dict[str, str]:
    """The ``aperture_*`` keys of the first ini file pytest would use in *folder*."""
    ini = folder / "pytest.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except configparser.Error as e:
            raise PlanError(
                str(ini), "", f"cannot be read ({type(e).__name__})", "fix it"
            ) from None
        if parser.has_section("pytest"):
            return {k: v for k, v in parser["pytest"].items() if k.startswith("aperture_")}
    project = folder / "pyproject.toml"
    if project.is_file():
        try:
            data = tomllib.loads(project.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise PlanError(str(project), "", f"cannot be read ({e})", "fix it") from None
        options = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
        if isinstance(options, dict):
            return {k: str(v) for k, v in options.items() if k.startswith("aperture_")}
    return {}
