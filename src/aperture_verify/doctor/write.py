"""The proposed ``[server.profile]`` as TOML, and putting it into ``plans.toml``.

tomlkit edits the document in place: every comment, blank line and key
order outside ``[server.profile]`` stays as the user wrote it, and so does
every key of ``[server.profile]`` the doctor did not establish (a hand edit
is never lost). Keys it could not establish are written as ``# TODO``
comment lines saying why. The new file is validated before it replaces the
old one, and written atomically (``common.files.write_atomic``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import tomlkit
from tomlkit.items import Table

from aperture_verify.client.profile import PAGING_KEYS

HEADER = "Written by aperture-doctor from the server's API document and live answers; edit freely."


def merged(existing: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
    """*existing* keys with *keys* over them; a new way to follow pages drops the old one."""
    out = dict(existing)
    if any(keys.get(k) for k in PAGING_KEYS):
        for k in PAGING_KEYS:
            out.pop(k, None)
    out.update(keys)
    return out


def profile_table(keys: Mapping[str, Any], todo: Sequence[str] = ()) -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment(HEADER))
    for line in todo:
        table.add(tomlkit.comment(f"TODO {line}"))
    for key, value in keys.items():
        if isinstance(value, dict):
            table.add(key, _inline(value))
        else:
            table.add(key, value)
    return table


def _inline(value: Mapping[str, Any]) -> Any:
    inline = tomlkit.inline_table()
    for key, item in value.items():
        inline[key] = _inline(item) if isinstance(item, dict) else item
    return inline


def render_block(keys: Mapping[str, Any], todo: Sequence[str] = ()) -> str:
    """``[server.profile]`` with *keys* (and *todo* comment lines), as in plans.toml."""
    doc = tomlkit.document()
    server = tomlkit.table(is_super_table=True)
    server.add("profile", profile_table(keys, todo))
    doc.add("server", server)
    return tomlkit.dumps(doc).strip() + "\n"


def existing_profile(text: str) -> dict[str, Any]:
    """The ``[server.profile]`` keys of a plans.toml text, as plain values."""
    doc = tomlkit.parse(text).unwrap()
    server = doc.get("server")
    profile = server.get("profile") if isinstance(server, dict) else None
    return dict(profile) if isinstance(profile, dict) else {}


def updated_text(text: str, keys: Mapping[str, Any], todo: Sequence[str] = ()) -> str:
    """*text* (a plans.toml) with ``[server.profile]`` set to its keys merged with *keys*."""
    doc = tomlkit.parse(text)
    table = merged(existing_profile(text), keys)
    if "server" not in doc:
        doc.add("server", tomlkit.table())
    server = doc["server"]
    assert isinstance(server, Table)
    if "profile" in server:
        del server["profile"]
    block = profile_table(table, todo)
    block.add(tomlkit.nl())  # a blank line before whatever table follows
    server.add("profile", block)
    return tomlkit.dumps(doc)
