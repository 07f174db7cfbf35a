"""A hand-written OpenAPI document of the default profile's shape, the doctor's findings on
it, and the helpers that make variants of it (test_mapping_alternatives_*.py).

Every test of those modules compares the complete list of findings (need, status, what was
found, what is configured, the keys proposed, the candidates, the note) with the base list,
changed only where the variant changes it, so that a need's name, a note or a configured
value that the rules get wrong is seen. The expected findings are worked out by hand from the
rules in routes.py and jobfields.py; the document shares nothing with the profile model.
"""

from __future__ import annotations

import copy
from typing import Any

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import read_document
from aperture_verify.doctor.mapping import infer

S: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
STATES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def ok(schema: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    answer: dict[str, Any] = {"description": "OK"}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    return {status: answer}


def query(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "schema": S} for n in names]


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


STEP = obj(
    name=S,
    type=S,
    rowsIn=INT,
    rowsOut=INT,
    passedRows=INT,
    failedRows=INT,
    state={"type": "string", "enum": STATES},
)
JOB = obj(
    jobId=S,
    state={"type": "string", "enum": STATES},
    workflow=obj(externalLabel=S),
    submittedAt=TIME,
    startedAt=TIME,
    finishedAt=TIME,
    error=S,
    steps=array(STEP),
)
WORKFLOW = obj(id=S, name=S, externalLabel=S, space=S, published=BOOL, hasDraft=BOOL)
EXECUTE = obj(
    externalLabel=S,
    spaceExternalLabel=S,
    versionToExecute={"type": "string", "enum": ["PublishedOnly", "PreferDraft"]},
    dependenciesToUse=S,
    refreshSources=BOOL,
    workflowParameters={"type": "object"},
    sources=array(obj(sourceExternalLabel=S, datasetExternalLabel=S)),
)
DOC: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/api/v1/login": {
            "post": {
                "requestBody": body(obj(username=S, password=S)),
                "responses": ok(obj(token=S, expiresIn=INT)),
            }
        },
        "/api/v1/workflows/execute": {
            "post": {
                "requestBody": body(EXECUTE),
                "responses": {
                    **ok(obj(jobId=S), "201"),
                    "400": {
                        "description": "bad",
                        "content": {"application/json": {"schema": obj(message=S)}},
                    },
                },
            }
        },
        "/api/v1/jobs": {
            "get": {"parameters": query("externalLabel", "state"), "responses": ok(array(JOB))}
        },
        "/api/v1/jobs/{jobId}": {"get": {"responses": ok(JOB)}},
        "/api/v1/jobs/{jobId}/cancel": {"post": {"responses": ok()}},
        "/api/v1/workflows": {"get": {"responses": ok(array(WORKFLOW))}},
    },
}


def findings(doc: dict[str, Any], api: str = "v1") -> list[tuple[Any, ...]]:
    return [
        (f.need, f.status, f.found, f.configured, f.keys, f.candidates, f.note)
        for f in infer(read_document(doc), ApiProfile(), api).findings
    ]


EXECUTE_ROUTE = "POST /api/v1/workflows/execute"
SOURCES = "sourceExternalLabel, datasetExternalLabel"
BODY_SHAPE = (
    "dependenciesToUse={dependencies}, externalLabel={label}, refreshSources={refresh}, "
    "sources={sources}, spaceExternalLabel={space}, versionToExecute={version}, "
    "workflowParameters={parameters}"
)
BODY = {
    "externalLabel": "{label}", "spaceExternalLabel": "{space}", "versionToExecute": "{version}",
    "dependenciesToUse": "{dependencies}", "refreshSources": "{refresh}",
    "workflowParameters": "{parameters}", "sources": "{sources}",
}  # fmt: skip
VERSIONS = "['PreferDraft', 'PublishedOnly']"
NO_PAGES = {
    "list_items_field": "", "list_next_field": "", "list_last_field": "", "page_param": "",
    "page_size_param": "", "list_total_pages_field": "", "list_next_header": "",
}  # fmt: skip


