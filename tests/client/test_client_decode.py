"""Server JSON to models: timestamps, shapes, and ProtocolError for wrong shapes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aperture_verify.client.decode import Decoder
from aperture_verify.client.profile import ApiProfile
from aperture_verify.common.timestamps import parse_timestamp
from aperture_verify.errors import ProtocolError

URL = "http://127.0.0.1:7701/api/v1/jobs/j-1"


def job_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jobId": "j-1",
        "state": "RUNNING",
        "workflow": {"externalLabel": "Workflow 2", "name": "Workflow 2", "space": "Demo"},
        "submittedAt": "2026-11-28T01:02:03.456Z",
        "startedAt": "2026-11-28T01:02:03.500Z",
        "finishedAt": None,
        "error": None,
        "steps": [
            {"name": "Load", "type": "SOURCE", "state": "COMPLETED", "rowsIn": 0, "rowsOut": 1000},
            {
                "name": "Validate",
                "type": "VALIDATE",
                "state": "RUNNING",
                "rowsIn": 1000,
                "rowsOut": 0,
                "passedRows": 990,
                "failedRows": 10,
            },
        ],
    }
    body.update(changes)
    return body


def decoder(profile: ApiProfile | None = None) -> Decoder:
    return Decoder(profile or ApiProfile(), "GET", URL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T01:02:03Z", datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)),
        ("2026-11-28T01:02:03.456Z", datetime(2026, 11, 28, 1, 2, 3, 456000, tzinfo=UTC)),
        ("2026-11-28T01:02:03.123456789Z", datetime(2026, 11, 28, 1, 2, 3, 123456, tzinfo=UTC)),
        (
            "2026-11-28T02:02:03+01:00",
            datetime(2026, 11, 28, 2, 2, 3, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2026-11-28T01:02:03.5-05:30",
            datetime(
                2026, 11, 28, 1, 2, 3, 500000, tzinfo=timezone(-timedelta(hours=5, minutes=30))
            ),
        ),
        ("2026-11-28T01:02:03", datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_datetimes(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_bad_timestamp_raises_value_error() -> None:
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")


def test_a_full_job() -> None:
    job = decoder().job(job_body())
    assert (job.id, job.state, job.workflow_label) == ("j-1", "RUNNING", "Workflow 2")
    assert job.submitted_at == datetime(2026, 11, 28, 1, 2, 3, 456000, tzinfo=UTC)
    assert job.finished_at is None
    assert [s.name for s in job.steps] == ["Load", "Validate"]
    validate = job.step("Validate")
    assert validate is not None
    assert (validate.passed_rows, validate.failed_rows) == (990, 10)


def test_execute_answer_with_only_id_and_state_takes_the_label_given() -> None:
    job = decoder().job({"jobId": "j-9", "state": "QUEUED"}, label="Workflow 1")
    assert (job.id, job.state, job.workflow_label, job.steps) == ("j-9", "QUEUED", "Workflow 1", ())


def test_a_numeric_job_id_is_kept_as_text() -> None:
    assert decoder().job(job_body(jobId=17)).id == "17"


def test_unknown_state_is_kept_raw() -> None:
    assert decoder().job(job_body(state="PAUSED")).state == "PAUSED"


def test_structured_error_keeps_its_message() -> None:
    assert decoder().job(job_body(error={"message": "disk full"})).error == "disk full"


def test_profile_renames_fields() -> None:
    profile = ApiProfile(job_id_field="id", job_state_field="status")
    body = job_body()
    body["id"] = body.pop("jobId")
    body["status"] = body.pop("state")
    job = decoder(profile).job(body)
    assert (job.id, job.state) == ("j-1", "RUNNING")


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("not an object", "the job is a string, expected an object"),
        (job_body(jobId=None), "no usable 'jobId'"),
        ({"state": "RUNNING"}, "no usable 'jobId'"),
        (job_body(state=3), "'state' is a number, expected a string"),
        (job_body(steps="Load"), "'steps' is a string, expected a list"),
        (job_body(steps=[42]), "a step of job j-1 is a number"),
        (job_body(steps=[{"type": "SOURCE"}]), "has no 'name'"),
        (job_body(steps=[{"name": "Load", "rowsOut": "many"}]), "'rowsOut' is a string"),
        (job_body(steps=[{"name": "Load", "rowsOut": True}]), "'rowsOut' is a boolean"),
        (job_body(submittedAt="last tuesday"), "not an ISO-8601 time"),
        (job_body(submittedAt=12), "'submittedAt' is a number"),
        (job_body(workflow=None), "has no 'workflow'"),
        (job_body(workflow=[1]), "'workflow' is a list"),
        (job_body(error=5), "'error' is a number"),
    ],
)
def test_wrong_shapes_are_protocol_errors_naming_the_url(body: Any, complaint: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decoder().job(body)
    assert complaint in str(info.value)
    assert URL in str(info.value)
    assert info.value.url == URL


def test_job_list_must_be_a_list() -> None:
    with pytest.raises(ProtocolError, match="the job list is an object, expected a list"):
        decoder().jobs({"jobs": []})


def test_workflows() -> None:
    workflows = decoder().workflows(
        [
            {
                "id": 7,
                "name": "Workflow 2",
                "externalLabel": "Workflow 2",
                "space": "Demo",
                "published": True,
                "hasDraft": False,
            },
            {"externalLabel": "Bare"},
        ]
    )
    assert workflows[0].id == "7"
    assert (workflows[0].space, workflows[0].published) == ("Demo", True)
    assert (workflows[1].name, workflows[1].published, workflows[1].id) == ("Bare", False, None)


@pytest.mark.parametrize(
    ("listed", "names"),
    [
        (None, None),  # the default contract lists none: nothing to check against
        (["region", "year"], {"region", "year"}),
        ([{"name": "region"}, {"externalLabel": "year"}], {"region", "year"}),
        ({"region": "EMEA"}, {"region"}),
        ([], set()),
        ([{"type": "string"}], None),  # a shape not understood: not checked either
        ("region", None),
    ],
)
def test_a_workflow_s_parameter_and_source_names_when_listed(
    listed: object, names: set[str] | None
) -> None:
    body: dict[str, Any] = {"externalLabel": "W"}
    if listed is not None:
        body["parameters"] = listed
        body["sources"] = listed
    (workflow,) = decoder().workflows([body])
    assert workflow.parameters == (None if names is None else frozenset(names))
    assert workflow.sources == workflow.parameters


@pytest.mark.parametrize(
    "body",
    [{"name": "x"}, {"externalLabel": "x", "name": 5}, {"externalLabel": "x", "id": []}],
)
def test_bad_workflows_are_protocol_errors(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match=re.escape("GET http://127.0.0.1")):
        decoder().workflows([body])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
job_like = st.fixed_dictionaries(
    {},
    optional={
        k: json_values
        for k in ("jobId", "state", "workflow", "submittedAt", "startedAt", "steps", "error")
    },
)


@given(st.one_of(json_values, job_like))
def test_any_json_is_a_job_or_a_protocol_error(body: Any) -> None:
    try:
        decoder().job(body)
        decoder().workflows(body)
    except ProtocolError as e:
        assert URL in str(e)
