"""Finding the fields: the job's and its steps', states, times, lists and their pages."""

from __future__ import annotations

import re
from typing import Any

from aperture_verify.client.profile import CATEGORIES
from aperture_verify.doctor.document import Operation
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
from aperture_verify.doctor.recorder import Recorder
from aperture_verify.doctor.vocabulary import ID_NAMES, LABEL_NAMES, format_of, list_items
from aperture_verify.doctor.vocabulary import pages as describe_pages


class FieldRules(Recorder):
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
        if not label:  # 1.x-like: the workflow by its name ("workflow_name", "workflowName")
            label = [f for f, s in fields if kind_of(s) == "string" and "workflow" in norm(f)
                     and not norm(f).endswith("id")]  # fmt: skip
            label = label if len(label) == 1 else []
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
                formats.add(format_of(hits[0][1]))
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
            if not hits and key != "step_name_field":  # a count the server does not keep
                shown = getattr(p, key) or "none"
                self.add(need, "none", shown, {key: ""}, note="the steps carry none")
                continue
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
            items, item = list_items(op.success[1])
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
                            "workflowName",
                            "name",
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
                        "list_total_pages_field",
                        "list_next_header",
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
                p.list_total_pages_field,
                p.list_next_header,
            )
            self.add("list pages", describe_pages(page), describe_pages(now_pages), keys)
        elif len(pages) > 1:
            self.add(
                "list pages",
                None,
                "",
                {},
                candidates=[describe_pages(x) for x in sorted(pages)],
                note="the job and workflow lists page differently",
            )

    def paging(self, op: Operation, items: str) -> tuple[str, ...]:
        status, _ = op.success
        link = next((h for h in op.headers.get(status, ()) if h.lower() == "link"), "")
        if not items:
            return ("", "", "", "", "", "", link)
        fields = leaves(op.success[1])
        nxt = [] if link else named(fields, ("next", "nextPage", "nextLink", "nextUrl"), "string")
        total = [] if link or nxt else named(fields, ("totalPages", "total_pages"), "integer")
        lst = [] if total else named(fields, ("last", "isLast", "lastPage"), "boolean")
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
            total[0] if total else "",
            link,
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
            "workflow_published_field": named(
                others, ("published", "isPublished", "publishedVersion", "publishedVersionId")
            ),
            "workflow_draft_field": named(others, ("hasDraft", "draft", "isDraft")),
            "workflow_id_field": named(others, ("id", "uid", "workflowId")),
        }
        for key, hits in wanted.items():
            need = key.removesuffix("_field").replace("_", " ")
            self.add(
                need, hits[0] if hits else None, getattr(p, key), {key: hits[0]} if hits else {}
            )
