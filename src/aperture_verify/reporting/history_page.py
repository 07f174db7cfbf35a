"""history.html beside report.html after a run that keeps a history.

The page itself is ``history.page``; this module gives it the plan's limits
(which the store does not keep) and writes it atomically. A problem never
fails the run: it is returned as one line for the terminal.
"""

from __future__ import annotations

from pathlib import Path

from aperture_verify.common.files import write_atomic
from aperture_verify.history.page import HISTORY_FILE, Limits, RowLimits, chart_link, history_page
from aperture_verify.history.store import HistoryStore
from aperture_verify.plan.model import Plan, WorkflowSpec

__all__ = ["HISTORY_FILE", "chart_link", "limits_of", "write_history_page"]


def _row_limits(spec: WorkflowSpec) -> dict[tuple[str, str], RowLimits]:
    found: dict[tuple[str, str], dict[str, float | None]] = {}
    for step in spec.steps:
        for metric, bounds in step.rows:
            d = found.setdefault((step.step, metric), {})
            d["min"], d["max"] = bounds.min, bounds.max
        for metric, bounds in step.warn:
            d = found.setdefault((step.step, metric), {})
            d["warn_min"], d["warn_max"] = bounds.min, bounds.max
    return {key: RowLimits(**d) for key, d in found.items()}


def limits_of(plan: Plan) -> dict[str, Limits]:
    """Each workflow's limits as the plan states them, for the charts."""
    return {
        w.label: Limits(
            min_duration=w.min_duration,
            max_duration=w.max_duration,
            warn_min=w.warn_min_duration,
            warn_max=w.warn_max_duration,
            anomaly=w.anomaly,
            min_runs=w.anomaly_min_runs,
            window=w.anomaly_window,
            rows=_row_limits(w),
        )
        for w in plan.workflows
    }


def write_history_page(history: Path, plan: Plan, out: Path, server: str) -> str | None:
    """Write the plan's history page on *server* to *out*; a problem as one line, else
    ``None``."""
    try:
        with HistoryStore.open(history, create=False) as store:
            text = history_page(store, [plan.name], limits=limits_of(plan), server=server)
        write_atomic(out, text)
    except Exception as e:  # the history page never fails a run
        return f"history page not written: {out}: {type(e).__name__}: {e}"
    return None
