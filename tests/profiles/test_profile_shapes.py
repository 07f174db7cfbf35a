"""The API profile's shapes of real Spring servers, read from hand-written foreign servers.

Pages of every common shape are followed to the end, and no further: each
test bounds the number of requests from both sides. Workflows listed under a
space, servers without spaces, and published as a number are decoded; every
new key is validated to one line naming it.
"""

from __future__ import annotations

from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.decode import Decoder
from aperture_verify.client.models import Workflow
from aperture_verify.client.paging import next_link
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.errors import PlanError, ProtocolError
from aperture_verify.execution.readiness import readiness_problem
from aperture_verify.plan.loader import load_plan_text
from foreign.base import KEY
from foreign.lying import FLOWS as LYING_FLOWS
from foreign.lying import LyingServer
from foreign.spring import FLOWS as SPRING_FLOWS
from foreign.spring import SpringServer

SPRING = {"workflows_path": "/api/v2/spaces/{space}/workflows", "list_items_field": "content",
          "page_param": "page"}  # fmt: skip


def client(url: str, keys: dict[str, Any]) -> DataStudioClient:
    return DataStudioClient(
        url, Credentials(api_key=KEY), profile=apply_overrides(ApiProfile(), keys)
    )


def gets(server: Any, space: str) -> list[str]:
    return [r for r in server.requests if r.startswith(f"GET /api/v2/spaces/{space}/workflows")]


@pytest.mark.parametrize(
    ("way", "first"),
    [("list_total_pages_field", 0), ("list_total_elements_field", 0),
     ("list_total_pages_field", 1), ("list_total_elements_field", 1)],
)  # fmt: skip
def test_counted_pages_of_a_capped_size_are_followed_to_the_last_and_no_further(
    way: str, first: int
) -> None:
    field = "page.totalPages" if way == "list_total_pages_field" else "page.totalElements"
    keys = {**SPRING, way: field, "page_first": first, "page_size_param": "size",
            "page_size": 100}  # fmt: skip
    with SpringServer(list(SPRING_FLOWS), first_page=first) as server:
        with client(server.url, keys) as c:
            listed = c.list_workflows(["Demo", "Ops"])
        demo = gets(server, "Demo")
    # nine workflows in Demo, two a page whatever is asked: five requests, pages first..first+4
    assert [w.label for w in listed if w.space == "Demo"] == [f.label for f in SPRING_FLOWS[:9]]
    assert [w.label for w in listed if w.space == "Ops"] == ["Audit", "Ops 2", "Ops 3"]
    assert len(demo) == 5
    assert demo[0] == "GET /api/v2/spaces/Demo/workflows?size=100"
    assert demo[1:] == [f"GET /api/v2/spaces/Demo/workflows?size=100&page={first + n}"
                        for n in range(1, 5)]  # fmt: skip


def test_bare_arrays_linked_by_an_rfc_8288_header_are_followed() -> None:
    with LyingServer(list(LYING_FLOWS)) as server:
        with client(server.url, {"list_next_header": "Link"}) as c:
            listed = c.list_workflows()
        asked = [r for r in server.requests if r.startswith("GET /api/v1/workflows")]
    assert [w.label for w in listed] == [f.label for f in LYING_FLOWS]  # seven, three a page
    assert asked == ["GET /api/v1/workflows", "GET /api/v1/workflows?page=2",
                     "GET /api/v1/workflows?page=3"]  # fmt: skip


def test_without_the_page_keys_only_the_first_page_is_read() -> None:
    """The failure of the issue: 7 of 9 workflows called missing. The test above needs the keys."""
    with SpringServer(list(SPRING_FLOWS)) as server, client(server.url, SPRING) as c:
        assert len(c.list_workflows(["Demo"])) == 2


def test_a_list_per_space_needs_a_space_and_says_so() -> None:
    with (
        SpringServer(list(SPRING_FLOWS)) as server,
        client(server.url, SPRING) as c,
        pytest.raises(ProtocolError, match=r"lists one space at a time and no space"),
    ):
        c.list_workflows()


