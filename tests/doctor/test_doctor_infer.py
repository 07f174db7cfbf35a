"""Reading documents and mapping needs, without a server: $refs, allOf, ambiguity."""

from __future__ import annotations

from typing import Any

import pytest

from aperture_verify.client.dialect import load_dialect
from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import DocumentError, read_document
from aperture_verify.doctor.mapping import infer
from aperture_verify.emulator.openapi import openapi_document, swagger2

JOB: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["PENDING", "RUNNING", "DONE", "ERROR", "KILLED"]},
    },
}


RUN = "#/definitions/Run"


def ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def test_two_candidate_job_routes_are_shown_and_neither_is_chosen() -> None:
    doc = {
        "openapi": "3.0.3",
        "paths": {
            "/a/jobs/{id}": {"get": {"responses": ok({"$ref": "#/components/schemas/Job"})}},
            "/b/tasks/{key}": {"get": {"responses": ok({"$ref": "#/components/schemas/Job"})}},
        },
        "components": {"schemas": {"Job": JOB}},
    }
    found = {f.need: f for f in infer(read_document(doc), ApiProfile(), "v2").findings}
    route = found["job route"]
    assert route.status == "ambiguous" and route.keys == {}
    assert route.candidates == ["GET /a/jobs/{id}", "GET /b/tasks/{key}"]
    assert found["execute route"].status == "missing"


def test_swagger_2_refs_and_all_of_are_followed_and_states_categorised() -> None:
    doc = {
        "swagger": "2.0",
        "basePath": "/api",
        "paths": {
            "/runs": {"post": {
                "parameters": [{"$ref": "#/parameters/Body"}],
                "responses": {"201": {"headers": {"Location": {"type": "string"}}}},
            }},
            "/runs/{id}": {"get": {"responses": {"200": {"schema": {"$ref": RUN}}}}},
        },
        "parameters": {"Body": {"in": "body", "name": "b", "schema": {
            "properties": {"externalLabel": {"type": "string"}}}}},
        "definitions": {
            "Base": {"properties": {"id": {"type": "string"}}},
            "Run": {"allOf": [{"$ref": "#/definitions/Base"}, {"$ref": "#/definitions/Run"},
                              {"properties": {"status": JOB["properties"]["status"]}}]},
        },
    }  # fmt: skip
    document = read_document(doc)
    assert document.version == "Swagger 2.0"
    found = {f.need: f for f in infer(document, ApiProfile(), "v2").findings}
    assert found["execute route"].found == "POST /api/runs"
    assert found["job id of a new job"].keys == {"job_id_from": "location"}
    assert found["job route"].keys["job_path"] == "/api/runs/{job_id}"
    assert found["job id field"].found == "id"
    assert found["job queued states"].keys == {"queued_states": ["PENDING"]}
    assert found["job completed states"].keys == {"completed_states": ["DONE"]}
    assert found["job cancelled states"].keys == {"cancelled_states": ["KILLED"]}


@pytest.mark.parametrize("name", ["contract", "1.x"])
def test_the_emulators_own_documents_map_back_to_their_dialect(name: str) -> None:
    dialect = load_dialect(name)
    doc = openapi_document(dialect.profile)
    if dialect.docs.style == "springfox":
        doc = swagger2(doc)
    inference = infer(read_document(doc), dialect.profile, dialect.api)
    assert [f.need for f in inference.findings if f.status != "ok"] == []


@pytest.mark.parametrize(
    "doc",
    [None, [], {"paths": {}}, {"openapi": "2.9", "paths": {}}, {"swagger": "1.2", "paths": {}},
     {"openapi": "3.1.0", "paths": []}],
)  # fmt: skip
def test_what_is_not_a_document_is_said_so(doc: Any) -> None:
    with pytest.raises(DocumentError):
        read_document(doc)
