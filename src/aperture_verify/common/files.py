"""The one way a file is written: atomically, so a reader never sees half of it."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, text: str) -> None:
    """Write *text* (UTF-8) to *path* through a temporary file in the same folder
    and a rename. The file gets the permissions a plain ``open`` would give it
    (the umask's), not the 0600 of a temporary file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@functools.cache  # reading the umask means setting it: once, not on every write
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
