"""The doctor's inference of fields, states, times, lists and the login's answer on variants of
one hand-written document, each taking one alternative no other document takes (see
mapping_variants.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from mapping_variants import (
    AFTER_JOB_ROUTE,
    BASE,
    BOOL,
    INT,
    JOB,
    NO_PAGES,
    STATES,
    TIME,
    WORKFLOW,
    S,
    ambiguous,
    array,
    differs,
    expected,
    findings,
    job_of,
    missing,
    obj,
    query,
    schema_of,
    state_findings,
    step_of,
    variant,
)

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import read_document
from aperture_verify.doctor.mapping import infer

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
