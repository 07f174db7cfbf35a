"""The profile's state names, routes and field paths, value by value."""

from __future__ import annotations

from typing import Any

import pytest

from aperture_verify.client.profile import MISSING, ApiProfile, get_path, put_path

TWO = ApiProfile(
    queued_states=("PENDING", "WAITING"),
    running_states=("ACTIVE",),
    completed_states=("SUCCEEDED", "OK"),
    failed_states=("ERROR",),
    cancelled_states=("KILLED",),
    step_completed_states=("DONE",),
    step_failed_states=("BROKEN",),
)


@pytest.mark.parametrize(
    ("state", "step", "category"),
    [
        ("PENDING", False, "queued"), ("WAITING", False, "queued"), ("ACTIVE", False, "running"),
        ("SUCCEEDED", False, "completed"), ("OK", False, "completed"),
        ("ERROR", False, "failed"), ("KILLED", False, "cancelled"),
        ("COMPLETED", False, "completed"), ("QUEUED", False, "queued"), ("DONE", False, None),
        ("DONE", True, "completed"), ("BROKEN", True, "failed"), ("SUCCEEDED", True, None),
        ("PENDING", True, "queued"),  # no step names for queued: the job's
        ("CANCELLED", True, "cancelled"), ("nope", True, None), ("", False, None),
    ],
)  # fmt: skip
def test_each_name_has_its_category(state: str, step: bool, category: str | None) -> None:
    assert TWO.category(state, step=step) == category
    expected = state if category is None else category.upper()
    assert TWO.canonical(state, step=step) == expected
    assert TWO.is_known(state) == (TWO.category(state) is not None)


def test_states_of_steps_fall_back_to_the_job_s() -> None:
    assert TWO.states("completed") == ("SUCCEEDED", "OK")
    assert TWO.states("completed", step=True) == ("DONE",)
    assert TWO.states("running", step=True) == ("ACTIVE",)
    assert TWO.states("queued", step=False) == ("PENDING", "WAITING")


def test_the_server_name_shown_for_a_suite_name() -> None:
    assert TWO.shown("COMPLETED") == "SUCCEEDED"
    assert TWO.shown("COMPLETED", step=True) == "DONE"
    assert TWO.shown("QUEUED", step=True) == "PENDING"
    assert TWO.shown("ODD") == "ODD"


def test_terminal_and_known_states() -> None:
    assert [s for s in ("SUCCEEDED", "OK", "ERROR", "KILLED", "COMPLETED", "FAILED",
                        "CANCELLED") if TWO.is_terminal(s)] == [
        "SUCCEEDED", "OK", "ERROR", "KILLED", "COMPLETED", "FAILED", "CANCELLED"]  # fmt: skip
    assert not TWO.is_terminal("ACTIVE") and not TWO.is_terminal("PENDING")
    assert not TWO.is_terminal("DONE")  # a step's name says nothing of a job
    assert TWO.terminal_states == (
        "COMPLETED", "FAILED", "CANCELLED", "SUCCEEDED", "OK", "ERROR", "KILLED",
    )  # fmt: skip
    assert TWO.known_states == (
        "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PENDING", "WAITING",
        "ACTIVE", "SUCCEEDED", "OK", "DONE", "ERROR", "BROKEN", "KILLED",
    )  # fmt: skip
    assert TWO.is_known("BROKEN") is False and TWO.is_known("KILLED") is True


def test_routes_fill_in_url_encoded_values() -> None:
    p = ApiProfile(job_path="/api/jobs/{job_id}", cancel_method="DELETE")
    assert p.path("job", job_id="a/b c?ä") == "/api/jobs/a%2Fb%20c%3F%C3%A4"
    assert p.path("workflows") == "/api/v1/workflows"
    assert (p.method("cancel"), p.method("job")) == ("DELETE", "GET")


def test_field_paths_read_and_write_nested_objects() -> None:
    data: dict[str, Any] = {"a": {"b": 1}}
    put_path(data, "a.c.d", 2)
    put_path(data, "e", 3)
    assert data == {"a": {"b": 1, "c": {"d": 2}}, "e": 3}
    assert get_path(data, "a.c.d") == 2
    assert get_path(data, "a.b.x") is MISSING
    assert get_path(data, "z") is MISSING
