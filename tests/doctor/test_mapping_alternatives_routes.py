"""The doctor's inference of routes (execute, job, cancel, login candidates) on variants of one
hand-written document, each taking one alternative no other document takes (see
mapping_variants.py).
"""

from __future__ import annotations

from mapping_variants import (
    AFTER_JOB_ROUTE,
    BASE,
    BODY,
    BODY_SHAPE,
    DOC,
    EXECUTE_ROUTE,
    JOB,
    SOURCES,
    VERSIONS,
    S,
    ambiguous,
    array,
    body,
    differs,
    expected,
    findings,
    missing,
    obj,
    ok,
    variant,
)


def test_the_base_document_maps_to_the_default_profile() -> None:
    assert findings(DOC) == BASE


def test_without_login_rules_for_v2_the_login_is_not_looked_for() -> None:
    assert findings(DOC, "v2") == expected(login_route=[], token_field=[], token_lifetime=[])


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
