"""Which phase a collected test belongs to, the run order, and the barrier items.

A *phase module* is a test module in the phases directory (``test_phases/``).
Its phase is given by ``pytestmark = pytest.mark.phase("cleanse")`` or, when
that is absent, by its file name (``test_cleanse.py`` → ``cleanse``). Tests
that take the ``workflow`` fixture are the phase's workflow tests (stage 0);
the module's other tests are phase checks (stage 1), run after the phase's
workflows have ended.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from aperture_verify.common.labels import nfc
from aperture_verify.plan.model import Plan, WorkflowSpec

WORKFLOW_FIXTURE = "workflow"
PHASE_MARK = "phase"
WORKFLOW_STAGE = 0
CHECK_STAGE = 1


def phase_of_module(path: Path, marker_phase: str | None, phases_dir: Path) -> str | None:
    """The phase a module belongs to, or None when it is not a phase module."""
    # in NFC, as the plan's phases: a file system may keep "test_prüfen.py" decomposed
    if marker_phase is not None:
        return nfc(marker_phase)
    if phases_dir == path.parent and path.name.startswith("test_") and path.suffix == ".py":
        return nfc(path.stem[len("test_") :])
    return None


def phase_of_item(item: pytest.Item, phases_dir: Path) -> str | None:
    """The phase of a workflow test is its workflow's; other tests take their module's."""
    spec = getattr(item, "callspec", None)
    workflow = spec.params.get(WORKFLOW_FIXTURE) if spec is not None else None
    if isinstance(workflow, WorkflowSpec):
        return workflow.phase
    mark = item.get_closest_marker(PHASE_MARK)
    marker_phase = str(mark.args[0]) if mark is not None and mark.args else None
    return phase_of_module(item.path, marker_phase, phases_dir)


def workflows_of_module(
    metafunc: pytest.Metafunc, plan: Plan, phases_dir: Path, adhoc_module: Path
) -> Sequence[WorkflowSpec] | None:
    """The workflows a module's workflow test runs (``None``: not a phase module).

    The ad-hoc plan's one module holds every phase; a phase module holds its
    phase's workflows, none when the phase is not in the plan being run.
    """
    path = metafunc.definition.path
    if path.resolve() == adhoc_module.resolve():
        return plan.workflows
    mark = metafunc.definition.get_closest_marker(PHASE_MARK)
    marker_phase = str(mark.args[0]) if mark is not None and mark.args else None
    phase = phase_of_module(path, marker_phase, phases_dir)
    if phase is None:
        return None
    if phase not in plan.defined_phases:
        raise pytest.UsageError(
            f"{path.name}: phase '{phase}' is not defined in {plan.source.name}; "
            f"add [phases.{phase}] there or fix the module's phase mark"
        )
    return plan.phase(phase).workflows if phase in {p.name for p in plan.phases} else ()


def workflow_label(item: pytest.Item) -> str | None:
    """The label of the workflow a test runs, from its parameter (never from its node id,
    which pytest may shorten or number)."""
    spec = getattr(item, "callspec", None)
    if spec is None or WORKFLOW_FIXTURE not in spec.params:
        return None
    return str(spec.params[WORKFLOW_FIXTURE].label)


def is_selected(
    item: pytest.Item, labels: Collection[str], phases: Collection[str], pdir: Path
) -> bool:
    """A workflow test runs when its workflow is selected; a phase check when a selected
    workflow of its phase runs; other tests are left alone."""
    spec = getattr(item, "callspec", None)
    workflow = spec.params.get(WORKFLOW_FIXTURE) if spec is not None else None
    if isinstance(workflow, WorkflowSpec):
        return workflow.label in labels
    phase = phase_of_item(item, pdir)
    return phase is None or phase in phases


def stage_of_item(item: pytest.Item) -> int:
    names = getattr(item, "fixturenames", ())
    return WORKFLOW_STAGE if WORKFLOW_FIXTURE in names else CHECK_STAGE


class PhaseBarrier(pytest.Item):
    """A no-op item an xdist worker holds as its "next" item between phases.

    It is collected only under xdist, runs without producing any report, and
    so never shows in the terminal, the HTML or the JUnit output.
    """

    def runtest(self) -> None:
        pass

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name


def add_barriers(items: list[pytest.Item]) -> dict[int, int]:
    """Append one barrier per module of *items*; map item index → barrier index."""
    barrier_of_parent: dict[int, int] = {}
    mapping: dict[int, int] = {}
    originals = list(items)
    for index, item in enumerate(originals):
        parent = item.parent
        assert parent is not None
        module = item.getparent(pytest.Module) or parent
        key = id(module)
        if key not in barrier_of_parent:
            barrier = PhaseBarrier.from_parent(module, name="phase-barrier")
            barrier_of_parent[key] = len(items)
            items.append(barrier)
        mapping[index] = barrier_of_parent[key]
    return mapping
