"""Reading an OpenAPI 3.x or Swagger 2.0 document into operations with resolved schemas.

``$ref``s are followed within the document (``#/components/schemas/...``,
``#/definitions/...``, ``#/components/responses/...``); a cycle or a dangling
reference becomes an empty schema, never an exception. ``allOf`` members are
merged, so a schema's properties are all in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


class DocumentError(Exception):
    """The document is not an OpenAPI 3.x or Swagger 2.0 document."""


@dataclass(frozen=True)
class Operation:
    """One method on one path, with what goes in and out."""

    method: str  # upper case
    path: str
    path_params: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    request: dict[str, Any] = field(default_factory=dict, hash=False)  # resolved schema
    responses: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    operation_id: str = ""

    @property
    def success(self) -> tuple[str, dict[str, Any]]:
        """The first 2xx status and its schema (``{}`` when it has none)."""
        for status in sorted(self.responses):
            if status.startswith("2"):
                return status, self.responses[status]
        return "", {}

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [s for status, s in self.responses.items() if status[:1] in ("4", "5", "d") and s]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ApiDocument:
    """Every operation of a document, and which version it was."""

    version: str  # "OpenAPI 3.0.1", "Swagger 2.0"
    operations: tuple[Operation, ...]
    base_path: str = ""


class _Resolver:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def ref(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return None  # an external reference: not followed
        node: Any = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def schema(self, node: Any, seen: tuple[str, ...] = ()) -> dict[str, Any]:
        """*node* with every ``$ref`` and ``allOf`` resolved (cycles cut)."""
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or ref in seen:
                return {}
            return self.schema(self.ref(ref), (*seen, ref))
        out = {k: v for k, v in node.items() if k not in ("properties", "items", "allOf")}
        props: dict[str, Any] = {}
        for member in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
            merged = self.schema(member, seen)
            props.update(merged.get("properties", {}))
            out.update({k: v for k, v in merged.items() if k != "properties"})
        raw_props = node.get("properties")
        if isinstance(raw_props, dict):
            for name, sub in raw_props.items():
                props[str(name)] = self.schema(sub, seen)
        if props:
            out["properties"] = props
            out.setdefault("type", "object")
        if "items" in node:
            out["items"] = self.schema(node["items"], seen)
        return out

    def follow(self, node: Any) -> dict[str, Any]:
        """A parameter, response or request body, its own ``$ref`` followed."""
        for _ in range(10):
            if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                node = self.ref(node["$ref"])
            else:
                break
        return node if isinstance(node, dict) else {}


def read_document(doc: Any) -> ApiDocument:
    """Operations of an OpenAPI 3.x or Swagger 2.0 document; ``DocumentError`` otherwise."""
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise DocumentError("it has no 'paths' object")
    if isinstance(doc.get("openapi"), str) and doc["openapi"].startswith("3."):
        version, swagger = f"OpenAPI {doc['openapi']}", False
    elif str(doc.get("swagger", "")).startswith("2."):
        version, swagger = f"Swagger {doc['swagger']}", True
    else:
        raise DocumentError("it declares neither 'openapi: 3.x' nor 'swagger: 2.0'")
    r = _Resolver(doc)
    base = str(doc.get("basePath") or "").rstrip("/") if swagger else ""
    operations = []
    for path, item in doc["paths"].items():
        item = r.follow(item)
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            operations.append(_operation(r, method, base + str(path), shared, op, swagger))
    return ApiDocument(version, tuple(operations), base)


def _operation(
    r: _Resolver, method: str, path: str, shared: Any, op: dict[str, Any], swagger: bool
) -> Operation:
    params = [r.follow(p) for p in [*(shared or []), *op.get("parameters", [])]]
    declared = [str(p.get("name")) for p in params if p.get("in") == "path"]
    # a document may leave path parameters undeclared: the template still names them
    path_params = tuple(dict.fromkeys([*declared, *re.findall(r"\{([^}/]+)\}", path)]))
    query_params = tuple(str(p.get("name")) for p in params if p.get("in") == "query")
    request: dict[str, Any] = {}
    if swagger:
        for p in params:
            if p.get("in") == "body":
                request = r.schema(p.get("schema"))
    else:
        body = r.follow(op.get("requestBody"))
        request = r.schema(_json_schema(body.get("content")))
    responses: dict[str, dict[str, Any]] = {}
    headers: dict[str, tuple[str, ...]] = {}
    raw = op.get("responses")
    for status, answer in raw.items() if isinstance(raw, dict) else []:
        answer = r.follow(answer)
        schema = answer.get("schema") if swagger else _json_schema(answer.get("content"))
        responses[str(status)] = r.schema(schema)
        names = answer.get("headers")
        headers[str(status)] = tuple(names) if isinstance(names, dict) else ()
    return Operation(
        method.upper(),
        path,
        path_params,
        query_params,
        request,
        responses,
        headers,
        str(op.get("operationId") or ""),
    )


def _json_schema(content: Any) -> Any:
    if not isinstance(content, dict):
        return None
    for media, entry in content.items():
        if "json" in media or media == "*/*":
            return entry.get("schema") if isinstance(entry, dict) else None
    return None
