"""The proposed ``[server.profile]`` as TOML, and putting it into ``plans.toml``.

tomlkit edits the document in place: every comment, blank line and key
order outside ``[server.profile]`` stays as the user wrote it. The new file
is validated before it replaces the old one, and written atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
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


def write_atomically(path: Path, text: str) -> None:
    """Replace *path* with *text*, never leaving a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777)  # mkstemp makes it private
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
