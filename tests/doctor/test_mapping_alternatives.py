"""The doctor's inference on one hand-written document of the default profile's shape, and on
variants of it that each take one alternative the other documents never take.

Every test compares the complete list of findings (need, status, what was found, what is
configured, the keys proposed, the candidates, the note) with the base list, changed only
where the variant changes it, so that a need's name, a note or a configured value that the
rules get wrong is seen. The expected findings are worked out by hand from the rules in
routes.py and jobfields.py; the documents share nothing with the profile model.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

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


def test_the_base_document_maps_to_the_default_profile() -> None:
    assert findings(DOC) == BASE


def test_without_login_rules_for_v2_the_login_is_not_looked_for() -> None:
    assert findings(DOC, "v2") == expected(login_route=[], token_field=[], token_lifetime=[])


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


# -- the execute route --------------------------------------------------------------------


def test_an_execute_route_by_put_with_a_location_header() -> None:
    doc = variant()
    execute = doc["paths"]["/api/v1/workflows/execute"]
    execute["put"] = execute.pop("post")
    execute["put"]["responses"]["201"]["headers"] = {"Location": {"schema": S}}
    assert findings(doc) == expected(
        execute_route=[differs("execute route", "PUT /api/v1/workflows/execute", EXECUTE_ROUTE,
                               {"execute_path": "/api/v1/workflows/execute",
                                "execute_method": "PUT"})],
        job_id_of_a_new_job=[differs("job id of a new job", "Location header", "answer body",
                                     {"job_id_from": "location"})],
    )  # fmt: skip


def test_an_execute_route_without_a_success_answer_gives_the_job_id_in_the_body() -> None:
    doc = variant()
    del doc["paths"]["/api/v1/workflows/execute"]["post"]["responses"]["201"]
    assert findings(doc) == BASE


def test_version_values_come_from_the_version_field_drafts_first() -> None:
    doc = variant()
    request = doc["paths"]["/api/v1/workflows/execute"]["post"]["requestBody"]
    props = request["content"]["application/json"]["schema"]["properties"]
    # an enum before the version field is a literal of the body, not the version values
    request["content"]["application/json"]["schema"]["properties"] = {
        "level": {"type": "string", "enum": ["LOW", "HIGH"]},
        **props,
        "versionToExecute": {"type": "string", "enum": ["Published", "WorkingDraft"]},
    }
    shape = BODY_SHAPE.replace("externalLabel={label}, ", "externalLabel={label}, level, ")
    assert findings(doc) == expected(
        execute_body=[differs("execute body", shape, BODY_SHAPE,
                              {"execute_body": {"level": "LOW", **BODY}})],
        version_values=[differs("version values", "['WorkingDraft', 'Published']", VERSIONS,
                                {"version_values": ["WorkingDraft", "Published"]})],
    )  # fmt: skip


def test_the_source_step_field_is_found_by_step_as_well_as_by_source() -> None:
    doc = variant()
    request = doc["paths"]["/api/v1/workflows/execute"]["post"]["requestBody"]
    props = request["content"]["application/json"]["schema"]["properties"]
    props["sources"] = array(obj(datasetKey=S, stepLabel=S))
    assert findings(doc) == expected(
        source_replacement_fields=[
            differs("source replacement fields", "stepLabel, datasetKey", SOURCES,
                    {"execute_source_step_field": "stepLabel",
                     "execute_source_dataset_field": "datasetKey"})
        ],
    )  # fmt: skip


def test_sources_without_a_dataset_field_give_no_source_fields() -> None:
    doc = variant()
    request = doc["paths"]["/api/v1/workflows/execute"]["post"]["requestBody"]
    props = request["content"]["application/json"]["schema"]["properties"]
    props["sources"] = array(obj(stepLabel=S))
    assert findings(doc) == expected(source_replacement_fields=[])


NO_EXECUTE = [
    "execute route", "source replacement fields", "execute body", "version values",
    "job id of a new job",
]  # fmt: skip


def test_no_execute_route_is_missing_with_what_was_looked_for() -> None:
    doc = variant()
    execute = doc["paths"].pop("/api/v1/workflows/execute")
    del execute["post"]["requestBody"]
    doc["paths"]["/api/v1/workflows/start"] = execute
    note = "no POST whose body holds externalLabel"
    assert findings(doc) == [missing("execute route", EXECUTE_ROUTE, note)] + [
        f for f in BASE if f[0] not in NO_EXECUTE
    ]


def test_two_execute_routes_are_ambiguous() -> None:
    doc = variant()
    doc["paths"]["/api/v1/workflows/execute-now"] = doc["paths"]["/api/v1/workflows/execute"]
    candidates = [EXECUTE_ROUTE, "POST /api/v1/workflows/execute-now"]
    note = "no POST whose body holds externalLabel"
    assert findings(doc) == [ambiguous("execute route", EXECUTE_ROUTE, candidates, note)] + [
        f for f in BASE if f[0] not in NO_EXECUTE
    ]


def test_without_a_label_in_a_body_a_post_run_route_is_the_execute_route() -> None:
    doc = variant()
    execute = doc["paths"].pop("/api/v1/workflows/execute")
    del execute["post"]["requestBody"]
    doc["paths"]["/api/v1/workflows/{name}/run"] = execute
    # a GET on an execute path is not a way to execute
    doc["paths"]["/api/v1/workflows/{name}/execute"] = {"get": {"responses": ok(obj(x=S))}}
    route = "POST /api/v1/workflows/{label}/run"
    assert findings(doc) == [
        differs("execute route", route, EXECUTE_ROUTE,
                {"execute_path": "/api/v1/workflows/{label}/run", "execute_method": "POST"}),
        differs("execute body", "", BODY_SHAPE, {"execute_body": {}}),
        ("job id of a new job", "ok", "answer body", "answer body", {"job_id_from": "body"}, [],
         ""),
        *[f for f in BASE if f[0] not in NO_EXECUTE],
    ]  # fmt: skip


# -- routes that are no candidates ----------------------------------------------------------


def test_routes_that_look_like_a_need_but_are_not_one_change_nothing() -> None:
    doc = variant()
    login_body = body(obj(user=S, password=S))
    doc["paths"] = {
        # a GET answering no list, before the lists
        "/api/v1/version": {"get": {"responses": ok(obj(version=S))}},
        **doc["paths"],
        # a job answered under two path parameters: no job route
        "/api/v1/spaces/{space}/jobs/{jobId}": {"get": {"responses": ok(JOB)}},
        # a POST on a job that is no cancel
        "/api/v1/jobs/{jobId}/retry": {"post": {"responses": ok()}},
        # a list of jobs answered by a POST: no jobs route
        "/api/v1/jobs/search": {
            "post": {"requestBody": body(obj(query=S)), "responses": ok(array(JOB))}
        },
        # a list of neither jobs nor workflows
        "/api/v1/spaces": {"get": {"responses": ok(array(obj(name=S)))}},
        # a password without a login path, a login path without a password, a login with a
        # path parameter, a login by PUT: none is the login route
        "/api/v1/users": {"post": {"requestBody": login_body, "responses": ok()}},
        "/api/v1/auth/logout": {"post": {"requestBody": body(obj(user=S)), "responses": ok()}},
        "/api/v1/users/{id}/token": {"post": {"requestBody": login_body, "responses": ok()}},
        "/api/v1/session": {"put": {"requestBody": login_body, "responses": ok()}},
    }
    assert findings(doc) == BASE


# -- the job route --------------------------------------------------------------------------

AFTER_JOB_ROUTE = [
    ("jobs route", "missing", "", "GET /api/v1/jobs", {}, [], ""),
    *[f for f in BASE if f[0].startswith("workflow")],
    ("list pages", "ok", "bare arrays", "bare arrays", NO_PAGES, [], ""),
    missing("cancel route", "POST /api/v1/jobs/{job_id}/cancel", "needs the job route first"),
    *BASE[-4:],
]
JOB_ROUTE_NOTE = "no GET /{id} whose answer has a state with COMPLETED/FAILED names"


def test_two_job_routes_are_ambiguous_and_the_job_fields_and_cancel_route_wait_for_one() -> None:
    doc = variant()
    doc["paths"]["/api/v1/archive/{runId}"] = {"get": {"responses": ok(JOB)}}
    candidates = ["GET /api/v1/jobs/{jobId}", "GET /api/v1/archive/{runId}"]
    assert findings(doc) == [
        *BASE[:5],
        ambiguous("job route", "GET /api/v1/jobs/{job_id}", candidates, JOB_ROUTE_NOTE),
        missing("job state field", "state"),
        *AFTER_JOB_ROUTE,
    ]


def test_no_job_route_is_missing_with_what_was_looked_for() -> None:
    doc = variant()
    del doc["paths"]["/api/v1/jobs/{jobId}"]
    assert findings(doc) == [
        *BASE[:5],
        missing("job route", "GET /api/v1/jobs/{job_id}", JOB_ROUTE_NOTE),
        missing("job state field", "state"),
        *AFTER_JOB_ROUTE,
    ]


def test_a_job_route_is_near_the_execute_route_only_under_its_last_parameter() -> None:
    doc = variant()
    execute = doc["paths"].pop("/api/v1/workflows/execute")
    doc["paths"]["/api/v1/{spaceId}/flows/{flowId}"] = execute
    # /api/v1/{runId} is under /api/v1, not under /api/v1/{spaceId}/flows: no nearer
    doc["paths"]["/api/v1/{runId}"] = {"get": {"responses": ok(JOB)}}
    route = "POST /api/v1/{space}/flows/{label}"
    template = {k: v for k, v in BODY.items() if k != "externalLabel"}
    candidates = ["GET /api/v1/jobs/{jobId}", "GET /api/v1/{runId}"]
    assert findings(doc) == [
        differs("execute route", route, EXECUTE_ROUTE,
                {"execute_path": "/api/v1/{space}/flows/{label}", "execute_method": "POST"}),
        BASE[1],
        differs("execute body", BODY_SHAPE.replace("externalLabel={label}, ", ""), BODY_SHAPE,
                {"execute_body": template}),
        *BASE[3:5],
        ambiguous("job route", "GET /api/v1/jobs/{job_id}", candidates, JOB_ROUTE_NOTE),
        missing("job state field", "state"),
        *AFTER_JOB_ROUTE,
    ]  # fmt: skip


# -- the job's fields -----------------------------------------------------------------------


def test_two_state_fields_are_ambiguous_and_no_job_list_is_found_without_one() -> None:
    doc = variant()
    job_of(doc)["phase"] = {"type": "string", "enum": STATES}
    assert findings(doc) == [
        *BASE[:6],
        ambiguous("job state field", "state", ["state", "phase"]),
        *AFTER_JOB_ROUTE[:-5],
        *BASE[-5:],
    ]


def test_an_id_field_by_its_ending_when_no_id_name_is_known() -> None:
    doc = variant()
    job = job_of(doc)
    job["requestId"] = job.pop("jobId")
    assert findings(doc) == expected(
        job_id_field=[differs("job id field", "requestId", "jobId", {"job_id_field": "requestId"})]
    )


def test_the_job_id_is_a_top_level_field() -> None:
    doc = variant()
    job = job_of(doc)
    job["runId"] = job.pop("jobId")
    job["workflow"]["properties"]["id"] = S  # "id" comes before "runId", but not at the top
    assert findings(doc) == expected(
        job_id_field=[differs("job id field", "runId", "jobId", {"job_id_field": "runId"})]
    )


def test_no_job_id_field_is_missing() -> None:
    doc = variant()
    del job_of(doc)["jobId"]
    assert findings(doc) == expected(job_id_field=[missing("job id field", "jobId")])


LABEL = "job's workflow label"


def test_a_label_that_is_no_string_leaves_the_workflow_name() -> None:
    doc = variant()
    job = job_of(doc)
    del job["workflow"]
    job["label"] = INT
    job["workflowName"] = S
    assert findings(doc) == expected(
        jobs_workflow_label=[
            differs(LABEL, "workflowName", "workflow.externalLabel",
                    {"job_workflow_label_field": "workflowName"})
        ]
    )  # fmt: skip


def test_two_workflow_names_are_no_label() -> None:
    doc = variant()
    job = job_of(doc)
    del job["workflow"]
    job["workflowName"] = S
    job["workflowTitle"] = S
    assert findings(doc) == expected(jobs_workflow_label=[missing(LABEL, "workflow.externalLabel")])


def test_the_error_field_is_the_last_string_named_error_or_fail_in_any_case() -> None:
    doc = variant()
    job = job_of(doc)
    del job["error"]
    job["lastError"] = S
    job["note"] = S
    job["failures"] = INT
    assert findings(doc) == expected(
        job_error_field=[
            differs("job error field", "lastError", "error", {"job_error_field": "lastError"})
        ]
    )


@pytest.mark.parametrize("name", ["steps", "stages", "tasks"])
def test_an_array_named_like_steps_is_the_steps_beside_another(name: str) -> None:
    doc = variant()
    job = job_of(doc)
    job[name] = job.pop("steps")
    job["attachments"] = array(obj(file=S))
    steps: tuple[Any, ...] = next(f for f in BASE if f[0] == "job steps field")
    if name != "steps":
        steps = differs("job steps field", name, "steps", {"job_steps_field": name})
    assert findings(doc) == expected(job_steps_field=[steps])


def test_two_arrays_of_objects_not_named_like_steps_are_ambiguous() -> None:
    doc = variant()
    job = job_of(doc)
    job["children"] = job.pop("steps")
    job["attachments"] = array(obj(file=S))
    step_needs = [f for f in BASE if f[0].startswith("step ")]
    assert findings(doc) == [
        ambiguous("job steps field", "steps", ["children", "attachments"])
        if f[0] == "job steps field"
        else f
        for f in BASE
        if f not in step_needs
    ]


# -- states ---------------------------------------------------------------------------------

STEP_STATE = next(f for f in BASE if f[0] == "step state field")


def test_every_state_name_no_category_claims_is_said_beside_the_cancelled_states() -> None:
    doc = variant()
    job_of(doc)["state"] = {"type": "string", "enum": [*STATES, "Paused", "Held"]}
    job_states = state_findings("job")
    job_states[-1] = (*job_states[-1][:-1], "not mapped: Paused, Held")
    # the steps' states now differ from the job's: listed, compared with the job's names
    assert findings(doc) == expected(
        job_cancelled_states=[job_states[-1]],
        step_state_field=[STEP_STATE, *state_findings("step", "step_")],
    )


def test_the_steps_own_states_are_compared_with_the_profiles_step_states() -> None:
    doc = variant()
    step_of(doc)["state"] = {"type": "string", "enum": ["NEW", "ACTIVE", "DONE", "ERROR"]}
    profile = ApiProfile(step_completed_states=("DONE",))
    found = [
        (f.need, f.status, f.found, f.configured, f.keys, f.candidates, f.note)
        for f in infer(read_document(doc), profile, "v1").findings
    ]
    assert found == expected(
        step_state_field=[
            STEP_STATE,
            differs("step queued states", "['NEW']", "['QUEUED']",
                    {"step_queued_states": ["NEW"]}),
            differs("step running states", "['ACTIVE']", "['RUNNING']",
                    {"step_running_states": ["ACTIVE"]}),
            ("step completed states", "ok", "['DONE']", "['DONE']",
             {"step_completed_states": ["DONE"]}, [], ""),
            differs("step failed states", "['ERROR']", "['FAILED']",
                    {"step_failed_states": ["ERROR"]}),
            missing("step cancelled states", "['CANCELLED']"),
        ]
    )  # fmt: skip


# -- the steps' fields ----------------------------------------------------------------------


def test_a_count_the_steps_do_not_carry_is_none() -> None:
    doc = variant()
    del step_of(doc)["passedRows"]
    assert findings(doc) == expected(
        step_passed_rows=[("step passed rows", "differs", "none", "passedRows",
                           {"step_passed_rows_field": ""}, [], "the steps carry none")]
    )  # fmt: skip


def test_a_count_neither_carried_nor_configured_is_none_as_configured() -> None:
    doc = variant()
    del step_of(doc)["passedRows"]
    del step_of(doc)["failedRows"]
    profile = ApiProfile(step_passed_rows_field="")
    found = [
        (f.need, f.status, f.found, f.configured, f.keys, f.candidates, f.note)
        for f in infer(read_document(doc), profile, "v1").findings
    ]
    assert found == expected(
        step_passed_rows=[("step passed rows", "ok", "none", "none",
                           {"step_passed_rows_field": ""}, [], "the steps carry none")],
        step_failed_rows=[("step failed rows", "differs", "none", "failedRows",
                           {"step_failed_rows_field": ""}, [], "the steps carry none")],
    )  # fmt: skip


def test_a_step_without_a_name_is_missing_its_name() -> None:
    doc = variant()
    del step_of(doc)["name"]
    assert findings(doc) == expected(step_name=[missing("step name", "name")])


def test_two_step_state_fields_are_ambiguous() -> None:
    doc = variant()
    step_of(doc)["phase"] = {"type": "string", "enum": STATES}
    assert findings(doc) == expected(
        step_state_field=[ambiguous("step state field", "state", ["state", "phase"])]
    )


# -- times ----------------------------------------------------------------------------------


def test_integer_times_said_to_be_epoch_milliseconds() -> None:
    doc = variant()
    job = job_of(doc)
    epoch = {"type": "integer", "description": "epoch milliseconds"}
    for name in ("submitted", "started", "finished"):
        del job[name + "At"]
        job[name] = epoch
    assert findings(doc) == expected(
        job_submitted_time=[differs("job submitted time", "submitted", "submittedAt",
                                    {"job_submitted_field": "submitted"})],
        job_started_time=[differs("job started time", "started", "startedAt",
                                  {"job_started_field": "started"})],
        job_finished_time=[differs("job finished time", "finished", "finishedAt",
                                   {"job_finished_field": "finished"})],
        timestamp_format=[differs("timestamp format", "epoch_ms", "iso",
                                  {"timestamp_format": "epoch_ms"})],
    )  # fmt: skip


def test_two_submitted_times_are_ambiguous() -> None:
    doc = variant()
    job_of(doc)["createdAt"] = TIME
    assert findings(doc) == expected(
        job_submitted_time=[
            ambiguous("job submitted time", "submittedAt", ["submittedAt", "createdAt"])
        ]
    )


def test_times_of_no_one_format_give_no_timestamp_format() -> None:
    doc = variant()
    job_of(doc)["submittedAt"] = INT
    note = "integer times without a unit (seconds or milliseconds?)"
    assert findings(doc) == expected(timestamp_format=[missing("timestamp format", "iso", note)])


# -- the lists ------------------------------------------------------------------------------


def test_two_job_lists_are_ambiguous() -> None:
    doc = variant()
    doc["paths"]["/api/v1/jobs/archive"] = doc["paths"]["/api/v1/jobs"]
    candidates = ["GET /api/v1/jobs", "GET /api/v1/jobs/archive"]
    assert findings(doc) == expected(
        jobs_route=[ambiguous("jobs route", "GET /api/v1/jobs", candidates)],
        jobs_label_param=[],
        jobs_state_param=[],
    )


@pytest.mark.parametrize(
    "name", ["label", "workflow", "workflowLabel", "workflowExternalLabel", "workflowName", "name"]
)
def test_each_name_of_the_jobs_label_parameter(name: str) -> None:
    doc = variant()
    doc["paths"]["/api/v1/jobs"]["get"]["parameters"] = query(name, "status")
    assert findings(doc) == expected(
        jobs_label_param=[differs("jobs label param", name, "externalLabel",
                                  {"jobs_label_param": name})],
        jobs_state_param=[differs("jobs state param", "status", "state",
                                  {"jobs_state_param": "status"})],
    )  # fmt: skip


def test_a_job_list_without_parameters_proposes_none() -> None:
    doc = variant()
    del doc["paths"]["/api/v1/jobs"]["get"]["parameters"]
    assert findings(doc) == expected(
        jobs_label_param=[differs("jobs label param", "", "externalLabel",
                                  {"jobs_label_param": ""})],
        jobs_state_param=[differs("jobs state param", "", "state", {"jobs_state_param": ""})],
    )  # fmt: skip


def test_lists_that_page_differently_are_ambiguous_with_nothing_configured() -> None:
    doc = variant()
    schema_of(doc, "/api/v1/jobs").update(obj(items=array(JOB), next=S))
    del schema_of(doc, "/api/v1/jobs")["items"]
    assert findings(doc) == expected(
        list_pages=[ambiguous("list pages", "", ["bare arrays", "'items' with next link 'next'"],
                              "the job and workflow lists page differently")]
    )  # fmt: skip


def paged(page: dict[str, Any], params: tuple[str, ...] = (), link: bool = False) -> dict[str, Any]:
    """DOC with both lists answering *page* (``items`` holding the list's items), with the
    query parameters *params* and, if *link*, a Link header."""
    doc = variant()
    for path, item in (("/api/v1/jobs", JOB), ("/api/v1/workflows", WORKFLOW)):
        get = doc["paths"][path]["get"]
        get["parameters"] = get.get("parameters", []) + query(*params)
        answer = get["responses"]["200"]
        if page:
            answer["content"]["application/json"]["schema"] = obj(items=array(item), **page)
        if link:
            answer["headers"] = {"Link": {"schema": S}}
    return doc


def pages(described: str, **keys: str) -> list[tuple[Any, ...]]:
    return [differs("list pages", described, "bare arrays", {**NO_PAGES, **keys})]


def test_bare_arrays_linked_by_a_header() -> None:
    assert findings(paged({}, link=True)) == expected(
        list_pages=pages("Link header, rel=next", list_next_header="Link")
    )


def test_a_page_object_linked_by_a_header_reads_no_next_field() -> None:
    doc = paged({"next": S, "totalPages": INT}, ("page",), link=True)
    assert findings(doc) == expected(
        list_pages=pages("Link header, rel=next over 'items'", list_items_field="items",
                         page_param="page", list_next_header="Link")
    )  # fmt: skip


@pytest.mark.parametrize("name", ["next", "nextPage", "nextLink", "nextUrl"])
def test_each_name_of_the_next_link_and_no_page_number_or_total_beside_it(name: str) -> None:
    doc = paged({name: S, "totalPages": INT, "last": BOOL}, ("page", "size"))
    assert findings(doc) == expected(
        list_pages=pages(f"'items' with next link '{name}', size 'size'",
                         list_items_field="items", list_next_field=name, page_size_param="size")
    )  # fmt: skip


def test_a_next_that_is_no_string_is_no_next_link() -> None:
    doc = paged({"next": {"type": "object"}, "totalPages": INT}, ("page",))
    assert findings(doc) == expected(
        list_pages=pages("'items' with total pages 'totalPages', page 'page'",
                         list_items_field="items", list_total_pages_field="totalPages",
                         page_param="page")
    )  # fmt: skip


def test_total_pages_without_a_page_parameter_and_no_last_flag_beside_it() -> None:
    doc = paged({"total_pages": INT, "last": BOOL}, ("pageSize",))
    assert findings(doc) == expected(
        list_pages=pages("'items' with total pages 'total_pages', page '', size 'pageSize'",
                         list_items_field="items", list_total_pages_field="total_pages",
                         page_size_param="pageSize")
    )  # fmt: skip


@pytest.mark.parametrize("name", ["last", "isLast", "lastPage"])
def test_each_name_of_the_last_flag_and_totals_that_are_no_integer(name: str) -> None:
    doc = paged({"totalPages": S, "last": S, name: BOOL}, ("pageNumber", "perPage"))
    assert findings(doc) == expected(
        list_pages=pages(f"'items' with last flag '{name}', page 'pageNumber', size 'perPage'",
                         list_items_field="items", list_last_field=name,
                         page_param="pageNumber", page_size_param="perPage")
    )  # fmt: skip


# -- the workflows' fields ------------------------------------------------------------------


def test_a_workflow_label_that_is_no_string_is_missing() -> None:
    doc = variant()
    item = schema_of(doc, "/api/v1/workflows")["items"]["properties"]
    item["externalLabel"] = INT
    assert findings(doc) == expected(workflow_label=[missing("workflow label", "externalLabel")])


@pytest.mark.parametrize(
    ("need", "old", "new"),
    [
        ("workflow published", "published", "isPublished"),
        ("workflow published", "published", "publishedVersion"),
        ("workflow space", "space", "spaceLabel"),
    ],
)
def test_each_name_of_a_workflow_field(need: str, old: str, new: str) -> None:
    doc = variant()
    item = schema_of(doc, "/api/v1/workflows")["items"]["properties"]
    item[new] = item.pop(old)
    key = need.replace(" ", "_") + "_field"
    assert findings(doc) == expected(
        **{need.replace(" ", "_"): [differs(need, new, old, {key: new})]}
    )


# -- the error field ------------------------------------------------------------------------


def error_body(doc: dict[str, Any]) -> dict[str, Any]:
    return schema_of(doc, "/api/v1/workflows/execute", "post", "400")  # type: ignore[no-any-return]


def test_no_error_answer_leaves_the_error_field_missing() -> None:
    doc = variant()
    del doc["paths"]["/api/v1/workflows/execute"]["post"]["responses"]["400"]
    assert findings(doc) == expected(
        error_message_field=[missing("error message field", "message")]
    )


@pytest.mark.parametrize("name", ["detail", "errorMessage", "error", "title"])
def test_each_name_of_the_error_message_and_a_message_that_is_no_string(name: str) -> None:
    doc = variant()
    error_body(doc)["properties"] = {"code": INT, "message": INT, name: S}
    assert findings(doc) == expected(
        error_message_field=[
            differs("error message field", name, "message", {"error_message_field": name})
        ]
    )


# -- the login ------------------------------------------------------------------------------


def login_answer(doc: dict[str, Any]) -> dict[str, Any]:
    return schema_of(doc, "/api/v1/login", "post")  # type: ignore[no-any-return]


def test_two_login_routes_are_ambiguous() -> None:
    doc = variant()
    doc["paths"]["/api/v1/auth"] = doc["paths"]["/api/v1/login"]
    candidates = ["POST /api/v1/login", "POST /api/v1/auth"]
    assert findings(doc) == expected(
        login_route=[ambiguous("login route", "POST /api/v1/login", candidates)],
        token_field=[],
        token_lifetime=[],
    )


def test_a_login_answer_without_a_token_or_a_lifetime() -> None:
    doc = variant()
    login_answer(doc)["properties"] = {"user": S, "tokens": INT}
    assert findings(doc) == expected(
        token_field=[missing("token field", "token")], token_lifetime=[]
    )


@pytest.mark.parametrize("name", ["expires", "expiry", "ttl"])
def test_each_name_of_the_token_lifetime_and_the_token_after_another_string(name: str) -> None:
    doc = variant()
    login_answer(doc)["properties"] = {
        "user": S, "expiresIn": S, "authToken": S, name: INT,
    }  # fmt: skip
    assert findings(doc) == expected(
        token_field=[differs("token field", "authToken", "token", {"token_field": "authToken"})],
        token_lifetime=[differs("token lifetime", f"field {name}", "field expiresIn",
                                {"token_expiry": "field", "expires_in_field": name})],
    )  # fmt: skip


def test_only_the_sources_field_is_read_for_source_fields() -> None:
    doc = variant()
    request = doc["paths"]["/api/v1/workflows/execute"]["post"]["requestBody"]
    props = request["content"]["application/json"]["schema"]["properties"]
    props["workflowParameters"] = array(obj(sourceName=S, datasetName=S))
    assert findings(doc) == BASE
