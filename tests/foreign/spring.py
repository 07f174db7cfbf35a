"""A hand-written Data Studio 2.x-style server in the Spring Data way.

Workflows are listed under a space (``GET /api/v2/spaces/{space}/workflows``)
in Spring Data pages (``{"content": [...], "page": {"number", "size",
"totalElements", "totalPages"}}``) whose size the server caps at 2, whatever
is asked; the spaces themselves are listed the same way at ``/api/v2/spaces``
(a list the doctor must not take for the workflow list). Jobs are started with
``POST /api/v2/jobs`` and the body of the public evidence; their states are
``PENDING``/``EXECUTING``/``SUCCEEDED``/``FAILED``/``CANCELLED``. The API key is
sent as ``Authorization: <environment> <key>``. The OpenAPI 3 document is
``documents/spring.json``, written by hand, served by springdoc's usual
routes (``/api/docs/index.html`` → ``/v3/api-docs``).
"""

from __future__ import annotations

import re
import time
from typing import Any

from foreign.base import KEY, Answer, Flow, ForeignServer, JsonHandler, Run, iso, page_of

CAP = 2
STATES = {"QUEUED": "PENDING", "RUNNING": "EXECUTING", "COMPLETED": "SUCCEEDED",
          "FAILED": "FAILED", "CANCELLED": "CANCELLED", "STOPPED": "CANCELLED"}  # fmt: skip
UI = '<html><body><div id="swagger-ui"></div><script src="./swagger-initializer.js"></script>'
INITIALIZER = 'window.onload = function() { window.ui = SwaggerUIBundle({ url: "/v3/api-docs" }) }'


class SpringHandler(JsonHandler):
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == "/api/docs/index.html":
            return Answer(200, UI)
        if path == "/api/docs/swagger-initializer.js":
            return Answer(200, INITIALIZER)
        if path == "/v3/api-docs":
            return self.document("spring.json")
        if not path.startswith("/api/v2/"):
            raise Answer(404, self.error(404, "Not Found", "No static resource"))
        if self.headers.get("Authorization") != f"default {KEY}":
            raise Answer(401, self.error(401, "Unauthorized", "Invalid API key"))
        state = self.server_state
        if method == "GET" and path == "/api/v2/spaces":
            spaces = sorted({f.space for f in state.flows})
            items = [{"id": i + 1, "externalLabel": s, "name": s, "description": f"{s} space"}
                     for i, s in enumerate(spaces)]  # fmt: skip
            return self.page(items, query)
        m = re.fullmatch(r"/api/v2/spaces/([^/]+)/workflows", path)
        if method == "GET" and m:
            flows = [f for f in state.flows if f.space == m.group(1)]
            if not flows and m.group(1) not in {f.space for f in state.flows}:
                raise Answer(404, self.error(404, "Not Found", f"No space '{m.group(1)}'"))
            items = [{"id": 100 + state.flows.index(f), "externalLabel": f.label, "name": f.label,
                      "description": "", "published": f.published, "hasDraft": f.draft}
                     for f in flows]  # fmt: skip
            return self.page(items, query)
        if path == "/api/v2/jobs" and method == "POST":
            return self.execute(body)
        if path == "/api/v2/jobs" and method == "GET":
            runs = sorted(state.runs.values(), key=lambda r: r.submitted)
            label = query.get("workflowExternalLabel")
            jobs = [self.job(r) for r in runs if label is None or r.flow.label == label]
            if "status" in query:
                jobs = [j for j in jobs if j["status"] == query["status"]]
            return self.page(jobs, query)
        m = re.fullmatch(r"/api/v2/jobs/([^/]+)(/cancel)?", path)
        if m and (method, bool(m.group(2))) in (("GET", False), ("POST", True)):
            run = state.runs.get(m.group(1))
            if run is None:
                raise Answer(404, self.error(404, "Not Found", f"No job '{m.group(1)}'"))
            if m.group(2):
                if run.phase()[0] in ("COMPLETED", "FAILED", "CANCELLED", "STOPPED"):
                    raise Answer(409, self.error(409, "Conflict", "The job has ended"))
                run.cancelled_at = time.time()
            return Answer(200, self.job(run))
        raise Answer(405 if path.startswith("/api/v2/jobs") else 404,
                     self.error(404, "Not Found", "No handler"))  # fmt: skip

    def page(self, items: list[Any], query: dict[str, str]) -> Answer:
        content, meta = page_of(items, query, CAP, self.server_state.first_page)
        return Answer(200, {"content": content, "page": meta})

    def execute(self, body: Any) -> Answer:
        if not isinstance(body, dict) or not isinstance(body.get("externalLabel"), str):
            raise Answer(400, self.error(400, "Bad Request", "externalLabel is required"))
        label, space = body["externalLabel"], body.get("spaceExternalLabel")
        flow = next((f for f in self.server_state.flows
                     if f.label == label and f.space == space), None)  # fmt: skip
        if flow is None:
            raise Answer(404, self.error(404, "Not Found", f"No workflow '{label}' in '{space}'"))
        if body.get("versionToExecute") == "PublishedOnly" and not flow.published:
            raise Answer(409, self.error(409, "Conflict", f"'{label}' is not published"))
        return Answer(201, self.job(self.server_state.new_run(flow)))

    def job(self, run: Run) -> dict[str, Any]:
        category, started, finished = run.phase()
        status = STATES[category]
        ended = finished is not None
        return {
            "jobId": run.id,
            "status": status,
            "workflow": {"externalLabel": run.flow.label, "spaceExternalLabel": run.flow.space},
            "submittedAt": iso(run.submitted),
            "startedAt": iso(started),
            "finishedAt": iso(finished),
            "errorMessage": "Step 'Check' failed" if status == "FAILED" else None,
            "steps": [
                {"name": "Load", "type": "SOURCE", "status": status if ended else "EXECUTING",
                 "rowsIn": 0, "rowsOut": 120},
                {"name": "Check", "type": "VALIDATE", "status": status if ended else "PENDING",
                 "rowsIn": 120, "rowsOut": 120, "passedRows": 120, "failedRows": 0},
            ],
        }  # fmt: skip


class SpringServer(ForeignServer):
    handler = SpringHandler

    def __init__(self, flows: list[Flow], first_page: int = 0) -> None:
        super().__init__(flows)
        self.first_page = first_page  # 1: pages counted from 1, as some servers do


#: Nine workflows in space Demo (five pages of two), three in Ops.
FLOWS = [
    *(Flow(f"Demo {n}", "Demo") for n in range(1, 6)),
    Flow("Tägliche Übernahme", "Demo"),
    Flow("Cleanse", "Demo"),
    Flow("Draft only", "Demo", published=False, draft=True),
    Flow("Publish", "Demo"),
    Flow("Audit", "Ops"),
    Flow("Ops 2", "Ops"),
    Flow("Ops 3", "Ops"),
]
