"""The list syntax and the selection, compared whole: every message is the full line a user
reads, with the character it points at; the fingerprint is pinned to its value."""

from __future__ import annotations

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.fingerprint import plan_fingerprint
from aperture_verify.plan.selection import Selection, parse_chain, parse_labels, select

RUN_FIX = (
    'separate labels with "," and phases with ";", quote a label holding one: '
    '--run "Workflow 1; \\"A, B\\", Workflow 3"'
)
LABELS_FIX = 'separate labels with ",", quote a label holding one: "\\"A, B\\", C"'
PLAN = load_plan_text(
    """
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
)


def refusal(call: object) -> str:
    assert callable(call)
    with pytest.raises(PlanError) as caught:
        call()
    assert caught.value.key == ""  # an option's mistake, no plans.toml key
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "option", "message"),
    [
        ("A; B, A", "--run", "--run: workflow 'A' is listed twice (phases 1 and 2); a workflow "
                             "runs once per plan; remove one"),
        ('A; "B', "--run", f'--run: the quote " at character 4 is not closed; {RUN_FIX}'),
        ('"A" B', "--run", f"--run: unexpected 'B' after the quoted label 'A' at character 5; "
                           f"{RUN_FIX}"),
        ("A;", "--run", f"--run: empty label, or one with leading or trailing spaces, at "
                        f"character 3 of 'A;'; {RUN_FIX}"),
        ("' x '", "--run", f"--run: empty label, or one with leading or trailing spaces, at "
                           f"character 1 of \"' x '\"; {RUN_FIX}"),
    ],
)  # fmt: skip
def test_a_chain_s_mistakes_are_whole_lines(text: str, option: str, message: str) -> None:
    assert refusal(lambda: parse_chain(text, option)) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A, B, A", "--workflows: 'A' is listed twice; remove one"),
        ("'B", f"--workflows: the quote ' at character 1 is not closed; {LABELS_FIX}"),
        ("A,,B", f"--workflows: empty label, or one with leading or trailing spaces, at "
                 f"character 3 of 'A,,B'; {LABELS_FIX}"),
        ("A\x07", f"--workflows: label 'A\\x07' holds a control character; {LABELS_FIX}"),
        ("A, B;C, 'x' y", f"--workflows: unexpected 'y' after the quoted label 'x' at character "
                          f"13; {LABELS_FIX}"),
    ],
)  # fmt: skip
def test_a_list_s_mistakes_are_whole_lines(text: str, message: str) -> None:
    assert refusal(lambda: parse_labels(text, "--workflows")) == message


def test_quotes_spaces_and_separators() -> None:
    chain = ' \'it\'\'s\' ,"say ""hi""" ; B;C  ,  "D; E"  '
    assert parse_chain(chain, "--run") == (("it's", 'say "hi"'), ("B",), ("C", "D; E"))
    assert parse_chain("A", "--run") == (("A",),)
    assert parse_labels("  A ;B ,  'C,D'", "--workflows") == ("A ;B", "C,D")
    assert parse_labels("''''", "--workflows") == ("'",)
    assert parse_labels("'a'  ,b", "--workflows") == ("a", "b")
    assert parse_labels("WX1, XX", "--workflows") == ("WX1", "XX")
    assert parse_chain("A;B,C;D", "--run") == (("A",), ("B", "C"), ("D",))


def test_a_label_repeated_in_one_phase_names_that_phase_twice() -> None:
    assert refusal(lambda: parse_chain("X; A, A", "--run")) == (
        "--run: workflow 'A' is listed twice (phases 2 and 2); a workflow runs once per plan; "
        "remove one"
    )


def test_unknown_names_are_whole_lines() -> None:
    assert refusal(lambda: select(PLAN, workflows=("W9", "--workflows"))) == (
        "--workflows: no workflow 'W9' in plan 'main'; use one of: 'W1', 'W2', 'W3', 'W4', 'Wö5'"
    )
    assert refusal(lambda: select(PLAN, phases=("ingest, nope", "--phases"))) == (
        "--phases: no phase 'nope' in plan 'main'; "
        "use one of: 'ingest', 'cleanse', 'enrich', 'publish'"
    )
    left_out = refusal(
        lambda: select(
            PLAN,
            phases=("cleanse", "--phases"),
            to_phase=("cleanse", "--to-phase"),
            workflows=("W4", "--workflows"),
        )
    )
    assert left_out == (
        "--workflows: workflow 'W4' is in phase 'enrich', which --phases cleanse and --to-phase "
        "cleanse leaves out; widen the phase selection or drop the workflow"
    )


def test_a_selection_s_views() -> None:
    sel = select(PLAN, phases=("publish, cleanse", "--phases"))
    assert sel.labels == {"W2", "W3", "Wö5"} and not sel.is_whole_plan
    assert [w.label for w in sel.workflows] == ["W2", "W3", "Wö5"]
    assert [w.label for w in sel.deselected] == ["W1", "W4"]
    assert sel.phases == ("cleanse", "publish")
    assert sel.widest_phase == 2
    assert sel.describe_deselected() == "ingest (all 1); enrich (all 1)"
    one = select(PLAN, workflows=("W3", "--workflows"))
    assert one.widest_phase == 1
    assert one.describe_deselected() == (
        "ingest (all 1); cleanse (W2); enrich (all 1); publish (all 1)"
    )
    whole = Selection.everything(PLAN)
    assert whole.is_whole_plan and whole.deselected == () and whole.reasons == ()
    assert whole.describe_deselected() == ""
    assert Selection(PLAN, frozenset()).widest_phase == 0


def test_the_fingerprint_is_stable_across_versions() -> None:
    # A results.json written by an earlier release must resume under this one: the value
    # is pinned (sorted keys, compact separators, UTF-8 text, the first 16 hex digits).
    assert plan_fingerprint(PLAN) == "sha256:a050f7e19e55f7c8"


def test_each_option_s_own_mistakes_name_that_option() -> None:
    assert refusal(lambda: select(PLAN, workflows=("W1,,W2", "--workflows"))).startswith(
        "--workflows: empty label"
    )
    assert refusal(lambda: select(PLAN, phases=("ingest,,enrich", "--phases"))).startswith(
        "--phases: empty label"
    )
    assert refusal(lambda: select(PLAN, from_phase=("nope", "--from-phase"))) == (
        "--from-phase: no phase 'nope' in plan 'main'; "
        "use one of: 'ingest', 'cleanse', 'enrich', 'publish'"
    )
    assert refusal(lambda: parse_labels("'a''", "--workflows")) == (
        f"--workflows: the quote ' at character 1 is not closed; {LABELS_FIX}"
    )


def test_a_phase_partly_left_out_lists_each_label_left_out() -> None:
    plan = load_plan_text(
        '[server]\nurl = "https://ads.example.com"\n[plans.main]\nphases = ["p"]\n'
        '[phases.p]\nworkflows = ["A", "B", "C"]\n'
    )
    sel = select(plan, workflows=("B", "--workflows"))
    assert sel.describe_deselected() == "p (A, C)"
