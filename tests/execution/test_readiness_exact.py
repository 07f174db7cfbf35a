"""Readiness messages compared whole, and the preflight's skip reason."""

from __future__ import annotations

from aperture_verify.client.models import Workflow
from aperture_verify.execution.readiness import not_ready, preflight_reason, readiness_problem
from aperture_verify.plan.model import WorkflowSpec


def listed(label: str, space: str = "Demo", **kw: object) -> Workflow:
    values: dict[str, object] = {"name": label, "space": space, "published": True}
    values["has_draft"] = False
    values.update(kw)
    return Workflow(label, **values)  # type: ignore[arg-type]


def spec(label: str, **kw: object) -> WorkflowSpec:
    return WorkflowSpec(label, phase="p", space="Demo", **kw)  # type: ignore[arg-type]


CATALOG = [
    listed("Wö1", sources=frozenset({"Load", "Extra"}), parameters=frozenset()),
    listed("Elsewhere", space="Zeta"),
    listed("Elsewhere", space="Alpha"),
    listed("Draft", published=False, has_draft=True),
    listed("Wö1", space="Other", published=False),
]


def test_a_workflow_in_other_spaces_names_them_sorted() -> None:
    assert readiness_problem(spec("Elsewhere"), CATALOG) == (
        "no workflow with external label 'Elsewhere' in space 'Demo'; it exists in space(s) "
        "Alpha, Zeta; set space in plans.toml"
    )


def test_a_workflow_nowhere_says_where_to_look() -> None:
    assert readiness_problem(spec("Nowhere"), CATALOG) == (
        "no workflow with external label 'Nowhere' in space 'Demo'; check the external label "
        "in Data Studio and in plans.toml"
    )


def test_published_only_needs_a_published_version() -> None:
    assert readiness_problem(spec("Draft", version="PublishedOnly"), CATALOG) == (
        "workflow 'Draft' has no published version and the plan asks for "
        'version = "PublishedOnly"; publish it or set version = "PreferDraft"'
    )
    assert readiness_problem(spec("Draft", version="PreferDraft"), CATALOG) is None
    assert readiness_problem(spec("Wö1", version="PublishedOnly"), CATALOG) is None


def test_unknown_sources_are_all_named_and_an_empty_list_is_none() -> None:
    s = spec("Wö1", sources=(("Lod", "x"), ("Load", "y"), ("Xtra", "z")))
    assert readiness_problem(s, CATALOG) == (
        "workflow 'Wö1' has no Source step 'Lod', 'Xtra' (the server lists: 'Extra', 'Load'); "
        "fix sources of this workflow in plans.toml"
    )
    p = spec("Wö1", parameters=(("year", 2026),))
    assert readiness_problem(p, CATALOG) == (
        "workflow 'Wö1' has no parameter 'year' (the server lists: none); "
        "fix parameters of this workflow in plans.toml"
    )


def test_the_preflight_and_its_reason() -> None:
    specs = [spec("Wö1"), spec("Nowhere"), spec("Draft", version="PublishedOnly"), spec("Draft")]
    found = not_ready(specs, CATALOG)
    assert list(found) == ["Nowhere", "Draft"]
    assert preflight_reason(found) == (
        f"preflight failed: Nowhere: {found['Nowhere']} (and 1 more not ready: Draft)"
    )
    three = {"A": "gone", "B": "x", "C": "y"}
    assert preflight_reason(three) == "preflight failed: A: gone (and 2 more not ready: B, C)"
    assert preflight_reason({"A": "gone"}) == "preflight failed: A: gone"
