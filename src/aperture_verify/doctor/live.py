"""Proving the doctor's reading on the server's live, read-only answers.

A document can be wrong or silent; the server's answers are the truth. For
each candidate workflow list (every ``GET`` answering a list, with the plan's
spaces filled in) the doctor reads every page and keeps the one whose entries
hold the plan's labels; the identifier is the field whose values are those
labels; the published and draft fields are the ones the answers carry (a
field the document declares but no answer holds is reported, not trusted);
the pages are followed to the end and counted. A live job, from the job list,
is decoded with the proposed profile. A choice is AMBIGUOUS only when the live
answers cannot decide it. Nothing but ``GET`` (and the 1.x login) is sent.
"""

from __future__ import annotations

from typing import Any

from aperture_verify.client.decode import Decoder
from aperture_verify.client.paging import fetch_list
from aperture_verify.client.profile import MISSING, PAGING_KEYS, ApiProfile, get_path
from aperture_verify.common.redaction import safe_url
from aperture_verify.doctor.document import ApiDocument
from aperture_verify.doctor.evidence import (
    LiveResult,
    leaves_of,
    page_params,
    preferred,
    props_of,
    quote_space,
    trial,
)
from aperture_verify.doctor.fields import norm, state_fields
from aperture_verify.doctor.session import (
    TOTAL_ELEMENTS,
    LiveError,
    LiveSession,
    PagingShim,
    items_of,
    paging_of,
    token_is_jwt,
    token_of,
)
from aperture_verify.doctor.vocabulary import LABEL_NAMES, list_items
from aperture_verify.errors import ClientError
from aperture_verify.plan.model import Plan

LABEL_PREFERENCE = (*LABEL_NAMES, "name", "workflowName", "title")
ID_NAMES = ("id", "uid", "workflowId", "uuid", "key")
NUMBERED = ("list_last_field", "list_total_pages_field", "list_total_elements_field")
JOB_FIELDS = ("job_id_field", "job_state_field", "job_submitted_field", "job_started_field",
              "job_finished_field", "job_steps_field", "job_workflow_label_field")  # fmt: skip


