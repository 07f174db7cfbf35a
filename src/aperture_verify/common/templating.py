"""The one Jinja2 environment every HTML page and fragment is rendered through.

Templates live in the package's ``templates/`` folder (shipped as package data),
autoescaping is on for every template, and an undefined name is an error, not
an empty string: text from the plan or the server is escaped once, by Jinja2,
never by hand.

Compiled templates are kept in Jinja2's bytecode cache, in a folder of the
system's temporary directory private to the user: compiling the pages'
templates costs about 0.1 s of CPU at the end of every run, loading them a
few milliseconds. The cache is keyed by each template's source, so a changed
template is compiled again; a cache that cannot be read or written costs only
the compile.
"""

from __future__ import annotations

import contextlib
import functools
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from aperture_verify.common.durations import format_duration

__all__ = ["Markup", "css", "render"]


def _duration(value: float | None, missing: str = "-") -> str:
    return missing if value is None else format_duration(value)


class QuietBytecodeCache(FileSystemBytecodeCache):
    """Jinja2's file cache of compiled templates, which never fails a render."""

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache(directory: str | None = None) -> QuietBytecodeCache | None:
    """The cache in *directory*, by default Jinja2's private folder of the temporary
    directory; None if that folder cannot be made safely (then templates compile)."""
    try:
        return QuietBytecodeCache(directory)
    except (OSError, RuntimeError):
        return None


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("aperture_verify", "templates"),
        bytecode_cache=bytecode_cache(),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["duration"] = _duration
    return env


def render(template: str, **context: Any) -> Markup:
    """*template* (a name under ``templates/``) rendered with *context*, as markup."""
    return Markup(environment().get_template(template).render(**context))


@functools.cache
def css(name: str) -> str:
    """A stylesheet of the package (``templates/<name>``), to inline in a page."""
    return files("aperture_verify").joinpath("templates", name).read_text("utf-8")
