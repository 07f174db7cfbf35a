"""The package's shape, as docs/architecture.md states it.

Every import counts, including those inside functions: the layers are a
stack (each imports only the layers listed above it), no module imports
itself through a chain of others, only the plugin's settings module reads a
pytest option, and no module grows past 600 lines (a module is cut by
concept; nor any module of the tests, the benchmark or the phase modules).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "aperture_verify"

# docs/development.md's order: a layer may import the layers before it, never those after.
LAYERS = (
    "errors",
    "common",
    "history",
    "client",
    "plan",
    "execution",
    "reporting",
    "notify",
    "emulator",
    "plugin",
    "doctor",
)
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = ["aperture_verify", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> Iterator[tuple[str, int]]:
    """Every module of the package that *name* imports, with the line, wherever the import is."""
    path = MODULES[name]
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # "from pkg import sub" imports the submodule when there is one
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("aperture_verify") and target != name:
                yield target, node.lineno


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_layers_are_the_readme_s_folders() -> None:
    found = {layer_of(m) for m in MODULES} - {None}
    assert found == set(LAYERS), "update LAYERS and docs/development.md's layout together"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_layers_above_its_own(name: str) -> None:
    own = layer_of(name)
    if own is None:  # the package root: the public names, imported lazily
        return
    wrong = [
        f"line {line}: {target}"
        for target, line in imports_of(name)
        if layer_of(target) is None or LAYERS.index(layer_of(target) or "") > LAYERS.index(own)
    ]
    assert not wrong, f"{name} ({own}) imports a layer below it: {wrong}"


def test_no_import_cycle() -> None:
    graph = {name: sorted({t for t, _ in imports_of(name)}) for name in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in graph:
        if start not in state and (cycle := visit(start)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_checks_see_imports_inside_functions() -> None:
    """The graph must include a lazy import, or a cycle could hide behind one."""
    lazy = [
        (name, target)
        for name in MODULES
        for target, line in imports_of(name)
        if layer_of(name) is None  # the root's __getattr__ imports the plugin lazily
    ]
    assert any(layer_of(target) == "plugin" for _, target in lazy), lazy


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_600_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines: split it by concern"


#: The one module that reads pytest's options (``settings.resolve``); the others get a
#: ``RunSettings``.
SETTINGS_MODULE = "aperture_verify.plugin.settings"
OPTION_READERS = {"getoption", "getini", "getvalue", "option"}


def option_reads(name: str) -> list[str]:
    """``x.getoption(...)``, ``x.getini(...)``, ``x.getvalue(...)``, ``x.option.y`` in *name*."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in OPTION_READERS
    ]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_settings_module_reads_pytest_options(name: str) -> None:
    if name == SETTINGS_MODULE:
        assert option_reads(name), "the settings module is where the options are read"
        return
    found = option_reads(name)
    assert not found, f"{name} reads pytest options ({found}): resolve them in settings.py"


ROOT = PACKAGE.parents[1]
OTHER_CODE = [
    *sorted(
        p
        for folder in ("tests", "bench", "test_phases")
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    ),
    ROOT / "conftest.py",
]


@pytest.mark.parametrize("path", OTHER_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_or_bench_module_over_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines: split it by concern"


def emulator_calls(path: Path) -> list[int]:
    """The lines of *path* that construct an ``Emulator``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Emulator")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Emulator")
        )
    ]


def test_only_the_emulator_fixtures_make_an_emulator_in_the_tests() -> None:
    tests = ROOT / "tests"
    makers = {
        str(p.relative_to(ROOT)): lines
        for p in sorted(tests.rglob("*.py"))
        if "__pycache__" not in p.parts and (lines := emulator_calls(p))
    }
    assert makers == {"tests/conftest.py": makers.get("tests/conftest.py", [])}, (
        f"{makers}: take the emulator or emulator_factory fixture (tests/conftest.py)"
    )
    assert makers["tests/conftest.py"], "the fixtures make it"
