"""Named dialects and profile files: an ``ApiProfile`` with where its API document lives.

A dialect file (the shipped ones are in ``client/dialects/``) reads::

    [dialect]
    name = "1.x"
    api = "v1"                      # the authentication form it implies
    base = "contract"               # optional: the dialect it starts from
    [dialect.docs]                  # where such a server publishes its API document
    style = "springfox"             # "springfox" (Swagger 2.0) or "springdoc" (OpenAPI 3)
    ui = "/api/v1/swagger-ui.html"
    document = "/api/v1/v2/api-docs"
    [profile]                       # any key of [server.profile]
    token_field = "authentication_token"

``aperture-emulator --profile FILE`` reads the same format, so a test can build
a server the suite does not ship.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aperture_verify.client.profile import DEFAULT_PROFILE, ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.errors import PlanError

DEFAULT_DIALECT = "contract"
DOC_STYLES = ("springdoc", "springfox")
_DIALECT_KEYS = ("name", "description", "api", "base", "docs")
_DOCS_KEYS = ("style", "ui", "document")


@dataclass(frozen=True)
class ApiDocs:
    """Where a server of this dialect publishes its API document."""

    style: str = "springdoc"
    ui: str = "/api/docs/index.html"
    document: str = "/v3/api-docs"


@dataclass(frozen=True)
class Dialect:
    """A named profile, the authentication form it implies, and its document's place."""

    name: str
    profile: ApiProfile
    api: str = "v2"
    description: str = ""
    docs: ApiDocs = ApiDocs()


def dialect_names() -> tuple[str, ...]:
    """The dialects shipped in the package."""
    folder = resources.files("aperture_verify.client").joinpath("dialects")
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".toml"))
    return tuple(sorted(name[: -len(".toml")] for name in names))


def load_dialect(name: str, source: str = "plans.toml", key: str = "server.dialect") -> Dialect:
    """The shipped dialect *name*; an unknown name is a ``PlanError`` on *key*."""
    names = dialect_names()
    if name not in names:
        raise PlanError(
            source, key, f"unknown dialect {name!r}", f"use one of {', '.join(map(repr, names))}"
        )
    entry = resources.files("aperture_verify.client").joinpath("dialects", f"{name}.toml")
    where = f"aperture_verify/client/dialects/{name}.toml"
    return _parse(tomllib.loads(entry.read_text(encoding="utf-8")), where, seen=(name,))


def load_profile_file(path: Path) -> Dialect:
    """A dialect file of the user's (``--profile FILE``); errors name the file and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PlanError(
            str(path), "", f"cannot read it ({e.strerror or e})", "check the path"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlanError(str(path), "", f"is not valid TOML ({e})", "fix the file") from None
    return _parse(data, str(path), seen=())


def _parse(data: dict[str, Any], source: str, seen: tuple[str, ...]) -> Dialect:
    for key in data:
        if key not in ("dialect", "profile"):
            raise PlanError(source, key, "unknown table", "use [dialect] and [profile]")
    meta = data.get("dialect", {})
    if not isinstance(meta, dict):
        raise PlanError(source, "dialect", "must be a table", "write [dialect]")
    for key in meta:
        if key not in _DIALECT_KEYS:
            raise PlanError(
                source, f"dialect.{key}", "unknown key", f"use {', '.join(_DIALECT_KEYS)}"
            )
    base_profile, base_api, base_docs = DEFAULT_PROFILE, "v2", ApiDocs()
    if "base" in meta:
        base_name = _text(meta["base"], source, "dialect.base")
        if base_name in seen:
            raise PlanError(source, "dialect.base", f"{base_name!r} builds on itself", "fix base")
        base = load_dialect(base_name, source, "dialect.base")
        base_profile, base_api, base_docs = base.profile, base.api, base.docs
    api = _text(meta.get("api", base_api), source, "dialect.api")
    if api not in ("v1", "v2"):
        raise PlanError(source, "dialect.api", f"is {api!r}", 'use "v1" or "v2"')
    docs_table = meta.get("docs", {})
    if not isinstance(docs_table, dict):
        raise PlanError(source, "dialect.docs", "must be a table", "write [dialect.docs]")
    for key in docs_table:
        if key not in _DOCS_KEYS:
            raise PlanError(
                source, f"dialect.docs.{key}", "unknown key", f"use {', '.join(_DOCS_KEYS)}"
            )
    style = _text(docs_table.get("style", base_docs.style), source, "dialect.docs.style")
    if style not in DOC_STYLES:
        raise PlanError(
            source, "dialect.docs.style", f"is {style!r}", 'use "springdoc" or "springfox"'
        )
    docs = ApiDocs(
        style=style,
        ui=_route(docs_table.get("ui", base_docs.ui), source, "dialect.docs.ui"),
        document=_route(
            docs_table.get("document", base_docs.document), source, "dialect.docs.document"
        ),
    )
    table = data.get("profile", {})
    if not isinstance(table, dict):
        raise PlanError(source, "profile", "must be a table", "write [profile]")
    profile = apply_overrides(base_profile, table, source, "profile")
    name = _text(meta.get("name", Path(source).stem), source, "dialect.name")
    description = _text(meta.get("description", ""), source, "dialect.description", empty=True)
    return Dialect(name, profile, api, description, docs)


def _text(value: object, source: str, key: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise PlanError(source, key, "must be a non-empty string", f'write {key} = "..."')
    return value


def _route(value: object, source: str, key: str) -> str:
    text = _text(value, source, key)
    if not text.startswith("/"):
        raise PlanError(source, key, f"{text!r} is not a path", 'write it as "/..."')
    return text
