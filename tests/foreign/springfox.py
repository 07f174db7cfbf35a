"""A hand-written Data Studio 1.x-style server behind springfox (Swagger 2.0).

No spaces: a workflow is known by its ``name`` (``GET /api/v1/workflows``, a
bare array), published when ``publishedVersion`` is a number (``null`` until
published). ``POST /api/v1/login`` answers ``{"authentication_token": ...}``
(a JWT-like token whose ``exp``/``iat`` are epoch milliseconds 12 hours apart,
its base64 padded, as in public code); later calls send ``Bearer <token>``.
``POST /api/v1/workflows/{workflowName}/execute`` takes the scheduling body of
the public evidence. Jobs have numeric ids and name their workflow in
``workflow_name``; the job list filters by the query parameter
``workflow_name``; ``DELETE /api/v1/jobs/{id}`` cancels. The Swagger 2.0
document is ``documents/springfox.json``, written by hand, behind
``/api/v1/swagger-ui.html`` and ``/api/v1/swagger-resources``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from foreign.base import PASSWORD, USER, Answer, Flow, ForeignServer, JsonHandler, Run, iso

RESOURCES = [{"name": "default", "url": "/v2/api-docs", "swaggerVersion": "2.0",
              "location": "/v2/api-docs"}]  # fmt: skip
UI = "<html><head><title>Swagger UI</title></head><body><div id='swagger-ui'></div></body></html>"
STATES = {"QUEUED": "PENDING", "RUNNING": "RUNNING", "COMPLETED": "COMPLETED",
          "FAILED": "FAILED", "CANCELLED": "CANCELLED", "STOPPED": "STOPPED_BY_ADMIN"}  # fmt: skip


def token(issued: float) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

    iat = int(issued * 1000)
    return ".".join((b64({"alg": "HS256"}), b64({"sub": USER, "iat": iat,
                     "exp": iat + 12 * 3600 * 1000}), "c2lnbmF0dXJl"))  # fmt: skip


class SpringfoxHandler(JsonHandler):
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        state = self.server_state
        if path == "/api/v1/swagger-ui.html":
            return Answer(200, UI)
        if path == "/api/v1/swagger-resources":
            return Answer(200, RESOURCES)
        if path == "/api/v1/v2/api-docs":
            return self.document("springfox.json")
        if path == "/api/v1/login" and method == "POST":
            if not isinstance(body, dict) or (body.get("username"), body.get("password")) != (
                USER,
                PASSWORD,
            ):
                raise Answer(401, self.error(401, "Unauthorized", "Bad credentials"))
            issued = token(time.time())
            state.tokens.add(issued)
            return Answer(200, {"authentication_token": issued})
        if not path.startswith("/api/v1/"):
            raise Answer(404, self.error(404, "Not Found", "No message available"))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in state.tokens:
            raise Answer(401, self.error(401, "Unauthorized", "Full authentication is required"))
        if method == "GET" and path == "/api/v1/workflows":
            return Answer(200, [
                {"name": f.label, "description": "",
                 "publishedVersion": 3 if f.published else None,
                 "lastModified": iso(time.time() - 86400)}
                for f in state.flows
            ])  # fmt: skip
        m = re.fullmatch(r"/api/v1/workflows/(.+)/execute", path)
        if m and method == "POST":
            flow = next((f for f in state.flows if f.label == m.group(1)), None)
            if flow is None:
                raise Answer(404, self.error(404, "Not Found", f"Workflow {m.group(1)} not found"))
            if not isinstance(body, dict) or "scheduling" not in body:
                raise Answer(400, self.error(400, "Bad Request", "scheduling is required"))
            if not flow.published:
                raise Answer(409, self.error(409, "Conflict", "The workflow is not published"))
            return Answer(200, self.job(state.new_run(flow, numeric=True)))
        if method == "GET" and path == "/api/v1/jobs":
            runs = sorted(state.runs.values(), key=lambda r: r.submitted)
            name = query.get("workflow_name")
            return Answer(200, [self.job(r) for r in runs if name in (None, r.flow.label)])
        m = re.fullmatch(r"/api/v1/jobs/(\d+)", path)
        if m and method in ("GET", "DELETE"):
            run = state.runs.get(m.group(1))
            if run is None:
                raise Answer(404, self.error(404, "Not Found", f"Job {m.group(1)} not found"))
            if method == "DELETE":
                if run.phase()[2] is not None:
                    raise Answer(409, self.error(409, "Conflict", "The job has finished"))
                run.cancelled_at = time.time()
            return Answer(200, self.job(run))
        raise Answer(404, self.error(404, "Not Found", "No message available"))

    def job(self, run: Run) -> dict[str, Any]:
        category, started, finished = run.phase()
        status = STATES[category]
        return {
            "id": int(run.id),
            "workflow_name": run.flow.label,
            "status": status,
            "submitted_at": iso(run.submitted),
            "start_time": iso(started),
            "end_time": iso(finished),
            "error_message": None,
            "steps": [{"name": "Source", "type": "SOURCE", "status": status,
                       "rows_in": 0, "rows_out": 40}],
        }  # fmt: skip


class SpringfoxServer(ForeignServer):
    handler = SpringfoxHandler

    def __init__(self, flows: list[Flow]) -> None:
        super().__init__(flows)
        self.tokens: set[str] = set()


FLOWS = [
    Flow("Load customers"),
    Flow("Validate Straße"),
    Flow("Nightly export"),
    Flow("Work in progress", published=False),
    Flow("Halted by an administrator", seconds=0.3, ends="STOPPED"),
]
