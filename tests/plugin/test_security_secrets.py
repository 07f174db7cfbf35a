"""No password, API key or token in anything a run leaves behind.

Plans that pass and fail (a server-side failure whose message even echoes the
credential, a readiness failure, a job cancelled at its deadline) and plans
whose login is refused run under xdist with distinctive secrets, all logging
turned up. Then every file the run wrote (reports/ and the log file), and its
captured stdout and stderr, are scanned for the secrets and for every token
the emulator issued. ``repr()`` of the client objects is covered in
test_client_secrets.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aperture_verify.emulator import Emulator, Fault, Scenario
from aperture_verify.execution.exitcodes import EXIT_LOGIN_FAILURE, EXIT_READINESS_FAILURE
from phase_project import Project, assert_no_job_active, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

API_KEY = "SECRET-KEY-7d1e"
USER, PASSWORD = "svc-verify", "pa55-SECRET-9c"
PHASES = {"first": ["W1", "W2", "Missing"], "second": ["W3"]}

# Everything that could carry a secret, turned on.
LOUD = (
    "-n",
    "2",
    "-rA",
    "--log-level=DEBUG",
    "--log-file=run.log",
    "--log-file-level=DEBUG",
    "-o",
    "junit_logging=all",
)


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(
        workflows=(
            workflow("W1", 0.3),
            # a server that repeats the credential in a job's error: the suite must not
            workflow(
                "W2",
                0.3,
                outcome="FAILED",
                error=f"access check failed for {API_KEY} / {USER}:{PASSWORD}",
            ),
            workflow("W3", 0.3),
        )
    )


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (API_KEY,), "users": {USER: PASSWORD}}


def make(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    api: str,
    *,
    key: str = API_KEY,
    password: str = PASSWORD,
) -> Project:
    for name in ("APERTURE_URL", "APERTURE_API", "APERTURE_PLAN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APERTURE_API", api)
    if api == "v2":
        monkeypatch.setenv("APERTURE_API_KEY", key)
    else:
        monkeypatch.setenv("APERTURE_USERNAME", USER)
        monkeypatch.setenv("APERTURE_PASSWORD", password)
    emulator.inject(Fault(workflow="W3", stuck=True))  # W3 is cancelled at its deadline
    project = Project(pytester, emulator)
    project.write(PHASES, on_failure="continue", extra='[workflows."W3"]\nmax_duration = "1s"\n')
    return project


def issued_tokens(emulator: Emulator) -> set[str]:
    tokens = set()
    for request in emulator.requests:
        value = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        if value.startswith("Bearer "):
            tokens.add(value.removeprefix("Bearer "))
    return tokens


def assert_nothing_leaks(project: Project, result: pytest.RunResult, secrets: set[str]) -> None:
    """No secret in the run's output or in any file it left in the project folder."""
    assert_no_secret_in(project.pytester.path, result.stdout.str(), result.stderr.str(), secrets)


def assert_no_secret_in(root: Path, stdout: str, stderr: str, secrets: set[str]) -> None:
    assert all(len(s) >= 8 for s in secrets)
    texts = {"stdout": stdout, "stderr": stderr}
    for path in (p for p in root.rglob("*") if p.is_file()):
        texts[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    for name in ("reports/report.html", "reports/junit.xml", "reports/results.json", "run.log"):
        assert name in texts, f"{name} was not written: nothing to scan"
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:4]}...) leaked into {where}"


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_passing_and_failing_workflows_leak_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, api: str
) -> None:
    project = make(pytester, monkeypatch, emulator, api)
    # Without the preflight, which would stop the run at 'Missing' before anything ran:
    # the scan is meant to cover the messages of workflows that ran and failed too.
    result = project.run(*LOUD, "-o", "aperture_deadline_grace=0.3s", "--no-preflight")
    assert result.ret == EXIT_READINESS_FAILURE  # Missing; W2 and W3 failed in execution
    result.assert_outcomes(passed=1, failed=3)
    assert_no_job_active(emulator.jobs)
    # the credentials this run was given (the other one is, to it, just text)
    secrets = {API_KEY} if api == "v2" else {PASSWORD, *issued_tokens(emulator)}
    if api == "v1":
        assert len(secrets) > 1, "no token was issued: the scan proves nothing"
    assert_nothing_leaks(project, result, secrets)
    # the server's message is still shown, with the credential masked
    w2 = project.results()["W2"]
    assert "access check failed for" in (w2["server_error"] or "") + (w2["message"] or "")


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_a_refused_login_leaks_no_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, api: str
) -> None:
    wrong_key, wrong_password = API_KEY + "-revoked", PASSWORD + "-old"
    project = make(pytester, monkeypatch, emulator, api, key=wrong_key, password=wrong_password)
    result = project.run(*LOUD)
    assert result.ret == EXIT_LOGIN_FAILURE
    result.stdout.fnmatch_lines(["*LOGIN FAILED*401*"])
    assert emulator.jobs == []
    given = {wrong_key} if api == "v2" else {wrong_password}
    assert_nothing_leaks(project, result, given | issued_tokens(emulator))


def test_the_scan_would_see_a_leak(tmp_path: Path) -> None:
    """The scan the tests above rely on finds a planted secret wherever it is, and
    refuses to pass when a report it should read was not written."""
    names = ("reports/report.html", "reports/junit.xml", "reports/results.json", "run.log")
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("clean")
    assert_no_secret_in(tmp_path, "out", "err", {API_KEY})
    with pytest.raises(AssertionError, match="leaked into stderr"):
        assert_no_secret_in(tmp_path, "out", f"Authorization: default {API_KEY}", {API_KEY})
    (tmp_path / "reports" / "deep").mkdir()
    (tmp_path / "reports" / "deep" / "x.json").write_text(f'{{"k": "{API_KEY}"}}')
    with pytest.raises(AssertionError, match=r"leaked into reports/deep/x\.json"):
        assert_no_secret_in(tmp_path, "out", "err", {API_KEY})
    (tmp_path / "reports" / "deep" / "x.json").unlink()
    (tmp_path / "reports" / "junit.xml").unlink()
    with pytest.raises(AssertionError, match=r"junit\.xml was not written"):
        assert_no_secret_in(tmp_path, "out", "err", {API_KEY})
