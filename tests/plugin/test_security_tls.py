"""TLS: verified by default, a CA bundle can be given, and turning it off is never silent.

The emulator serves HTTPS with a self-signed certificate made by the
``openssl`` command (skipped without it). Plain ``http://`` to a host that is
not this machine is warned about too.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.emulator import Scenario
from aperture_verify.execution.exitcodes import EXIT_LOGIN_FAILURE
from phase_project import API_KEY, HANG_GUARD, Project, workflow

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

PHASES = {"first": ["W1"]}
TLS_OFF = "aperture: WARNING: TLS certificate verification is OFF"
PLAIN_HTTP = "aperture: WARNING: plain http://"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=HANG_GUARD,
    )
    return cert, key


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(workflows=(workflow("W1", 0.3),))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (API_KEY,)}


@pytest.fixture
def https_project(project: Project, certificate: tuple[Path, Path]) -> Project:
    """A project whose server is the emulator over HTTPS (self-signed, not trusted)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    # The listening socket keeps its file descriptor, so the serving loop goes on;
    # every connection accepted from now on speaks TLS.
    server = project.emulator._server
    assert server is not None
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return project


def write_https(project: Project, server: str = "") -> None:
    project.write(PHASES, server=server)
    plans = project.pytester.path / "plans.toml"
    http = f'url = "{project.emulator.url}"'
    plans.write_text(
        plans.read_text().replace(http, f'url = "https://127.0.0.1:{project.emulator.port}"')
    )


def test_an_untrusted_certificate_is_refused_by_default(https_project: Project) -> None:
    write_https(https_project)
    result = https_project.run()
    assert result.ret == EXIT_LOGIN_FAILURE
    result.stdout.fnmatch_lines(
        [
            "*LOGIN FAILED*https://127.0.0.1*TLS handshake failed*"
            "certificate verify failed*CA bundle*"
        ]
    )
    assert https_project.jobs() == []
    assert https_project.emulator.requests == [], "a request got through unverified TLS"


def test_a_ca_bundle_from_the_plan_is_trusted(
    https_project: Project, certificate: tuple[Path, Path]
) -> None:
    shutil.copy(certificate[0], https_project.pytester.path / "ca.pem")
    write_https(https_project, server='ca_bundle = "ca.pem"')
    result = https_project.run("-n", "2")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert "WARNING" not in result.stdout.str()
    (job,) = https_project.jobs()
    assert job.state == "COMPLETED"


def test_verification_off_runs_with_a_warning_in_the_terminal_and_the_report(
    https_project: Project,
) -> None:
    write_https(https_project, server="verify_tls = false")
    result = https_project.run("-n", "2")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert out.count(TLS_OFF) == 2, "at the start and in the summary"
    html = (https_project.pytester.path / "reports" / "report.html").read_text()
    assert "TLS verification" in html and "OFF" in html


def test_plain_http_to_another_host_is_warned_about(project: Project) -> None:
    project.write(PHASES)
    # --collect-only: nothing is sent, so the host need not exist
    result = project.run("--collect-only", "--server-url", "http://ads.example.com:7701")
    assert project.emulator.requests == []
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"{PLAIN_HTTP} to ads.example.com, which is not this machine*"])


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}", "http://localhost:{port}"])
def test_plain_http_to_this_machine_is_not_warned_about(project: Project, url: str) -> None:
    project.write(PHASES)  # W1 is the emulator's (emulator_scenario)
    result = project.run("--server-url", url.format(port=project.emulator.port))
    result.assert_outcomes(passed=1)
    assert "WARNING" not in result.stdout.str()
