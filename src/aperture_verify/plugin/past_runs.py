"""The run history on the controller: bands before the run, the record after it.

Before the first test is sent (with the login check), the last runs of the
plan on the same server are read and each workflow's usual duration and row counts
(``history.bands``) go to the workers with the login check's outcome
(``login.json``); the HTML report draws each workflow's recent durations. At
the end of the run, the run is recorded from its results.json document, in
one transaction. A history problem never fails the run: it is one warning
line in the terminal, and the run goes on without history.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aperture_verify.history.bands import Usual, usual
from aperture_verify.history.records import HistoryError, run_from_results, server_key
from aperture_verify.history.store import HistoryStore
from aperture_verify.plan.model import Plan

log = logging.getLogger(__name__)

#: Durations drawn per workflow in the HTML report's sparkline.
SPARK_RUNS = 20


class RunHistory:
    """The controller's use of one history file (``path`` ``None``: no history)."""

    def __init__(self, path: Path | None, plan: Plan) -> None:
        self.path = path
        self.plan = plan
        self.problem: str | None = None
        self.usual: dict[str, Usual] = {}
        self.trend: dict[str, list[float]] = {}  # label -> recent durations, oldest first
        self.recorded = False

    @property
    def server(self) -> str:
        """The server this run's history is of: bands come from runs on the same one."""
        return server_key(self.plan.server.url, self.plan.server.is_emulator)

    @property
    def lookback(self) -> int:
        """How many of the plan's last runs are read: enough for every window."""
        windows = [w.anomaly_window for w in self.plan.workflows]
        return max([SPARK_RUNS, *[3 * w for w in windows]])

    def load(self) -> None:
        """Read the bands and trends; a missing file is an empty history."""
        if self.path is None or not self.path.exists():
            return
        try:
            with HistoryStore.open(self.path, create=False) as store:
                past = store.workflow_history(self.plan.name, self.lookback, self.server)
        except HistoryError as e:
            self._give_up(str(e))
            return
        except Exception as e:  # history never fails a run
            self._give_up(f"{self.path}: {type(e).__name__}: {e}")
            return
        for spec in self.plan.workflows:
            wh = past.get(spec.label)
            if wh is None:
                continue
            self.trend[spec.label] = [d for _, _, d in wh.runs if d is not None][-SPARK_RUNS:]
            if spec.anomaly:
                found = usual(
                    wh.passing_durations,
                    wh.rows,
                    min_runs=spec.anomaly_min_runs,
                    window=spec.anomaly_window,
                )
                if found is not None:
                    self.usual[spec.label] = found

    def record(self, doc: Mapping[str, Any]) -> None:
        """Record the run described by its results.json *doc*."""
        if self.path is None or self.problem is not None:
            return
        try:
            run = run_from_results(dict(doc), "results")
            with HistoryStore.open(self.path) as store:
                store.record(run, self.plan.history.keep)
            self.recorded = True
        except HistoryError as e:
            self._give_up(str(e))
        except Exception as e:  # history never fails a run
            self._give_up(f"{self.path}: {type(e).__name__}: {e}")

    def _give_up(self, problem: str) -> None:
        self.problem = f"history not used: {problem}"
        log.warning("%s", self.problem)