def state_findings(kind: str, prefix: str = "") -> list[tuple[Any, ...]]:
    return [
        (f"{kind} {c} states", "ok", f"['{c.upper()}']", f"['{c.upper()}']",
         {f"{prefix}{c}_states": [c.upper()]}, [], "")
        for c in ("queued", "running", "completed", "failed", "cancelled")
    ]  # fmt: skip


BASE: list[tuple[Any, ...]] = [
    ("execute route", "ok", EXECUTE_ROUTE, EXECUTE_ROUTE,
     {"execute_path": "/api/v1/workflows/execute", "execute_method": "POST"}, [], ""),
    ("source replacement fields", "ok", SOURCES, SOURCES,
     {"execute_source_step_field": "sourceExternalLabel",
      "execute_source_dataset_field": "datasetExternalLabel"}, [], ""),
    ("execute body", "ok", BODY_SHAPE, BODY_SHAPE, {"execute_body": BODY}, [], ""),
    ("version values", "ok", VERSIONS, VERSIONS,
     {"version_values": ["PreferDraft", "PublishedOnly"]}, [], ""),
    ("job id of a new job", "ok", "answer body", "answer body", {"job_id_from": "body"}, [], ""),
    ("job route", "ok", "GET /api/v1/jobs/{job_id}", "GET /api/v1/jobs/{job_id}",
     {"job_path": "/api/v1/jobs/{job_id}", "job_method": "GET"}, [], ""),
    ("job state field", "ok", "state", "state", {"job_state_field": "state"}, [], ""),
    *state_findings("job"),
    ("job id field", "ok", "jobId", "jobId", {"job_id_field": "jobId"}, [], ""),
    ("job's workflow label", "ok", "workflow.externalLabel", "workflow.externalLabel",
     {"job_workflow_label_field": "workflow.externalLabel"}, [], ""),
    ("job submitted time", "ok", "submittedAt", "submittedAt",
     {"job_submitted_field": "submittedAt"}, [], ""),
    ("job started time", "ok", "startedAt", "startedAt", {"job_started_field": "startedAt"}, [],
     ""),
    ("job finished time", "ok", "finishedAt", "finishedAt",
     {"job_finished_field": "finishedAt"}, [], ""),
    ("timestamp format", "ok", "iso", "iso", {"timestamp_format": "iso"}, [], ""),
    ("job error field", "ok", "error", "error", {"job_error_field": "error"}, [], ""),
    ("job steps field", "ok", "steps", "steps", {"job_steps_field": "steps"}, [], ""),
    ("step name", "ok", "name", "name", {"step_name_field": "name"}, [], ""),
    ("step type", "ok", "type", "type", {"step_type_field": "type"}, [], ""),
    ("step rows in", "ok", "rowsIn", "rowsIn", {"step_rows_in_field": "rowsIn"}, [], ""),
    ("step rows out", "ok", "rowsOut", "rowsOut", {"step_rows_out_field": "rowsOut"}, [], ""),
    ("step passed rows", "ok", "passedRows", "passedRows",
     {"step_passed_rows_field": "passedRows"}, [], ""),
    ("step failed rows", "ok", "failedRows", "failedRows",
     {"step_failed_rows_field": "failedRows"}, [], ""),
    # the steps' states are the job's: not listed again
    ("step state field", "ok", "state", "state", {"step_state_field": "state"}, [], ""),
    ("jobs route", "ok", "GET /api/v1/jobs", "GET /api/v1/jobs",
     {"jobs_path": "/api/v1/jobs", "jobs_method": "GET"}, [], ""),
    ("jobs label param", "ok", "externalLabel", "externalLabel",
     {"jobs_label_param": "externalLabel"}, [], ""),
    ("jobs state param", "ok", "state", "state", {"jobs_state_param": "state"}, [], ""),
    ("workflows route", "ok", "GET /api/v1/workflows", "GET /api/v1/workflows",
     {"workflows_path": "/api/v1/workflows", "workflows_method": "GET"}, [], ""),
    ("workflow label", "ok", "externalLabel", "externalLabel",
     {"workflow_label_field": "externalLabel"}, [], ""),
    ("workflow name", "ok", "name", "name", {"workflow_name_field": "name"}, [], ""),
    ("workflow space", "ok", "space", "space", {"workflow_space_field": "space"}, [], ""),
    ("workflow published", "ok", "published", "published",
     {"workflow_published_field": "published"}, [], ""),
    ("workflow draft", "ok", "hasDraft", "hasDraft", {"workflow_draft_field": "hasDraft"}, [], ""),
    ("workflow id", "ok", "id", "id", {"workflow_id_field": "id"}, [], ""),
    ("list pages", "ok", "bare arrays", "bare arrays", NO_PAGES, [], ""),
    ("cancel route", "ok", "POST /api/v1/jobs/{job_id}/cancel",
     "POST /api/v1/jobs/{job_id}/cancel",
     {"cancel_path": "/api/v1/jobs/{job_id}/cancel", "cancel_method": "POST"}, [], ""),
    ("error message field", "ok", "message", "message", {"error_message_field": "message"}, [],
     ""),
    ("login route", "ok", "POST /api/v1/login", "POST /api/v1/login",
     {"login_path": "/api/v1/login"}, [], ""),
    ("token field", "ok", "token", "token", {"token_field": "token"}, [], ""),
    ("token lifetime", "ok", "field expiresIn", "field expiresIn",
     {"token_expiry": "field", "expires_in_field": "expiresIn"}, [], ""),
]  # fmt: skip


