"""aperture-doctor deciding on live answers, against hand-written foreign servers.

The document alone cannot tell a list of spaces from a list of workflows, nor
that a declared field is never sent; the live answers can, given the plan's
labels. Without them a choice stays AMBIGUOUS, is written as a TODO line, and
``--check`` then proves the user's hand edit. Every run ends with one
``Result:`` line and never shows a credential.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.doctor.cli import main
from aperture_verify.plan.loader import load_plan, load_plan_text
from foreign.base import KEY, PASSWORD, USER
from foreign.lying import FLOWS as LYING_FLOWS
from foreign.lying import LyingServer
from foreign.spring import FLOWS as SPRING_FLOWS
from foreign.spring import SpringServer
from foreign.springfox import FLOWS as FOX_FLOWS
from foreign.springfox import SpringfoxServer

CHAIN = "Tägliche Übernahme; Cleanse, Publish"


def doctor(
    folder: Path, url: str, *args: str, capsys: pytest.CaptureFixture[str], api: str = "v2"
) -> tuple[int, str]:
    env = {"APERTURE_URL": url, "APERTURE_API_KEY": KEY, "APERTURE_API": api,
           "APERTURE_USERNAME": USER, "APERTURE_PASSWORD": PASSWORD}  # fmt: skip
    status = main(list(args), environ=env)
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text and KEY not in text and PASSWORD not in text
    assert text.strip().splitlines()[-1].startswith("Result: "), text
    assert text.count("\nResult: ") == 1
    return status, text


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans.toml").write_text('[server]\nspace = "Demo"\n', encoding="utf-8")
    return tmp_path


def test_the_plans_labels_pick_the_workflow_list_among_the_lists(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SpringServer(list(SPRING_FLOWS)) as server:
        status, out = doctor(folder, server.url, "--run", CHAIN, capsys=capsys)
        assert server.executes == 0
    assert status == 21, out
    assert "GET /api/v2/spaces: 2 entries of 2 counted" in out
    assert "GET /api/v2/spaces/Demo/workflows: 9 entries of 9 counted" in out
    assert "workflows route       differs    GET /api/v2/spaces/{space}/workflows" in out
    assert (
        "list pages            differs    total_pages 'page.totalPages', page 'page' from 0" in out
    )
    assert 'workflow_space_field = ""' in out and "3 of 3 ready" in out


def test_without_labels_the_choice_is_ambiguous_written_as_todo_and_check_proves_a_hand_edit(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = folder / "plans.toml"
    with SpringServer(list(SPRING_FLOWS)) as server:
        server.new_run(SPRING_FLOWS[0])
        status, out = doctor(folder, server.url, "--write", capsys=capsys)
        assert status == 22, out
        assert ("workflows route       AMBIGUOUS  candidates: GET /api/v2/spaces | "
                "GET /api/v2/spaces/{space}/workflows (none chosen)") in out  # fmt: skip
        assert "the job list filters by 'workflowExternalLabel': 1 job(s) of 'Demo 1'" in out
        text = plans.read_text(encoding="utf-8")
        assert "# TODO workflows route: candidates GET /api/v2/spaces | GET" in text
        assert 'list_total_pages_field = "page.totalPages"' in text
        load_plan(plans, adhoc=(("W",),), environ={"APERTURE_URL": server.url})  # it loads

        # the user completes the TODO by hand; --check proves it on the live server
        by_hand = 'workflows_path = "/api/v2/spaces/{space}/workflows"\n'
        plans.write_text(
            text.replace("[server.profile]\n", "[server.profile]\n" + by_hand), encoding="utf-8"
        )
        status, out = doctor(folder, server.url, "--check", "--run", CHAIN, capsys=capsys)
        assert status == 0, out
        assert "Workflows of plan 'adhoc': 3 of 3 ready" in out
        assert "Workflow list: 9 workflows read, every page followed" in out
        assert "A live job, decoded: " in out and "of 'Demo 1', " in out

        # a wrong hand edit is caught, read-only
        edited = plans.read_text(encoding="utf-8")
        edited = edited.replace('job_state_field = "status"', 'job_state_field = "state"')
        plans.write_text(edited, encoding="utf-8")
        status, out = doctor(folder, server.url, "--check", "--run", CHAIN, capsys=capsys)
        assert status == 23, out
        assert "does not read the live answers" in out and "has no 'state'" in out
        assert server.executes == 1  # the one the test started


def test_a_declared_field_no_answer_carries_is_reported_and_the_live_one_proposed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "plans.toml").write_text('[server]\nspace = "Reports"\n', encoding="utf-8")
    with LyingServer(list(LYING_FLOWS)) as server:
        status, out = doctor(folder, server.url, "--run", "Report 5", capsys=capsys)
    assert status == 21, out
    assert "the document declares 'published' (published) but no live workflow carries it" in out
    assert 'workflow_published_field = "publishedVersion"' in out
    assert 'list_next_header = "Link"' in out and "GET /api/v1/workflows: 7 entries" in out


def test_the_environment_alone_is_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no plans.toml here
    with SpringfoxServer(list(FOX_FLOWS)) as server:
        status, out = doctor(tmp_path, server.url, "--run", "Validate Straße", api="v1",
                             capsys=capsys)  # fmt: skip
        assert status == 21, out
        assert "Workflows of plan 'adhoc': 1 of 1 ready" in out
        assert 'workflow_label_field = "name"' in out and 'token_expiry = "jwt"' in out
        status, out = doctor(tmp_path, server.url, api="v1", capsys=capsys)
    assert status == 21, out
    assert "Workflows: none named" in out
    assert not (tmp_path / "plans.toml").exists()


def test_a_bad_new_key_is_one_line_exit_4_and_nothing_is_sent(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "plans.toml").write_text(
        '[server]\nspace = "Demo"\n[server.profile]\npage_first = 2\n', encoding="utf-8"
    )
    with SpringServer(list(SPRING_FLOWS)) as server:
        status = main(
            ["--run", CHAIN], environ={"APERTURE_URL": server.url, "APERTURE_API_KEY": KEY}
        )
        assert server.requests == []
    out, err = capsys.readouterr()
    assert status == 4 and out == ""
    assert err.strip().splitlines() == [
        "ERROR: plans.toml: server.profile.page_first: is 2, not 0 or 1; write page_first = 0 "
        "(pages counted from 0, as Spring does) or 1"
    ]


def test_write_keeps_hand_written_keys_and_a_new_way_to_page_replaces_the_old(
    folder: Path,
) -> None:
    from aperture_verify.doctor.write import updated_text

    text = ('# mine\n[server]\nurl = "http://x:1"\n[server.profile]\n'
            'job_error_field = "problem"  # by hand\nlist_next_field = "next"\n'
            'list_items_field = "data"\n')  # fmt: skip
    new = updated_text(text, {"list_total_pages_field": "page.totalPages", "page_param": "page"},
                       ["workflows route: candidates A | B"])  # fmt: skip
    assert new.startswith("# mine\n[server]\n")
    assert 'job_error_field = "problem"' in new and 'list_items_field = "data"' in new
    assert "list_next_field" not in new and 'list_total_pages_field = "page.totalPages"' in new
    assert "# TODO workflows route: candidates A | B" in new
    plan = load_plan_text(new, "plans.toml", adhoc=(("W",),), environ={})
    assert plan.server.profile.paging == "list_total_pages_field"
