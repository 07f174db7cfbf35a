"""The type of the ``emulator_factory`` fixture (tests/conftest.py), for annotations."""

from __future__ import annotations

from typing import Any, Protocol

from aperture_verify.emulator import Emulator, Scenario


class EmulatorFactory(Protocol):
    """Start an emulator serving *scenario* with *options* (``Emulator``'s keyword
    arguments); it is stopped at the test's end, then checked unless ``check=False``."""

    def __call__(
        self, scenario: Scenario | None = None, /, *, check: bool = True, **options: Any
    ) -> Emulator: ...
