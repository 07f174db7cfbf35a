"""Credentials from the environment; secrets never shown."""

from __future__ import annotations

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
