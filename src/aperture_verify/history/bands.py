"""What a workflow usually does, from its past runs: median ± k·MAD, with a floor.

Pure functions over plain numbers. The band is robust: the median and the
median absolute deviation (scaled to a standard deviation) ignore one odd
night, and a floor keeps a very steady history from warning about tiny
absolute differences (2.0 s against 2.3 s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

#: Scales the MAD to a standard deviation for normally distributed values.
MAD_SCALE = 1.4826

#: Defaults of the plans.toml keys (documented in docs/plans.md).
DEFAULT_MIN_RUNS = 5
DEFAULT_WINDOW = 20

#: Band half-width: K scaled MADs, but never less than REL_FLOOR of the median
#: nor the absolute floor of the metric (seconds for durations, rows for counts).
K = 4.0
REL_FLOOR = 0.25
DURATION_FLOOR = 1.0
ROWS_FLOOR = 10.0


@dataclass(frozen=True)
class BandRule:
    """How wide a band is; the defaults are what the suite uses."""

    k: float = K
    rel_floor: float = REL_FLOOR
    abs_floor: float = DURATION_FLOOR


DURATION_RULE = BandRule()
ROWS_RULE = BandRule(abs_floor=ROWS_FLOOR)


@dataclass(frozen=True)
class Band:
    """The usual range of a metric: ``low``..``high`` around ``median`` of ``runs`` values."""

    median: float
    low: float
    high: float
    runs: int

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "low": self.low, "high": self.high, "runs": self.runs}

    @classmethod
    def from_dict(cls, d: dict[str, float | int]) -> Band:
        return cls(float(d["median"]), float(d["low"]), float(d["high"]), int(d["runs"]))


def band(
    values: Sequence[float],
    *,
    min_runs: int = DEFAULT_MIN_RUNS,
    window: int = DEFAULT_WINDOW,
    rule: BandRule = DURATION_RULE,
) -> Band | None:
    """The band of the last *window* of *values* (oldest first), or ``None`` if too few."""
    recent = list(values[-window:]) if window > 0 else []
    if len(recent) < max(1, min_runs):
        return None
    mid = median(recent)
    mad = median(abs(v - mid) for v in recent) * MAD_SCALE
    half = max(rule.k * mad, rule.rel_floor * abs(mid), rule.abs_floor)
    low = max(0.0, mid - half)
    return Band(mid, low, mid + half, len(recent))


def outside(value: float, b: Band | None) -> bool:
    """True when *value* is outside a known band."""
    return b is not None and not b.contains(value)


@dataclass(frozen=True)
class Usual:
    """What a workflow usually does: its duration band and its steps' row-count bands."""

    duration: Band | None
    rows: tuple[tuple[str, str, Band], ...] = ()  # (step, metric, band)

    def row_band(self, step: str, metric: str) -> Band | None:
        return next((b for s, m, b in self.rows if s == step and m == metric), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "duration": None if self.duration is None else self.duration.to_dict(),
            "rows": [[s, m, b.to_dict()] for s, m, b in self.rows],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Usual:
        duration = d.get("duration")
        return cls(
            None if duration is None else Band.from_dict(duration),
            tuple((str(s), str(m), Band.from_dict(b)) for s, m, b in d.get("rows", [])),
        )


def usual(
    durations: Sequence[float],
    rows: Mapping[tuple[str, str], Sequence[float]],
    *,
    min_runs: int = DEFAULT_MIN_RUNS,
    window: int = DEFAULT_WINDOW,
) -> Usual | None:
    """The bands of one workflow's passing runs (oldest first); ``None`` if none is known."""
    duration = band(durations, min_runs=min_runs, window=window)
    row_bands = []
    for (step, metric), values in rows.items():
        b = band(values, min_runs=min_runs, window=window, rule=ROWS_RULE)
        if b is not None:
            row_bands.append((step, metric, b))
    if duration is None and not row_bands:
        return None
    return Usual(duration, tuple(row_bands))
