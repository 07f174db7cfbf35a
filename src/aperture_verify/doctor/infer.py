"""What the suite needs, found in an API document, and compared with the configured profile.

Each need (a route, a field, the state names...) becomes a ``Finding``: found
as configured, found under another path or name, missing, or ambiguous (two
candidates: both shown, neither chosen). The profile keys of every finding
together are the proposed ``[server.profile]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aperture_verify.client.profile import CATEGORIES, ApiProfile
from aperture_verify.doctor.document import ApiDocument, Operation
from aperture_verify.doctor.fields import (
    array_of_objects,
    categorise,
    kind_of,
    last,
    leaves,
    named,
    norm,
    state_fields,
)

BODY_NAMES = {
    "label": ("externalLabel", "workflowExternalLabel", "workflowLabel"),
    "space": ("spaceExternalLabel", "spaceLabel", "space"),
    "version": ("versionToExecute", "version"),
    "dependencies": ("dependenciesToUse", "dependencies"),
    "refresh": ("refreshSources", "refresh"),
    "parameters": ("workflowParameters", "parameters", "params"),
    "sources": ("sources", "sourceReplacements"),
}
LABEL_NAMES = ("externalLabel", "workflowExternalLabel", "workflowLabel", "label")
ID_NAMES = ("jobId", "id", "runId", "executionId", "jobUuid", "uuid", "jobKey")
ITEMS_NAMES = ("content", "items", "data", "results", "elements", "jobs", "workflows")


@dataclass
class Finding:
    """One need of the suite and what the document says about it."""

    need: str
    status: str  # "ok" | "differs" | "missing" | "ambiguous"
    found: str = ""
    configured: str = ""
    keys: dict[str, Any] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Inference:
    findings: list[Finding] = field(default_factory=list)

    @property
    def proposal(self) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for f in self.findings:
            keys.update(f.keys)
        return keys

    @property
    def complete(self) -> bool:
        return all(f.status in ("ok", "differs") for f in self.findings)


class _Infer:
    def __init__(self, doc: ApiDocument, profile: ApiProfile, api: str) -> None:
        self.doc, self.p, self.api = doc, profile, api
        self.out = Inference()

    def add(
        self,
        need: str,
        found: str | None,
        configured: str,
        keys: dict[str, Any],
        *,
        candidates: list[str] | None = None,
        note: str = "",
    ) -> None:
        if candidates and len(candidates) > 1:
            self.out.findings.append(
                Finding(need, "ambiguous", configured=configured, candidates=candidates, note=note)
            )
        elif found is None:
            self.out.findings.append(Finding(need, "missing", configured=configured, note=note))
        else:
            status = "ok" if found == configured else "differs"
            self.out.findings.append(Finding(need, status, found, configured, keys, note=note))

    # -- routes ---------------------------------------------------------------------------

    def ops(self, method: str | None = None, params: int | None = None) -> list[Operation]:
        return [
            o
            for o in self.doc.operations
            if (method is None or o.method == method)
            and (params is None or len(o.path_params) == params)
        ]

    def run(self) -> Inference:
        job_op = self.job_route(self.execute_route())
        job = job_op.success[1] if job_op else {}
        state = self.job_fields(job)
        self.lists(state)
        self.cancel_route(job_op)
        self.error_field()
        if self.api == "v1":
            self.login()
        return self.out

    def execute_route(self) -> Operation | None:
        p = self.p
        with_label = [
            o
            for o in self.ops("POST") + self.ops("PUT")
            if named(leaves(o.request), BODY_NAMES["label"])
        ]
        if not with_label:  # 1.x: the workflow is in the path
            with_label = [o for o in self.ops("POST") if re.search(r"/(execute|run)\b", o.path)]
        configured = f"{p.execute_method} {p.execute_path}"
        if len(with_label) != 1:
            self.add(
                "execute route",
                None,
                configured,
                {},
                candidates=[str(o) for o in with_label],
                note="no POST whose body holds externalLabel",
            )
            return None
        op = with_label[0]
        path = op.path
        for name in op.path_params:
            holder = "space" if "space" in norm(name) else "label"
            path = path.replace("{" + name + "}", "{" + holder + "}")
        self.add(
            "execute route",
            f"{op.method} {path}",
            configured,
            {"execute_path": path, "execute_method": op.method},
        )
        template = self.body(op.request)
        if "{label}" in path:
            template.pop(next((k for k, v in template.items() if v == "{label}"), ""), None)
        self.add(
            "execute body",
            _shape(template),
            _shape(dict(p.body_template)),
            {"execute_body": template},
        )
        for leaf, schema in leaves(op.request):
            if last(leaf) in [norm(n) for n in BODY_NAMES["version"]] and schema.get("enum"):
                values = sorted(schema["enum"], key=lambda v: "draft" not in str(v).lower())
                self.add(
                    "version values",
                    str(values),
                    str(list(p.version_values)),
                    {"version_values": values},
                )
                break
        status, _ = op.success
        if "location" in [h.lower() for h in op.headers.get(status, ())]:
            self.add(
                "job id of a new job", "Location header", _id_from(p), {"job_id_from": "location"}
            )
        else:
            self.add("job id of a new job", "answer body", _id_from(p), {"job_id_from": "body"})
        return op

    def body(self, schema: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, sub in (schema.get("properties") or {}).items():
            for holder, names in BODY_NAMES.items():
                if norm(name) in [norm(n) for n in names]:
                    out[name] = "{" + holder + "}"
                    if holder == "sources" and isinstance(sub.get("items"), dict):
                        self.sources(sub["items"])
                    break
            else:
                value = self.literal(sub)
                if value is not None:
                    out[name] = value
        return out

    def literal(self, schema: dict[str, Any]) -> Any:
        if isinstance(schema.get("properties"), dict):
            return self.body(schema) or None
        for key in ("example", "default"):
            if key in schema and not isinstance(schema[key], dict | list):
                return schema[key]
        if schema.get("format") == "date-time":
            return "{now}"
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        return {"integer": 0, "boolean": False}.get(kind_of(schema))

    def sources(self, item: dict[str, Any]) -> None:
        fields = [p for p, _ in leaves(item)]
        step = [f for f in fields if "source" in norm(f) or "step" in norm(f)]
        dataset = [f for f in fields if "dataset" in norm(f)]
        if step and dataset:
            self.add(
                "source replacement fields",
                f"{step[0]}, {dataset[0]}",
                f"{self.p.execute_source_step_field}, {self.p.execute_source_dataset_field}",
                {"execute_source_step_field": step[0], "execute_source_dataset_field": dataset[0]},
            )

    def job_route(self, execute: Operation | None) -> Operation | None:
        p = self.p
        candidates = [o for o in self.ops("GET", 1) if state_fields(leaves(o.success[1]))]
        if execute is not None and len(candidates) > 1:  # the answer's path: under execute's
            base = execute.path.rsplit("/{", 1)[0]
            near = [o for o in candidates if o.path.startswith(base + "/{")]
            candidates = near or candidates
        configured = f"{p.job_method} {p.job_path}"
        if len(candidates) != 1:
            self.add(
                "job route",
                None,
                configured,
                {},
                candidates=[str(o) for o in candidates],
                note="no GET /{id} whose answer has a state with COMPLETED/FAILED names",
            )
            return None
        op = candidates[0]
        path = op.path.replace("{" + op.path_params[0] + "}", "{job_id}")
        self.add("job route", f"GET {path}", configured, {"job_path": path, "job_method": "GET"})
        return op

    # -- fields ---------------------------------------------------------------------------

    def job_fields(self, job: dict[str, Any]) -> str:
        p = self.p
        fields = leaves(job)
        found = state_fields(fields)
        if len(found) != 1:
            self.add(
                "job state field", None, p.job_state_field, {}, candidates=[f for f, _ in found]
            )
            return ""
        state, names = found[0]
        self.add("job state field", state, p.job_state_field, {"job_state_field": state})
        self.states(names, step=False)
        top = [(f, s) for f, s in fields if "." not in f]
        ids = named(top, ID_NAMES) or [f for f, _ in top if last(f).endswith("id")]
        self.add(
            "job id field",
            ids[0] if ids else None,
            p.job_id_field,
            {"job_id_field": ids[0]} if ids else {},
        )
        label = named(fields, LABEL_NAMES, "string")
        configured = (
            p.job_workflow_label_field or f"{p.job_workflow_field}.{p.workflow_label_field}"
        )
        self.add(
            "job's workflow label",
            label[0] if label else None,
            configured,
            {"job_workflow_label_field": label[0]} if label else {},
        )
        self.times(fields)
        errors = [
            f for f, s in fields if kind_of(s) == "string" and re.search(r"error|fail", f, re.I)
        ]
        self.add(
            "job error field",
            errors[-1] if errors else None,
            p.job_error_field,
            {"job_error_field": errors[-1]} if errors else {},
        )
        steps = array_of_objects(fields)
        named_steps = [s for s in steps if last(s[0]) in ("steps", "stages", "tasks")]
        steps = named_steps or steps
        if len(steps) == 1:
            self.add(
                "job steps field", steps[0][0], p.job_steps_field, {"job_steps_field": steps[0][0]}
            )
            self.step_fields(steps[0][1], names)
        else:
            self.add(
                "job steps field", None, p.job_steps_field, {}, candidates=[s for s, _ in steps]
            )
        return state

    def states(self, names: list[str], *, step: bool) -> None:
        by, unknown = categorise(names)
        prefix = "step_" if step else ""
        for category in CATEGORIES:
            key = f"{prefix}{category}_states"
            configured = str(list(self.p.states(category, step=step)))
            note = (
                f"not mapped: {', '.join(unknown)}" if unknown and category == "cancelled" else ""
            )
            found = str(by[category]) if by[category] else None
            self.add(
                f"{'step' if step else 'job'} {category} states",
                found,
                configured,
                {key: by[category]} if by[category] else {},
                note=note,
            )

    def times(self, fields: list[tuple[str, dict[str, Any]]]) -> None:
        p = self.p
        stamps = [
            (f, s)
            for f, s in fields
            if s.get("format") == "date-time"
            or "epoch" in str(s.get("description", ""))
            or re.search(r"(at|time|date|timestamp)$", f, re.I)
        ]
        words = {
            "submitted": r"submit|queue|creat|enqueue|request",
            "started": r"start|begin",
            "finished": r"finish|end|complet|stop|done",
        }
        formats = set()
        for which, pattern in words.items():
            hits = [(f, s) for f, s in stamps if re.search(pattern, last(f))]
            key = f"job_{which}_field"
            if len(hits) == 1:
                self.add(f"job {which} time", hits[0][0], getattr(p, key), {key: hits[0][0]})
                formats.add(_format(hits[0][1]))
            else:
                self.add(
                    f"job {which} time", None, getattr(p, key), {}, candidates=[f for f, _ in hits]
                )
        if len(formats) == 1 and None not in formats:
            (fmt,) = formats
            self.add("timestamp format", fmt, p.timestamp_format, {"timestamp_format": fmt})
        else:
            self.add(
                "timestamp format",
                None,
                p.timestamp_format,
                {},
                note="integer times without a unit (seconds or milliseconds?)",
            )

    def step_fields(self, item: dict[str, Any], job_states: list[str]) -> None:
        p = self.p
        fields = leaves(item)
        wanted = {
            "step_name_field": ("name", "title", "label", "stepName"),
            "step_type_field": ("type", "kind", "stepType"),
            "step_rows_in_field": ("rowsIn", "inputRows", "rowsRead", "input", "in"),
            "step_rows_out_field": ("rowsOut", "outputRows", "rowsWritten", "output", "out"),
            "step_passed_rows_field": ("passedRows", "passed", "validRows"),
            "step_failed_rows_field": ("failedRows", "failed", "invalidRows"),
        }
        for key, names in wanted.items():
            hits = named(fields, names)
            need = key.removesuffix("_field").replace("_", " ")
            self.add(
                need, hits[0] if hits else None, getattr(p, key), {key: hits[0]} if hits else {}
            )
        found = state_fields(fields)
        if len(found) == 1:
            self.add(
                "step state field",
                found[0][0],
                p.step_state_field,
                {"step_state_field": found[0][0]},
            )
            if sorted(found[0][1]) != sorted(job_states):
                self.states(found[0][1], step=True)
        else:
            self.add(
                "step state field", None, p.step_state_field, {}, candidates=[f for f, _ in found]
            )

    def lists(self, state: str) -> None:
        p = self.p
        jobs, workflows = [], []
        for op in self.ops("GET", 0):
            items, item = _list_items(op.success[1])
            if items is None:
                continue
            fields = leaves(item)
            if state and any(f == state for f, _ in state_fields(fields)):
                jobs.append((op, items, item))
            elif named(fields, LABEL_NAMES) and not state_fields(fields):
                workflows.append((op, items, item))
        pages: set[tuple[str, ...]] = set()
        for need, key, found in (
            ("jobs route", "jobs", jobs),
            ("workflows route", "workflows", workflows),
        ):
            configured = f"{p.method(key)} {getattr(p, key + '_path')}"
            if len(found) != 1:
                self.add(need, None, configured, {}, candidates=[str(o) for o, _, _ in found])
                continue
            op, items, item = found[0]
            self.add(
                need, f"GET {op.path}", configured, {f"{key}_path": op.path, f"{key}_method": "GET"}
            )
            pages.add(self.paging(op, items))
            if key == "jobs":
                for pkey, names in (
                    (
                        "jobs_label_param",
                        (
                            "externalLabel",
                            "label",
                            "workflow",
                            "workflowLabel",
                            "workflowExternalLabel",
                        ),
                    ),
                    ("jobs_state_param", ("state", "status")),
                ):
                    hits = [q for n in names for q in op.query_params if norm(q) == norm(n)]
                    self.add(
                        pkey.replace("_", " "),
                        hits[0] if hits else "",
                        getattr(p, pkey),
                        {pkey: hits[0] if hits else ""},
                    )
            else:
                self.workflow_fields(item)
        if len(pages) == 1:
            (page,) = pages
            keys = dict(
                zip(
                    (
                        "list_items_field",
                        "list_next_field",
                        "list_last_field",
                        "page_param",
                        "page_size_param",
                    ),
                    page,
                    strict=True,
                )
            )
            now_pages = (
                p.list_items_field,
                p.list_next_field,
                p.list_last_field,
                p.page_param,
                p.page_size_param,
            )
            self.add("list pages", _pages(page), _pages(now_pages), keys)
        elif len(pages) > 1:
            self.add(
                "list pages",
                None,
                "",
                {},
                candidates=[_pages(x) for x in sorted(pages)],
                note="the job and workflow lists page differently",
            )

    def paging(self, op: Operation, items: str) -> tuple[str, ...]:
        if not items:
            return ("", "", "", "", "")
        fields = leaves(op.success[1])
        nxt = named(fields, ("next", "nextPage", "nextLink", "nextUrl"), "string")
        lst = named(fields, ("last", "isLast", "lastPage"), "boolean")
        page = [
            q
            for n in ("page", "pageNumber", "pageIndex")
            for q in op.query_params
            if norm(q) == norm(n)
        ]
        size = [
            q
            for n in ("size", "pageSize", "limit", "perPage")
            for q in op.query_params
            if norm(q) == norm(n)
        ]
        return (
            items,
            nxt[0] if nxt else "",
            "" if nxt or not lst else lst[0],
            page[0] if page and not nxt else "",
            size[0] if size else "",
        )

    def workflow_fields(self, item: dict[str, Any]) -> None:
        p = self.p
        fields = leaves(item)
        label = named(fields, LABEL_NAMES, "string")
        others = [(f, s) for f, s in fields if not label or f != label[0]]
        wanted = {
            "workflow_label_field": label,
            "workflow_name_field": named(others, ("name", "displayName", "title")),
            "workflow_space_field": named(
                others, ("space", "spaceLabel", "spaceExternalLabel", "spaceName")
            ),
            "workflow_published_field": named(others, ("published", "isPublished")),
            "workflow_draft_field": named(others, ("hasDraft", "draft", "isDraft")),
            "workflow_id_field": named(others, ("id", "uid", "workflowId")),
        }
        for key, hits in wanted.items():
            need = key.removesuffix("_field").replace("_", " ")
            self.add(
                need, hits[0] if hits else None, getattr(p, key), {key: hits[0]} if hits else {}
            )

    def cancel_route(self, job_op: Operation | None) -> None:
        p = self.p
        configured = f"{p.cancel_method} {p.cancel_path}"
        if job_op is None:
            self.add("cancel route", None, configured, {}, note="needs the job route first")
            return
        param = job_op.path_params[0]
        found = [
            o
            for o in self.ops(None, 1)
            if o.path_params == (param,)
            and (
                (o.method == "DELETE" and o.path == job_op.path)
                or (
                    o.method == "POST"
                    and re.fullmatch(
                        re.escape(job_op.path) + r"/(cancel|abort|stop|terminate)", o.path
                    )
                )
            )
        ]
        if len(found) == 1:
            path = found[0].path.replace("{" + param + "}", "{job_id}")
            self.add(
                "cancel route",
                f"{found[0].method} {path}",
                configured,
                {"cancel_path": path, "cancel_method": found[0].method},
            )
        else:
            self.add("cancel route", None, configured, {}, candidates=[str(o) for o in found])

    def error_field(self) -> None:
        names = ("message", "detail", "errorMessage", "error", "title")
        for op in self.doc.operations:
            for schema in op.errors:
                hits = named(leaves(schema), names, "string")
                if hits:
                    self.add(
                        "error message field",
                        hits[0],
                        self.p.error_message_field,
                        {"error_message_field": hits[0]},
                    )
                    return
        self.add("error message field", None, self.p.error_message_field, {})

    def login(self) -> None:
        p = self.p
        configured = f"{p.login_method} {p.login_path}"
        found = [
            o
            for o in self.ops("POST", 0)
            if re.search(r"login|auth|token|session", o.path, re.I)
            and named(leaves(o.request), ("password",))
        ]
        if len(found) != 1:
            self.add("login route", None, configured, {}, candidates=[str(o) for o in found])
            return
        op = found[0]
        self.add("login route", f"POST {op.path}", configured, {"login_path": op.path})
        answer = leaves(op.success[1])
        tokens = [f for f, s in answer if "token" in norm(f) and kind_of(s) == "string"]
        self.add(
            "token field",
            tokens[0] if tokens else None,
            p.token_field,
            {"token_field": tokens[0]} if tokens else {},
        )
        expires = named(answer, ("expiresIn", "expires", "expiry", "ttl"), "integer")
        if expires:
            self.add(
                "token lifetime",
                f"field {expires[0]}",
                _lifetime(p),
                {"token_expiry": "field", "expires_in_field": expires[0]},
            )


def infer(doc: ApiDocument, profile: ApiProfile, api: str) -> Inference:
    """Every need of the suite, looked up in *doc* and compared with *profile*."""
    return _Infer(doc, profile, api).run()


def _list_items(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    if kind_of(schema) == "array" and isinstance(schema.get("items"), dict):
        return "", schema["items"]
    arrays = array_of_objects(leaves(schema))
    preferred = [a for a in arrays if last(a[0]) in ITEMS_NAMES] or arrays
    if len(preferred) == 1:
        return preferred[0]
    return None, {}


def _format(schema: dict[str, Any]) -> str | None:
    if kind_of(schema) == "string":
        return "iso"
    text = str(schema.get("description", "")).lower()
    if "milli" in text:
        return "epoch_ms"
    if "second" in text:
        return "epoch_s"
    return None


def _shape(template: dict[str, Any], at: str = "") -> str:
    """A body template as its placeholder places and literal keys, for comparison."""
    parts = []
    for key, value in sorted(template.items()):
        here = f"{at}.{key}" if at else key
        if isinstance(value, dict):
            parts.append(_shape(value, here))
        elif isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
            parts.append(f"{here}={value}")
        else:
            parts.append(here)
    return ", ".join(parts)


def _pages(page: tuple[str, ...]) -> str:
    items, nxt, lst, number, size = page
    if not items:
        return "bare arrays"
    how = (
        f"next link '{nxt}'"
        if nxt
        else f"last flag '{lst}', page '{number}'"
        if lst
        else "one page"
    )
    return f"'{items}' with {how}" + (f", size '{size}'" if size else "")


def _id_from(p: ApiProfile) -> str:
    return "Location header" if p.job_id_from == "location" else "answer body"


def _lifetime(p: ApiProfile) -> str:
    return f"field {p.expires_in_field}" if p.token_expiry == "field" else p.token_expiry
