"""The emulator speaks every dialect and any profile file, and describes itself.

The suite's own client talks to it in each dialect (the same code a real
server meets); the API document is read where such a server publishes it.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.dialect import Dialect, load_dialect, load_profile_file
from aperture_verify.client.models import Job
from aperture_verify.client.tokens import jwt_lifetime
from aperture_verify.emulator import Emulator, Scenario, StepScript, WorkflowScript
from aperture_verify.errors import WorkflowNotReadyError
from emulator_support import EmulatorFactory
from phase_project import HANG_GUARD

DEMO = Path(__file__).resolve().parents[2] / "demo" / "workflows.toml"
UNKNOWN = Path(__file__).resolve().parents[1] / "profiles" / "unknown.toml"
KEY, USER, PASSWORD = "dialect-key", "bob", "dialect-pass"
LOAD = (StepScript("Load", type="SOURCE", rows_out=100),)
QUICK = tuple(
    WorkflowScript(f"Wörkflow {i}", space="Späce", duration=0.3, queue_time=0.05, steps=LOAD)
    for i in range(5)
)
SCENARIO = Scenario(workflows=(*QUICK, WorkflowScript("Slow", space="Späce", duration=30.0)))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APERTURE_")}
    return subprocess.run(
        [sys.executable, "-m", "aperture_verify.emulator", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
    )


def dialects() -> list[tuple[str, Dialect]]:
    return [
        ("contract", load_dialect("contract")),
        ("1.x", load_dialect("1.x")),
        ("unknown", load_profile_file(UNKNOWN)),
    ]


@pytest.fixture(params=dialects(), ids=lambda d: d[0])
def speaking(
    request: pytest.FixtureRequest, emulator_factory: EmulatorFactory
) -> Iterator[tuple[Emulator, DataStudioClient]]:
    """An emulator of each dialect, and a client speaking it."""
    _, dialect = request.param
    emu = emulator_factory(
        SCENARIO,
        api_keys=(KEY,),
        users={USER: PASSWORD},
        profile=dialect.profile,
        docs=dialect.docs,
    )
    credentials = (
        Credentials(username=USER, password=PASSWORD)
        if dialect.api == "v1"
        else Credentials(api_key=KEY)
    )
    with DataStudioClient(emu.url, credentials, api=dialect.api, profile=dialect.profile) as c:
        yield emu, c


def test_the_client_runs_and_cancels_jobs_in_every_dialect(
    speaking: tuple[Emulator, DataStudioClient],
) -> None:
    emu, client = speaking
    client.check_credentials()
    assert len(client.list_workflows()) == 6  # more than one page where lists are paged
    job = client.execute("Wörkflow 3", space="Späce", parameters={"région": "EMEA"})
    assert emu.job(job.id).label == "Wörkflow 3"

    def completed() -> Job | None:
        now = client.get_job(job.id)
        return now if now.state == "COMPLETED" else None

    done = emu.wait_until(completed)
    assert done is not None
    assert done.duration is not None and done.duration > 0.2
    assert done.steps[0].state == "COMPLETED" and done.steps[0].rows_out == 100
    slow = client.execute("Slow", space="Späce")
    assert client.cancel_job(slow.id).state == "CANCELLED"
    for i in range(3):
        client.execute(f"Wörkflow {i}", space="Späce")
    assert [j.workflow_label for j in client.list_jobs("Slow")] == ["Slow"]
    assert len(client.list_jobs()) == 5
    with pytest.raises(WorkflowNotReadyError, match="No workflow with external label 'Nope'"):
        client.execute("Nope", space="Späce")


def test_the_1x_emulator_takes_the_1x_body_and_answers_the_1x_login(
    emulator_factory: EmulatorFactory,
) -> None:
    dialect = load_dialect("1.x")
    emu = emulator_factory(SCENARIO, users={USER: PASSWORD}, profile=dialect.profile)
    login = requests.post(
        emu.url_for("/api/v1/login"), json={"username": USER, "password": PASSWORD}, timeout=5
    )
    token = login.json()["authentication_token"]
    r = requests.post(
        emu.url_for("/api/v1/workflows/W%C3%B6rkflow%201/execute"),
        json={"use_export_steps": True, "scheduling": {"start_time": "2026-01-01T00:00:00Z"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert r.status_code == 202, r.text
    assert emu.jobs[0].label == "Wörkflow 1"


def test_a_jwt_profile_issues_tokens_whose_exp_the_client_reads(
    emulator_factory: EmulatorFactory,
) -> None:
    profile = dataclasses.replace(load_dialect("1.x").profile, token_expiry="jwt")
    emu = emulator_factory(SCENARIO, users={USER: PASSWORD}, token_lifetime=7200, profile=profile)
    token = requests.post(
        emu.url_for("/api/v1/login"), json={"username": USER, "password": PASSWORD}, timeout=5
    ).json()["authentication_token"]
    assert token.count(".") == 2 and jwt_lifetime(token) == 7200.0
    client = DataStudioClient(
        emu.url, Credentials(username=USER, password=PASSWORD), api="v1", profile=profile
    )
    client.check_credentials()
    assert len(client.list_workflows()) == 6


def test_the_contract_document_is_behind_the_2x_swagger_page(emulator: Emulator) -> None:
    page = requests.get(emulator.url_for("/api/docs/index.html"), timeout=5)
    assert page.status_code == 200 and "swagger-initializer.js" in page.text
    script = requests.get(emulator.url_for("/api/docs/swagger-initializer.js"), timeout=5).text
    assert 'url: "/v3/api-docs"' in script
    doc = requests.get(emulator.url_for("/v3/api-docs"), timeout=5).json()
    assert doc["openapi"].startswith("3.")
    execute = doc["paths"]["/api/v1/workflows/execute"]["post"]
    body = doc["components"]["schemas"]["ExecuteRequest"]["properties"]
    assert "externalLabel" in body and "requestBody" in execute
    assert doc["paths"]["/api/v1/jobs/{jobId}/cancel"]["post"]["operationId"] == "cancel"


def test_the_1x_document_is_swagger_2_behind_swagger_resources(
    emulator_factory: EmulatorFactory,
) -> None:
    dialect = load_dialect("1.x")
    emu = emulator_factory(SCENARIO, profile=dialect.profile, docs=dialect.docs)
    assert requests.get(emu.url_for("/api/v1/swagger-ui.html"), timeout=5).ok
    (resource,) = requests.get(emu.url_for("/api/v1/swagger-resources"), timeout=5).json()
    assert resource["url"] == "/v2/api-docs"  # relative to the context path /api/v1
    doc = requests.get(emu.url_for("/api/v1" + resource["url"]), timeout=5).json()
    assert doc["swagger"] == "2.0"
    execute = doc["paths"]["/api/v1/workflows/{externalLabel}/execute"]["post"]
    assert {p["in"] for p in execute["parameters"]} == {"path", "body"}
    assert "#/definitions/Job" in str(doc["paths"]["/api/v1/jobs/{jobId}"])


def test_the_unknown_profile_documents_location_and_nested_epoch_fields(
    emulator_factory: EmulatorFactory,
) -> None:
    dialect = load_profile_file(UNKNOWN)
    emu = emulator_factory(SCENARIO, profile=dialect.profile, docs=dialect.docs)
    doc = requests.get(emu.url_for("/rest/openapi.json"), timeout=5).json()
    runs = doc["paths"]["/rest/v3/runs"]
    assert "Location" in runs["post"]["responses"]["201"]["headers"]
    assert "delete" in doc["paths"]["/rest/v3/runs/{jobId}"]
    job = doc["components"]["schemas"]["Job"]["properties"]
    assert job["timing"]["properties"]["endedAt"]["description"] == "epoch milliseconds (UTC)"
    assert job["status"]["properties"]["phase"]["enum"] == [
        "WAITING",
        "ACTIVE",
        "SUCCEEDED",
        "ERRORED",
        "ABORTED",
    ]


@pytest.mark.slow  # the emulator command in a subprocess
def test_the_cli_speaks_a_dialect_or_a_profile_file_and_refuses_unknown_ones(
    tmp_path: Path,
) -> None:
    bad = run("--workflows", str(DEMO), "--dialect", "2.x")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith(
        "aperture-emulator: error: --dialect: unknown dialect '2.x'; use one of"
    )
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    broken = tmp_path / "p.toml"
    broken.write_text("[profile]\ncancel_method = 'ZAP'\n", encoding="utf-8")
    bad = run("--workflows", str(DEMO), "--profile", str(broken))
    assert (
        bad.returncode == 2 and "profile.cancel_method: is 'ZAP', not an HTTP method" in bad.stderr
    )
    both = run("--workflows", str(DEMO), "--profile", str(UNKNOWN), "--dialect", "1.x")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
