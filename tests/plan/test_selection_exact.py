"""--from-phase/--to-phase/--phases/--workflows select exactly the phases named, ends included."""

from __future__ import annotations

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.model import Plan
from aperture_verify.plan.selection import select

PLAN = """
[server]
url = "https://ads.example.com"
[plans.main]
phases = ["ingest", "cleanse", "enrich", "publish"]
[phases.ingest]
workflows = ["W1"]
[phases.cleanse]
workflows = ["W2", "W3"]
[phases.enrich]
workflows = ["W4"]
[phases.publish]
workflows = ["Wö5"]
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan_text(PLAN)


@pytest.mark.parametrize(
    ("first", "last", "labels"),
    [
        (None, "ingest", {"W1"}),
        (None, "cleanse", {"W1", "W2", "W3"}),
        (None, "publish", {"W1", "W2", "W3", "W4", "Wö5"}),
        ("cleanse", "enrich", {"W2", "W3", "W4"}),
        ("enrich", "enrich", {"W4"}),
        ("publish", None, {"Wö5"}),
        ("ingest", None, {"W1", "W2", "W3", "W4", "Wö5"}),
    ],
)
def test_from_and_to_phase_include_both_ends(
    plan: Plan, first: str | None, last: str | None, labels: set[str]
) -> None:
    sel = select(
        plan,
        from_phase=None if first is None else (first, "--from-phase"),
        to_phase=None if last is None else (f" {last} ", "--to-phase"),
    )
    assert sel.labels == labels
    assert not sel.is_whole_plan or labels == {"W1", "W2", "W3", "W4", "Wö5"}


def test_the_reason_names_the_options_as_given(plan: Plan) -> None:
    sel = select(plan, from_phase=("cleanse", "--from-phase"), to_phase=("enrich", "--to-phase"))
    assert sel.reasons == ("--from-phase cleanse --to-phase enrich",)
    assert sel.describe_deselected() == "ingest (all 1); publish (all 1)"
    assert sel.phases == ("cleanse", "enrich")


def test_a_from_phase_after_the_to_phase_is_one_line(plan: Plan) -> None:
    with pytest.raises(PlanError) as caught:
        select(plan, from_phase=("enrich", "--from-phase"), to_phase=("cleanse", "--to-phase"))
    assert caught.value.key == ""
    assert str(caught.value) == (
        "--from-phase: phase 'enrich' comes after --to-phase 'cleanse' in plan 'main'; "
        "the plan's order is: 'ingest', 'cleanse', 'enrich', 'publish'"
    )


def test_an_unknown_phase_is_one_line_with_a_suggestion(plan: Plan) -> None:
    with pytest.raises(PlanError) as caught:
        select(plan, to_phase=("enrichh", "--to-phase"))
    message = str(caught.value)
    assert message.startswith("--to-phase: no phase 'enrichh' in plan 'main'")
    assert "'enrich'" in message and "\n" not in message


def test_phases_and_workflows_narrow_each_other(plan: Plan) -> None:
    sel = select(plan, phases=("publish, cleanse", "--phases"), workflows=("W3", "--workflows"))
    assert sel.labels == {"W3"}
    assert sel.reasons == ("--phases publish, cleanse", "--workflows W3")
    with pytest.raises(PlanError) as caught:
        select(plan, from_phase=("cleanse", "--from-phase"), workflows=("W1", "--workflows"))
    assert str(caught.value) == (
        "--workflows: workflow 'W1' is in phase 'ingest', which --from-phase cleanse leaves out;"
        " widen the phase selection or drop the workflow"
    )
