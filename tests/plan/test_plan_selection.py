"""The list syntax of --run/--phases/--workflows, selecting part of a plan, the fingerprint."""

from __future__ import annotations

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.fingerprint import plan_fingerprint
from aperture_verify.plan.selection import parse_chain, parse_labels, select

PLAN = """
[server]
url = "https://ads.example.com"
[plans.main]
phases = ["ingest", "cleanse", "enrich"]
[phases.ingest]
workflows = ["W1"]
[phases.cleanse]
workflows = ["W2", "W3"]
[phases.enrich]
workflows = ["W4"]
"""


def test_a_chain_is_phases_of_labels() -> None:
    assert parse_chain("Workflow 1; Workflow 2, Workflow 3 ;Workflow 4", "--run") == (
        ("Workflow 1",),
        ("Workflow 2", "Workflow 3"),
        ("Workflow 4",),
    )


def test_quoted_labels_may_hold_separators_and_quotes() -> None:
    chain = ' "A, B"; \'C; D\', "say ""hi""", \'it\'\'s\', Müller, 日本語 '
    assert parse_chain(chain, "--run") == (
        ("A, B",),
        ("C; D", 'say "hi"', "it's", "Müller", "日本語"),
    )
    assert parse_labels('"x,y", z', "--workflows") == ("x,y", "z")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty label"),
        ("A;;B", "empty label"),
        ("A,", "empty label"),
        ('"A', "is not closed"),
        ('"A" B', "unexpected 'B' after the quoted label 'A'"),
        ("A; B, A", "'A' is listed twice (phases 1 and 2)"),
        ("A\x07", "control character"),
        ('" A"', "leading or trailing spaces"),
    ],
)
def test_a_malformed_chain_is_one_line(text: str, problem: str) -> None:
    with pytest.raises(PlanError) as err:
        parse_chain(text, "--run")
    message = str(err.value)
    assert message.startswith("--run: ") and problem in message and "\n" not in message


def test_a_semicolon_is_a_label_character_outside_run() -> None:
    assert parse_labels("a;b, c", "--workflows") == ("a;b", "c")


def test_selection_narrows_and_keeps_the_plan_order() -> None:
    plan = load_plan_text(PLAN)
    sel = select(plan, phases=("enrich, ingest", "--phases"))
    assert sel.phases == ("ingest", "enrich") and sel.labels == {"W1", "W4"}
    sel = select(plan, from_phase=("cleanse", "--from-phase"), workflows=("W3,W4", "--workflows"))
    assert sel.labels == {"W3", "W4"} and sel.widest_phase == 1
    assert sel.describe_deselected() == "ingest (all 1); cleanse (W2)"
    assert select(plan).is_whole_plan


def test_fingerprint_follows_workflows_and_expectations_only() -> None:
    base = plan_fingerprint(load_plan_text(PLAN))
    assert base == plan_fingerprint(load_plan_text(PLAN))
    assert base.startswith("sha256:") and len(base) == len("sha256:") + 16
    same = PLAN.replace("[plans.main]", '[plans.main]\nmax_parallel = 2\non_failure = "continue"')
    assert plan_fingerprint(load_plan_text(same)) == base
    limits = PLAN + '[defaults]\nmax_duration = "10m"\n'
    moved = PLAN.replace('workflows = ["W2", "W3"]', 'workflows = ["W3", "W2"]')
    step = PLAN + '[workflows.W2]\nsteps."Export" = { rowsOut = { min = 1 } }\n'
    for changed in (limits, moved, step):
        assert plan_fingerprint(load_plan_text(changed)) != base


def test_an_adhoc_plan_from_the_file_defaults_and_tables() -> None:
    text = PLAN + '[defaults]\nmax_duration = "2m"\n[workflows.W3]\nmax_duration = "5m"\n'
    plan = load_plan_text(text, adhoc=(("W3",), ("New one", "W1")))
    assert plan.name == "adhoc"
    assert [p.name for p in plan.phases] == ["phase-1", "phase-2"]
    assert [w.max_duration for w in plan.workflows] == [300.0, 120.0, 120.0]
    assert plan.max_parallel == 2 and plan.on_failure == "stop"


# -- labels compared in NFC ---------------------------------------------------------

NFC_LABEL = "Adressen pr\u00fcfen"
NFD_LABEL = "Adressen pru\u0308fen"
UMLAUT_PLAN = """
[server]
url = "https://ads.example.com"
[plans."n\u00e4chtlich"]
phases = ["pr\u00fcfen", "bericht"]
[phases."pru\u0308fen"]
workflows = ["Adressen pru\u0308fen"]
[phases.bericht]
workflows = ["Bericht"]
[workflows."Adressen pr\u00fcfen"]
max_duration = "5m"
"""


def test_labels_in_plans_toml_are_matched_in_nfc() -> None:
    """A phase table and a label written decomposed, the list and the table composed."""
    plan = load_plan_text(UMLAUT_PLAN, plan_name="na\u0308chtlich")
    assert plan.name == "n\u00e4chtlich"
    assert [p.name for p in plan.phases] == ["pr\u00fcfen", "bericht"]
    (spec, _) = plan.workflows
    assert spec.label == NFC_LABEL and spec.max_duration == 300.0


@pytest.mark.parametrize("typed", [NFC_LABEL, NFD_LABEL])
def test_selection_flags_match_a_label_typed_in_either_form(typed: str) -> None:
    plan = load_plan_text(UMLAUT_PLAN)
    assert select(plan, workflows=(typed, "--workflows")).labels == {NFC_LABEL}
    assert select(plan, phases=(typed.split()[1], "--phases")).labels == {NFC_LABEL}
    assert select(plan, to_phase=("pru\u0308fen", "--to-phase")).labels == {NFC_LABEL}


def test_a_label_that_only_looks_alike_is_told_apart_by_code_point() -> None:
    plan = load_plan_text(UMLAUT_PLAN)
    with pytest.raises(PlanError) as err:
        select(plan, workflows=("B\u0435richt", "--workflows"))  # a Cyrillic "e"
    assert str(err.value) == (
        "--workflows: no workflow 'B\u0435richt' in plan 'n\u00e4chtlich'; did you mean "
        "'Bericht'? (the text given has U+0435 CYRILLIC SMALL LETTER IE where it has U+0065 "
        "LATIN SMALL LETTER E) use one of: 'Adressen pr\u00fcfen', 'Bericht'"
    )


def test_two_tables_for_one_label_in_two_unicode_forms_are_refused() -> None:
    text = UMLAUT_PLAN + '[workflows."Adressen pru\u0308fen"]\nmin_duration = "1s"\n'
    with pytest.raises(PlanError) as err:
        load_plan_text(text)
    assert str(err.value) == (
        'plans.toml: workflows."Adressen pru\u0308fen": a second table for the same workflow '
        "(the two labels differ only in how their accented letters are encoded, NFC or NFD); "
        "merge the two tables into one"
    )
