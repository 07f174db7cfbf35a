"""Bad input at the pytest boundary: one ``ERROR:`` line, exit 4, nothing run.

The loader itself is fuzzed in test_plan_fuzz.py (1,300 generated documents:
structural and text mutations of sample plans, random documents, unknown
keys). Here the same rule is checked through a real ``pytest`` run: a broken
``plans.toml``, a bad command-line value or a bad environment variable gives
exactly one line naming the file or the option, no traceback, and not a
single request to the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from phase_project import HANG_GUARD, Project, executes, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = {"first": ["W1"], "second": ["W2"]}

Mutation = Callable[[str], str]


def replace(old: str, new: str) -> Mutation:
    def mutate(text: str) -> str:
        assert old in text, f"the base plan has no {old!r}"
        return text.replace(old, new, 1)

    return mutate


# (mutation of the valid plan, what the one error line must name)
PLAN_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "unknown-server-key": (
        replace('space = "Demo"', 'space = "Demo"\nverify_tsl = false'),
        "verify_tsl",
    ),
    "max-parallel-zero": (replace("max_parallel = 8", "max_parallel = 0"), "max_parallel"),
    "on-failure-typo": (replace('on_failure = "stop"', 'on_failure = "halt"'), "on_failure"),
    "api-v3": (replace('api = "v2"', 'api = "v3"'), "api"),
    "url-without-scheme": (replace('url = "http://', 'url = "'), "url"),
    "unknown-phase": (
        replace('phases = ["first", "second"]', 'phases = ["first", "secnd"]'),
        "secnd",
    ),
    "bad-duration": (
        replace('max_duration = "20s"', 'max_duration = "20 parsecs"'),
        "max_duration",
    ),
    # a TOML syntax error: tomllib names the line, not the key
    "duplicate-key": (replace('space = "Demo"', 'space = "Demo"\nspace = "Other"'), "line 6"),
    "truncated-toml": (lambda text: text[: text.index("[plans.main]") + 8], "line"),
    "empty-phase": (replace('workflows = ["W2"]', "workflows = []"), "workflows"),
    "default-plan-typo": (replace('default_plan = "main"', 'default_plan = "mian"'), "mian"),
    "credential-in-file": (
        replace('space = "Demo"', 'space = "Demo"\napi_key = "k-in-file"'),
        "api_key",
    ),
    "wrong-type": (replace("max_parallel = 8", 'max_parallel = "eight"'), "max_parallel"),
    "unknown-top-table": (lambda text: text + '[servers]\nurl = "x"\n', "servers"),
}


def assert_one_error_line(result: pytest.RunResult, *words: str) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert len(errors) == 1, result.stderr.lines
    everything = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in everything, everything
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def base(project: Project) -> None:
    project.emulator.add_workflow(workflow("W1", 0.3))
    project.emulator.add_workflow(workflow("W2", 0.3))
    project.write(PHASES)


@pytest.mark.parametrize(("mutation", "key"), PLAN_MUTATIONS.values(), ids=list(PLAN_MUTATIONS))
def test_a_broken_plan_is_one_error_line_naming_the_file_and_key(
    project: Project, mutation: Mutation, key: str
) -> None:
    base(project)
    plans = project.pytester.path / "plans.toml"
    plans.write_text(mutation(plans.read_text()))
    result = project.run("-n", "2", timeout=HANG_GUARD)
    assert_one_error_line(result, "plans.toml", key)
    assert project.emulator.requests == []


def test_a_plans_file_that_is_not_utf8(project: Project) -> None:
    base(project)
    plans = project.pytester.path / "plans.toml"
    plans.write_bytes(plans.read_bytes().replace(b'"Demo"', b'"D\xe9mo"'))
    assert_one_error_line(project.run("-n", "2", timeout=HANG_GUARD), "plans.toml", "UTF-8")
    assert project.emulator.requests == []


# (command-line arguments, environment variables to set, words the one line must hold)
BAD_OPTIONS: dict[str, tuple[list[str], dict[str, str], tuple[str, ...]]] = {
    "unknown-plan": (["--plan", "nightly"], {}, ("plans.toml", "nightly")),
    "unknown-plan-from-env": ([], {"APERTURE_PLAN": "nightly"}, ("plans.toml", "nightly")),
    "unparsable-deadline-grace": (["--deadline-grace", "soon"], {}, ("--deadline-grace",)),
    "negative-deadline-grace": (["--deadline-grace=-5s"], {}, ("--deadline-grace",)),
    "server-url-without-scheme": (["--server-url", "ads.example.com"], {}, ("--server-url",)),
    "server-url-ftp": (["--server-url", "ftp://ads.example.com"], {}, ("--server-url",)),
    "unknown-api": (["--api", "v3"], {}, ("--api", "v3")),
    "bad-aperture-url": ([], {"APERTURE_URL": "not a url"}, ("APERTURE_URL",)),
    "bad-aperture-api": ([], {"APERTURE_API": "v9"}, ("APERTURE_API",)),
    "v1-without-password": (["--api", "v1"], {"APERTURE_USERNAME": "svc"}, ("APERTURE_PASSWORD",)),
    # an unset variable in a scheduler's script: taken as absent, it would run the whole plan
    "empty-workflows": (["--workflows", ""], {}, ("--workflows", "empty value")),
    "empty-phases": (["--phases="], {}, ("--phases", "empty value")),
    "empty-plan": (["--plan", " "], {}, ("--plan", "empty value")),
    "missing-phase-module": (["test_phases/test_typo.py"], {}, ("test_typo.py", "not found")),
    "malformed-keyword": (["-k", "Workflow 1"], {}, ("-k", "expected end of input")),
    "malformed-marker": (["-m", "not"], {}, ("-m",)),
    "duration-hint-once": (["--deadline-grace", "5x"], {}, ("--deadline-grace", "write it like")),
    # xdist took it and started no worker: every test errored on its fixtures
    "negative-workers": (["-n", "-1"], {}, ("-n", "-1", "0 or more", "auto or logical")),
}


@pytest.mark.parametrize(("args", "env", "words"), BAD_OPTIONS.values(), ids=list(BAD_OPTIONS))
def test_a_bad_option_or_variable_is_one_error_line_and_nothing_runs(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    words: tuple[str, ...],
) -> None:
    base(project)
    monkeypatch.delenv("APERTURE_PASSWORD", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = project.run("-n", "2", *args, timeout=HANG_GUARD)
    line = assert_one_error_line(result, *words)
    assert line.count("write it like") <= 1, line
    assert project.emulator.requests == []


def test_a_negative_worker_count_marks_the_last_runs_results_not_passed(project: Project) -> None:
    base(project)
    assert project.run("-n", "0").ret == 0
    results = project.path / "reports" / "results.json"
    before = json.loads(results.read_text())
    assert_one_error_line(project.run("-n", "-1"), "-n", "-1")
    assert len(executes(project.emulator)) == 2  # the first run's two workflows, no more
    data = json.loads(results.read_text())
    assert (data["verdict"], data["exit_status"]) == ("error", 4)
    assert data["previous_run"]["run_id"] == before["run_id"]  # what --resume resumes from


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_a_missing_api_key_for_a_real_server_is_one_error_line(
    project: Project, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    base(project)
    if value is None:
        monkeypatch.delenv("APERTURE_API_KEY")
    else:
        monkeypatch.setenv("APERTURE_API_KEY", value)
    line = assert_one_error_line(project.run("-n", "2", timeout=HANG_GUARD), "APERTURE_API_KEY")
    assert "is not set" in line or "is empty" in line
    assert project.emulator.requests == []
