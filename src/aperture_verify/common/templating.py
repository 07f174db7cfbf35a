"""The one Jinja2 environment every HTML page and fragment is rendered through.

Templates live in the package's ``templates/`` folder (shipped as package data),
autoescaping is on for every template, and an undefined name is an error, not
an empty string: text from the plan or the server is escaped once, by Jinja2,
never by hand.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from aperture_verify.common.durations import format_duration

__all__ = ["Markup", "css", "render"]


def _duration(value: float | None, missing: str = "-") -> str:
    return missing if value is None else format_duration(value)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("aperture_verify", "templates"),
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
