"""Loading valid plans: selection, defaults, overrides and paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_plan_samples import (
    DELETE,
    SERVER_SAMPLE,
    SOURCE,
    changed,
    emulator_sample,
    load,
    make_files,
    to_toml,
)

from aperture_verify.errors import PlanError
from aperture_verify.plan import Range, StepExpectation, load_plan
from aperture_verify.plan.loader import DEFAULT_MAX_PARALLEL


def test_the_sample_loads_into_typed_objects() -> None:
    plan = load(to_toml(SERVER_SAMPLE))
    assert plan.name == "nightly"
    assert [p.name for p in plan.phases] == ["ingest", "cleanse", "match", "publish"]
    assert plan.defined_phases == ("ingest", "cleanse", "match", "publish")
    assert plan.on_failure == "stop" and plan.max_parallel == 8
    assert plan.source == Path(SOURCE)
    assert plan.widest_phase == 3
    server = plan.server
    assert server.url == "https://ads.example.com:7701" and not server.is_emulator
    assert server.api == "v2" and server.space == "Demo"
    assert server.profile.job_path == "/api/v2/jobs/{job_id}"
    assert (server.connect_timeout, server.read_timeout) == (5.0, 30.0)
    assert server.emulator_workflows is None and server.ca_bundle is None


def test_a_workflow_table_overrides_the_defaults() -> None:
    plan = load(to_toml(SERVER_SAMPLE))
    w3 = next(w for w in plan.workflows if w.label == "Workflow 3")
    assert (w3.phase, w3.space, w3.version) == ("cleanse", "Other", "PreferDraft")
    assert (w3.min_duration, w3.max_duration) == (20.0, 600.0)
    assert w3.dependencies == "PublishedOnly" and w3.refresh_sources is False
    assert w3.parameters == (("region", "EMEA"), ("limit", 10), ("ratio", 0.5), ("strict", True))
    assert w3.sources == (("Customers source", "Customers March"),)
    assert w3.steps == (
        StepExpectation("Validate addresses", "COMPLETED", (("failedRows", Range(None, 0)),)),
        StepExpectation(
            "Export", None, (("rowsIn", Range(1200, 1200)), ("rowsOut", Range(1000, None)))
        ),
    )
    w1 = plan.phase("ingest").workflows[0]
    assert (w1.label, w1.space, w1.max_duration, w1.steps) == ("Workflow 1", "Demo", 1800.0, ())


def test_without_defaults_the_dataclass_defaults_hold() -> None:
    plan = load(changed(SERVER_SAMPLE, ("defaults", DELETE), ("workflows", DELETE)))
    w = plan.workflows[0]
    assert (w.state, w.min_duration, w.max_duration, w.version) == (
        "COMPLETED", 0.0, 1800.0, "PublishedOnly",
    )  # fmt: skip


def test_plan_name_selects_another_plan_and_its_order() -> None:
    plan = load(to_toml(SERVER_SAMPLE), plan_name="smoke")
    assert plan.name == "smoke"
    assert [p.name for p in plan.phases] == ["ingest", "publish"]
    assert plan.defined_phases == ("ingest", "cleanse", "match", "publish")
    assert plan.on_failure == "stop" and plan.max_parallel == DEFAULT_MAX_PARALLEL
    assert [w.phase for w in plan.workflows] == ["ingest", "publish"]


def test_the_only_plan_needs_no_default() -> None:
    text = changed(SERVER_SAMPLE, ("default_plan", DELETE), ("plans/nightly", DELETE))
    assert load(text).name == "smoke"


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_overrides_count_as_not_given(blank: str) -> None:
    plan = load(
        to_toml(SERVER_SAMPLE), plan_name=blank, url=blank, api=blank,
        environ={"APERTURE_URL": blank, "APERTURE_API": blank},
    )  # fmt: skip
    assert (plan.name, plan.server.url, plan.server.api) == (
        "nightly", "https://ads.example.com:7701", "v2",
    )  # fmt: skip


def test_url_precedence_keyword_then_environment_then_file() -> None:
    text = to_toml(SERVER_SAMPLE)
    env = {"APERTURE_URL": "https://env.example.com", "APERTURE_API": "v1"}
    assert load(text, environ=env).server.url == "https://env.example.com"
    assert load(text, environ=env).server.api == "v1"
    plan = load(text, url="http://cli.example.com:8080/ads/", api="v2", environ=env)
    assert (plan.server.url, plan.server.api) == ("http://cli.example.com:8080/ads", "v2")


def test_an_override_to_a_real_server_leaves_emulator_workflows_unused(tmp_path: Path) -> None:
    make_files(tmp_path)
    text = to_toml(emulator_sample())
    assert load(text, tmp_path).server.emulator_workflows == tmp_path / "demo/workflows.toml"
    plan = load(text, tmp_path, url="https://ads.example.com")
    assert plan.server.url == "https://ads.example.com"
    assert plan.server.emulator_workflows is None and not plan.server.is_emulator


def test_an_override_to_the_emulator_uses_emulator_workflows(tmp_path: Path) -> None:
    make_files(tmp_path)
    sample = emulator_sample()
    sample["server"]["url"] = "https://ads.example.com"
    sample["server"].pop("emulator_workflows")
    text = to_toml(sample)
    plan = load(text, tmp_path)  # the file alone is fine
    assert plan.server.url == "https://ads.example.com"
    sample["server"]["emulator_workflows"] = "demo/workflows.toml"
    sample["server"].pop("url")
    plan = load(to_toml(sample), tmp_path, environ={"APERTURE_URL": "emulator"})
    assert plan.server.is_emulator
    assert plan.server.emulator_workflows == tmp_path / "demo/workflows.toml"
    assert plan.server.ca_bundle == tmp_path / "certs/ca.pem"


def test_the_server_url_may_come_only_from_an_override() -> None:
    text = changed(SERVER_SAMPLE, ("server/url", DELETE))
    assert load(text, url="https://ads.example.com").server.url == "https://ads.example.com"


def test_states_and_versions_follow_the_api_profile() -> None:
    text = changed(
        SERVER_SAMPLE,
        ("server/profile/completed_states", ["SUCCEEDED"]),
        ("server/profile/version_values", ["Draft", "Published"]),
        ("defaults/state", DELETE),
        ("defaults/version", "Published"),
        ("defaults/dependencies", "Draft"),
        ("workflows/Workflow 3/version", DELETE),
        ("workflows/Workflow 3/steps/Validate addresses/state", "SUCCEEDED"),
    )
    plan = load(text)
    w = plan.workflows[0]
    # the server's SUCCEEDED is the suite's COMPLETED: plans and reports speak one language
    assert (w.state, w.version, w.dependencies) == ("COMPLETED", "Published", "Draft")
    (step,) = next(w for w in plan.workflows if w.label == "Workflow 3").steps[:1]
    assert step.state == "COMPLETED"


def test_load_plan_reads_the_file_and_resolves_paths_next_to_it(tmp_path: Path) -> None:
    make_files(tmp_path)
    path = tmp_path / "plans.toml"
    path.write_text("\ufeff" + to_toml(emulator_sample()), encoding="utf-8")
    plan = load_plan(path, environ={})
    assert plan.source == path and plan.server.is_emulator
    assert plan.server.emulator_workflows == tmp_path / "demo/workflows.toml"


def test_load_plan_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(to_toml(SERVER_SAMPLE))
    monkeypatch.setenv("APERTURE_URL", "https://from-env.example.com")
    assert load_plan(path).server.url == "https://from-env.example.com"
    monkeypatch.setenv("APERTURE_URL", "from-env.example.com")
    with pytest.raises(PlanError, match=r"^APERTURE_URL: 'from-env.example.com' has no scheme"):
        load_plan(path)
