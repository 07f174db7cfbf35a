"""Every mistake in a plan is one ``PlanError`` line naming the file, the key and the fix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_plan_samples import (
    DELETE,
    SERVER_SAMPLE,
    SOURCE,
    changed,
    emulator_sample,
    load,
    make_files,
    plan_error,
    to_toml,
)

from aperture_verify.errors import PlanError
from aperture_verify.plan import load_plan

S = SERVER_SAMPLE
W3 = "workflows/Workflow 3"
K3 = 'workflows."Workflow 3"'

# (text, the key the error must name, a fragment the message must contain)
# fmt: off
CASES: dict[str, tuple[str, str, str]] = {
    # TOML syntax
    "syntax": ('default_plan = "nightly"\n[server\nurl = 1\n', "line 2, column 8",
               "fix the TOML syntax"),
    "syntax at end": ("default_plan = ", "end of file", "Invalid value"),
    "duplicate table": ("[plans]\n[plans]\n", "line 2, column 7", "Cannot declare"),
    # unknown keys, with a suggestion and the allowed keys
    "unknown top key": (changed(S, ("default_plans", "x")), "default_plans",
                        "did you mean 'default_plan'? allowed keys: default_plan, server"),
    "unknown server key": (changed(S, ("server/verfy_tls", True)), "server.verfy_tls",
                           "did you mean 'verify_tls'?"),
    "unknown profile key": (changed(S, ("server/profile/jobs_pth", "/x")),
                            "server.profile.jobs_pth", "did you mean 'jobs_path'?"),
    "unknown defaults key": (changed(S, ("defaults/max_durations", "1m")),
                             "defaults.max_durations", "did you mean 'max_duration'?"),
    "unknown plan key": (changed(S, ("plans/nightly/on_fail", "stop")),
                         "plans.nightly.on_fail", "did you mean 'on_failure'?"),
    "unknown phase key": (changed(S, ("phases/ingest/workflow", ["x"])),
                          "phases.ingest.workflow", "did you mean 'workflows'?"),
    "unknown workflow key": (changed(S, (f"{W3}/timeout", "1m")), f"{K3}.timeout",
                             "allowed keys: space, state"),
    "unknown step key": (changed(S, (f"{W3}/steps/Export/failed_rows", 0)),
                         f'{K3}.steps.Export.failed_rows', "did you mean 'failedRows'?"),
    "unknown range key": (changed(S, (f"{W3}/steps/Export/rowsOut/minimum", 1)),
                          f"{K3}.steps.Export.rowsOut.minimum", "did you mean 'min'?"),
    # credentials
    "api_key in server": (changed(S, ("server/api_key", "abc")), "server.api_key",
                          "credentials never go in the plans file; remove it and set APERTURE_"),
    "password at top": (changed(S, ("password", "abc")), "password", "APERTURE_PASSWORD"),
    "token in profile": (changed(S, ("server/profile/token", "x")), "server.profile.token",
                         "credentials never go"),
    "username in defaults": (changed(S, ("defaults/username", "bob")), "defaults.username",
                             "APERTURE_USERNAME"),
    "password parameter": (changed(S, (f"{W3}/parameters/Password", "x")),
                           f"{K3}.parameters.Password", "credentials never go"),
    "userinfo in url": (changed(S, ("server/url", "https://bob:hunter2@ads.example.com")),
                        "server.url", "credentials never go in URLs"),
    # wrong types
    "bool is not an int": (changed(S, ("plans/nightly/max_parallel", True)),
                           "plans.nightly.max_parallel", "must be an integer, not a boolean"),
    "string max_parallel": (changed(S, ("plans/nightly/max_parallel", "8")),
                            "plans.nightly.max_parallel", "must be an integer, not a string"),
    "max_parallel zero": (changed(S, ("plans/nightly/max_parallel", 0)),
                          "plans.nightly.max_parallel", "must be at least 1"),
    "verify_tls string": (changed(S, ("server/verify_tls", "yes")), "server.verify_tls",
                          "must be true or false"),
    "refresh_sources int": (changed(S, ("defaults/refresh_sources", 1)),
                            "defaults.refresh_sources", "must be true or false"),
    "server not a table": (changed(S, ("server", "https://x")), "server", "must be a table"),
    "phases not a list": (changed(S, ("plans/smoke/phases", "ingest")), "plans.smoke.phases",
                          "must be an array of strings"),
    "phase entry not a string": (changed(S, ("plans/smoke/phases", ["ingest", 3])),
                                 "plans.smoke.phases[1]", "must be a string, not an integer"),
    "space empty": (changed(S, ("server/space", "")), "server.space", "must not be empty"),
    "label with spaces": (changed(S, ("phases/ingest/workflows", ["Workflow 1 "])),
                          "phases.ingest.workflows[0]", "leading or trailing spaces"),
    "parameter table": (changed(S, (f"{W3}/parameters/region", {"a": 1})),
                        f"{K3}.parameters.region", "must be a string, number or boolean"),
    "source not a string": (changed(S, (f"{W3}/sources/Customers source", 1)),
                            f'{K3}.sources."Customers source"', "must be a string"),
    "step not a table": (changed(S, (f"{W3}/steps/Export", "COMPLETED")),
                         f"{K3}.steps.Export", "must be a table"),
    "empty step": (changed(S, (f"{W3}/steps/Export", {})), f"{K3}.steps.Export",
                   "expects nothing"),
    # durations
    "bare number duration": (changed(S, ("defaults/max_duration", 600)),
                             "defaults.max_duration", 'write max_duration = "600s"'),
    "negative duration": (changed(S, (f"{W3}/min_duration", "-5s")), f"{K3}.min_duration",
                          "is negative"),
    "unreadable duration": (changed(S, ("defaults/max_duration", "5 minutes")),
                            "defaults.max_duration", "cannot read '5 minutes' as a duration"),
    "zero timeout": (changed(S, ("server/read_timeout", "0s")), "server.read_timeout",
                     "must be more than 0s"),
    "zero max_duration": (changed(S, ("defaults/max_duration", "0s")), "defaults.max_duration",
                          "must be more than 0s"),
    "min above max in workflow": (changed(S, (f"{W3}/min_duration", "11m")),
                                  f"{K3}.min_duration", "min_duration 11m00s is above max"),
    "workflow max below default min": (
        changed(S, ("defaults/min_duration", "5m"), (f"{W3}/min_duration", DELETE),
                (f"{W3}/max_duration", "1m")),
        f"{K3}.max_duration", "min_duration 5m00s is above max_duration 1m00s"),
    "min above max in defaults": (changed(S, ("defaults/min_duration", "1h")),
                                  "defaults.min_duration", "is above max_duration"),
    # ranges and row counts
    "range min above max": (changed(S, (f"{W3}/steps/Export/rowsOut", {"min": 5, "max": 1})),
                            f"{K3}.steps.Export.rowsOut.min", "min 5 is above max 1"),
    "negative exact rows": (changed(S, (f"{W3}/steps/Export/rowsIn", -1)),
                            f"{K3}.steps.Export.rowsIn", "must be at least 0"),
    "negative range bound": (changed(S, (f"{W3}/steps/Export/rowsOut", {"max": -2})),
                             f"{K3}.steps.Export.rowsOut.max", "must be at least 0"),
    "bool rows": (changed(S, (f"{W3}/steps/Export/rowsIn", True)), f"{K3}.steps.Export.rowsIn",
                  "must be an integer or a table, not a boolean"),
    "empty range": (changed(S, (f"{W3}/steps/Export/rowsIn", {})), f"{K3}.steps.Export.rowsIn",
                    "has neither min nor max"),
    # choices
    "bad on_failure": (changed(S, ("plans/nightly/on_failure", "halt")),
                       "plans.nightly.on_failure", "use one of: 'stop', 'continue'"),
    "bad api": (changed(S, ("server/api", "v3")), "server.api", "use one of: 'v1', 'v2'"),
    "bad version": (changed(S, ("defaults/version", "publishedonly")), "defaults.version",
                    "did you mean 'PublishedOnly'?"),
    "bad dependencies": (changed(S, (f"{W3}/dependencies", "Latest")), f"{K3}.dependencies",
                         "use one of: 'PreferDraft', 'PublishedOnly'"),
    "bad state": (changed(S, ("defaults/state", "DONE")), "defaults.state",
                  "use one of: 'COMPLETED', 'FAILED', 'CANCELLED'"),
    "running is not terminal": (changed(S, (f"{W3}/state", "RUNNING")), f"{K3}.state",
                                "is not allowed"),
    "bad step state": (changed(S, (f"{W3}/steps/Export/state", "OK")),
                       f"{K3}.steps.Export.state", "is not allowed"),
    # phases and plans
    "unknown phase": (changed(S, ("plans/smoke/phases", ["ingest", "publsh"])),
                      "plans.smoke.phases[1]", "unknown phase 'publsh'; did you mean 'publish'?"),
    "phase twice in a plan": (changed(S, ("plans/smoke/phases", ["ingest", "ingest"])),
                              "plans.smoke.phases[1]", "listed twice in this plan"),
    "workflow in two phases": (changed(S, ("phases/publish/workflows", ["Workflow 6",
                                                                         "Workflow 1"])),
                               "phases.publish.workflows[1]",
                               "'Workflow 1' is also in phase 'ingest' of plan 'nightly'"),
    "workflow twice in a phase": (changed(S, ("phases/match/workflows", ["Workflow 5"] * 2)),
                                  "phases.match.workflows[1]", "listed twice in this phase"),
    "empty phase": (changed(S, ("phases/match/workflows", [])), "phases.match.workflows",
                    "must not be empty"),
    "phase without workflows": (changed(S, ("phases/match", {})), "phases.match.workflows",
                                "missing"),
    "plan without phases": (changed(S, ("plans/smoke/phases", [])), "plans.smoke.phases",
                            "must not be empty"),
    "plan without phases key": (changed(S, ("plans/smoke", {"on_failure": "stop"})),
                                "plans.smoke.phases", "missing"),
    "no plans": (changed(S, ("plans", DELETE)), "plans", "missing; add a [plans.<name>]"),
    "empty plans": (changed(S, ("plans", {})), "plans", "no plans defined"),
    "no phases": (changed(S, ("phases", DELETE)), "phases", "missing"),
    "unknown default_plan": (changed(S, ("default_plan", "nighty")), "default_plan",
                             "no plan named 'nighty'; did you mean 'nightly'? use one of:"),
    "no default among many": (changed(S, ("default_plan", DELETE)), "default_plan",
                              "set default_plan, or pass --plan with one of: 'nightly', 'smoke'"),
    "workflow no phase lists": (changed(S, ("workflows/Workflow 7", {"max_duration": "1m"})),
                                'workflows."Workflow 7"', "no phase lists this workflow (a typo?)"),
    "workflow label case": (changed(S, ("workflows/workflow 3", {"max_duration": "1m"})),
                            'workflows."workflow 3"', "did you mean 'Workflow 3'?"),
    # server
    "url without scheme": (changed(S, ("server/url", "ads.example.com")), "server.url",
                           "'ads.example.com' has no scheme; write https://ads.example.com:7701"),
    "url ftp": (changed(S, ("server/url", "ftp://ads.example.com")), "server.url",
                "use http:// or https://"),
    "url without host": (changed(S, ("server/url", "https:///api")), "server.url", "no host"),
    "url bad port": (changed(S, ("server/url", "https://ads:99999")), "server.url",
                     "invalid port"),
    "url with query": (changed(S, ("server/url", "https://ads/?a=1")), "server.url", "query"),
    "Emulator capitalised": (changed(S, ("server/url", "Emulator")), "server.url",
                             'write "emulator" exactly'),
    "no url anywhere": (changed(S, ("server/url", DELETE)), "server.url",
                        "pass --server-url, or set APERTURE_URL"),
    "job_url without job_id": (changed(S, ("server/job_url", "https://ads/#/jobs/")),
                               "server.job_url", "does not contain {job_id}"),
    "job_url other field": (changed(S, ("server/job_url", "https://ads/{space}/{job_id}")),
                            "server.job_url", "unknown placeholder {space}"),
    "job_url braces": (changed(S, ("server/job_url", "https://ads/{job_id")), "server.job_url",
                       "unbalanced braces"),
    "missing ca_bundle": (changed(S, ("server/ca_bundle", "certs/nope.pem")), "server.ca_bundle",
                          "not found"),
    "emulator_workflows with a real url": (changed(S, ("server/emulator_workflows", "x.toml")),
                                           "server.emulator_workflows",
                                           'is only used when url = "emulator"'),
    "emulator without emulator_workflows": (changed(S, ("server/url", "emulator")),
                                            "server.emulator_workflows",
                                            'missing, and the server url is "emulator"'),
    "profile not a list": (changed(S, ("server/profile/failed_states", 3)),
                           "server.profile.failed_states", "must be a list of strings"),
}
# fmt: on


@pytest.mark.parametrize(("text", "key", "fragment"), CASES.values(), ids=list(CASES))
def test_mistake_names_key_and_fix(text: str, key: str, fragment: str) -> None:
    err = plan_error(text)
    assert err.source == SOURCE
    assert err.key == key, str(err)
    assert fragment in str(err)
    assert str(err).startswith(f"{SOURCE}: {key}: " if key else f"{SOURCE}: ")


@pytest.mark.parametrize("path", ["a\x00b", "x" * 5000, "../" * 20 + "nope.pem"])
def test_any_ca_bundle_path_is_an_error_not_a_crash(path: str) -> None:
    err = plan_error(changed(S, ("server/ca_bundle", path)))
    assert err.key == "server.ca_bundle"


def test_credentials_in_a_url_are_not_repeated() -> None:
    err = plan_error(changed(S, ("server/url", "https://bob:hunter2@ads.example.com")))
    assert "hunter2" not in str(err) and "bob" not in str(err)


def test_a_label_with_a_newline_stays_on_one_line() -> None:
    text = changed(S, ("workflows/Workflow\n3", {"max_duration": "1m"}))
    err = plan_error(text)
    assert err.key == 'workflows."Workflow\\n3"'


@pytest.mark.parametrize(
    ("where", "kw", "message"),
    [
        ("--server-url", {"url": "ads.example.com"},
         "--server-url: 'ads.example.com' has no scheme; write https://ads.example.com:7701"),
        ("APERTURE_URL", {"environ": {"APERTURE_URL": "ads.example.com:7701"}},
         "APERTURE_URL: 'ads.example.com:7701' has no scheme; write https://ads.example.com:7701"),
        ("APERTURE_URL", {"environ": {"APERTURE_URL": "htp:/127.0.0.1:7755"}},
         "APERTURE_URL: 'htp:/127.0.0.1:7755' does not start with http:// or https://; "
         "write it like https://ads.example.com:7701"),
        ("--server-url", {"url": "https://me:pw@ads.example.com"},
         "--server-url: the server URL contains a user name or password; credentials never go"),
        ("--api", {"api": "v3"}, "--api: 'v3' is not allowed; use one of: 'v1', 'v2'"),
        ("APERTURE_API", {"environ": {"APERTURE_API": "V2"}},
         "APERTURE_API: 'V2' is not allowed; did you mean 'v2'? use one of: 'v1', 'v2'"),
        ("--plan", {"plan_name": "smok"},
         "--plan: no plan named 'smok' in plans.toml; did you mean 'smoke'? use one of:"),
    ],
)  # fmt: skip
def test_overrides_are_checked_and_name_their_origin(
    where: str, kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(PlanError) as info:
        load(to_toml(S), **kw)
    assert info.value.source == where and info.value.key == ""
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value) and "pw" not in str(info.value)


def test_an_override_to_the_emulator_needs_emulator_workflows() -> None:
    err = plan_error(to_toml(S), url="emulator")
    assert err.key == "server.emulator_workflows"
    assert '"emulator" (from --server-url)' in str(err)


def test_emulator_workflows_must_exist(tmp_path: Path) -> None:
    make_files(tmp_path)
    sample = emulator_sample()
    sample["server"]["emulator_workflows"] = "demo/missing.toml"
    err = plan_error(to_toml(sample), tmp_path)
    assert err.key == "server.emulator_workflows" and "not found" in str(err)


def test_ca_bundle_is_refused_without_tls_verification(tmp_path: Path) -> None:
    make_files(tmp_path)
    sample = emulator_sample()
    sample["server"]["verify_tls"] = False
    err = plan_error(to_toml(sample), tmp_path)
    assert err.key == "server.ca_bundle" and "verify_tls = false" in str(err)


def test_the_selected_plan_does_not_hide_mistakes_in_others() -> None:
    err = plan_error(changed(S, ("plans/smoke/phases", ["ingest", "nope"])), plan_name="nightly")
    assert err.key == "plans.smoke.phases[1]"


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    with pytest.raises(PlanError) as info:
        load_plan(path, environ={})
    assert str(info.value) == f"{path}: file not found; check the path, or create the file"


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="is a directory"):
        load_plan(tmp_path, environ={})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(to_toml(S))
    path.chmod(0)
    with pytest.raises(PlanError, match=r"plans.toml: cannot be read \(permission denied\)"):
        load_plan(path, environ={})


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_bytes(b'default_plan = "n\xe9"\n')
    with pytest.raises(PlanError) as info:
        load_plan(path, environ={})
    assert info.value.key == "byte 17" and "save the file as UTF-8" in str(info.value)
