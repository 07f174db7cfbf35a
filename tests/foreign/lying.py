"""A hand-written 2.x-style server whose OpenAPI document lies.

The document (``documents/lying.json``, served at ``/v3/api-docs``) declares
a workflow's ``published`` flag; the answers never carry it, they carry
``publishedVersion`` (a number, ``null`` until published), which the document
does not declare. Lists are bare JSON arrays paged by an RFC 8288 ``Link``
header (``rel="next"``), three entries a page, as GitHub-style APIs do.
Otherwise the routes are the default contract's.
"""

from __future__ import annotations

import re
import time
from typing import Any

from foreign.base import KEY, Answer, Flow, ForeignServer, JsonHandler, Run, iso

PER_PAGE = 3


class LyingHandler(JsonHandler):
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == "/v3/api-docs":
            return self.document("lying.json")
        if not path.startswith("/api/v1/"):
            raise Answer(404, self.error(404, "Not Found", "No static resource"))
        if self.headers.get("Authorization") != f"default {KEY}":
            raise Answer(401, self.error(401, "Unauthorized", "Invalid API key"))
        state = self.server_state
        if method == "GET" and path == "/api/v1/workflows":
            items = [{"id": i + 1, "externalLabel": f.label, "name": f.label, "space": f.space,
                      "publishedVersion": 2 if f.published else None, "hasDraft": f.draft}
                     for i, f in enumerate(state.flows)]  # fmt: skip
            return self.linked(path, items, query)
        if method == "POST" and path == "/api/v1/workflows/execute":
            if not isinstance(body, dict) or not isinstance(body.get("externalLabel"), str):
                raise Answer(400, self.error(400, "Bad Request", "externalLabel is required"))
            label, space = body["externalLabel"], body.get("spaceExternalLabel")
            flow = next((f for f in state.flows if f.label == label and f.space == space), None)
            if flow is None:
                raise Answer(404, self.error(404, "Not Found", f"No workflow '{label}'"))
            return Answer(202, self.job(state.new_run(flow)))
        if method == "GET" and path == "/api/v1/jobs":
            runs = sorted(state.runs.values(), key=lambda r: r.submitted)
            label = query.get("externalLabel")
            jobs = [self.job(r) for r in runs if label in (None, r.flow.label)]
            return self.linked(path, jobs, query)
        m = re.fullmatch(r"/api/v1/jobs/([^/]+)(/cancel)?", path)
        if m and (method, bool(m.group(2))) in (("GET", False), ("POST", True)):
            run = state.runs.get(m.group(1))
            if run is None:
                raise Answer(404, self.error(404, "Not Found", f"No job '{m.group(1)}'"))
            if m.group(2):
                run.cancelled_at = time.time()
            return Answer(200, self.job(run))
        raise Answer(404, self.error(404, "Not Found", "No handler"))

    def linked(self, path: str, items: list[Any], query: dict[str, str]) -> Answer:
        """A bare array of one page; the next page's URL in a ``Link`` header."""
        page = int(query.get("page", "1"))
        headers = {}
        if page * PER_PAGE < len(items):
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            url = f"{self.server_state.url}{path}?page={page + 1}" + (f"&{rest}" if rest else "")
            headers["Link"] = f'<{url}>; rel="next", <{self.server_state.url}{path}>; rel="first"'
        return Answer(200, items[(page - 1) * PER_PAGE : page * PER_PAGE], headers)

    def job(self, run: Run) -> dict[str, Any]:
        category, started, finished = run.phase()
        return {
            "jobId": run.id, "state": category,
            "workflow": {"externalLabel": run.flow.label, "space": run.flow.space},
            "submittedAt": iso(run.submitted), "startedAt": iso(started),
            "finishedAt": iso(finished), "error": None,
            "steps": [{"name": "Load", "type": "SOURCE", "state": category, "rowsIn": 0,
                       "rowsOut": 10}],
        }  # fmt: skip


class LyingServer(ForeignServer):
    handler = LyingHandler


FLOWS = [
    *(Flow(f"Report {n}", "Reports") for n in range(1, 6)),
    Flow("Kundenstamm prüfen", "Reports"),
    Flow("Unpublished", "Reports", published=False, draft=True),
]
