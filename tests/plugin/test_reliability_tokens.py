"""1.x tokens at the suite level: one that expires mid-run, one the server revokes.

The plan runs with ``--api v1`` (username and password from the environment)
against an emulator with a user; the run goes on after one fresh login.
Without xdist, so one client does every call and the logins can be counted.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator_support import EmulatorFactory
from phase_project import Project, WhenRunning, assert_no_job_active, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

USER, PASSWORD = "svc-verify", "pw-for-token-tests"
PHASES = {"first": ["W1"], "second": ["W2"]}
LOGIN = "/api/v1/login"

MakeProject = Callable[..., Project]


@pytest.fixture
def v1_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator_factory: EmulatorFactory
) -> MakeProject:
    """A project on an emulator of its own that knows one 1.x user (and no API key)."""
    monkeypatch.delenv("APERTURE_API_KEY", raising=False)
    monkeypatch.setenv("APERTURE_USERNAME", USER)
    monkeypatch.setenv("APERTURE_PASSWORD", PASSWORD)
    for name in ("APERTURE_URL", "APERTURE_API", "APERTURE_PLAN"):
        monkeypatch.delenv(name, raising=False)

    def make(token_lifetime: float = 3600.0, duration: float = 1.5) -> Project:
        emu = emulator_factory(
            None, api_keys=(), users={USER: PASSWORD}, token_lifetime=token_lifetime
        )
        project = Project(pytester, emu)
        emu.add_workflow(workflow("W1", duration))
        emu.add_workflow(workflow("W2", 0.3))
        project.write(PHASES)
        return project

    return make


@pytest.mark.parametrize("event", ["expire_tokens", "revoke_tokens"])
def test_a_token_refused_mid_run_costs_one_login_and_the_run_goes_on(
    v1_project: MakeProject, event: str
) -> None:
    project = v1_project()
    emu = project.emulator
    when = WhenRunning(emu, "W1", getattr(emu, event))
    result = project.run("--api", "v1", "-n", "0")
    when.join()
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    assert when.acted_at is not None
    after = [r for r in emu.requests if r.at >= when.acted_at]
    refused = [r for r in after if r.status == 401]
    logins = [r for r in after if r.path == LOGIN]
    assert len(refused) == 1, [(r.method, r.path) for r in refused]
    assert len(logins) == 1 and logins[0].status == 200
    assert {j.label: j.state for j in emu.jobs} == {"W1": "COMPLETED", "W2": "COMPLETED"}


def test_a_short_lived_token_is_renewed_before_it_expires(v1_project: MakeProject) -> None:
    # tokens live 2 s; the run takes longer, and no call is refused on the way
    project = v1_project(token_lifetime=2, duration=3.0)
    result = project.run("--api", "v1", "-n", "0")
    result.assert_outcomes(passed=2)
    requests = project.emulator.requests
    assert len([r for r in requests if r.path == LOGIN]) >= 2
    assert not [r for r in requests if r.status == 401]
    assert_no_job_active(project.jobs())


def test_a_token_refused_under_xdist_costs_each_process_at_most_one_login(
    v1_project: MakeProject,
) -> None:
    project = v1_project()
    emu = project.emulator
    when = WhenRunning(emu, "W1", emu.revoke_tokens)
    result = project.run("--api", "v1", "-n", "2")
    when.join()
    result.assert_outcomes(passed=2)
    assert when.acted_at is not None
    after = [r for r in emu.requests if r.at >= when.acted_at]
    # the worker polling W1 is refused once and logs in once; the worker that runs
    # W2 (the same one or the other) needs at most one login of its own
    assert len([r for r in after if r.status == 401]) == 1
    assert 1 <= len([r for r in after if r.path == LOGIN]) <= 2
    assert_no_job_active(project.jobs())
