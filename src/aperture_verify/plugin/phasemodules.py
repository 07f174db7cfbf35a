"""The phase modules, read on the controller before anything is collected or run.

Under xdist the workers collect; a mistake they find there (a module whose
phase the plan does not define, two modules of one phase, a plan phase with no
module) would surface as a worker's traceback after other workflows had run.
So the controller — the only process without xdist — reads the phases
directory's modules itself, without importing them: a module's phase is the
string literal of its ``pytest.mark.phase("...")`` mark or, without one, its
file name (``test_cleanse.py`` → ``cleanse``). Every mistake is one line
naming the file and the fix, raised before the server is contacted.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aperture_verify.common.labels import nfc
from aperture_verify.plan.model import Plan

PHASE_MARK = "phase"


class PhaseModuleError(Exception):
    """A mistake in the phase modules; its message is the one line to show."""


@dataclass(frozen=True)
class PhaseModule:
    path: Path
    phase: str
    by_mark: bool  # the phase comes from a mark (else from the file name)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _mark_phases(path: Path, root: Path) -> list[str]:
    """The phases named by ``*.mark.phase(...)`` calls anywhere in the module."""
    shown = _shown(path, root)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as e:
        raise PhaseModuleError(
            f"{shown}: line {e.lineno}: {e.msg}; fix the module's syntax"
        ) from None
    except (OSError, ValueError) as e:
        raise PhaseModuleError(f"{shown}: cannot be read ({e}); fix or remove it") from None
    found: list[str] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == PHASE_MARK
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "mark"
        ):
            continue
        args = node.args
        if (
            len(args) != 1
            or not isinstance(args[0], ast.Constant)
            or not isinstance(args[0].value, str)
        ):
            raise PhaseModuleError(
                f"{shown}: line {node.lineno}: the phase mark must name one phase as a "
                'string literal; write pytestmark = pytest.mark.phase("<phase>")'
            )
        found.append(args[0].value)
    return found


def _is_test_file(path: Path, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path.name, p) for p in patterns)


def _candidates(phases_dir: Path, patterns: Sequence[str]) -> Iterable[Path]:
    for path in sorted(phases_dir.rglob("*.py")):
        rel = path.relative_to(phases_dir).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel[:-1]):
            continue
        if _is_test_file(path, patterns):
            yield path


def scan(
    phases_dir: Path, root: Path, patterns: Sequence[str] = ("test_*.py",)
) -> list[PhaseModule]:
    """Every phase module under *phases_dir*: marked, or ``test_<phase>.py`` directly in it."""
    modules: list[PhaseModule] = []
    if not phases_dir.is_dir():
        return modules
    for path in _candidates(phases_dir, patterns):
        marks = list(dict.fromkeys(nfc(m) for m in _mark_phases(path, root)))  # as the plan
        if len(marks) > 1:
            raise PhaseModuleError(
                f"{_shown(path, root)}: marked with phases {', '.join(map(repr, marks))}; "
                "a module belongs to one phase: split it into one module per phase"
            )
        if marks:
            modules.append(PhaseModule(path, marks[0], by_mark=True))
        elif path.parent == phases_dir and path.name.startswith("test_"):
            modules.append(PhaseModule(path, nfc(path.stem[len("test_") :]), by_mark=False))
    return modules


def check(
    modules: Sequence[PhaseModule],
    plan: Plan,
    root: Path,
    phases_dir: Path,
    *,
    whole_plan: bool,
) -> None:
    """Refuse the phase-module mistakes; *whole_plan*: every plan phase needs a module."""
    owner: dict[str, PhaseModule] = {}
    for module in modules:
        shown = _shown(module.path, root)
        if module.phase not in plan.defined_phases:
            how = "its phase mark names" if module.by_mark else "its file name gives"
            fix = (
                "fix the mark"
                if module.by_mark
                else 'rename it test_<phase>.py or mark it: pytestmark = pytest.mark.phase("...")'
            )
            raise PhaseModuleError(
                f"{shown}: {how} phase '{module.phase}', which {plan.source.name} does not "
                f"define; add [phases.{module.phase}] to {plan.source.name} or {fix}"
            )
        first = owner.get(module.phase)
        if first is not None:
            raise PhaseModuleError(
                f"{shown}: phase '{module.phase}' already has the module "
                f"{_shown(first.path, root)}; one module per phase: merge the two or fix "
                "the phase mark"
            )
        owner[module.phase] = module
    if not whole_plan:
        return
    for phase in plan.phases:
        if phase.name not in owner:
            raise PhaseModuleError(
                f"{plan.source.name}: plans.{plan.name}.phases: phase '{phase.name}' has no "
                f"module; create {_shown(phases_dir, root)}/test_{phase.name}.py "
                "(see the other phase modules)"
            )
