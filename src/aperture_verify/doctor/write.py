"""The proposed ``[server.profile]`` as TOML, and putting it into ``plans.toml``.

tomlkit edits the document in place: every comment, blank line and key
order outside ``[server.profile]`` stays as the user wrote it. The new file
is validated before it replaces the old one, and written atomically
(``common.files.write_atomic``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.items import Table

HEADER = "Written by aperture-doctor from the server's API document; edit freely."


def profile_table(keys: Mapping[str, Any]) -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment(HEADER))
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


def render_block(keys: Mapping[str, Any]) -> str:
    """``[server.profile]`` with *keys*, as it would appear in plans.toml."""
    doc = tomlkit.document()
    server = tomlkit.table(is_super_table=True)
    server.add("profile", profile_table(keys))
    doc.add("server", server)
    return tomlkit.dumps(doc).strip() + "\n"


def updated_text(text: str, keys: Mapping[str, Any]) -> str:
    """*text* (a plans.toml) with ``[server.profile]`` replaced by *keys*."""
    doc = tomlkit.parse(text)
    if "server" not in doc:
        doc.add("server", tomlkit.table())
    server = doc["server"]
    assert isinstance(server, Table)
    if "profile" in server:
        del server["profile"]
    server.add("profile", profile_table(keys))
    return tomlkit.dumps(doc)
