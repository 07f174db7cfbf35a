"""The documentation holds together: README.md and docs/*.md link to files and
headings that exist, the README fits on a screen, docs/index.md maps every
page, and nothing the code prints sends a reader to a README section.

Anchors follow GitHub's rule for heading ids (github-slugger): the heading's
text, lower-cased, without punctuation, spaces turned into hyphens, a repeated
id suffixed ``-1``, ``-2``...
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 200

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_NOT_IN_SLUG = re.compile(r"[^\w\- ]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, with their 1-based numbers."""
    lines: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """GitHub's id for a heading's text (before duplicates are numbered)."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = _INLINE_LINK_TEXT.sub(lambda m: m.group(1), text)
    text = _HTML_TAG.sub("", text)
    return _NOT_IN_SLUG.sub("", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading id of a Markdown document, duplicates numbered as GitHub does."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in _prose_lines(text):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(pages: list[Path]) -> list[str]:
    """Each relative link of these pages whose file or #anchor does not exist."""
    problems: list[str] = []
    for page in pages:
        for number, line in _prose_lines(page.read_text(encoding="utf-8")):
            prose = _CODE_SPAN.sub("", line)
            for target in _LINK.findall(prose):
                if not target or _SCHEME.match(target):
                    continue
                path_part, _, anchor = target.partition("#")
                linked = (page.parent / path_part).resolve() if path_part else page
                where = f"{page.name}:{number}: {target}"
                if not linked.exists():
                    problems.append(f"{where}: no file {linked}")
                elif anchor and linked.suffix != ".md":
                    problems.append(f"{where}: an anchor into a file that is not Markdown")
                elif anchor and anchor not in anchors(linked.read_text(encoding="utf-8")):
                    problems.append(f"{where}: no heading with the id '{anchor}' in {linked.name}")
    return problems


def _pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def test_every_relative_link_between_the_readme_and_the_docs_resolves() -> None:
    pages = _pages(ROOT)
    assert len(pages) > 5  # the README and the docs pages were found
    assert broken_links(pages) == []


