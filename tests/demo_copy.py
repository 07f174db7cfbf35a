"""A copy of the repository's demo project (plans, scenario, phase modules) in a folder."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNKNOWN = ROOT / "tests" / "profiles" / "unknown.toml"
PYTEST_INI = """[pytest]
testpaths = test_phases
addopts = --strict-markers --strict-config -p no:cacheprovider
aperture_plans = plans.toml
junit_logging = system-out
junit_family = xunit2
"""


def demo_copy(folder: Path) -> Path:
    """*folder* holding plans.toml, demo/workflows.toml and test_phases/; returns plans.toml."""
    shutil.copy(ROOT / "plans.toml", folder / "plans.toml")
    shutil.copytree(ROOT / "demo", folder / "demo")
    shutil.copytree(ROOT / "test_phases", folder / "test_phases",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    return folder / "plans.toml"
