"""The readiness rule, on a catalog as the server lists it (preflight and runner share it)."""

from __future__ import annotations

from aperture_verify.client.models import Workflow
from aperture_verify.execution.readiness import not_ready, readiness_problem
from aperture_verify.plan.model import WorkflowSpec


def listed(label: str, **kw: object) -> Workflow:
    values: dict[str, object] = {"name": label, "space": "Demo", "published": True}
    values["has_draft"] = False
    values.update(kw)
    return Workflow(label, **values)  # type: ignore[arg-type]


def spec(label: str, **kw: object) -> WorkflowSpec:
    return WorkflowSpec(label, phase="p", space="Demo", **kw)  # type: ignore[arg-type]


CATALOG = [
    listed("W1", parameters=frozenset({"region", "year"}), sources=frozenset({"Load"})),
    listed("Unlisted"),  # a server that lists no parameters or sources
    listed("Draft", published=False, has_draft=True),
]


def test_listed_parameter_and_source_names_pass() -> None:
    s = spec("W1", parameters=(("region", "EMEA"),), sources=(("Load", "Customers 2026"),))
    assert readiness_problem(s, CATALOG) is None


def test_a_parameter_the_server_does_not_list_is_named_with_the_ones_it_does() -> None:
    s = spec("W1", parameters=(("regoin", "EMEA"), ("year", 2026)))
    assert readiness_problem(s, CATALOG) == (
        "workflow 'W1' has no parameter 'regoin' (the server lists: 'region', 'year'); "
        "fix parameters of this workflow in plans.toml"
    )


def test_a_source_step_the_server_does_not_list_is_refused() -> None:
    s = spec("W1", sources=(("Load customers", "Customers"),))
    problem = readiness_problem(s, CATALOG)
    assert problem is not None
    assert "has no Source step 'Load customers' (the server lists: 'Load')" in problem
    assert "fix sources of this workflow" in problem


def test_names_are_not_checked_where_the_server_lists_none() -> None:
    s = spec("Unlisted", parameters=(("anything", 1),), sources=(("Any step", "Any set"),))
    assert readiness_problem(s, CATALOG) is None


def test_not_ready_collects_every_problem_by_label() -> None:
    found = not_ready(
        [spec("W1", parameters=(("x", 1),)), spec("Draft"), spec("Missing"), spec("Unlisted")],
        CATALOG,
    )
    assert list(found) == ["W1", "Draft", "Missing"]
    assert "no published version" in found["Draft"]
    assert "no workflow with external label 'Missing'" in found["Missing"]


def test_a_label_the_server_spells_decomposed_is_the_same_workflow() -> None:
    from aperture_verify.execution.readiness import listed_as

    server_spelling = "Adressen pru\u0308fen"  # NFD, as some servers keep what was typed
    catalog = [listed(server_spelling)]
    s = spec("Adressen pr\u00fcfen")  # plans.toml's labels are NFC
    assert readiness_problem(s, catalog) is None
    (found,) = listed_as(s, catalog)
    assert found.label == server_spelling, "the execute must send the server's spelling"


def test_a_label_that_only_looks_like_a_listed_one_names_the_code_points() -> None:
    problem = readiness_problem(spec("W\u04301"), [listed("Wa1")])  # a Cyrillic "a"
    assert problem == (
        "no workflow with external label 'W\u04301' in space 'Demo'; did you mean 'Wa1'? (the "
        "text given has U+0430 CYRILLIC SMALL LETTER A where it has U+0061 LATIN SMALL LETTER "
        "A) check the external label in Data Studio and in plans.toml"
    )
