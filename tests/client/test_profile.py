"""The expressive API profile: every key validated in one line, bodies, paths, tokens."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.body import read_back, render
from aperture_verify.client.decode import Decoder
from aperture_verify.client.dialect import dialect_names, load_dialect, load_profile_file
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.client.tokens import jwt_lifetime, make_jwt
from aperture_verify.errors import PlanError, ProtocolError

UNKNOWN = Path(__file__).resolve().parents[1] / "profiles" / "unknown.toml"


def refused(overrides: dict[str, Any]) -> str:
    with pytest.raises(PlanError) as info:
        apply_overrides(ApiProfile(), overrides)
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"job_paht": "/x/{job_id}"},
            "server.profile.job_paht: unknown API profile key; did you mean 'job_path'?",
        ),
        (
            {"job_path": "/jobs/{id}"},
            "server.profile.job_path: unknown placeholder {id}; this route takes {job_id}",
        ),
        ({"job_path": "/jobs"}, "server.profile.job_path: has no {job_id}"),
        (
            {"execute_path": "runs/{label}"},
            "server.profile.execute_path: 'runs/{label}' is not a path",
        ),
        (
            {"cancel_method": "REMOVE"},
            "server.profile.cancel_method: is 'REMOVE', not an HTTP method",
        ),
        (
            {"execute_body": {"externalLabel": "{lable}"}},
            "server.profile.execute_body.externalLabel: unknown placeholder {lable}; "
            "did you mean {label}?",
        ),
        (
            {"execute_body": {"scheduling": {"start": "{today}"}}},
            "server.profile.execute_body.scheduling.start: unknown placeholder {today}",
        ),
        ({"execute_body": {"name": "W"}}, "server.profile.execute_body: names no workflow"),
        ({"execute_body": "{label}"}, "server.profile.execute_body: must be a table"),
        (
            {"job_state_field": "status..phase"},
            "server.profile.job_state_field: 'status..phase' cannot be a field path",
        ),
        ({"job_started_field": ".timing"}, "cannot be a field path"),
        ({"job_id_field": ""}, "server.profile.job_id_field: must not be empty"),
        (
            {"timestamp_format": "epoch"},
            "server.profile.timestamp_format: is 'epoch'; use one of 'iso', 'epoch_s', 'epoch_ms'",
        ),
        ({"job_id_from": "header"}, "server.profile.job_id_from: is 'header'"),
        (
            {"token_expiry": "soon"},
            'server.profile.token_expiry: is \'soon\'; use "field", "jwt" or a duration',
        ),
        ({"completed_states": []}, "server.profile.completed_states: must name at least one state"),
        ({"page_size": -1}, "server.profile.page_size: must be a whole number"),
        (
            {"list_last_field": "last", "list_items_field": "content"},
            "server.profile.page_param: is needed",
        ),
        ({"list_next_field": "next"}, "server.profile.list_items_field: is needed for paged lists"),
    ],
)
def test_every_key_is_checked_with_a_one_line_error(
    overrides: dict[str, Any], expected: str
) -> None:
    assert expected in refused(overrides)


def test_the_default_profile_is_the_contract_dialect() -> None:
    assert load_dialect("contract").profile == ApiProfile()
    assert load_dialect("contract").api == "v2"
    assert set(dialect_names()) >= {"contract", "1.x"}


def test_the_1x_dialect_holds_the_public_evidence() -> None:
    d = load_dialect("1.x")
    p = d.profile
    assert d.api == "v1" and d.docs.style == "springfox" and d.docs.ui == "/api/v1/swagger-ui.html"
    assert p.token_field == "authentication_token"
    assert (
        p.path("execute", label="Workflow 2", space="") == "/api/v1/workflows/Workflow%202/execute"
    )
    body = render(p.body_template, {"label": "W", "now": "2026-01-01T00:00:00.000Z"})
    assert body == {
        "use_export_steps": True,
        "scheduling": {
            "start_time": "2026-01-01T00:00:00.000Z",
            "end_time": "2026-01-01T00:00:00.000Z",
            "end_time_type": "NONE",
            "duration": 0,
            "reschedule_interval": 0,
            "reschedule_limit": 0,
            "end_action": "NONE",
        },
    }


def test_an_unknown_dialect_names_the_shipped_ones() -> None:
    with pytest.raises(
        PlanError, match=r"server.dialect: unknown dialect '2\.x'; use one of .*'1\.x'"
    ):
        load_dialect("2.x")


def test_a_profile_file_with_a_bad_key_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text('[profile]\njob_path = "/runs/{run}"\n', encoding="utf-8")
    with pytest.raises(
        PlanError, match=r"server.toml: profile.job_path: unknown placeholder \{run\}"
    ):
        load_profile_file(path)


def test_path_values_are_url_encoded_beyond_ascii() -> None:
    p = ApiProfile(execute_path="/w/{space}/{label}/run")
    assert (
        p.path("execute", label="Müller / 1?", space="Ünï")
        == "/w/%C3%9Cn%C3%AF/M%C3%BCller%20%2F%201%3F/run"
    )


def test_the_body_template_leaves_out_empty_members_and_reads_back() -> None:
    template = {
        "wf": {"label": "{label}"},
        "space": "{space}",
        "refresh": "{refresh}",
        "params": "{parameters}",
        "note": "run of {label}",
        "when": "{now_epoch_ms}",
    }
    values = {
        "label": "Ä",
        "space": None,
        "refresh": False,
        "parameters": {"x": 1},
        "now_epoch_ms": 5,
    }
    body = render(template, values)
    assert body == {"wf": {"label": "Ä"}, "params": {"x": 1}, "note": "run of Ä", "when": 5}
    assert read_back(template, body) == {"label": "Ä", "parameters": {"x": 1}, "now_epoch_ms": 5}


def test_the_contract_body_is_unchanged() -> None:
    body = render(
        ApiProfile().body_template,
        {
            "label": "W",
            "version": "PublishedOnly",
            "dependencies": "PublishedOnly",
            "refresh": False,
        },
    )
    assert body == {
        "externalLabel": "W",
        "versionToExecute": "PublishedOnly",
        "dependenciesToUse": "PublishedOnly",
    }


def test_nested_fields_epoch_ms_and_state_categories_decode() -> None:
    profile = load_profile_file(UNKNOWN).profile
    decoder = Decoder(profile, "GET", "http://x/rest/v3/runs/1")
    job = decoder.job(
        {
            "runId": 7,
            "status": {"phase": "SUCCEEDED"},
            "definition": {"externalLabel": "W"},
            "timing": {
                "queuedAt": 1_700_000_000_000,
                "startedAt": 1_700_000_000_500,
                "endedAt": 1_700_000_002_000,
            },
            "stages": [{"title": "Load", "phase": "ERRORED", "metrics": {"inputRows": 3}}],
        }
    )
    assert (job.id, job.state, job.workflow_label, job.duration) == ("7", "COMPLETED", "W", 1.5)
    assert job.started_at == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    assert (job.steps[0].state, job.steps[0].rows_in) == ("FAILED", 3)
    assert profile.is_terminal(job.state) and profile.is_terminal("ABORTED")
    with pytest.raises(ProtocolError, match=r"'timing\.startedAt' is a string, expected epoch_ms"):
        decoder.job(
            {
                "runId": "1",
                "status": {"phase": "ACTIVE"},
                "definition": {"externalLabel": "W"},
                "timing": {"startedAt": "2026-01-01T00:00:00Z"},
            }
        )


def test_a_page_without_its_items_field_is_a_protocol_error() -> None:
    profile = load_profile_file(UNKNOWN).profile
    decoder = Decoder(profile, "GET", "http://x/rest/v3/runs")
    assert decoder.items({"data": [1, 2]}, "the job list") == [1, 2]
    with pytest.raises(ProtocolError, match="the job list page has no 'data'"):
        decoder.items({"content": []}, "the job list")


@pytest.mark.parametrize("padded", [True, False])
@pytest.mark.parametrize("unit", [1, 1000])
def test_a_jwt_like_token_says_how_long_it_lives(padded: bool, unit: int) -> None:
    token = make_jwt(
        {"iat": 1_700_000_000 * unit, "exp": (1_700_000_000 + 43_200) * unit}, padded=padded
    )
    assert jwt_lifetime(token) == 43_200.0


def test_a_token_that_is_not_a_jwt_has_no_lifetime() -> None:
    assert jwt_lifetime("opaque-token") is None
    assert jwt_lifetime("a.!!!.c") is None
    assert jwt_lifetime("a." + json.dumps({"exp": "x"}) + ".c") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/v1/my space/workflows",
            "server.profile.workflows_path: '/api/v1/my space/workflows' holds a space, which "
            "a URL path must percent-encode; write it encoded (a space is %20): "
            '"/api/v1/my%20space/workflows"',
        ),
        (
            "/api/v1/a|b c/workflows",
            "server.profile.workflows_path: '/api/v1/a|b c/workflows' holds '|' (U+007C), a "
            "space, which a URL path must percent-encode; write it encoded (| is %7C, a space "
            'is %20): "/api/v1/a%7Cb%20c/workflows"',
        ),
    ],
)
def test_a_path_needing_percent_encoding_gets_the_encoded_form(path: str, expected: str) -> None:
    with pytest.raises(PlanError) as err:
        apply_overrides(ApiProfile(), {"workflows_path": path}, "plans.toml", "server.profile")
    assert str(err.value) == f"plans.toml: {expected}"
