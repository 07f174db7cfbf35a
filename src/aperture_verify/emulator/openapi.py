"""The emulator's API document: exactly what its profile speaks, where such a server has it.

``openapi_document(profile)`` describes every route, body, field path, state
name, timestamp format and page wrapper of the profile as OpenAPI 3.0;
``swagger2(document)`` turns it into Swagger 2.0 for a springfox-style (1.x)
server. ``DocSite`` serves the document and its Swagger UI entry points
(springdoc: ``index.html`` and ``swagger-initializer.js``; springfox:
``swagger-ui.html`` and ``swagger-resources``) without a credential, as
Spring servers usually do.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from aperture_verify.client.dialect import ApiDocs
from aperture_verify.client.profile import CATEGORIES, ApiProfile
from aperture_verify.emulator.wire import Response, json_response

_REF = "#/components/schemas/"
PATH_PARAM_NAMES = {"job_id": "jobId", "label": "externalLabel", "space": "space"}
_BODY_SCHEMAS: dict[str, dict[str, Any]] = {
    "label": {"type": "string", "description": "the workflow's external label"},
    "space": {"type": "string", "description": "the space's external label"},
    "version": {"type": "string"},
    "dependencies": {"type": "string"},
    "refresh": {"type": "boolean"},
    "parameters": {"type": "object", "additionalProperties": True},
    "sources": {"type": "array", "items": {"$ref": _REF + "SourceReplacement"}},
    "now": {"type": "string", "format": "date-time"},
    "now_epoch_s": {"type": "integer", "format": "int64"},
    "now_epoch_ms": {"type": "integer", "format": "int64"},
}


def _nest(fields: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An object schema holding each ``(dotted path, schema)``."""
    root: dict[str, Any] = {"type": "object", "properties": {}}
    for path, schema in fields:
        if not path:
            continue
        node = root
        parts = path.split(".")
        for part in parts[:-1]:
            node = node["properties"].setdefault(part, {"type": "object", "properties": {}})
        node["properties"][parts[-1]] = schema
    return root


def _states(profile: ApiProfile, *, step: bool) -> list[str]:
    names: list[str] = []
    for category in CATEGORIES:
        names += [n for n in profile.states(category, step=step) if n not in names]
    return names


def _time(profile: ApiProfile) -> dict[str, Any]:
    if profile.timestamp_format == "iso":
        return {"type": "string", "format": "date-time", "nullable": True}
    unit = "milliseconds" if profile.timestamp_format == "epoch_ms" else "seconds"
    return {
        "type": "integer",
        "format": "int64",
        "nullable": True,
        "description": f"epoch {unit} (UTC)",
    }


