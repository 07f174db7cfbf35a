"""Fixtures of the doctor tests: the emulator serves the demo's workflows
(demo/workflows.toml) to API key ``doctor-key`` (a test that needs another server makes
it with ``emulator_factory`` from ``emulator_scenario``); ``plans`` is a copy of the demo
project's plans.toml (see ``demo_copy``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aperture_verify.emulator import Scenario, load_scenario
from demo_copy import ROOT, demo_copy


@pytest.fixture
def emulator_scenario() -> Scenario:
    return load_scenario(ROOT / "demo" / "workflows.toml")


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": ("doctor-key",)}


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)