class LiveCheck:
    """One pass over the live answers with the document's proposal as the start."""

    def __init__(
        self, live: LiveSession, doc: ApiDocument | None, base: ApiProfile,
        proposal: dict[str, Any], plan: Plan, api: str,
    ) -> None:  # fmt: skip
        self.live, self.doc, self.plan, self.api = live, doc, plan, api
        self.base, self.proposal = base, dict(proposal)
        self.out = LiveResult()
        self.labels = list(dict.fromkeys(w.label for w in plan.workflows))
        self.spaces = list(dict.fromkeys(w.space for w in plan.workflows)) or [plan.server.space]
        self.known_labels: set[str] = set()

    @property
    def profile(self) -> ApiProfile:
        return trial(self.base, {**self.proposal, **self.out.keys})

    def run(self) -> LiveResult:
        try:
            if not self.authenticate():
                return self.out
            self.workflows()
            self.jobs()
        except LiveError as e:
            self.out.error = str(e)
        except Exception as e:  # no live answer, however odd, ends in a traceback
            self.out.error = f"the live answers could not be read ({type(e).__name__}: {e})"
        return self.out

    # -- login -------------------------------------------------------------------------

    def authenticate(self) -> bool:
        if self.api != "v1":
            self.live.use_key()
            return True
        p = self.profile
        answer = self.live.log_in(p)
        found = token_of(answer, p.token_field)
        if found is None:
            keys = sorted(answer) if isinstance(answer, dict) else []
            url = safe_url(self.live.base_url + p.login_path)
            fields = ", ".join(keys) or "none"
            self.out.error = f"POST {url}: the login answer holds no token (fields: {fields})"
            return False
        name, token = found
        self.out.found("token field", name, {"token_field": name}, self.base)
        if p.token_expiry == "field" and get_path(answer, p.expires_in_field) is MISSING:
            expiry = "jwt" if token_is_jwt(token) else "1h"
            why = "the token's own exp claim" if expiry == "jwt" else "the 1.x docs: one hour"
            self.out.found(
                "token lifetime", f"{expiry} ({why})", {"token_expiry": expiry}, self.base
            )
        self.live.use_token(token)
        return True

    # -- the workflow list -------------------------------------------------------------

    def list_candidates(self) -> list[str]:
        """Path templates of every GET that may list workflows, ``{space}`` filled later."""
        found = [self.profile.workflows_path]
        for op in self.doc.operations if self.doc else ():
            if op.method != "GET" or not all("space" in norm(n) for n in op.path_params):
                continue
            items, item = list_items(op.success[1])
            if items is None or state_fields(list(props_of(item))):
                continue
            path = op.path
            for name in op.path_params:
                path = path.replace("{" + name + "}", "{space}")
            found.append(path)
        return list(dict.fromkeys(found))

    def read_list(self, route: str, path: str) -> tuple[list[Any], dict[str, Any]] | None:
        """Every entry of a live list at *path* (each space's, for ``{space}``) and the
        keys that read it; ``None`` when it is no list. Counts are checked."""
        spaces = self.spaces if "{space}" in path else [""]
        entries: list[Any] = []
        keys: dict[str, Any] = {}
        for space in spaces:
            concrete = path.replace("{space}", quote_space(space))
            first = self.live.get(concrete)
            shape = items_of(first.body, self.proposal.get("list_items_field") or None)
            if shape is None:
                return None
            keys = paging_of(first, shape[0])
            if any(k in keys for k in NUMBERED):
                keys.update(page_params(self.doc, path))
            profile = trial(self.base, {**self.proposal, **keys, f"{route}_path": path})
            try:
                got = fetch_list(PagingShim(self.live, profile), route, concrete, None)
            except ClientError as e:
                self.out.lines.append(f"  {concrete}: the pages cannot be followed: {e}")
                return None
            total = next((get_path(first.body, n) for n in TOTAL_ELEMENTS
                          if isinstance(get_path(first.body, n), int)), None)  # fmt: skip
            pages = f"{len(got)} entries" + (f" of {total} counted" if total is not None else "")
            self.out.lines.append(f"  GET {concrete}: {pages}")
            if total is not None and total != len(got):
                self.out.lines.append(f"    the pages do not add up: read {len(got)}, the "
                                      f"server counts {total}")  # fmt: skip
            if "{space}" in path:
                got = [dict(e, **{"\0space": space}) if isinstance(e, dict) else e for e in got]
            entries += got
        return entries, keys

    def workflows(self) -> None:
        scored: list[tuple[int, str, list[Any], dict[str, Any]]] = []
        for path in self.list_candidates():
            try:
                read = self.read_list("workflows", path)
            except LiveError as e:
                if e.refused:
                    raise
                self.out.lines.append(f"  {e}")
                continue
            if read is None:
                continue
            entries, keys = read
            hits = {lb for e in entries for v in leaves_of(e).values() for lb in self.labels
                    if v == lb}  # fmt: skip
            scored.append((len(hits), path, entries, keys))
        best = max((s[0] for s in scored), default=0)
        chosen = [s for s in scored if s[0] == best and (best or not self.labels)]
        if len(chosen) != 1:
            shapes = [s[3] for s in scored]
            if shapes and all(k == shapes[0] for k in shapes):  # every list pages alike
                self.pages(shapes[0])
            why = (
                "no list could be read live"
                if not scored
                else "no live list holds the plan's labels"
                if self.labels
                else "give the plan's labels (--run) so the live answers can decide"
            )
            self.out.undecided("workflows route", [f"GET {s[1]}" for s in chosen or scored], why)
            return
        _, path, entries, keys = chosen[0]
        configured = self.base.workflows_path
        self.out.found("workflows route", f"GET {path}", {"workflows_path": path,
                       "workflows_method": "GET"}, self.base, f"GET {configured}")  # fmt: skip
        if best < len(self.labels):
            missing = [lb for lb in self.labels
                       if not any(lb in leaves_of(e).values() for e in entries)]  # fmt: skip
            self.out.lines.append(f"  not listed live: {', '.join(missing)} (readiness will say)")
        self.pages(keys)
        self.workflow_fields(path, [e for e in entries if isinstance(e, dict)])

    def pages(self, keys: dict[str, Any]) -> None:
        page_keys = {k: v for k, v in keys.items() if k in (*PAGING_KEYS, "list_items_field",
                     "page_param", "page_first", "page_size_param")}  # fmt: skip
        way = next((k for k in PAGING_KEYS if k in page_keys), "")
        if not page_keys:
            what = "bare arrays, one page"
            page_keys = {k: "" for k in (*PAGING_KEYS, "list_items_field")}
        elif not way:
            what = f"'{page_keys['list_items_field']}', one page that says nothing of others"
            page_keys.update({k: "" for k in PAGING_KEYS})
        else:
            what = f"{way.removeprefix('list_').removesuffix('_field')} {page_keys[way]!r}"
            if "page_param" in page_keys:
                what += f", page '{page_keys['page_param']}' from {page_keys.get('page_first', 0)}"
        self.out.found("list pages", what, page_keys, self.base)

    def workflow_fields(self, path: str, entries: list[dict[str, Any]]) -> None:
        flat = [leaves_of(e) for e in entries]
        present = {k for f in flat for k, v in f.items() if not k.startswith("\0")}
        holding = [k for k in present if any(f.get(k) in self.labels for f in flat)]
        if not self.labels:  # nothing to prove it with: the usual names, as the answers hold them
            wanted = {norm(n) for n in LABEL_PREFERENCE}
            holding = [k for k in present if norm(k) in wanted
                       and all(isinstance(f.get(k), str) for f in flat)]  # fmt: skip
        label = preferred(holding, LABEL_PREFERENCE, self.hint())
        if label is None:
            self.out.undecided("workflow label", sorted(holding), "no field holds the labels")
            return
        p = self.base
        self.out.found("workflow label", label, {"workflow_label_field": label}, p)
        self.known_labels = {str(f[label]) for f in flat if isinstance(f.get(label), str)}
        if "{space}" in path:
            space = next((k for k in present if all(f.get(k) == f.get("\0space") for f in flat)),
                         "")  # fmt: skip
        else:
            space = next((k for k in sorted(present) if "space" in norm(k)
                          and any(f.get(k) in self.spaces for f in flat)), "")  # fmt: skip
        shown = space or "none: the listing names no space, the label alone counts"
        self.out.found("workflow space", shown, {"workflow_space_field": space}, p)
        for need, key, word in (("workflow published", "workflow_published_field", "publish"),
                                ("workflow draft", "workflow_draft_field", "draft")):  # fmt: skip
            declared = self.proposal.get(key)
            if declared and declared not in present:
                self.out.lines.append(f"  the document declares '{declared}' ({need.split()[-1]})"
                                      " but no live workflow carries it: not trusted")  # fmt: skip
            named = sorted((k for k in present if word in norm(k)), key=lambda k: (len(k), k))
            pick = declared if declared in present else (named[0] if named else "")
            if pick or need.endswith("draft"):
                self.out.found(need, pick or "none", {key: pick}, p)
            else:
                self.out.undecided(need, named, "no live workflow carries a published field")
        ids = [k for k in present if k != label and (norm(k) in [norm(n) for n in ID_NAMES]
               or norm(k).endswith("id"))]  # fmt: skip
        declared_id = self.proposal.get("workflow_id_field", p.workflow_id_field)
        ident = declared_id if declared_id in present else preferred(ids, ID_NAMES, "") or ""
        self.out.found("workflow id", ident or "none", {"workflow_id_field": ident}, p)
        declared_name = self.proposal.get("workflow_name_field", p.workflow_name_field)
        name = declared_name if declared_name in present else "name" if "name" in present else label
        self.out.found("workflow name", name, {"workflow_name_field": name}, p)

    def hint(self) -> str:
        """The execute route's path parameter: a hint for the identifier, not proof."""
        for op in self.doc.operations if self.doc else ():
            if op.method == "POST" and op.path_params and "execute" in op.path:
                return op.path_params[-1]
        return ""

    # -- a live job ----------------------------------------------------------------------

    def jobs(self) -> None:
        p = self.profile
        path = p.jobs_path
        try:
            page = self.live.get(path)
        except LiveError as e:
            if e.refused:
                raise
            self.out.lines.append(f"  the job list: {e}")
            return
        shape = items_of(page.body, p.list_items_field or None)
        jobs = [j for j in (shape[1] if shape else []) if isinstance(j, dict)]
        if not jobs:
            self.out.lines.append(f"  GET {path}: no job listed yet, so the job's fields are "
                                  "the document's alone")  # fmt: skip
            return
        flat = leaves_of(jobs[0])
        b = self.base
        as_configured = (
            b.job_workflow_label_field or f"{b.job_workflow_field}.{b.workflow_label_field}"
        )
        candidates = [p.job_workflow_label_field] if p.job_workflow_label_field else []
        candidates += [k for k, v in flat.items() if isinstance(v, str) and v in self.known_labels]
        here = next((k for k in candidates if isinstance(flat.get(k), str)), None)
        if here is not None:
            keys = {} if here == as_configured else {"job_workflow_label_field": here}
            self.out.found("job's workflow label", here, keys, b)
            p = self.profile
        for key in JOB_FIELDS:
            value = getattr(p, key)
            if value and all(get_path(j, value) is MISSING for j in jobs):
                self.out.lines.append(
                    f"  {key} '{value}' is in no live job ({len(jobs)} read): "
                    "declared by the document, not seen in the answers"
                )
        decoder = Decoder(p, "GET", safe_url(self.live.base_url + path))
        try:
            job = decoder.job(jobs[0])
        except ClientError as e:
            self.out.undecided("a live job, decoded", [], f"{e}")
            return
        steps = ", ".join(f"{s.name} {s.state} in {s.rows_in} out {s.rows_out}" for s in job.steps)
        known = "" if p.is_known(job.state) else " (a state the profile does not name)"
        self.out.lines.append(
            f"  a live job, decoded: {job.id} of '{job.workflow_label}', {job.state}{known}, "
            f"submitted {job.submitted_at and job.submitted_at.isoformat()}, "
            f"finished {job.finished_at and job.finished_at.isoformat()}; steps: {steps or 'none'}"
        )
        self.job_filter(path, decoder, job.workflow_label)

    def job_filter(self, path: str, decoder: Decoder, label: str) -> None:
        """The job list's label filter, asked for the live job's workflow: does it filter?"""
        p = self.profile
        if not p.jobs_label_param:
            return
        page = self.live.get(path, {p.jobs_label_param: label})
        shape = items_of(page.body, p.list_items_field or None)
        try:
            found = [decoder.job(j).workflow_label for j in (shape[1] if shape else [])]
        except ClientError:
            return  # said above, for the unfiltered list
        if found and all(f == label for f in found):
            by = p.jobs_label_param
            self.out.lines.append(
                f"  the job list filters by '{by}': {len(found)} job(s) of '{label}'"
            )
        else:
            self.out.lines.append(
                f"  the job list does not filter by '{p.jobs_label_param}' (asked for '{label}', "
                f"got {len(found)} job(s) of {sorted(set(found))}): the suite filters them itself"
            )