def _body_schema(template: Any, version_values: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(template, dict):
        return {
            "type": "object",
            "properties": {k: _body_schema(v, version_values) for k, v in template.items()},
        }
    if isinstance(template, list):
        return {
            "type": "array",
            "items": _body_schema(template[0], version_values) if template else {},
        }
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole:
            schema = dict(_BODY_SCHEMAS.get(whole.group(1), {"type": "string"}))
            if whole.group(1) in ("version", "dependencies"):
                schema["enum"] = list(version_values)
            return schema
        return {"type": "string", "example": template}
    if isinstance(template, bool):
        return {"type": "boolean", "example": template}
    if isinstance(template, int | float):
        return {"type": "integer" if isinstance(template, int) else "number", "example": template}
    return {}


def _path(template: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for name in re.findall(r"\{(\w+)\}", template):
        shown = PATH_PARAM_NAMES.get(name, name)
        template = template.replace("{" + name + "}", "{" + shown + "}")
        params.append({"name": shown, "in": "path", "required": True, "schema": {"type": "string"}})
    return template, params


def openapi_document(profile: ApiProfile) -> dict[str, Any]:
    """OpenAPI 3.0 for *profile*."""
    p = profile
    ref = {"$ref": _REF + "Job"}
    integer = {"type": "integer", "format": "int64", "nullable": True}
    schemas: dict[str, Any] = {
        "Step": _nest(
            [
                (p.step_name_field, {"type": "string"}),
                (p.step_type_field, {"type": "string"}),
                (p.step_state_field, {"type": "string", "enum": _states(p, step=True)}),
                (p.step_rows_in_field, integer),
                (p.step_rows_out_field, integer),
                (p.step_passed_rows_field, integer),
                (p.step_failed_rows_field, integer),
            ]
        ),
        "Workflow": _nest(
            [
                (p.workflow_id_field, {"type": "integer"}),
                (p.workflow_name_field, {"type": "string"}),
                (p.workflow_label_field, {"type": "string"}),
                (p.workflow_space_field, {"type": "string"}),
                (p.workflow_published_field, {"type": "boolean"}),
                (p.workflow_draft_field, {"type": "boolean"}),
            ]
        ),
        "SourceReplacement": _nest(
            [
                (p.execute_source_step_field, {"type": "string"}),
                (p.execute_source_dataset_field, {"type": "string"}),
            ]
        ),
        "ExecuteRequest": _body_schema(p.body_template, p.version_values),
        "ErrorBody": _nest(
            [
                ("timestamp", {"type": "string"}),
                ("status", {"type": "integer"}),
                (p.error_message_field, {"type": "string"}),
                ("path", {"type": "string"}),
            ]
        ),
    }
    workflow_fields: list[tuple[str, dict[str, Any]]] = []
    if p.job_workflow_label_field:
        workflow_fields.append((p.job_workflow_label_field, {"type": "string"}))
    elif p.job_workflow_field:
        workflow_fields.append((p.job_workflow_field, {"$ref": _REF + "JobWorkflow"}))
        schemas["JobWorkflow"] = _nest(
            [
                (p.workflow_label_field, {"type": "string"}),
                (p.workflow_name_field, {"type": "string"}),
                (p.workflow_space_field, {"type": "string"}),
            ]
        )
    schemas["Job"] = _nest(
        [
            (p.job_id_field, {"type": "string"}),
            (p.job_state_field, {"type": "string", "enum": _states(p, step=False)}),
            *workflow_fields,
            (p.job_submitted_field, _time(p)),
            (p.job_started_field, _time(p)),
            (p.job_finished_field, _time(p)),
            (p.job_error_field, {"type": "string", "nullable": True}),
            (p.job_steps_field, {"type": "array", "items": {"$ref": _REF + "Step"}}),
        ]
    )
    list_params: list[dict[str, Any]] = []
    if p.paged:
        for what in ("Job", "Workflow"):
            page: list[tuple[str, dict[str, Any]]] = [
                (p.list_items_field, {"type": "array", "items": {"$ref": _REF + what}}),
                ("totalElements", {"type": "integer"}),
                ("number", {"type": "integer"}),
            ]
            if p.list_next_field:
                page.append(
                    (
                        p.list_next_field,
                        {
                            "type": "string",
                            "nullable": True,
                            "description": "link to the next page",
                        },
                    )
                )
            if p.list_last_field:
                page.append((p.list_last_field, {"type": "boolean"}))
            for counted in (p.list_total_pages_field, p.list_total_elements_field):
                if counted and counted != "totalElements":
                    page.append((counted, {"type": "integer", "format": "int64"}))
            if p.list_items_field:
                schemas[f"{what}Page"] = _nest(page)
        for name in (p.page_param, p.page_size_param):
            if name:
                list_params.append({"name": name, "in": "query", "schema": {"type": "integer"}})

    def listing(what: str) -> dict[str, Any]:
        if p.list_items_field:
            return {"$ref": _REF + f"{what}Page"}
        return {"type": "array", "items": {"$ref": _REF + what}}

    def answer(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
        return {
            status: {"description": "OK", "content": {"application/json": {"schema": schema}}},
            "404": {
                "description": "Not Found",
                "content": {"application/json": {"schema": {"$ref": _REF + "ErrorBody"}}},
            },
        }

    body_ref = {"content": {"application/json": {"schema": {"$ref": _REF + "ExecuteRequest"}}}}
    if p.job_id_from == "location":
        execute_answer = {
            "201": {
                "description": "Created",
                "headers": {
                    "Location": {"description": "the new job", "schema": {"type": "string"}}
                },
            }
        }
    else:
        execute_answer = answer(
            _nest([(p.job_id_field, {"type": "string"}), (p.job_state_field, {"type": "string"})]),
            "202",
        )
    login_body = _nest(
        [(p.login_username_field, {"type": "string"}), (p.login_password_field, {"type": "string"})]
    )
    login_answer: list[tuple[str, dict[str, Any]]] = [(p.token_field, {"type": "string"})]
    if p.token_expiry == "field" and p.expires_in_field:
        login_answer.append((p.expires_in_field, {"type": "integer"}))
    jobs_query = [
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in (p.jobs_label_param, p.jobs_state_param)
        if n
    ]
    operations: list[tuple[str, str, dict[str, Any]]] = [
        (
            "login",
            "Log in",
            {
                "requestBody": {"content": {"application/json": {"schema": login_body}}},
                "responses": answer(_nest(login_answer)),
                "security": [],
            },
        ),
        (
            "workflows",
            "List workflows",
            {"parameters": list_params, "responses": answer(listing("Workflow"))},
        ),
        ("execute", "Execute a workflow", {"requestBody": body_ref, "responses": execute_answer}),
        (
            "jobs",
            "List jobs",
            {"parameters": jobs_query + list_params, "responses": answer(listing("Job"))},
        ),
        ("job", "Get a job", {"responses": answer(ref)}),
        ("cancel", "Cancel a job", {"responses": answer(ref, "202")}),
    ]
    paths: dict[str, Any] = {}
    for name, summary, operation in operations:
        path, params = _path(getattr(p, f"{name}_path"))
        op: dict[str, Any] = {"operationId": name, "summary": summary, **operation}
        op["parameters"] = params + op.get("parameters", [])
        if name in ("workflows", "jobs") and p.list_next_header:  # RFC 8288 pages
            link = {"description": 'the next page: <url>; rel="next"', "schema": {"type": "string"}}
            op["responses"]["200"]["headers"] = {p.list_next_header: link}
        paths.setdefault(path, {})[p.method(name).lower()] = op
    return {
        "openapi": "3.0.1",
        "info": {"title": "Aperture Data Studio REST API (emulator)", "version": "emulated"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
        "security": [{"apiKey": []}],
    }


def swagger2(document: dict[str, Any]) -> dict[str, Any]:
    """The same API as Swagger 2.0 (springfox)."""
    text = json.dumps(document).replace('"#/components/schemas/', '"#/definitions/')
    doc = json.loads(text)
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = [
                {k: v for k, v in prm.items() if k != "schema"} | prm.get("schema", {})
                for prm in op.get("parameters", [])
            ]
            body = op.pop("requestBody", None)
            if body is not None:
                schema = body["content"]["application/json"]["schema"]
                params.append({"name": "body", "in": "body", "required": True, "schema": schema})
            op["parameters"] = params
            for answer in op.get("responses", {}).values():
                content = answer.pop("content", None)
                if content is not None:
                    answer["schema"] = content["application/json"]["schema"]
                for header in answer.get("headers", {}).values():
                    header.update(header.pop("schema", {}))
            paths.setdefault(path, {})[method] = op
    return {
        "swagger": "2.0",
        "info": doc["info"],
        "basePath": "/",
        "paths": paths,
        "definitions": doc["components"]["schemas"],
        "securityDefinitions": doc["components"]["securitySchemes"],
        "security": doc["security"],
    }


class DocSite:
    """Serves the document and the Swagger UI entry points that point at it."""

    def __init__(self, profile: ApiProfile, docs: ApiDocs) -> None:
        document = openapi_document(profile)
        if docs.style == "springfox":
            document = swagger2(document)
        self.docs = docs
        self._document = json.dumps(document, indent=1).encode()
        folder = posixpath.dirname(docs.ui)
        self._pages: dict[str, Response] = {docs.document: Response(200, self._document)}
        if docs.style == "springfox":
            relative = (
                posixpath.relpath(docs.document, folder)
                if docs.document.startswith(folder + "/")
                else docs.document
            )
            self._pages[docs.ui] = _html(
                '<div id="swagger-ui"></div><!-- reads swagger-resources -->'
            )
            self._pages[posixpath.join(folder, "swagger-resources")] = json_response(
                200,
                [
                    {
                        "name": "default",
                        "url": "/" + relative.lstrip("/"),
                        "location": "/" + relative.lstrip("/"),
                        "swaggerVersion": "2.0",
                    }
                ],
            )
        else:
            self._pages[docs.ui] = _html('<script src="./swagger-initializer.js"></script>')
            self._pages[posixpath.join(folder, "swagger-initializer.js")] = Response(
                200,
                (
                    "window.onload = function() {\n  window.ui = SwaggerUIBundle({\n"
                    f'    url: "{docs.document}",\n    dom_id: "#swagger-ui",\n  }});\n}};\n'
                ).encode(),
                "application/javascript",
            )
            self._pages[docs.document + "/swagger-config"] = json_response(
                200, {"url": docs.document}
            )

    def serve(self, method: str, path: str) -> Response | None:
        if method != "GET":
            return None
        return self._pages.get(path)


def _html(body: str) -> Response:
    page = f"<!DOCTYPE html><html><head><title>Swagger UI</title></head><body>{body}</body></html>"
    return Response(200, page.encode(), "text/html; charset=utf-8")
