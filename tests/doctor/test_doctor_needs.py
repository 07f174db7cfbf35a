"""The doctor's complete list of needs, each with its status: nothing missing, nothing chosen
silently.

Looking for the words "differs", "MISSING" or "AMBIGUOUS" in the output cannot see
a need that is not listed at all, nor an ambiguous route that was quietly decided:
here the whole list of needs and statuses is compared, for the shipped dialects, for
a server of unknown shape, and for documents made to hold one trap each.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.dialect import load_dialect, load_profile_file
from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.cli import main
from aperture_verify.doctor.document import read_document
from aperture_verify.doctor.mapping import infer
from aperture_verify.emulator import Emulator
from aperture_verify.emulator.openapi import openapi_document, swagger2
from demo_copy import UNKNOWN

#: Every need of a 2.x server, in the order the doctor lists them.
NEEDS_V2 = [
    "execute route", "source replacement fields", "execute body", "version values",
    "job id of a new job", "job route", "job state field", "job queued states",
    "job running states", "job completed states", "job failed states",
    "job cancelled states", "job id field", "job's workflow label", "job submitted time",
    "job started time", "job finished time", "timestamp format", "job error field",
    "job steps field", "step name", "step type", "step rows in", "step rows out",
    "step passed rows", "step failed rows", "step state field", "jobs route",
    "jobs label param", "jobs state param", "workflows route", "workflow label",
    "workflow name", "workflow space", "workflow published", "workflow draft",
    "workflow id", "list pages", "cancel route", "error message field",
]  # fmt: skip
#: A 1.x server: the workflow in the execute path (no sources, no version values), a login.
NEEDS_V1 = [n for n in NEEDS_V2 if n not in ("source replacement fields", "version values")] + [
    "login route",
    "token field",
]

#: The unknown-shaped server (tests/profiles/unknown.toml) against the default profile:
#: what it differs in, with what the doctor found; every other need is "ok".
UNKNOWN_DIFFERS = {
    "execute route": "POST /rest/v3/runs",
    "execute body": (
        "externalLabel={label}, options.dependenciesToUse={dependencies}, "
        "options.refreshSources={refresh}, options.versionToExecute={version}, "
        "spaceExternalLabel={space}, workflowParameters={parameters}"
    ),
    "job id of a new job": "Location header",
    "job route": "GET /rest/v3/runs/{job_id}",
    "job state field": "status.phase",
    "job queued states": "['WAITING']",
    "job running states": "['ACTIVE']",
    "job completed states": "['SUCCEEDED']",
    "job failed states": "['ERRORED']",
    "job cancelled states": "['ABORTED']",
    "job id field": "runId",
    "job's workflow label": "definition.externalLabel",
    "job submitted time": "timing.queuedAt",
    "job started time": "timing.startedAt",
    "job finished time": "timing.endedAt",
    "timestamp format": "epoch_ms",
    "job error field": "failure.detail",
    "job steps field": "stages",
    "step name": "title",
    "step type": "kind",
    "step rows in": "metrics.inputRows",
    "step rows out": "metrics.outputRows",
    "step passed rows": "metrics.passedRows",
    "step failed rows": "metrics.failedRows",
    "step state field": "phase",
    "jobs route": "GET /rest/v3/runs",
    "jobs label param": "workflow",
    "jobs state param": "status",
    "workflows route": "GET /rest/v3/workflow-definitions",
    "workflow name": "displayName",
    "workflow space": "spaceLabel",
    "workflow published": "isPublished",
    "workflow id": "uid",
    "list pages": "'data' with next link 'links.next'",
    "cancel route": "DELETE /rest/v3/runs/{job_id}",
    "error message field": "error.detail",
}
#: The unknown server has no sources list in its execute body.
NEEDS_UNKNOWN = [n for n in NEEDS_V2 if n != "source replacement fields"]


def statuses(doc: dict[str, Any], profile: ApiProfile, api: str) -> list[tuple[str, str]]:
    return [(f.need, f.status) for f in infer(read_document(doc), profile, api).findings]


@pytest.mark.parametrize(("name", "needs"), [("contract", NEEDS_V2), ("1.x", NEEDS_V1)])
def test_a_shipped_dialect_lists_every_need_as_ok(name: str, needs: list[str]) -> None:
    dialect = load_dialect(name)
    doc = openapi_document(dialect.profile)
    if dialect.docs.style == "springfox":
        doc = swagger2(doc)
    assert statuses(doc, dialect.profile, dialect.api) == [(n, "ok") for n in needs]


def test_an_unknown_server_lists_every_need_with_what_differs() -> None:
    dialect = load_profile_file(UNKNOWN)
    inference = infer(read_document(openapi_document(dialect.profile)), ApiProfile(), "v2")
    found = [(f.need, f.status, f.found) for f in inference.findings]
    expected = [
        (n, "differs", UNKNOWN_DIFFERS[n]) if n in UNKNOWN_DIFFERS else (n, "ok")
        for n in NEEDS_UNKNOWN
    ]
    assert [(need, status, text) if status == "differs" else (need, status)
            for need, status, text in found] == expected  # fmt: skip
    assert inference.complete


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """The demo's workflows on a server of the unknown profile (tests/profiles/unknown.toml)."""
    dialect = load_profile_file(UNKNOWN)
    return {"api_keys": ("doctor-key",), "profile": dialect.profile, "docs": dialect.docs}