def test_the_link_check_finds_a_missing_page_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Tool\n\n"
        "[ok](docs/run.md#resuming-a-failed-nightly---resume) "
        "[ok too](docs/run.md#größe-über) [again](docs/run.md#options-1)\n"
        "[gone](docs/gone.md) [wrong anchor](docs/run.md#resume)\n"
        "```sh\n[not a link](docs/in-a-code-block.md)\n```\n"
        "`[not a link either](docs/in-a-code-span.md)` [web](https://example.com/x)\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "run.md").write_text(
        "# Run\n\n## Options\n\n## Resuming a failed nightly: `--resume`\n\n"
        "## Größe über\n\n## Options\n\n[up](../README.md#tool) [self](#options)\n",
        encoding="utf-8",
    )
    readme = tmp_path / "README.md"
    assert broken_links(_pages(tmp_path)) == [
        f"README.md:4: docs/gone.md: no file {tmp_path / 'docs' / 'gone.md'}",
        "README.md:4: docs/run.md#resume: no heading with the id 'resume' in run.md",
    ]
    assert readme.exists()


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Resuming a failed nightly: `--resume`", "resuming-a-failed-nightly---resume"),
        ("The emulator's API document", "the-emulators-api-document"),
        ("results.json, version 1", "resultsjson-version-1"),
        ("An ad-hoc plan (`--run`)", "an-ad-hoc-plan---run"),
        ("Größe über [Käse](x.md)", "größe-über-käse"),
        ("`workflow_parameters_field` & co", "workflow_parameters_field--co"),
    ],
)
def test_heading_ids_follow_githubs_rule(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_a_repeated_heading_gets_a_numbered_id() -> None:
    text = "# A\n## Errors\n```\n# Errors (a comment in code)\n```\n## Errors\n## Errors\n"
    assert anchors(text) == {"a", "errors", "errors-1", "errors-2"}


# A path in a code span that starts with one of these names a file of this repository
# (from its root, or inside the package); "archive/*/results.json" in a command does not.
_PROJECT_PATH = re.compile(
    r"^(?:src|tests|bench|demo|docs|test_phases|\.ci|aperture_verify|common|client|plan|"
    r"execution|reporting|emulator|plugin|history|doctor)/[\w./*-]+$"
)
_MODULE = re.compile(r"^aperture_verify(?:\.\w+)+$")


def named_paths(page: Path) -> list[tuple[int, str]]:
    """The project files and modules a page names in code spans, with their lines."""
    return [
        (number, name)
        for number, line in _prose_lines(page.read_text(encoding="utf-8"))
        for name in (m.group(2).strip() for m in _CODE_SPAN.finditer(line))
        if _PROJECT_PATH.match(name) or _MODULE.match(name)
    ]


def missing_paths(page: Path, root: Path) -> list[str]:
    """The project files and modules a page names that do not exist."""
    bases = [root, root / "src", root / "src" / "aperture_verify"]
    return [
        f"{page.name}:{number}: {name}"
        for number, name in named_paths(page)
        if not (
            _module_exists(root / "src", name.split("."))
            if _MODULE.match(name)
            else any(list(b.glob(name)) for b in bases)
        )
    ]


def _module_exists(src: Path, parts: list[str]) -> bool:
    """A dotted name is a module, a package, or a name its parent module mentions."""

    def source(path: Path) -> Path | None:
        for file in (path.with_suffix(".py"), path / "__init__.py"):
            if file.is_file():
                return file
        return None

    if source(src.joinpath(*parts)):
        return True
    parent = source(src.joinpath(*parts[:-1]))
    return (
        parent is not None and re.search(rf"\b{parts[-1]}\b", parent.read_text("utf-8")) is not None
    )


def test_every_file_and_module_the_docs_name_exists() -> None:
    assert sum(len(named_paths(page)) for page in _pages(ROOT)) > 20  # the search finds them
    assert [m for page in _pages(ROOT) for m in missing_paths(page, ROOT)] == []


def test_the_path_check_finds_a_renamed_module(tmp_path: Path) -> None:
    (tmp_path / "src" / "aperture_verify" / "plugin").mkdir(parents=True)
    (tmp_path / "src" / "aperture_verify" / "__init__.py").write_text("", encoding="utf-8")
    plugin_module = tmp_path / "src" / "aperture_verify" / "plugin" / "plugin.py"
    plugin_module.write_text("class X:\n    pass\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "`plugin/plugin.py` `src/aperture_verify/plugin/*.py` `aperture_verify.plugin.plugin.X`\n"
        "`plugin/hooks.py` `aperture_verify.nothing` `archive/*/results.json` `test_x.py`\n",
        encoding="utf-8",
    )
    assert missing_paths(page, tmp_path) == [
        "page.md:2: plugin/hooks.py",
        "page.md:2: aperture_verify.nothing",
    ]


def test_every_make_command_the_docs_give_is_a_makefile_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w.-]+):", makefile, flags=re.M))
    given = {
        (page.name, target)
        for page in _pages(ROOT)
        for target in re.findall(
            r"(?:^\s*|`)make ([a-z][\w-]*)\b", page.read_text("utf-8"), flags=re.M
        )
    }
    assert ("README.md", "demo") in given and ("README.md", "test") in given
    assert sorted(g for g in given if g[1] not in targets) == []


def test_the_readme_fits_on_a_screen() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_docs_index_links_every_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = {Path(target.partition("#")[0]).name for target in _LINK.findall(index)}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert pages - linked == set(), "add the pages to docs/index.md"


def _code_files() -> list[Path]:
    """The text files of the package and the benchmark: what the code prints comes from them."""
    suffixes = {".py", ".toml", ".css", ".html", ".j2", ".jinja", ".txt", ".xsd", ".json"}
    roots = [ROOT / "src" / "aperture_verify", ROOT / "bench"]
    return [p for r in roots for p in sorted(r.rglob("*")) if p.suffix in suffixes and p.is_file()]


def test_no_string_in_the_code_sends_a_reader_to_the_readme() -> None:
    files = _code_files()
    assert any(p.name == "terminal.py" for p in files)  # the package was found
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "readme" in line.lower()
    ]
    assert found == [], "point at a docs/<topic>.md page instead"


def test_every_docs_page_the_code_names_exists() -> None:
    named = {
        (p.relative_to(ROOT), page)
        for p in _code_files()
        for page in re.findall(r"\bdocs/[\w.-]+\.md\b", p.read_text(encoding="utf-8"))
    }
    assert named, "the code names no docs page at all: the search is broken"
    assert [f"{file}: {page}" for file, page in sorted(named) if not (ROOT / page).is_file()] == []
