"""Fixtures of the plugin tests (the emulator and ``project`` are tests/conftest.py's).

``nothing_left_running``: a module whose runs must leave the server as they found it
asks for it (``pytest.mark.usefixtures``); after each test that has a ``project``, no
job of its emulator is still active and each workflow ran once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phase_project import Project, assert_no_job_active, assert_one_job_per_workflow


@pytest.fixture
def nothing_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    # taken before the test, so it is torn down after this check
    project: Project | None = (
        request.getfixturevalue("project") if "project" in request.fixturenames else None
    )
    yield
    if project is not None:
        assert_no_job_active(project.jobs())
        assert_one_job_per_workflow(project.jobs())
