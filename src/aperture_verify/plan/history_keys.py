"""The top-level ``history`` and ``history_keep`` keys of ``plans.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aperture_verify.plan.model import HistorySettings
from aperture_verify.plan.schema import Where, read_int, read_str, type_name

#: Where the history goes when the plans file does not say, relative to its folder.
DEFAULT_HISTORY = Path(".aperture") / "history.sqlite"
DEFAULT_KEEP = 200


def read_history(raw: Mapping[str, object], root: Where, base_dir: Path) -> HistorySettings:
    """``history = false | "path"`` and ``history_keep = N`` (default on, 200 runs)."""
    keep = DEFAULT_KEEP
    if "history_keep" in raw:
        keep = read_int(raw["history_keep"], root / "history_keep", 1, DEFAULT_KEEP)
    value = raw.get("history", True)
    where = root / "history"
    if value is True:
        return HistorySettings(base_dir / DEFAULT_HISTORY, keep)
    if value is False:
        return HistorySettings(None, keep)
    if not isinstance(value, str):
        raise where.error(
            f"must be false or a path, not {type_name(value)}",
            'write history = false, or history = ".aperture/history.sqlite"',
        )
    path = Path(read_str(value, where, ".aperture/history.sqlite"))
    return HistorySettings(path if path.is_absolute() else base_dir / path, keep)
