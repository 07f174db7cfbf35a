"""Scenario files: the demo loads, and every mistake is one line naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.emulator import Scenario, StepScript, WorkflowScript, load_scenario
from aperture_verify.errors import PlanError

DEMO = Path(__file__).resolve().parents[2] / "demo" / "workflows.toml"


def test_the_demo_scenario_has_seven_published_workflows_and_two_extras() -> None:
    scenario = load_scenario(DEMO)
    labels = [wf.label for wf in scenario.workflows]
    assert labels[:7] == [f"Workflow {i}" for i in range(1, 8)]
    assert set(labels[7:]) == {"Broken Workflow", "Draft Only"}
    for wf in scenario.workflows[:7]:
        assert wf.space == "Demo" and wf.published and wf.outcome == "COMPLETED"
        assert 1.5 <= wf.duration <= 3.0 and wf.jitter == pytest.approx(0.2)
        assert 2 <= len(wf.steps) <= 4
    assert scenario.environment == "default" and scenario.token_lifetime == 3600.0
    assert scenario.api_keys == () and dict(scenario.users) == {}


def test_the_demo_steps_carry_the_documented_rows() -> None:
    scenario = load_scenario(DEMO)
    w1 = scenario.workflow("Workflow 1")
    assert w1 is not None
    assert w1.steps[0] == StepScript("Load customers", "SOURCE", "COMPLETED", 0, 5000)
    w3 = scenario.workflow("Workflow 3")
    assert w3 is not None
    steps = {s.name: s for s in w3.steps}
    assert steps["Validate addresses"].type == "VALIDATE"
    assert (steps["Validate addresses"].passed_rows, steps["Validate addresses"].failed_rows) == (
        5000,
        0,
    )
    assert steps["Export"].type == "EXPORT" and steps["Export"].rows_out == 5000
    broken = scenario.workflow("Broken Workflow")
    assert broken is not None and broken.outcome == "FAILED"
    assert broken.error == "Step 'Lookup' failed: reference dataset 'Postcodes' is missing"
    draft = scenario.workflow("Draft Only")
    assert draft is not None and not draft.published and draft.has_draft


def test_defaults_fill_what_a_workflow_leaves_out(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[workflows.Minimal]\n[[workflows.Minimal.steps]]\nname = "Only"\n')
    scenario = load_scenario(path)
    assert scenario.workflows == (
        WorkflowScript("Minimal", queue_time=0.05, steps=(StepScript("Only"),)),
    )
    assert scenario.workflows[0].display_name == "Minimal"
    assert scenario.environment is None and scenario.token_lifetime is None


def test_auth_table_is_read_for_standalone_use(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[auth]\nenvironment = "qa"\ntoken_lifetime = "90s"\napi_keys = ["a"]\n'
        'readonly_keys = ["r"]\n[auth.users]\nbob = "pw"\n'
    )
    scenario = load_scenario(path)
    assert (scenario.environment, scenario.token_lifetime) == ("qa", 90.0)
    assert (scenario.api_keys, scenario.readonly_keys) == (("a",), ("r",))
    assert dict(scenario.users) == {"bob": "pw"}
    assert "pw" not in repr(scenario)


BAD = [
    # (file text, expected key, expected words in the message)
    (
        '[workflows."Workflow 3"]\n[[workflows."Workflow 3".steps]]\nname = "A"\n'
        '[[workflows."Workflow 3".steps]]\nname = "B"\nrowsOut = -5\n',
        'workflows."Workflow 3".steps[1].rowsOut',
        "must be at least 0",
    ),
    ('[workflows.W]\nduraton = "2s"\n', "workflows.W.duraton", "did you mean 'duration'?"),
    ("[workflow.W]\n", "workflow", "did you mean 'workflows'?"),
    ("[workflows.W]\nduration = 2\n", "workflows.W.duration", "must be a duration string"),
    ('[workflows.W]\nduration = "2 weeks"\n', "workflows.W.duration", "cannot read"),
    ('[workflows.W]\noutcome = "FAILED"\n', "workflows.W.error", "needs an error message"),
    ('[workflows.W]\noutcome = "ABORTED"\n', "workflows.W.outcome", "use one of"),
    ('[workflows.W]\nerror = "x"\n', "workflows.W.error", "only a FAILED workflow"),
    ('[workflows.W]\npublished = "yes"\n', "workflows.W.published", "true or false"),
    (
        '[workflows.W]\n[[workflows.W.steps]]\ntype = "SOURCE"\n',
        "workflows.W.steps[0].name",
        "needs a name",
    ),
    (
        '[workflows.W]\n[[workflows.W.steps]]\nname = "A"\nrowsout = 1\n',
        "workflows.W.steps[0].rowsout",
        "did you mean 'rowsOut'?",
    ),
    (
        '[workflows.W]\n[[workflows.W.steps]]\nname = "A"\npassedRows = 1.5\n',
        "workflows.W.steps[0].passedRows",
        "must be an integer",
    ),
    (
        '[workflows.W]\n[[workflows.W.steps]]\nname = "A"\n[[workflows.W.steps]]\nname = "A"\n',
        "workflows.W.steps[1].name",
        "used twice",
    ),
    ('[workflows.W]\nsteps = "none"\n', "workflows.W.steps", "array of tables"),
    ('[workflows.W]\nparameters = "region"\n', "workflows.W.parameters", "array of strings"),
    ("[workflows.W]\nsources = [1]\n", "workflows.W.sources[0]", "must be a string"),
    ('[auth]\ntoken_lifetime = "0s"\n', "auth.token_lifetime", "must be more than 0s"),
    ('[auth]\napi_keys = "k"\n', "auth.api_keys", "must be an array of strings"),
    ("workflows = 3\n", "workflows", "must be a table"),
    ('[auth]\napi_keys = ["k", ""]\n', "auth.api_keys[1]", "must not be empty"),
    ('[workflows." W "]\n', 'workflows." W "', "leading or trailing spaces"),
    # a credential anywhere but [auth] is refused as one, as in plans.toml
    ('[workflows.W]\napi_key = "k-123"\n', "workflows.W.api_key", "credentials go only in [auth]"),
    ('password = "pw"\n', "password", "credentials go only in [auth]"),
    ('[auth]\nApiKey = "k-123"\n', "auth.ApiKey", "credentials go only in [auth]"),
    ('[[outages]]\nkind = "503"\ntoken = "t"\n', "outages[0].token", "go only in [auth]"),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_scenario_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    path = tmp_path / "workflows.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: ")
    assert words in message
    assert info.value.key == key and info.value.fix


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[workflows.W\n")
    with pytest.raises(
        PlanError, match=r"broken\.toml: line 1, column \d+: .*; fix the TOML"
    ) as info:
        load_scenario(path)
    assert "\n" not in str(info.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"nowhere\.toml: file not found; check the path"):
        load_scenario(tmp_path / "nowhere.toml")


def test_scripts_refuse_impossible_values_in_code() -> None:
    with pytest.raises(ValueError, match="outcome"):
        WorkflowScript("W", outcome="DONE")
    with pytest.raises(ValueError, match="≥ 0"):
        WorkflowScript("W", duration=-1.0)


def test_a_scenario_finds_workflows_by_label() -> None:
    scenario = Scenario(workflows=(WorkflowScript("A"), WorkflowScript("B", space="Other")))
    assert scenario.workflow("B") == WorkflowScript("B", space="Other")
    assert scenario.workflow("C") is None
