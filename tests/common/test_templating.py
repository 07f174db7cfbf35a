"""The templates' bytecode cache: a template compiles once, and a cache that fails
costs only the compile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader

from aperture_verify.common import templating


def _environment(cache: Any) -> Environment:
    return Environment(
        loader=PackageLoader("aperture_verify", "templates"),
        autoescape=True,
        bytecode_cache=cache,
    )


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: Any, name: Any = None, *a: Any, **k: Any) -> Any:
        compiled.append(str(name))
        return original(self, source, name, *a, **k)

    monkeypatch.setattr(Environment, "compile", counting)
    return compiled


TEMPLATES = ("history.html.jinja", "summary.html.jinja")


def test_a_template_compiles_once_then_loads_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _count_compiles(monkeypatch)
    for name in TEMPLATES:
        _environment(templating.bytecode_cache(str(tmp_path))).get_template(name)
    assert compiled == list(TEMPLATES)
    assert len(list(tmp_path.glob("__jinja2_*.cache"))) == len(TEMPLATES)
    for name in TEMPLATES:  # a new process: a new environment, the same cache
        _environment(templating.bytecode_cache(str(tmp_path))).get_template(name)
    assert compiled == list(TEMPLATES)


def test_a_cache_that_cannot_be_written_or_read_costs_only_the_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _count_compiles(monkeypatch)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    for _ in range(2):
        env = _environment(templating.bytecode_cache(str(not_a_folder)))
        template = env.get_template("sparkline.svg.jinja")
        assert template.render(points=[], width=10, height=5).lstrip().startswith("<svg")
    assert compiled == ["sparkline.svg.jinja"] * 2


def test_no_safe_cache_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsafe(self: FileSystemBytecodeCache) -> str:
        raise RuntimeError("Cannot determine safe temp directory.")

    monkeypatch.setattr(FileSystemBytecodeCache, "_get_default_cache_dir", unsafe)
    assert templating.bytecode_cache() is None


def test_the_environment_uses_the_private_cache_folder() -> None:
    cache = templating.environment().bytecode_cache
    assert isinstance(cache, templating.QuietBytecodeCache)
    assert Path(cache.directory).name.startswith("_jinja2-cache")