def expected(**changes: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """BASE with the finding of each need named (spaces as ``_``, ``'`` left out) replaced by
    the findings given (none: left out)."""
    out: list[tuple[Any, ...]] = []
    for finding in BASE:
        key = finding[0].replace(" ", "_").replace("'", "")
        out += changes.pop(key) if key in changes else [finding]
    assert not changes, f"no such need: {changes}"
    return out


def at(doc: dict[str, Any], *path: str) -> Any:
    node: Any = doc
    for part in path:
        node = node[part]
    return node


def schema_of(doc: dict[str, Any], path: str, method: str = "get", status: str = "200") -> Any:
    return at(doc, "paths", path, method, "responses", status, "content", "application/json",
              "schema")  # fmt: skip


def variant() -> dict[str, Any]:
    return copy.deepcopy(DOC)


def job_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The job's properties (the job route's and the job list's: one object in the copy)."""
    props: dict[str, Any] = schema_of(doc, "/api/v1/jobs/{jobId}")["properties"]
    return props


def step_of(doc: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = job_of(doc)["steps"]["items"]["properties"]
    return props


def missing(need: str, configured: str, note: str = "") -> tuple[Any, ...]:
    return (need, "missing", "", configured, {}, [], note)


def differs(need: str, found: str, configured: str, keys: dict[str, Any]) -> tuple[Any, ...]:
    return (need, "differs", found, configured, keys, [], "")


def ambiguous(need: str, configured: str, candidates: list[str], note: str = "") -> tuple[Any, ...]:
    return (need, "ambiguous", "", configured, {}, candidates, note)


#: The findings after the job route, when it is missing or ambiguous.
AFTER_JOB_ROUTE = [
    ("jobs route", "missing", "", "GET /api/v1/jobs", {}, [], ""),
    *[f for f in BASE if f[0].startswith("workflow")],
    ("list pages", "ok", "bare arrays", "bare arrays", NO_PAGES, [], ""),
    missing("cancel route", "POST /api/v1/jobs/{job_id}/cancel", "needs the job route first"),
    *BASE[-4:],
]
