"""The doctor on a document of its own shape, finding by finding: every need, its status, what
was found, the keys proposed, the candidates and the note.

The document (a paged job list with a "last" flag, a workflow list with a next link, integer
times without a unit, steps whose states are named apart from the job's, a DELETE cancel, a
login answering a token and a ttl) is built so that each rule of the inference has something
to find, and each expected finding below can be checked against it by eye.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import read_document
from aperture_verify.doctor.mapping import infer


def ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def q(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]


RUN = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {
            "type": "string",
            "enum": ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LIMBO"],
        },
        "flowLabel": {"type": "string"},
        "createdAt": {"type": "integer"},
        "startTime": {"type": "integer"},
        "endTime": {"type": "integer"},
        "failureReason": {"type": "string"},
        "tasks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "kind": {"type": "string"},
                    "input": {"type": "integer"},
                    "output": {"type": "integer"},
                    "validRows": {"type": "integer"},
                    "invalidRows": {"type": "integer"},
                    "phase": {
                        "type": "string",
                        "enum": ["WAITING", "ACTIVE", "SUCCEEDED", "ERRORED", "ABORTED"],
                    },
                },
            },
        },
    },
}
FLOW = {
    "type": "object",
    "properties": {
        "externalLabel": {"type": "string"},
        "title": {"type": "string"},
        "spaceName": {"type": "string"},
        "isDraft": {"type": "boolean"},
        "workflowId": {"type": "string"},
    },
}
DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/api/runs": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "workflowLabel": {"type": "string"},
                                    "space": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": ok(RUN, "201"),
            },
            "get": {
                "parameters": q("page", "size", "workflow", "status"),
                "responses": ok(
                    {
                        "type": "object",
                        "properties": {
                            "content": {"type": "array", "items": RUN},
                            "last": {"type": "boolean"},
                        },
                    }
                ),
            },
        },
        "/api/runs/{runId}": {"get": {"responses": ok(RUN)}, "delete": {"responses": ok(RUN)}},
        "/api/flows": {
            "get": {
                "parameters": q("pageNumber", "limit"),
                "responses": {
                    **ok(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": FLOW},
                                "nextPage": {"type": "string"},
                            },
                        }
                    ),
                    "400": {
                        "description": "bad",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"detail": {"type": "string"}},
                                }
                            }
                        },
                    },
                },
            }
        },
    },
}
LOGIN = {
    "post": {
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string"},
                        },
                    }
                }
            }
        },
        "responses": ok(
            {
                "type": "object",
                "properties": {"accessToken": {"type": "string"}, "ttl": {"type": "integer"}},
            }
        ),
    }
}
DOC["paths"]["/api/auth/token"] = LOGIN


def findings(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (f.need, f.status, f.found, f.keys, f.candidates, f.note)
        for f in infer(read_document(doc), ApiProfile(), "v1").findings
    ]


EXPECTED = [
    (
        "execute route",
        "differs",
        "POST /api/runs",
        {"execute_path": "/api/runs", "execute_method": "POST"},
        [],
        "",
    ),
    (
        "execute body",
        "differs",
        "space={space}, workflowLabel={label}",
        {"execute_body": {"workflowLabel": "{label}", "space": "{space}"}},
        [],
        "",
    ),
    ("job id of a new job", "ok", "answer body", {"job_id_from": "body"}, [], ""),
    (
        "job route",
        "differs",
        "GET /api/runs/{job_id}",
        {"job_path": "/api/runs/{job_id}", "job_method": "GET"},
        [],
        "",
    ),
    ("job state field", "differs", "status", {"job_state_field": "status"}, [], ""),
    ("job queued states", "differs", "['PENDING']", {"queued_states": ["PENDING"]}, [], ""),
    ("job running states", "ok", "['RUNNING']", {"running_states": ["RUNNING"]}, [], ""),
    (
        "job completed states",
        "differs",
        "['SUCCEEDED']",
        {"completed_states": ["SUCCEEDED"]},
        [],
        "",
    ),
    ("job failed states", "ok", "['FAILED']", {"failed_states": ["FAILED"]}, [], ""),
    (
        "job cancelled states",
        "ok",
        "['CANCELLED']",
        {"cancelled_states": ["CANCELLED"]},
        [],
        "not mapped: LIMBO",
    ),
    ("job id field", "differs", "id", {"job_id_field": "id"}, [], ""),
    ("job's workflow label", "missing", "", {}, [], ""),
    ("job submitted time", "differs", "createdAt", {"job_submitted_field": "createdAt"}, [], ""),
    ("job started time", "differs", "startTime", {"job_started_field": "startTime"}, [], ""),
    ("job finished time", "differs", "endTime", {"job_finished_field": "endTime"}, [], ""),
    (
        "timestamp format",
        "missing",
        "",
        {},
        [],
        "integer times without a unit (seconds or milliseconds?)",
    ),
    ("job error field", "differs", "failureReason", {"job_error_field": "failureReason"}, [], ""),
    ("job steps field", "differs", "tasks", {"job_steps_field": "tasks"}, [], ""),
    ("step name", "differs", "title", {"step_name_field": "title"}, [], ""),
    ("step type", "differs", "kind", {"step_type_field": "kind"}, [], ""),
    ("step rows in", "differs", "input", {"step_rows_in_field": "input"}, [], ""),
    ("step rows out", "differs", "output", {"step_rows_out_field": "output"}, [], ""),
    ("step passed rows", "differs", "validRows", {"step_passed_rows_field": "validRows"}, [], ""),
    (
        "step failed rows",
        "differs",
        "invalidRows",
        {"step_failed_rows_field": "invalidRows"},
        [],
        "",
    ),
    ("step state field", "differs", "phase", {"step_state_field": "phase"}, [], ""),
    ("step queued states", "differs", "['WAITING']", {"step_queued_states": ["WAITING"]}, [], ""),
    ("step running states", "differs", "['ACTIVE']", {"step_running_states": ["ACTIVE"]}, [], ""),
    (
        "step completed states",
        "differs",
        "['SUCCEEDED']",
        {"step_completed_states": ["SUCCEEDED"]},
        [],
        "",
    ),
    ("step failed states", "differs", "['ERRORED']", {"step_failed_states": ["ERRORED"]}, [], ""),
    (
        "step cancelled states",
        "differs",
        "['ABORTED']",
        {"step_cancelled_states": ["ABORTED"]},
        [],
        "",
    ),
    (
        "jobs route",
        "differs",
        "GET /api/runs",
        {"jobs_path": "/api/runs", "jobs_method": "GET"},
        [],
        "",
    ),
    ("jobs label param", "differs", "workflow", {"jobs_label_param": "workflow"}, [], ""),
    ("jobs state param", "differs", "status", {"jobs_state_param": "status"}, [], ""),
    (
        "workflows route",
        "differs",
        "GET /api/flows",
        {"workflows_path": "/api/flows", "workflows_method": "GET"},
        [],
        "",
    ),
    ("workflow label", "ok", "externalLabel", {"workflow_label_field": "externalLabel"}, [], ""),
    ("workflow name", "differs", "title", {"workflow_name_field": "title"}, [], ""),
    ("workflow space", "differs", "spaceName", {"workflow_space_field": "spaceName"}, [], ""),
    ("workflow published", "missing", "", {}, [], ""),
    ("workflow draft", "differs", "isDraft", {"workflow_draft_field": "isDraft"}, [], ""),
    ("workflow id", "differs", "workflowId", {"workflow_id_field": "workflowId"}, [], ""),
    (
        "list pages",
        "ambiguous",
        "",
        {},
        [
            "'content' with last flag 'last', page 'page', size 'size'",
            "'items' with next link 'nextPage', size 'limit'",
        ],
        "the job and workflow lists page differently",
    ),
    (
        "cancel route",
        "differs",
        "DELETE /api/runs/{job_id}",
        {"cancel_path": "/api/runs/{job_id}", "cancel_method": "DELETE"},
        [],
        "",
    ),
    ("error message field", "differs", "detail", {"error_message_field": "detail"}, [], ""),
    ("login route", "differs", "POST /api/auth/token", {"login_path": "/api/auth/token"}, [], ""),
    ("token field", "differs", "accessToken", {"token_field": "accessToken"}, [], ""),
    (
        "token lifetime",
        "differs",
        "field ttl",
        {"token_expiry": "field", "expires_in_field": "ttl"},
        [],
        "",
    ),
]


def test_every_finding_of_a_document_of_another_shape() -> None:
    assert findings(DOC) == EXPECTED


def test_lists_that_page_alike_give_one_paging() -> None:
    doc = copy.deepcopy(DOC)
    flows = doc["paths"]["/api/flows"]["get"]
    flows["parameters"] = q("page", "size")
    page = flows["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    page["content"] = page.pop("items")
    page["last"] = {"type": "boolean"}
    del page["nextPage"]
    found = {f[0]: f for f in findings(doc)}
    assert found["list pages"] == (
        "list pages", "differs", "'content' with last flag 'last', page 'page', size 'size'",
        {"list_items_field": "content", "list_next_field": "", "list_last_field": "last",
         "page_param": "page", "page_size_param": "size", "list_total_pages_field": "",
         "list_next_header": ""},
        [], "",
    )  # fmt: skip


def test_two_login_routes_are_ambiguous_and_no_token_is_looked_for() -> None:
    doc = copy.deepcopy(DOC)
    doc["paths"]["/api/session"] = LOGIN
    assert findings(doc)[-2:] == [
        ("error message field", "differs", "detail", {"error_message_field": "detail"}, [], ""),
        ("login route", "ambiguous", "", {}, ["POST /api/auth/token", "POST /api/session"], ""),
    ]


def test_times_of_one_known_unit_give_the_timestamp_format() -> None:
    doc = copy.deepcopy(DOC)
    run = doc["paths"]["/api/runs/{runId}"]["get"]["responses"]["200"]["content"]
    props = run["application/json"]["schema"]["properties"]
    for name in ("createdAt", "startTime", "endTime"):
        props[name] = {"type": "string", "format": "date-time"}
    found = {f[0]: f for f in findings(doc)}
    assert found["timestamp format"] == (
        "timestamp format",
        "ok",
        "iso",
        {"timestamp_format": "iso"},
        [],
        "",
    )


def renamed(path: list[str], old: str, new: str) -> dict[str, Any]:
    """DOC with the property *old* of the schema at *path* renamed *new*."""
    doc = copy.deepcopy(DOC)
    node: Any = doc
    for part in path:
        node = node[part]
    props = node["properties"]
    props[new] = props.pop(old)
    return doc


TASK = ["paths", "/api/runs/{runId}", "get", "responses", "200", "content", "application/json",
        "schema", "properties", "tasks", "items"]  # fmt: skip
FLOW_ITEM = ["paths", "/api/flows", "get", "responses", "200", "content", "application/json",
             "schema", "properties", "items", "items"]  # fmt: skip
RUN_SCHEMA = TASK[:-3]


@pytest.mark.parametrize(
    ("path", "old", "new", "need"),
    [
        (TASK, "title", "name", "step name"),
        (TASK, "title", "label", "step name"),
        (TASK, "title", "stepName", "step name"),
        (TASK, "kind", "type", "step type"),
        (TASK, "kind", "stepType", "step type"),
        (TASK, "input", "rowsIn", "step rows in"),
        (TASK, "input", "inputRows", "step rows in"),
        (TASK, "input", "rowsRead", "step rows in"),
        (TASK, "input", "in", "step rows in"),
        (TASK, "output", "rowsOut", "step rows out"),
        (TASK, "output", "outputRows", "step rows out"),
        (TASK, "output", "rowsWritten", "step rows out"),
        (TASK, "output", "out", "step rows out"),
        (TASK, "validRows", "passedRows", "step passed rows"),
        (TASK, "validRows", "passed", "step passed rows"),
        (TASK, "invalidRows", "failedRows", "step failed rows"),
        (TASK, "invalidRows", "failed", "step failed rows"),
        (FLOW_ITEM, "title", "name", "workflow name"),
        (FLOW_ITEM, "title", "displayName", "workflow name"),
        (FLOW_ITEM, "spaceName", "space", "workflow space"),
        (FLOW_ITEM, "spaceName", "spaceLabel", "workflow space"),
        (FLOW_ITEM, "spaceName", "spaceExternalLabel", "workflow space"),
        (FLOW_ITEM, "isDraft", "hasDraft", "workflow draft"),
        (FLOW_ITEM, "isDraft", "draft", "workflow draft"),
        (FLOW_ITEM, "workflowId", "id", "workflow id"),
        (FLOW_ITEM, "workflowId", "uid", "workflow id"),
        (FLOW_ITEM, "externalLabel", "workflowExternalLabel", "workflow label"),
        (FLOW_ITEM, "externalLabel", "workflowLabel", "workflow label"),
        (FLOW_ITEM, "externalLabel", "label", "workflow label"),
        (RUN_SCHEMA, "id", "jobId", "job id field"),
        (RUN_SCHEMA, "id", "runId", "job id field"),
        (RUN_SCHEMA, "id", "executionId", "job id field"),
        (RUN_SCHEMA, "id", "jobUuid", "job id field"),
        (RUN_SCHEMA, "id", "uuid", "job id field"),
        (RUN_SCHEMA, "id", "jobKey", "job id field"),
        (RUN_SCHEMA, "failureReason", "errorMessage", "job error field"),
    ],
)  # fmt: skip
def test_each_name_the_doctor_knows_is_found(
    path: list[str], old: str, new: str, need: str
) -> None:
    _need, status, seen, keys, candidates, _note = next(
        f for f in findings(renamed(path, old, new)) if f[0] == need
    )
    ((key, value),) = keys.items()
    assert (seen, value, candidates) == (new, new, [])
    assert status == ("ok" if getattr(ApiProfile(), key) == new else "differs")
