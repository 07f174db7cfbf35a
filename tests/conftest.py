"""Shared fixtures. ``emulator``: the one emulator fixture, a started Data Studio emulator
checked at teardown, serving ``emulator_scenario`` with ``emulator_options`` (override
either in a folder's conftest.py or a module); ``emulator_factory``: starts more emulators,
or ones configured per test, on the same terms (the one place a test makes an emulator);
``project``: a throw-away suite project (see ``phase_project``) whose runs reach that
emulator.

Every test that runs pytest in a subprocess (through ``pytester``) must be marked
``slow``, so that ``-m "not slow"`` leaves only the fast tests; collection says
so when one is not. A test that waits out real time for over a minute is marked
``long_wait`` and collected first (see ``pytest_collection_modifyitems``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings

from aperture_verify.emulator import Emulator, Scenario, StepScript, WorkflowScript
from emulator_support import EmulatorFactory
from phase_project import API_KEY, Project

# Hypothesis fails an example that takes over 200 ms, and warns when generating data is
# slow: on a loaded machine a computation of microseconds can wait that long for a core
# (seen: 320 ms for test_next_delay_never_exceeds_max_delay). No test's pass may depend
# on how busy the machine is, so the suite runs without either timing check.
settings.register_profile(
    "aperture-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("aperture-tests")


@pytest.fixture(autouse=True)
def _subprocesses_cache_their_bytecode(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subprocess run compiles pytest, the plugins and the suite again on every start
    when PYTHONDONTWRITEBYTECODE is set (some sandboxes set it): not for slow tests."""
    if request.node.get_closest_marker("slow") is not None:
        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)


@pytest.fixture
def emulator_scenario(request: pytest.FixtureRequest) -> Scenario | None:
    """A small, fast scenario; override this fixture in a module to serve another. A
    ``project``'s emulator starts empty (its test adds the workflows)."""
    if "project" in request.fixturenames:
        return None
    return Scenario(
        workflows=(
            WorkflowScript(
                "Quick",
                duration=0.3,
                queue_time=0.05,
                steps=(
                    StepScript("Load", type="SOURCE", rows_out=1000),
                    StepScript(
                        "Validate",
                        type="VALIDATE",
                        rows_in=1000,
                        rows_out=1000,
                        passed_rows=990,
                        failed_rows=10,
                    ),
                ),
            ),
            WorkflowScript(
                "Fails",
                duration=0.2,
                outcome="FAILED",
                error="boom",
                steps=(
                    StepScript("Load", type="SOURCE", rows_out=10),
                    StepScript("Lookup", type="LOOKUP", rows_in=10),
                ),
            ),
            WorkflowScript("Draft", published=False, has_draft=True, duration=0.2),
            WorkflowScript("Slow", duration=30.0),
        )
    )


@pytest.fixture
def emulator_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The emulator's keyword arguments (``check``: re-raise its handlers' errors at
    teardown); override this fixture in a folder's conftest.py or a module for others.
    A ``project``'s emulator knows only the project's API key."""
    if "project" in request.fixturenames:
        return {"api_keys": (API_KEY,)}
    return {
        "api_keys": ("test-api-key",),
        "readonly_keys": ("test-readonly-key",),
        "users": {"alice": "test-password"},
        "seed": 1,
    }


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators: ``emulator_factory(scenario, **options)`` takes ``Emulator``'s
    arguments and returns it running. At the test's end every one is stopped, then
    checked (its handlers' first error re-raised) unless it was made with ``check=False``:
    for a test that needs two emulators, or one configured per case."""
    started: list[tuple[Emulator, bool]] = []
    with ExitStack() as stack:

        def start(
            scenario: Scenario | None = None, /, *, check: bool = True, **options: Any
        ) -> Emulator:
            emu = stack.enter_context(Emulator(scenario, **options))
            started.append((emu, check))
            return emu

        yield start
    for emu, check in started:
        if check:
            emu.check()


@pytest.fixture
def emulator(
    emulator_scenario: Scenario | None,
    emulator_options: dict[str, Any],
    emulator_factory: EmulatorFactory,
) -> Emulator:
    """The one emulator fixture: a running emulator serving ``emulator_scenario`` with
    ``emulator_options``. By default: API key ``test-api-key`` (read-only:
    ``test-readonly-key``) in environment ``default``, 1.x user ``alice`` /
    ``test-password``."""
    return emulator_factory(emulator_scenario, **emulator_options)


@pytest.fixture
def api(emulator: Emulator) -> Iterator[requests.Session]:
    """A ``requests.Session`` sending the emulator's API key (2.x form)."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"{emulator.environment} {emulator.api_keys[0]}"
        yield session


@pytest.fixture
def project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> Project:
    """A pytester project whose runs reach ``emulator`` (empty, API key ``API_KEY``)."""
    monkeypatch.setenv("APERTURE_API_KEY", API_KEY)
    for name in ("APERTURE_URL", "APERTURE_API", "APERTURE_PLAN"):
        monkeypatch.delenv(name, raising=False)
    return Project(pytester, emulator)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The tests that mostly wait go first, then the other end-to-end runs, then the unit
    # tests: under xdist the long ones then overlap and the many short ones fill the end
    # (a long test drawn last would add its whole length to the run).
    items.sort(
        key=lambda item: (
            item.get_closest_marker("long_wait") is None,
            item.get_closest_marker("slow") is None,
        )
    )
    unmarked = [
        item.nodeid
        for item in items
        if "pytester" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            f"{unmarked[0]} runs pytest in a subprocess but is not marked slow "
            f"({len(unmarked)} such tests); add pytestmark = pytest.mark.slow to its module"
        )