@pytest.mark.parametrize(
    ("value", "published"),
    [(True, True), (False, False), (None, False), (0, False), (3, True), (0.5, True),
     ("2026-11-28", True), ("", False), ({"version": 2}, True), ({}, False)],
)  # fmt: skip
def test_published_is_true_false_a_number_above_zero_or_present(
    value: Any, published: bool
) -> None:
    profile = apply_overrides(ApiProfile(), {"workflow_published_field": "publishedVersion"})
    decoded = Decoder(profile, "GET", "http://x").workflow(
        {"externalLabel": "W", "publishedVersion": value}
    )
    assert decoded.published is published


def test_a_server_without_spaces_is_matched_by_label_and_no_empty_space_list_is_printed() -> None:
    plan = load_plan_text('[server]\nurl = "http://x:1"\n', adhoc=(("W",),), environ={})
    spec = plan.workflows[0]
    assert spec.space == "Default"
    assert readiness_problem(spec, [Workflow("W", "W", "", True, False)]) is None
    problem = readiness_problem(spec, [Workflow("V", "V", "", True, False)])
    assert problem is not None and "space(s)" not in problem
    assert "in space(s) Other;" in str(
        readiness_problem(spec, [Workflow("W", "W", "Other", True, False)])
    )


def test_the_link_header_s_next_target_is_read() -> None:
    header = '<https://h/api?page=3>; rel="next", <https://h/api?page=1>; rel="first"'
    assert next_link({"link": header}, "Link") == "https://h/api?page=3"
    assert next_link({"Link": '<https://h/api?page=1>; rel="first"'}, "Link") is None


@pytest.mark.parametrize(
    ("keys", "key", "words"),
    [
        ({"page_first": 2}, "page_first", "is 2, not 0 or 1"),
        ({"page_first": True}, "page_first", "not 0 or 1"),
        ({"list_next_header": "Li nk"}, "list_next_header", "is not a header name"),
        ({"list_items_field": "content", "page_param": "page", "list_next_field": "next",
          "list_total_pages_field": "page.totalPages"}, "list_total_pages_field",
         "and list_next_field are both set"),
        ({"list_items_field": "content", "list_total_elements_field": "total"}, "page_param",
         "is needed to follow list_total_elements_field"),
        ({"page_param": "page", "list_total_pages_field": "totalPages"}, "list_items_field",
         "is needed for paged lists"),
        ({"workflows_path": "/api/v2/spaces/{job_id}/workflows"}, "workflows_path",
         "unknown placeholder {job_id}"),
        ({"list_total_page_field": "x"}, "list_total_page_field", "did you mean"),
    ],
)  # fmt: skip
def test_each_new_key_is_validated_to_one_line_naming_it(
    keys: dict[str, Any], key: str, words: str
) -> None:
    lines = "\n".join(f"{k} = {_toml(v)}" for k, v in keys.items())
    text = f'[server]\nurl = "http://x:1"\n[server.profile]\n{lines}\n'
    with pytest.raises(PlanError) as caught:
        load_plan_text(text, "plans.toml", adhoc=(("W",),), environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert f"server.profile.{key}" in message and words in message, message


def test_a_workflow_route_with_a_space_placeholder_is_accepted() -> None:
    text = '[server]\nurl = "http://x:1"\n[server.profile]\nworkflows_path = "/s/{space}/w"\n'
    plan = load_plan_text(text, "plans.toml", adhoc=(("W",),), environ={})
    assert plan.server.profile.path("workflows", space="Dé mo") == "/s/D%C3%A9%20mo/w"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value) + '"'


def test_a_runner_without_a_catalog_lists_each_space_once_when_it_is_first_needed() -> None:
    from aperture_verify.execution.runner import WorkflowRunner

    text = '[server]\nurl = "http://x:1"\nspace = "Demo"\n[workflows.Audit]\nspace = "Ops"\n'
    plan = load_plan_text(text, adhoc=(("Cleanse", "Audit", "Publish"),), environ={})
    keys = {**SPRING, "list_total_pages_field": "page.totalPages"}
    with SpringServer(list(SPRING_FLOWS)) as server, client(server.url, keys) as c:
        runner = WorkflowRunner(c)
        ready = [runner.check_ready(spec) for spec in plan.workflows]
        demo, ops = gets(server, "Demo"), gets(server, "Ops")
    assert [(w.label, w.space) for w in ready] == [
        ("Cleanse", "Demo"), ("Audit", "Ops"), ("Publish", "Demo")]  # fmt: skip
    assert (len(demo), len(ops)) == (5, 2)  # every page of each space, once
