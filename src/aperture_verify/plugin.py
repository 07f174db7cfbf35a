"""The pytest plugin (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aperture_plans", "path of the plans file (relative to the rootdir)", default="")