def test_the_doctor_prints_every_need_and_its_status(
    plans: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--plans", str(plans)],
        environ={"APERTURE_URL": emulator.url, "APERTURE_API_KEY": "doctor-key"},
    )
    assert emulator.jobs == []
    out = capsys.readouterr().out
    assert status == 21, out
    block = re.split(r"What the suite needs[^\n]*:\n", out, maxsplit=1)[1]
    width = max(len(n) for n in NEEDS_UNKNOWN)
    rows = []
    for line in block.splitlines():
        if not line.startswith("  ") or len(line) < width + 4:
            break
        rows.append((line[2 : 2 + width].rstrip(), line[4 + width :].split()[0]))
    assert rows == [(n, "differs" if n in UNKNOWN_DIFFERS else "ok") for n in NEEDS_UNKNOWN]


# -- documents with one trap each ----------------------------------------------------------


def ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


STATE = {"type": "string", "enum": ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]}
JOB = {"type": "object", "properties": {"jobId": {"type": "string"}, "state": STATE}}


def document(execute_answer: dict[str, Any], version_enum: list[str] | None, **more: Any) -> Any:
    request: dict[str, Any] = {"externalLabel": {"type": "string"}}
    if version_enum is not None:
        request["versionToExecute"] = {"type": "string", "enum": version_enum}
    paths: dict[str, Any] = {
        "/api/jobs": {
            "post": {
                "requestBody": body({"type": "object", "properties": request}),
                "responses": ok(execute_answer, "201"),
            }
        },
        "/api/jobs/{jobId}": {"get": {"responses": ok(JOB)}},
    }
    paths.update(more)
    return {"openapi": "3.0.3", "paths": paths}


def test_version_values_are_read_from_the_request_body_not_the_answer() -> None:
    answer = {
        "type": "object",
        "properties": {
            "jobId": {"type": "string"},
            "versionToExecute": {"type": "string", "enum": ["Live", "Draft"]},
        },
    }
    doc = document(answer, ["PublishedOnly", "LatestDraft"])
    found = {f.need: f for f in infer(read_document(doc), ApiProfile(), "v2").findings}
    versions = found["version values"]
    assert (versions.status, versions.found) == ("differs", "['LatestDraft', 'PublishedOnly']")
    assert versions.keys == {"version_values": ["LatestDraft", "PublishedOnly"]}
    # only the answer names versions: the request has none, so no version values are found
    bare = document(answer, None)
    needs = [f.need for f in infer(read_document(bare), ApiProfile(), "v2").findings]
    assert "version values" not in needs
    assert needs[:3] == ["execute route", "execute body", "job id of a new job"]


def test_two_cancel_routes_are_ambiguous_and_neither_is_chosen() -> None:
    job = {"get": {"responses": ok(JOB)}, "delete": {"responses": ok(JOB)}}
    doc = document(
        JOB,
        ["PreferDraft", "PublishedOnly"],
        **{"/api/jobs/{jobId}": job, "/api/jobs/{jobId}/cancel": {"post": {"responses": ok(JOB)}}},
    )
    inference = infer(read_document(doc), ApiProfile(), "v2")
    (cancel,) = [f for f in inference.findings if f.need == "cancel route"]
    assert cancel.status == "ambiguous" and cancel.keys == {} and cancel.found == ""
    assert cancel.candidates == ["DELETE /api/jobs/{jobId}", "POST /api/jobs/{jobId}/cancel"]
    assert "cancel_path" not in inference.proposal and "cancel_method" not in inference.proposal
    assert not inference.complete
    # one of them alone is chosen, under the profile's {job_id}
    del job["delete"]
    single = {f.need: f for f in infer(read_document(doc), ApiProfile(), "v2").findings}
    assert single["cancel route"].keys == {
        "cancel_path": "/api/jobs/{job_id}/cancel",
        "cancel_method": "POST",
    }


def test_no_cancel_route_is_missing_not_left_out() -> None:
    doc = document(JOB, ["PreferDraft", "PublishedOnly"])
    found = {f.need: f for f in infer(read_document(doc), ApiProfile(), "v2").findings}
    assert found["cancel route"].status == "missing"
    assert found["cancel route"].configured == "POST /api/v1/jobs/{job_id}/cancel"


def effective(profile: ApiProfile, key: str) -> Any:
    """What a profile key means: an unset execute_body is the body built from the field keys,
    an unset job_workflow_label_field the label inside job_workflow_field."""
    if key == "execute_body":
        return dict(profile.body_template)
    if key == "job_workflow_label_field" and not profile.job_workflow_label_field:
        return f"{profile.job_workflow_field}.{profile.workflow_label_field}"
    value = getattr(profile, key)
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("name", ["contract", "1.x"])
def test_the_proposal_for_a_shipped_dialect_is_that_dialect(name: str) -> None:
    dialect = load_dialect(name)
    doc = openapi_document(dialect.profile)
    if dialect.docs.style == "springfox":
        doc = swagger2(doc)
    proposal = infer(read_document(doc), dialect.profile, dialect.api).proposal
    assert {k: effective(dialect.profile, k) for k in proposal} == proposal
    assert len(proposal) == (52 if name == "contract" else 51)


def test_the_proposal_for_an_unknown_server_turns_the_default_profile_into_its_own() -> None:
    dialect = load_profile_file(UNKNOWN)
    proposal = infer(read_document(openapi_document(dialect.profile)), ApiProfile(), "v2").proposal
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in proposal.items()
    }
    assert dataclasses.replace(ApiProfile(), **values) == dialect.profile
    assert {k: effective(dialect.profile, k) for k in proposal} == proposal
