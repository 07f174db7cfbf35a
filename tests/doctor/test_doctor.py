"""aperture-doctor against emulators of every dialect, and against servers it cannot map."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from aperture_verify.client.dialect import ApiDocs, load_dialect, load_profile_file
from aperture_verify.doctor.cli import main
from aperture_verify.emulator import Emulator, Scenario
from demo_copy import UNKNOWN, demo_copy
from emulator_support import EmulatorFactory

KEY = "doctor-key"  # the emulator's (doctor/conftest.py)


def doctor(plans: Path, url: str, *args: str, api: str | None = None,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:  # fmt: skip
    env = {"APERTURE_URL": url, "APERTURE_API_KEY": KEY,
           "APERTURE_USERNAME": "carol", "APERTURE_PASSWORD": "doctor-pass"}  # fmt: skip
    argv = ["--plans", str(plans), *args] + (["--api", api] if api else [])
    status = main(argv, environ=env)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert KEY not in out + err and "doctor-pass" not in out + err
    return status, out + err


@pytest.mark.parametrize("name", ["contract", "1.x"])
def test_a_server_of_a_shipped_dialect_maps_to_it_exactly(
    name: str,
    plans: Path,
    emulator_factory: EmulatorFactory,
    emulator_scenario: Scenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dialect = load_dialect(name)
    text = plans.read_text(encoding="utf-8").replace('api = "v2"', f'dialect = "{name}"')
    plans.write_text(text, encoding="utf-8")
    emu = emulator_factory(emulator_scenario, api_keys=(KEY,), users={"carol": "doctor-pass"},
                           profile=dialect.profile, docs=dialect.docs)  # fmt: skip
    status, out = doctor(plans, emu.url, capsys=capsys)
    assert emu.jobs == [], "the doctor executed a workflow"
    assert status == 0, out
    assert f"found through the Swagger UI page {dialect.docs.ui}" in out
    assert ("Swagger 2.0" if name == "1.x" else "OpenAPI 3.0.1") in out
    assert " differs " not in out and "MISSING" not in out and "AMBIGUOUS" not in out
    assert "Workflows of plan 'nightly': 7 of 7 ready to run as asked" in out
    assert plans.read_text(encoding="utf-8") == text, "nothing is written without --write"


def test_an_unknown_server_is_mapped_and_written_keeping_the_comments(
    plans: Path,
    emulator_factory: EmulatorFactory,
    emulator_scenario: Scenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = plans.read_text(encoding="utf-8")
    dialect = load_profile_file(UNKNOWN)
    emu = emulator_factory(
        emulator_scenario, api_keys=(KEY,), profile=dialect.profile, docs=dialect.docs
    )
    status, out = doctor(plans, emu.url, capsys=capsys)
    assert status == 21, out
    assert "job id of a new job   differs    Location header" in out
    assert "cancel route          differs    DELETE /rest/v3/runs/{job_id}" in out
    assert "timestamp format      differs    epoch_ms" in out
    assert 'list_next_field = "links.next"' in out
    assert plans.read_text(encoding="utf-8") == before
    status, out = doctor(plans, emu.url, "--write", capsys=capsys)
    assert status == 0, out
    assert "Wrote [server.profile] into" in out
    status, out = doctor(plans, emu.url, capsys=capsys)  # what was written now matches
    assert status == 0, out
    assert emu.jobs == []
    after = plans.read_text(encoding="utf-8")
    for line in before.splitlines():  # every line of the user's file is still there
        assert line in after.splitlines(), line
    written = load_profile_file_from_plans(plans)
    assert written == dialect.profile


def load_profile_file_from_plans(plans: Path) -> object:
    from aperture_verify.plan.loader import load_plan

    return load_plan(plans, environ={"APERTURE_URL": "http://x"}).server.profile


def test_without_a_document_it_says_so_and_still_checks(
    plans: Path,
    emulator_factory: EmulatorFactory,
    emulator_scenario: Scenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hidden = ApiDocs(ui="/hidden/ui.html", document="/hidden/doc.json")
    emu = emulator_factory(emulator_scenario, api_keys=(KEY,), docs=hidden)
    status, out = doctor(plans, emu.url, capsys=capsys)
    assert status == 20, out
    assert "API document: not found. Tried:" in out and "/v3/api-docs: 404" in out
    assert "Credentials: accepted" in out and "7 of 7 ready" in out


def test_the_plans_file_and_plan_come_from_the_ini_file_as_for_the_suite(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plans = demo_copy(tmp_path)
    plans.rename(tmp_path / "other.toml")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naperture_plans = other.toml\naperture_plan = smoke\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    status = main([], environ={"APERTURE_URL": emulator.url, "APERTURE_API_KEY": KEY})
    out = capsys.readouterr().out
    assert status == 0, out
    assert "plan 'smoke'" in out and "2 of 2 ready" in out


def test_a_refused_key_is_a_login_failure(
    plans: Path,
    emulator_factory: EmulatorFactory,
    emulator_scenario: Scenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = emulator_factory(emulator_scenario, api_keys=("another-key",))
    status, out = doctor(plans, emu.url, capsys=capsys)
    assert status == 10, out
    assert "Credentials: refused: GET" in out and "401" in out


def test_a_missing_workflow_is_a_readiness_failure(
    plans: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    text = plans.read_text(encoding="utf-8").replace('"Workflow 7"]', '"Wörkflow 7"]')
    plans.write_text(text, encoding="utf-8")
    status, out = doctor(plans, emulator.url, capsys=capsys)
    assert status == 11, out
    assert (
        "6 of 7 ready" in out
        and "Wörkflow 7: readiness failure: no workflow with external label 'Wörkflow 7'" in out
    )


def test_bad_input_is_one_line_and_exit_4(plans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plans.write_text(plans.read_text(encoding="utf-8").replace(
        'space = "Demo"', 'space = "Demo"\ndialect = "9.x"'), encoding="utf-8")  # fmt: skip
    status, out = doctor(plans, "http://127.0.0.1:9", capsys=capsys)
    assert status == 4
    assert out.strip().splitlines() == [
        f"ERROR: {plans}: server.dialect: unknown dialect '9.x'; use one of '1.x', 'contract'"
    ]


class _Junk(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {
        "/v3/api-docs": b'{"openapi": "3.0.0", "paths": {"/x/{id}": {"get": {"responses": '
        b'{"200": {"$ref": "#/nowhere"}, "404": {"content": {"application/json": '
        b'{"schema": {"$ref": "#/components/schemas/A"}}}}}}}}, '
        b'"components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}]}}}}',
        "/api/docs/index.html": b"<html><script src='swagger-initializer.js'></script></html>",
        "/api/docs/swagger-initializer.js": b'url: "/v2/api-docs"',
        "/v2/api-docs": b"{not json",
    }

    def do_GET(self) -> None:
        body = self.bodies.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"[]")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def junk_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Junk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_junk_documents_and_answers_never_end_in_a_traceback(
    plans: Path, junk_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = doctor(plans, junk_server, capsys=capsys)
    assert status == 10, out  # its workflow list is no Data Studio answer
    # the first usual place answers a document whose $refs loop and lead nowhere: read
    # as far as it goes, every need it cannot show is listed as missing
    assert f"API document: {junk_server}/v3/api-docs (OpenAPI 3.0.0), found through" in out
    table = re.split(r"What the suite needs[^\n]*:\n", out, maxsplit=1)[1]
    needs = table.split("\n\n", 1)[0].splitlines()
    assert all("  MISSING  " in line for line in needs), needs
    assert [line.split("  MISSING  ")[0].strip() for line in needs] == [
        "execute route", "job route", "job state field", "jobs route", "workflows route",
        "cancel route", "error message field",
    ]  # fmt: skip
    assert f"Credentials: could not be checked: GET {junk_server}/api/v1/workflows -> 404" in out
