"""The doctor's inference on two hand-written documents, compared finding by finding.

Each document holds the alternatives the shipped dialects never use: a label in the
execute path (its body key dropped), a space path parameter, literals from example,
default, date-time and enum, a Location header, a job route chosen by nearness to
the execute route, a POST .../terminate cancel, a 1.x run route and login.
The expected findings are worked out from the rules in routes.py and jobfields.py.
"""

from __future__ import annotations

from typing import Any

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import read_document
from aperture_verify.doctor.mapping import infer


def ok(
    schema: dict[str, Any], status: str = "200", headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": "OK",
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        answer["headers"] = headers
    return {status: answer}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


S: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
STATES = ["Pending", "Executing", "Succeeded", "Failure", "Aborted", "Paused"]
STEP_STATES = ["NEW", "ACTIVE", "DONE", "ERROR"]
STEP = obj(
    stepName=S,
    kind=S,
    rows_read=INT,
    rows_written=INT,
    valid_rows=INT,
    invalid_rows=INT,
    status={"type": "string", "enum": STEP_STATES},
)
JOB = obj(
    runId=S,
    status={"type": "string", "enum": STATES},
    workflow_name=S,
    workflow_id=S,
    created={"type": "string", "format": "date-time"},
    begin_time={"type": "string", "format": "date-time"},
    done_date={"type": "string", "format": "date-time"},
    failureReason=S,
    errorText=S,
    attachments={"type": "array", "items": obj(file=S)},
    tasks={"type": "array", "items": STEP},
)
EXECUTE = obj(
    externalLabel=S,
    spaceLabel=S,
    version={"type": "string", "enum": ["Published", "LatestDraft"]},
    refresh={"type": "boolean"},
    dependencies=S,
    params={"type": "object"},
    sourceReplacements={"type": "array", "items": obj(sourceStep=S, datasetKey=S)},
    priority=INT,
    dryRun={"type": "boolean"},
    note={"type": "string", "example": "nightly"},
    mode={"type": "string", "example": ["x"], "default": "fast"},
    when={"type": "string", "format": "date-time"},
    level={"type": "string", "enum": ["LOW", "HIGH"]},
    options=obj(retries={"type": "integer", "default": 3}, empty=obj()),
    nothing=S,
)
WORKFLOW = obj(
    workflowLabel=S, title=S, spaceName=S, publishedVersionId=S, isDraft={"type": "boolean"}, uid=S
)
DOC_V2 = {
    "openapi": "3.0.3",
    "paths": {
        "/executions/{flowLabel}": {
            "post": {
                "requestBody": body(EXECUTE),
                "responses": {
                    **ok(obj(runId=S), "202", {"Location": {"schema": S}}),
                    "400": {
                        "description": "bad",
                        "content": {
                            "application/json": {"schema": obj(code=INT, title=S, message=S)}
                        },
                    },
                },
            }
        },
        "/executions/{executionId}": {"get": {"responses": ok(JOB)}},
        "/executions/{executionId}/terminate": {"post": {"responses": ok(JOB)}},
        "/archive/{runId}": {"get": {"responses": ok(JOB)}},
        "/archive/{runId}/stop": {"post": {"responses": ok(JOB)}},
        "/flows/runs": {
            "get": {
                "parameters": [
                    {"name": "workflow_name", "in": "query", "schema": S},
                    {"name": "STATUS", "in": "query", "schema": S},
                    {"name": "pageIndex", "in": "query", "schema": INT},
                    {"name": "per_page", "in": "query", "schema": INT},
                ],
                "responses": ok(
                    obj(results={"type": "array", "items": JOB}, paging=obj(total_pages=INT))
                ),
            }
        },
        "/flows": {
            "get": {
                "parameters": [
                    {"name": "page_number", "in": "query", "schema": INT},
                    {"name": "limit", "in": "query", "schema": INT},
                ],
                "responses": ok(
                    obj(results={"type": "array", "items": WORKFLOW}, paging=obj(total_pages=INT))
                ),
            }
        },
    },
}

LOGIN = obj(accessToken=S, refreshToken=S, ttl=INT)
DOC_V1 = {
    "swagger": "2.0",
    "paths": {
        "/api/spaces/{spaceId}/workflows/{name}/run": {
            "post": {"responses": {"200": {"description": "OK", "schema": obj(jobId=S)}}}
        },
        "/api/jobs/{id}": {"get": {"responses": {"200": {"description": "OK", "schema": JOB}}}},
        "/api/jobs/{id}/abort": {"post": {"responses": {"200": {"description": "OK"}}}},
        "/api/Auth/Login": {
            "post": {
                "parameters": [{"in": "body", "name": "b", "schema": obj(user=S, PASSWORD=S)}],
                "responses": {
                    "200": {"description": "OK", "schema": LOGIN},
                    "401": {"description": "no", "schema": obj(detail=S)},
                },
            }
        },
    },
}


def findings(doc: dict[str, Any], api: str) -> list[tuple[Any, ...]]:
    return [
        (f.need, f.status, f.found, f.keys, f.candidates, f.note)
        for f in infer(read_document(doc), ApiProfile(), api).findings
    ]


JOB_FINDINGS: list[tuple[Any, ...]] = [
    ("job state field", "differs", "status", {"job_state_field": "status"}, [], ""),
    ("job queued states", "differs", "['Pending']", {"queued_states": ["Pending"]}, [], ""),
    ("job running states", "differs", "['Executing']", {"running_states": ["Executing"]}, [], ""),
    ("job completed states", "differs", "['Succeeded']",
     {"completed_states": ["Succeeded"]}, [], ""),
    ("job failed states", "differs", "['Failure']", {"failed_states": ["Failure"]}, [], ""),
    # Paused is in no category: said beside the cancelled states
    ("job cancelled states", "differs", "['Aborted']", {"cancelled_states": ["Aborted"]}, [],
     "not mapped: Paused"),
    ("job id field", "differs", "runId", {"job_id_field": "runId"}, [], ""),
    # no label name: the one string with "workflow" in it that is not an id
    ("job's workflow label", "differs", "workflow_name",
     {"job_workflow_label_field": "workflow_name"}, [], ""),
    ("job submitted time", "differs", "created", {"job_submitted_field": "created"}, [], ""),
    ("job started time", "differs", "begin_time", {"job_started_field": "begin_time"}, [], ""),
    ("job finished time", "differs", "done_date", {"job_finished_field": "done_date"}, [], ""),
    ("timestamp format", "ok", "iso", {"timestamp_format": "iso"}, [], ""),
    # the last of failureReason, errorText
    ("job error field", "differs", "errorText", {"job_error_field": "errorText"}, [], ""),
    # two arrays of objects: "tasks" is named like steps, "attachments" is not
    ("job steps field", "differs", "tasks", {"job_steps_field": "tasks"}, [], ""),
    ("step name", "differs", "stepName", {"step_name_field": "stepName"}, [], ""),
    ("step type", "differs", "kind", {"step_type_field": "kind"}, [], ""),
    ("step rows in", "differs", "rows_read", {"step_rows_in_field": "rows_read"}, [], ""),
    ("step rows out", "differs", "rows_written", {"step_rows_out_field": "rows_written"}, [], ""),
    ("step passed rows", "differs", "valid_rows", {"step_passed_rows_field": "valid_rows"}, [], ""),
    ("step failed rows", "differs", "invalid_rows", {"step_failed_rows_field": "invalid_rows"}, [],
     ""),
    ("step state field", "differs", "status", {"step_state_field": "status"}, [], ""),
    # the steps' states differ from the job's: listed on their own
    ("step queued states", "differs", "['NEW']", {"step_queued_states": ["NEW"]}, [], ""),
    ("step running states", "differs", "['ACTIVE']", {"step_running_states": ["ACTIVE"]}, [], ""),
    ("step completed states", "differs", "['DONE']", {"step_completed_states": ["DONE"]}, [], ""),
    ("step failed states", "differs", "['ERROR']", {"step_failed_states": ["ERROR"]}, [], ""),
    ("step cancelled states", "missing", "", {}, [], ""),
]  # fmt: skip


def test_every_finding_of_a_2x_document_with_the_label_in_the_path() -> None:
    body = {
        "spaceLabel": "{space}", "version": "{version}", "refresh": "{refresh}",
        "dependencies": "{dependencies}", "params": "{parameters}",
        "sourceReplacements": "{sources}",
        # integer -> 0, boolean -> False, example, default (the example is a list),
        # date-time -> {now}, the first enum value, a nested default; externalLabel is
        # dropped (the label is in the path), "nothing" and "options.empty" have no value
        "priority": 0, "dryRun": False, "note": "nightly", "mode": "fast", "when": "{now}",
        "level": "LOW", "options": {"retries": 3},
    }  # fmt: skip
    shape = (
        "dependencies={dependencies}, dryRun, level, mode, note, options.retries, "
        "params={parameters}, priority, refresh={refresh}, sourceReplacements={sources}, "
        "spaceLabel={space}, version={version}, when={now}"
    )
    jobs_pages = (
        "'results' with total pages 'paging.total_pages', page 'pageIndex', size 'per_page'"
    )
    flows_pages = (
        "'results' with total pages 'paging.total_pages', page 'page_number', size 'limit'"
    )
    assert findings(DOC_V2, "v2") == [
        ("execute route", "differs", "POST /executions/{label}",
         {"execute_path": "/executions/{label}", "execute_method": "POST"}, [], ""),
        ("source replacement fields", "differs", "sourceStep, datasetKey",
         {"execute_source_step_field": "sourceStep",
          "execute_source_dataset_field": "datasetKey"}, [], ""),
        ("execute body", "differs", shape, {"execute_body": body}, [], ""),
        # drafts first
        ("version values", "differs", "['LatestDraft', 'Published']",
         {"version_values": ["LatestDraft", "Published"]}, [], ""),
        ("job id of a new job", "differs", "Location header", {"job_id_from": "location"}, [], ""),
        # /archive/{runId} answers a job too, but /executions/{executionId} is under execute's
        ("job route", "differs", "GET /executions/{job_id}",
         {"job_path": "/executions/{job_id}", "job_method": "GET"}, [], ""),
        *JOB_FINDINGS,
        ("jobs route", "differs", "GET /flows/runs",
         {"jobs_path": "/flows/runs", "jobs_method": "GET"}, [], ""),
        ("jobs label param", "differs", "workflow_name", {"jobs_label_param": "workflow_name"}, [],
         ""),
        ("jobs state param", "differs", "STATUS", {"jobs_state_param": "STATUS"}, [], ""),
        ("workflows route", "differs", "GET /flows",
         {"workflows_path": "/flows", "workflows_method": "GET"}, [], ""),
        ("workflow label", "differs", "workflowLabel", {"workflow_label_field": "workflowLabel"},
         [], ""),
        ("workflow name", "differs", "title", {"workflow_name_field": "title"}, [], ""),
        ("workflow space", "differs", "spaceName", {"workflow_space_field": "spaceName"}, [], ""),
        ("workflow published", "differs", "publishedVersionId",
         {"workflow_published_field": "publishedVersionId"}, [], ""),
        ("workflow draft", "differs", "isDraft", {"workflow_draft_field": "isDraft"}, [], ""),
        ("workflow id", "differs", "uid", {"workflow_id_field": "uid"}, [], ""),
        ("list pages", "ambiguous", "", {}, [jobs_pages, flows_pages],
         "the job and workflow lists page differently"),
        # /archive/{runId}/stop is not under the job route
        ("cancel route", "differs", "POST /executions/{job_id}/terminate",
         {"cancel_path": "/executions/{job_id}/terminate", "cancel_method": "POST"}, [], ""),
        # message comes before title in the names looked for
        ("error message field", "ok", "message", {"error_message_field": "message"}, [], ""),
    ]  # fmt: skip


def test_every_finding_of_a_swagger_1x_document_with_a_run_route_and_a_login() -> None:
    assert findings(DOC_V1, "v1") == [
        ("execute route", "differs", "POST /api/spaces/{space}/workflows/{label}/run",
         {"execute_path": "/api/spaces/{space}/workflows/{label}/run",
          "execute_method": "POST"}, [], ""),
        ("execute body", "differs", "", {"execute_body": {}}, [], ""),
        ("job id of a new job", "ok", "answer body", {"job_id_from": "body"}, [], ""),
        ("job route", "differs", "GET /api/jobs/{job_id}",
         {"job_path": "/api/jobs/{job_id}", "job_method": "GET"}, [], ""),
        *JOB_FINDINGS,
        ("jobs route", "missing", "", {}, [], ""),
        ("workflows route", "missing", "", {}, [], ""),
        ("cancel route", "differs", "POST /api/jobs/{job_id}/abort",
         {"cancel_path": "/api/jobs/{job_id}/abort", "cancel_method": "POST"}, [], ""),
        ("error message field", "differs", "detail", {"error_message_field": "detail"}, [], ""),
        # matched without regard to case: /api/Auth/Login, PASSWORD
        ("login route", "differs", "POST /api/Auth/Login", {"login_path": "/api/Auth/Login"}, [],
         ""),
        ("token field", "differs", "accessToken", {"token_field": "accessToken"}, [], ""),
        ("token lifetime", "differs", "field ttl",
         {"token_expiry": "field", "expires_in_field": "ttl"}, [], ""),
    ]  # fmt: skip
