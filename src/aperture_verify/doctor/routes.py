"""Finding the routes: execute (and its body), job, cancel, login, the error body."""

from __future__ import annotations

import re
from typing import Any

from aperture_verify.doctor.document import Operation
from aperture_verify.doctor.fields import (
    kind_of,
    last,
    leaves,
    named,
    norm,
    state_fields,
)
from aperture_verify.doctor.recorder import Recorder
from aperture_verify.doctor.vocabulary import BODY_NAMES, id_from, lifetime, shape


class RouteRules(Recorder):
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
            shape(template),
            shape(dict(p.body_template)),
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
                "job id of a new job", "Location header", id_from(p), {"job_id_from": "location"}
            )
        else:
            self.add("job id of a new job", "answer body", id_from(p), {"job_id_from": "body"})
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
                lifetime(p),
                {"token_expiry": "field", "expires_in_field": expires[0]},
            )
