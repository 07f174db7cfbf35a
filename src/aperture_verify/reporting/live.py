"""The live report: report.html and results.json while the run goes on.

From the start of a run until its final reports are written, ``LiveReport``
keeps ``report.html`` (a page of its own, refreshed by the browser) and
``results.json`` (``"verdict": "running"``) up to date: the workflows running
now against their usual duration and ``max_duration``, the finished ones with
their verdicts, the phases still pending, and an expected end from the
history's medians along the rest of the run. The controller tells it what
happens (``workflow_started``, ``workflow_ended``, ``phase_started``) and
``close()`` when the run ends; pytest-html then writes the final report in
its place.

Writes are atomic (``common.files.write_atomic``) and at most one every
``min_interval`` seconds: an event marks the page out of date and a
background thread writes it when its turn comes, and at least every
``heartbeat`` seconds so that the running bars keep growing. The controller's
hooks only update a few fields under a lock.

A run that is killed leaves a page that says "running": the page's own
script says it is stale once it has not been rewritten for a few heartbeats,
and the next run's page names the run that did not finish.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from aperture_verify.common.durations import format_duration
from aperture_verify.common.files import write_atomic
from aperture_verify.common.redaction import redact
from aperture_verify.common.templating import Markup, css, render
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.execution.results import Outcome, WorkflowResult
from aperture_verify.history.bands import Usual
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.reporting.results_json import build_results, last_real_run, plan_entry
from aperture_verify.reporting.run import RunSummary, in_plan_order
from aperture_verify.reporting.timeline import render_timeline

__all__ = ["LiveReport", "expected_remaining", "usual_durations"]

log = logging.getLogger(__name__)

#: Seconds between two writes at most once per this; the page refreshes as often.
MIN_INTERVAL = 3.0
#: Seconds after which the page is rewritten even when nothing happened.
HEARTBEAT = 30.0
#: The page calls itself stale after this many heartbeats without a rewrite.
STALE_AFTER = 4

VERDICT_RUNNING = "running"
VERDICT_UNFINISHED = "unfinished"


def usual_durations(
    usual: Mapping[str, Usual], trend: Mapping[str, Sequence[float]]
) -> dict[str, float]:
    """Each workflow's usual duration: its band's median, else the median of its trend."""
    found: dict[str, float] = {}
    for label, values in trend.items():
        if values:
            found[label] = float(median(values))
    for label, u in usual.items():
        if u.duration is not None:
            found[label] = u.duration.median
    return found


def _phase_span(remaining: Sequence[float], queued: Sequence[float], slots: int) -> float:
    """How long a phase still takes: *remaining* of the jobs running now hold their
    slots, then the *queued* ones (in plan order) each take the first slot free."""
    free = sorted([*remaining, *[0.0] * max(0, slots - len(remaining))])[: max(slots, 1)]
    if len(remaining) > len(free):  # more running than slots: they all run anyway
        free = sorted(remaining)
    for seconds in queued:
        free[0] += seconds
        free.sort()
    return max(free, default=0.0)


def expected_remaining(
    phases: Sequence[Sequence[str]],
    running: Mapping[str, float],
    done: set[str],
    usual: Mapping[str, float],
    slots: int,
) -> tuple[float, list[str]]:
    """Seconds until the run ends, from the usual durations along the remaining phases.

    *phases*: each phase's workflows in plan order; *running*: label → seconds
    it has run; *done*: labels with a verdict. Phases run one after the
    other; inside one, at most *slots* workflows at a time. A running
    workflow past its usual time counts as ending now. Returns the seconds and
    the labels left out because their usual duration is unknown.
    """
    total = 0.0
    unknown: list[str] = []
    for labels in phases:
        left = [label for label in labels if label not in done]
        if not left:
            continue
        for label in left:
            if label not in usual:
                unknown.append(label)
        remaining = [
            max(usual.get(label, 0.0) - running[label], 0.0) for label in left if label in running
        ]
        queued = [usual.get(label, 0.0) for label in left if label not in running]
        total += _phase_span(remaining, queued, slots)
    return total, unknown


@dataclass
class _State:
    """What the controller told so far (guarded by ``LiveReport._lock``)."""

    started: dict[str, datetime] = field(default_factory=dict)  # label -> when it started
    results: dict[str, WorkflowResult] = field(default_factory=dict)  # label -> verdict
    phases_started: list[str] = field(default_factory=list)
    version: int = 0  # bumped by every event


class LiveReport:
    """report.html and results.json of a run in progress (see the module's docstring)."""

    def __init__(
        self,
        plan: Plan,
        workflows: Sequence[WorkflowSpec],
        html_path: Path | None,
        json_path: Path | None,
        *,
        server_url: str,
        run_id: str = "",
        slots: int = 1,
        usual: Mapping[str, float] | None = None,
        links: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        started_at: datetime | None = None,
        min_interval: float = MIN_INTERVAL,
        heartbeat: float = HEARTBEAT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.plan = plan
        self.workflows = list(workflows)
        self._phases = {w.label: w.phase for w in self.workflows}
        self._plan_entry = plan_entry(plan)  # its fingerprint costs more than the rest
        self.html_path = html_path
        self.json_path = json_path
        self.server_url = server_url
        self.run_id = run_id
        self.slots = max(1, slots)
        self.usual = dict(usual or {})
        self.links = dict(links or {})
        self.secrets = [s for s in secrets if s]
        self.now = now
        self.started_at = started_at or now()
        self.min_interval = min_interval
        self.heartbeat = heartbeat
        self.previous_unfinished: tuple[str, str] | None = None  # (run id, started) left running
        self.previous_run: dict[str, Any] | None = None  # the last real run, for --resume
        self.writes = 0
        self.closed = False
        self._state = _State()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._written_version = -1
        self._last_write = 0.0

    # -- the controller's calls ----------------------------------------------------

    def start(self, *, background: bool = True) -> None:
        """Note a run the previous one left "running", write the first page, and (with
        *background*) start the thread that keeps it up to date."""
        self.previous_unfinished = _left_running(self.json_path)
        # The last real run, carried in every live document: the file is this run's
        # from now on, and a run that ends having executed nothing must still hand
        # that run to --resume (results_json.last_real_run).
        self.previous_run = last_real_run(self.json_path) if self.json_path else None
        self.write()
        if background:
            self._thread = threading.Thread(
                target=self._loop, name="aperture-live-report", daemon=True
            )
            self._thread.start()

    def expect(self, labels: set[str]) -> None:
        """Only these workflows run (collection applied -k, -m, the modules given);
        an empty collection (an error, or not heard of yet) changes nothing."""
        if not labels:
            return
        with self._lock:
            self.workflows = [w for w in self.workflows if w.label in labels]
            self._changed()

    def set_usual(self, usual: Mapping[str, float]) -> None:
        """The usual durations, once the history is read (it may be read while the
        workers start, after the first page)."""
        with self._lock:
            self.usual = dict(usual)
            self._changed()

    def set_slots(self, slots: int) -> None:
        """As many workflows can run at once (xdist's workers, capped by max_parallel)."""
        with self._lock:
            self.slots = max(1, slots)
            self._changed()

    def workflow_started(self, label: str, at: datetime | None = None) -> None:
        phase = self._phase_of(label)
        with self._lock:
            if label in self._state.started or label in self._state.results:
                return
            self._state.started[label] = at or self.now()
            if phase is not None and phase not in self._state.phases_started:
                self._state.phases_started.append(phase)
            self._changed()

    def workflow_ended(self, result: WorkflowResult) -> None:
        with self._lock:
            self._state.results[result.label] = result
            if result.phase not in self._state.phases_started:
                self._state.phases_started.append(result.phase)
            self._changed()

    def phase_started(self, phase: str) -> None:
        with self._lock:
            if phase not in self._state.phases_started:
                self._state.phases_started.append(phase)
                self._changed()

    def close(self) -> None:
        """The run ended: stop the thread and leave a page that says so, without a
        refresh (pytest-html writes the final report over it)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.write(final=True)

    # -- writing -------------------------------------------------------------------

    def _changed(self) -> None:
        self._state.version += 1
        self._wake.notify_all()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self.closed:
                    return
                due = self._last_write + (
                    self.min_interval
                    if self._state.version != self._written_version
                    else self.heartbeat
                )
                wait = due - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
            try:
                self.write()
            except Exception as e:  # a report problem never stops the run
                log.warning("live report not written: %s: %s", type(e).__name__, e)
                with self._lock:
                    self._last_write = time.monotonic()

    def write(self, *, final: bool = False) -> None:
        """Write both files now (the thread calls this; so do tests and the benchmark)."""
        with self._lock:
            version = self._state.version
            started = dict(self._state.started)
            results = dict(self._state.results)
            phases_started = list(self._state.phases_started)
        view = self.view(started, results, phases_started, final=final)
        if self.html_path is not None:
            self.html_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.html_path, self._redact(str(render("live.html.jinja", **view))))
        if self.json_path is not None:
            self.json_path.parent.mkdir(parents=True, exist_ok=True)
            # compact while running: the indenting encoder is pure Python, and slow
            text = json.dumps(self.document(view), ensure_ascii=False) + "\n"
            write_atomic(self.json_path, self._redact(text))
        with self._lock:
            self._written_version = version
            self._last_write = time.monotonic()
            self.writes += 1

    def _redact(self, text: str) -> str:
        return redact(text, self.secrets) if self.secrets else text

    # -- what the page shows -------------------------------------------------------

    def _phase_of(self, label: str) -> str | None:
        return self._phases.get(label)

    def view(
        self,
        started: Mapping[str, datetime],
        results: Mapping[str, WorkflowResult],
        phases_started: Sequence[str],
        *,
        final: bool = False,
    ) -> dict[str, Any]:
        """Everything the page and the document say, computed once per write."""
        now = self.now()
        finished = in_plan_order(self.plan, results.values())
        running = {
            w.label: (w.phase, started[w.label])
            for w in self.workflows
            if w.label in started and w.label not in results
        }
        pending = [
            (w.phase, w.label)
            for w in self.workflows
            if w.label not in started and w.label not in results
        ]
        phases = [p.name for p in self.plan.phases]
        mine = {w.label for w in self.workflows}
        by_phase = [
            [w.label for w in p.workflows if w.label in mine or w.label in results]
            for p in self.plan.phases
        ]
        elapsed = {label: (now - at).total_seconds() for label, (_p, at) in running.items()}
        left, unknown = expected_remaining(by_phase, elapsed, set(results), self.usual, self.slots)
        current = next((p for p in reversed(phases) if p in phases_started), None)
        rows = []
        for w in self.workflows:
            r = results.get(w.label)
            row: dict[str, Any] = {
                "label": w.label,
                "phase": w.phase,
                "usual": self.usual.get(w.label),
                "max": w.max_duration,
                "link": self.links.get(w.label),
            }
            if r is not None:
                row.update(state=r.outcome.value, seconds=r.duration, message=r.message)
            elif w.label in running:
                seconds = elapsed[w.label]
                row.update(state="running", seconds=seconds, message=None)
                row["over_usual"] = row["usual"] is not None and seconds > row["usual"]
                row["over_max"] = seconds > w.max_duration
            else:
                row.update(state="pending", seconds=None, message=None)
            rows.append(row)
        state_of = {r["label"]: r["state"] for r in rows}
        state_of.update({label: r.outcome.value for label, r in results.items()})
        phase_rows = []
        for name, labels in zip(phases, by_phase, strict=True):
            if not labels:
                continue
            states = [state_of[x] for x in labels if x in state_of]
            if all(s not in ("pending", "running") for s in states):
                state = "done"
            elif name in phases_started:
                state = "running"
            else:
                state = "pending"
            counts = {s: states.count(s) for s in ("passed", "failed", "skipped", "running")}
            phase_rows.append({"name": name, "state": state, "total": len(labels), **counts})
        known = len(unknown) < len(running) + len(pending)  # some remaining time is known
        expected_end = now + timedelta(seconds=left) if known and not final else None
        summary = RunSummary(
            plan=self.plan,
            server_url=self.server_url,
            started_at=self.started_at,
            finished_at=now if final else None,
            results=list(finished),
            run_id=self.run_id,
        )
        return {
            "css": Markup(css("report.css")),
            "plan": self.plan,
            "summary": summary,
            "final": final,
            "verdict": VERDICT_UNFINISHED if final else VERDICT_RUNNING,
            "now": now,
            "now_text": now.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "now_epoch_ms": int(now.timestamp() * 1000),
            "since": self.started_at.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "for_how_long": format_duration((now - self.started_at).total_seconds()),
            "refresh": max(1, round(self.min_interval)),
            "stale_ms": int(self.heartbeat * STALE_AFTER * 1000),
            "current_phase": current,
            "phase_index": phases.index(current) + 1 if current else 0,
            "phase_count": len(phases),
            "running": running,
            "pending": pending,
            "rows": rows,
            "phase_rows": phase_rows,
            "failed": [r for r in finished if r.outcome is Outcome.FAILED],
            "expected_end": expected_end,
            "expected_in": format_duration(left) if expected_end else None,
            "unknown": unknown,
            "previous_unfinished": self.previous_unfinished,
            # carried-over jobs ran in an earlier run: on this run's axis they would
            # stretch it back hours (the final report draws them apart)
            "timeline": render_timeline(
                [r for r in finished if r.carried_over_from is None],
                phases,
                now=now,
                running=running,
                pending=pending,
                links=self.links,
            ),
        }

    def document(self, view: Mapping[str, Any]) -> dict[str, Any]:
        """results.json while the run goes on: the finished workflows, and ``progress``."""
        doc = build_results(view["summary"], self._plan_entry)
        doc["verdict"] = view["verdict"]
        doc["exit_status"] = None
        doc["previous_run"] = self.previous_run
        doc["progress"] = {
            "updated_at": format_timestamp(view["now"]),
            "phase": view["current_phase"],
            "running": [
                {
                    "label": label,
                    "phase": phase,
                    "started_at": format_timestamp(at),
                    "elapsed": round((view["now"] - at).total_seconds(), 3),
                    "usual": self.usual.get(label),
                }
                for label, (phase, at) in view["running"].items()
            ],
            "pending": [label for _phase, label in view["pending"]],
            "expected_end": format_timestamp(view["expected_end"]),
        }
        return doc


def _left_running(path: Path | None) -> tuple[str, str] | None:
    """(run id, started) of a results.json a killed run left saying "running"."""
    if path is None or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(doc, dict) and doc.get("verdict") == VERDICT_RUNNING:
        return str(doc.get("run_id") or "?"), str(doc.get("started_at") or "?")
    return None
