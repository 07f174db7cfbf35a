"""Credentials from the environment; secrets never shown."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aperture_verify.client.credentials import Credentials
from aperture_verify.errors import PlanError

KEY = "SECRET-KEY-1234"
PASSWORD = "pa55-SECRET"


def test_v2_reads_the_api_key() -> None:
    creds = Credentials.from_env(api="v2", environ={"APERTURE_API_KEY": KEY})
    assert creds.api_key == KEY
    assert creds.username is None


def test_v1_reads_username_and_password() -> None:
    creds = Credentials.from_env(
        api="v1", environ={"APERTURE_USERNAME": "alice", "APERTURE_PASSWORD": PASSWORD}
    )
    assert (creds.username, creds.password) == ("alice", PASSWORD)


def test_missing_api_key_is_a_one_line_plan_error() -> None:
    with pytest.raises(PlanError) as info:
        Credentials.from_env(api="v2", environ={})
    error = info.value
    assert (error.source, error.key, error.problem) == (
        "environment",
        "APERTURE_API_KEY",
        "is not set",
    )
    assert error.fix.startswith("export APERTURE_API_KEY=<your Data Studio API key>")
    assert "\n" not in str(error)


def test_empty_variable_is_reported_as_empty() -> None:
    with pytest.raises(PlanError, match="APERTURE_PASSWORD: is empty"):
        Credentials.from_env(api="v1", environ={"APERTURE_USERNAME": "a", "APERTURE_PASSWORD": ""})


def test_missing_password_names_the_variable_without_values() -> None:
    with pytest.raises(PlanError) as info:
        Credentials.from_env(api="v1", environ={"APERTURE_USERNAME": "alice-the-user"})
    assert info.value.key == "APERTURE_PASSWORD"
    assert "alice-the-user" not in str(info.value)


def test_unknown_api_version() -> None:
    with pytest.raises(PlanError, match="unknown API version"):
        Credentials.from_env(api="v3", environ={})


def test_repr_and_str_hide_the_secrets() -> None:
    creds = Credentials(api_key=KEY, username="alice", password=PASSWORD)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert KEY not in text
        assert PASSWORD not in text
    assert repr(Credentials(api_key=KEY)) == "Credentials(api_key=<set>)"


def test_credentials_are_frozen() -> None:
    creds = Credentials(api_key=KEY)
    with pytest.raises(AttributeError):
        creds.api_key = "other"  # type: ignore[misc]


def test_require_checks_what_the_api_needs() -> None:
    Credentials(api_key=KEY).require("v2")
    with pytest.raises(PlanError, match="APERTURE_USERNAME"):
        Credentials(api_key=KEY).require("v1")


# -- from files (the Docker-secrets convention) and surrounding whitespace ----------


def secret_file(tmp_path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "secret"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    path.chmod(mode)
    return path


def test_the_api_key_is_read_from_its_file_without_the_trailing_line_break(
    tmp_path: Path,
) -> None:
    path = secret_file(tmp_path, KEY + "\n")
    creds = Credentials.from_env(api="v2", environ={"APERTURE_API_KEY_FILE": str(path)})
    assert creds.api_key == KEY
    assert creds.notes == ()  # the line break `echo >` adds is no whitespace to warn about


def test_a_windows_file_with_bom_and_crlf_gives_the_bare_password(tmp_path: Path) -> None:
    path = secret_file(tmp_path, b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\n")
    creds = Credentials.from_env(
        api="v1",
        environ={"APERTURE_USERNAME": "alice", "APERTURE_PASSWORD_FILE": str(path)},
    )
    assert creds.password == PASSWORD
    assert creds.notes == ()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX mode bits")
def test_a_file_others_can_read_is_warned_about_once_without_its_value(tmp_path: Path) -> None:
    path = secret_file(tmp_path, KEY + "\n", mode=0o644)
    creds = Credentials.from_env(api="v2", environ={"APERTURE_API_KEY_FILE": str(path)})
    assert creds.api_key == KEY
    assert creds.notes == (
        f"APERTURE_API_KEY_FILE: {path} can be read by other users (mode 0644); "
        f"restrict it: chmod 600 {path}",
    )


def test_the_variable_and_its_file_together_are_refused(tmp_path: Path) -> None:
    path = secret_file(tmp_path, KEY)
    with pytest.raises(PlanError) as info:
        Credentials.from_env(
            api="v2", environ={"APERTURE_API_KEY": KEY, "APERTURE_API_KEY_FILE": str(path)}
        )
    assert "is set together with APERTURE_API_KEY_FILE" in str(info.value)
    assert KEY not in str(info.value)


def test_a_missing_file_is_one_line_naming_the_variable_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(PlanError) as info:
        Credentials.from_env(api="v2", environ={"APERTURE_API_KEY_FILE": str(missing)})
    assert info.value.key == "APERTURE_API_KEY_FILE"
    assert f"cannot read {missing}" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = secret_file(tmp_path, "\n")
    with pytest.raises(PlanError, match="APERTURE_API_KEY_FILE: names an empty file"):
        Credentials.from_env(api="v2", environ={"APERTURE_API_KEY_FILE": str(path)})


def test_surrounding_whitespace_is_stripped_with_one_warning_without_the_value() -> None:
    creds = Credentials.from_env(api="v2", environ={"APERTURE_API_KEY": f"  {KEY}\t\n"})
    assert creds.api_key == KEY
    assert creds.notes == (
        "APERTURE_API_KEY: the value had surrounding whitespace (2 leading, 2 trailing "
        "character(s)); it was stripped - remove it at the source",
    )
    assert KEY not in " ".join(creds.notes)


def test_whitespace_inside_a_file_beyond_its_line_break_is_stripped_and_said(
    tmp_path: Path,
) -> None:
    path = secret_file(tmp_path, f" {PASSWORD} \n")
    creds = Credentials.from_env(
        api="v1", environ={"APERTURE_USERNAME": "alice ", "APERTURE_PASSWORD_FILE": str(path)}
    )
    assert (creds.username, creds.password) == ("alice", PASSWORD)
    assert [note.split(":")[0] for note in creds.notes] == [
        "APERTURE_USERNAME",
        "APERTURE_PASSWORD_FILE",
    ]
    assert "(1 leading, 1 trailing" in creds.notes[1]
