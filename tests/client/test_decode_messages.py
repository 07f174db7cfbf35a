"""Every wrong shape of a body, and the whole line it becomes: the request, the field, the kind
found and what was expected, and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from aperture_verify.client.decode import Decoder
from aperture_verify.client.models import Job, Step, Workflow
from aperture_verify.client.profile import ApiProfile
from aperture_verify.errors import ProtocolError

URL = "http://ads.example.com/api/v1/jobs/j1"
FIX = "(check the API profile against the server's Swagger)"
J: dict[str, Any] = {"jobId": "j1", "state": "RUNNING", "workflow": {"externalLabel": "W"}}


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in J.items() if k != key}


def problem(call: Any) -> str:
    with pytest.raises(ProtocolError) as caught:
        call()
    error = caught.value
    assert (error.method, error.url) == ("GET", URL)
    text = str(error)
    prefix = f"GET {URL}: unexpected response: "
    assert text.startswith(prefix) and text.endswith(f" {FIX}"), text
    return text[len(prefix) : -len(FIX) - 1]


D = Decoder(ApiProfile(), "GET", URL)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**J, "jobId": None}, "the job has no usable 'jobId' (it is null)"),
        ({**J, "jobId": True}, "the job has no usable 'jobId' (it is a boolean)"),
        ({**J, "jobId": ""}, "the job has no usable 'jobId' (it is a string)"),
        ({**J, "jobId": 1.5}, "the job has no usable 'jobId' (it is a number)"),
        (without("state"), "job j1 has no 'state'"),
        ({**J, "workflow": {"name": "x"}}, "job j1 workflow has no 'externalLabel'"),
        ({**J, "workflow": 5}, "job j1 'workflow' is a number, expected an object"),
        (without("workflow"), "job j1 has no 'workflow'"),
        ({**J, "error": {"message": 3}}, "job j1 error 'message' is a number, expected a string"),
        ({**J, "error": 3}, "job j1 'error' is a number"),
        ({**J, "startedAt": 3}, "job j1 'startedAt' is a number, expected a string"),
        ({**J, "submittedAt": "x"}, "job j1 'submittedAt' is 'x', not an ISO-8601 time"),
        ({**J, "finishedAt": "y"}, "job j1 'finishedAt' is 'y', not an ISO-8601 time"),
        ({**J, "finishedAt": "x" * 39 + "yz"},  # the first 40 characters shown
         f"job j1 'finishedAt' is '{'x' * 39}y', not an ISO-8601 time"),
        ({**J, "steps": [{"type": "X"}]}, "a step of job j1 has no 'name'"),
        ({**J, "steps": [{"name": "S", "type": 4}]},
         "step 'S' of job j1 'type' is a number, expected a string"),
        ({**J, "steps": [{"name": "S", "state": 4}]},
         "step 'S' of job j1 'state' is a number, expected a string"),
        ({**J, "steps": [{"name": "S", "rowsIn": True}]},
         "step 'S' of job j1 'rowsIn' is a boolean, expected a whole number"),
        ({**J, "steps": [{"name": "S", "rowsOut": 1.5}]},
         "step 'S' of job j1 'rowsOut' is a number, expected a whole number"),
        ({**J, "steps": [{"name": "S", "passedRows": "1"}]},
         "step 'S' of job j1 'passedRows' is a string, expected a whole number"),
        ({**J, "steps": [{"name": "S", "failedRows": [1]}]},
         "step 'S' of job j1 'failedRows' is a list, expected a whole number"),
        ({**J, "steps": {}}, "job j1 'steps' is an object, expected a list"),
        ({**J, "steps": [3]}, "a step of job j1 is a number, expected an object"),
        ([J], "the job is a list, expected an object"),
        ((1,), "the job is tuple, expected an object"),
    ],
)  # fmt: skip
def test_a_job_of_the_wrong_shape(body: Any, expected: str) -> None:
    assert problem(lambda: D.job(body)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"externalLabel": "W", "id": [1]}, "workflow 'W' 'id' is a list"),
        ({"externalLabel": "W", "id": True}, "workflow 'W' 'id' is a boolean"),
        ({"externalLabel": "W", "name": 2}, "workflow 'W' 'name' is a number, expected a string"),
        ({"externalLabel": "W", "space": 5}, "workflow 'W' 'space' is a number, expected a string"),
        ({"name": "W"}, "a workflow has no 'externalLabel'"),
        (3.5, "a workflow is a number, expected an object"),
        (None, "a workflow is null, expected an object"),
    ],
)  # fmt: skip
def test_a_workflow_of_the_wrong_shape(body: Any, expected: str) -> None:
    assert problem(lambda: D.workflow(body)) == expected


def test_lists_and_pages_of_the_wrong_shape() -> None:
    assert problem(lambda: D.jobs({"a": 1})) == "the job list is an object, expected a list"
    assert problem(lambda: D.workflows("x")) == "the workflow list is a string, expected a list"
    paged = Decoder(ApiProfile(list_items_field="data.items"), "GET", URL)
    assert problem(lambda: paged.jobs([J])) == "the job list page is a list, expected an object"
    assert problem(lambda: paged.jobs({"data": {}})) == "the job list page has no 'data.items'"
    assert problem(lambda: paged.jobs({"data": {"items": 5}})) == (
        "the job list 'data.items' is a number, expected a list"
    )
    assert paged.jobs({"data": {"items": [J, {**J, "jobId": 7}]}}) == [
        Job("j1", "RUNNING", "W"),
        Job("7", "RUNNING", "W"),
    ]
    assert D.jobs([]) == []


def test_a_job_s_workflow_label_in_a_field_of_its_own() -> None:
    d = Decoder(ApiProfile(job_workflow_label_field="definition.label"), "GET", URL)
    body = {"jobId": "j1", "state": "RUNNING", "definition": {"label": "Wö"}}
    assert d.job(body).workflow_label == "Wö"
    assert problem(lambda: d.job({**body, "definition": {"label": 7}})) == (
        "job j1 'definition.label' is a number, expected a string"
    )
    assert problem(lambda: d.job({"jobId": "j1", "state": "RUNNING"})) == (
        "job j1 has no 'definition.label'"
    )
    assert d.job({"jobId": "j1", "state": "RUNNING"}, label="L").workflow_label == "L"


def test_what_a_job_may_leave_out_or_give_as_text() -> None:
    assert D.job({**J, "workflow": "W2"}).workflow_label == "W2"
    assert D.job(without("workflow"), label="L").workflow_label == "L"
    assert D.job({**J, "error": {"message": "boom"}}).error == "boom"
    assert D.job({**J, "error": "plain"}).error == "plain"
    assert D.job({**J, "steps": [{"name": "S", "state": None}]}).steps == (Step("S", "", ""),)
    assert D.job({**J, "jobId": 12}).id == "12"


def test_a_workflow_s_names_of_parameters_and_sources() -> None:
    w = D.workflow({"externalLabel": "W", "id": 7, "space": None})
    assert w == Workflow("W", "W", "", published=False, has_draft=False, id="7")
    listed = D.workflow(
        {
            "externalLabel": "W",
            "name": "Wörkflow",
            "space": "Demo",
            "published": True,
            "hasDraft": True,
            "parameters": ["p", {"externalLabel": "q"}, {"sourceExternalLabel": "r"}],
            "sources": {"S": 1},
        }
    )
    assert listed == Workflow(
        "W", "Wörkflow", "Demo", published=True, has_draft=True,
        parameters=frozenset({"p", "q", "r"}), sources=frozenset({"S"}),
    )  # fmt: skip
    odd = D.workflow({"externalLabel": "W", "parameters": [{"x": "a"}], "sources": "S"})
    assert (odd.parameters, odd.sources) == (None, None)  # not understood: not checked
    named = D.workflow({"externalLabel": "W", "parameters": [{"name": "a"}, {"label": "b"}]})
    assert named.parameters == frozenset({"a", "b"})


@pytest.mark.parametrize(
    ("value", "present"),
    [
        ("false", False), ("False", False), (" NO ", False), ("0", False), ("", False),
        ("null", False), ("None", False), ("true", True), ("2024-05-01T10:00:00Z", True),
        ("v3", True), ({"version": 3}, True), ({}, False), ([], False), (0, False),
        (2, True), (0.0, False), (True, True), (False, False), (None, False),
    ],
)  # fmt: skip
def test_a_published_or_draft_field_that_says_no_in_a_string_is_not_there(
    value: object, present: bool
) -> None:
    w = D.workflow({"externalLabel": "W", "published": value, "hasDraft": value})
    assert (w.published, w.has_draft) == (present, present)
