"""The emulator speaks the Spring shapes too: workflows per space, counted pages from 0 or
1, bare arrays linked by a ``Link`` header; and aperture-doctor maps it back exactly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.doctor.cli import main
from aperture_verify.emulator import Emulator, Scenario, load_scenario
from demo_copy import ROOT, demo_copy

SCENARIO = load_scenario(ROOT / "demo" / "workflows.toml")
SHAPES: dict[str, dict[str, Any]] = {
    "per space, total pages from 1": {
        "workflows_path": "/api/v2/spaces/{space}/workflows", "list_items_field": "content",
        "list_total_pages_field": "page.totalPages", "page_param": "page", "page_first": 1},
    "Link header": {"list_next_header": "Link"},
    "total elements": {"list_items_field": "content",
                       "list_total_elements_field": "page.totalElements", "page_param": "p"},
}  # fmt: skip


@pytest.fixture
def shape() -> str:
    """The emulator's shape (a key of ``SHAPES``); a test parametrized on it overrides it."""
    return "per space, total pages from 1"


@pytest.fixture
def emulator_scenario() -> Scenario:
    return SCENARIO


@pytest.fixture
def emulator_options(shape: str) -> dict[str, Any]:
    return {"api_keys": ("k",), "profile": apply_overrides(ApiProfile(), SHAPES[shape])}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_emulator_pages_the_way_the_profile_says(shape: str, emulator: Emulator) -> None:
    profile = apply_overrides(ApiProfile(), SHAPES[shape])
    with DataStudioClient(emulator.url, Credentials(api_key="k"), profile=profile) as c:
        listed = c.list_workflows(["Demo"])
    asked = [r for r in emulator.requests if r.path.endswith("/workflows")]
    demo = [wf.label for wf in SCENARIO.workflows if wf.space == "Demo"]
    assert [w.label for w in listed] == demo and len(demo) == 9
    assert len(asked) == 5  # two a page
    if "{space}" in profile.workflows_path:
        assert {r.path for r in asked} == {"/api/v2/spaces/Demo/workflows"}
        assert [r.query.get("page") for r in asked] == [None, "2", "3", "4", "5"]


def test_the_doctor_maps_the_emulator_speaking_spring_shapes_exactly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shape: str,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plans = demo_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    keys = SHAPES[shape]  # the emulator's: per space, total pages from 1
    block = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in keys.items())
    plans.write_text(plans.read_text(encoding="utf-8") + f"\n[server.profile]\n{block}\n")
    status = main(["--plans", str(plans)],
                  environ={"APERTURE_URL": emulator.url, "APERTURE_API_KEY": "k"})  # fmt: skip
    assert emulator.jobs == []
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert re.search(r"list pages +ok +total_pages 'page.totalPages', page 'page' from 1", out)
    assert "Workflows of plan 'nightly': 7 of 7 ready" in out
