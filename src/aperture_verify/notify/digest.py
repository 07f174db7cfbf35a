"""What a finished run says to a person: the verdict, why, when, and where the report is.

A ``RunDigest`` is read from the run's results.json document (plain data that
holds no credential) and what the history says about the runs before it. It
gives the kinds of run it is (``events``: failure, warning, recovery, success,
always), a one-line verdict (the log's last line), a short text for chat
targets and a complete one for e-mail. Nothing here sends anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aperture_verify.common.durations import format_duration
from aperture_verify.common.timestamps import local_time, parse_timestamp
from aperture_verify.execution.exitcodes import describe_exit_status
from aperture_verify.execution.results import FailureKind

__all__ = ["FailedWorkflow", "PastRuns", "RunDigest"]

#: Passing runs needed before "the usual" duration of a whole run is given.
USUAL_MIN_RUNS = 3
#: The last passing runs "the usual" duration is the median of.
USUAL_WINDOW = 20
#: Failed workflows listed in a short (chat) message; the rest are counted.
SHORT_FAILURES = 5


@dataclass(frozen=True)
class PastRuns:
    """What the history says about the plan's runs before this one."""

    previous_exit_status: int | None = None  # None: no earlier run recorded
    usual_duration: float | None = None  # median of the last passing runs, seconds

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str | None, str | None, int | None]]) -> PastRuns:
        """From (run id, started_at, finished_at, exit status) rows, oldest first, this
        run's own row already left out."""
        if not rows:
            return cls()
        durations = []
        for _, started, finished, status in rows:
            if status == 0 and started and finished:
                seconds = (parse_timestamp(finished) - parse_timestamp(started)).total_seconds()
                durations.append(seconds)
        durations = durations[-USUAL_WINDOW:]
        usual = statistics.median(durations) if len(durations) >= USUAL_MIN_RUNS else None
        return cls(previous_exit_status=rows[-1][3], usual_duration=usual)


@dataclass(frozen=True)
class FailedWorkflow:
    label: str
    phase: str
    kind: str  # "execution failure", or "failed" when the kind is unknown
    reason: str  # the verdict's message, without its kind and label
    server_error: str | None


@dataclass(frozen=True)
class RunDigest:
    """The finished run as a person is told about it."""

    plan: str
    run_id: str
    exit_status: int
    verdict: str  # results.json's: passed, failed, interrupted, empty
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    counts: Mapping[str, int]  # outcome -> workflows
    failed: tuple[FailedWorkflow, ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()  # (workflow, message)
    not_run: tuple[tuple[str, str], ...] = ()  # (workflow, why), skipped or interrupted
    carried_over: tuple[str, ...] = ()
    resumed_from: str | None = None
    login_error: str | None = None
    server: str = ""
    ci_url: str | None = None
    report_path: str | None = None
    report_url: str | None = None
    past: PastRuns = field(default_factory=PastRuns)
    utc: bool = False  # times in UTC rather than local time
    rows: tuple[str, ...] = ()  # "ingest / Workflow 1: passed in 2.0s", in plan order

    @classmethod
    def from_results(
        cls,
        doc: Mapping[str, Any],
        *,
        past: PastRuns | None = None,
        report_path: str | None = None,
        report_url: str | None = None,
        utc: bool = False,
    ) -> RunDigest:
        """The digest of a results.json document (version 1)."""
        workflows: list[Mapping[str, Any]] = list(doc.get("workflows") or [])
        counts: dict[str, int] = {}
        failed, warnings, not_run, carried, rows = [], [], [], [], []
        for w in workflows:
            outcome = "carried over" if w.get("carried_over") else str(w.get("outcome"))
            counts[outcome] = counts.get(outcome, 0) + 1
            label = str(w.get("label"))
            if w.get("carried_over"):
                carried.append(label)
            elif outcome == "failed":
                failed.append(_failed(w))
            elif outcome in ("skipped", "interrupted"):
                why = str(w.get("message") or outcome).removeprefix("not run: ")
                not_run.append((label, why))
            took = w.get("duration")
            rows.append(
                f"{w.get('phase')} / {label}: {outcome}"
                + (f" in {format_duration(took)}" if isinstance(took, int | float) else "")
            )
            for warning in w.get("warnings") or ():
                warnings.append((label, str(warning.get("message"))))
        resumed = doc.get("resumed_from") or {}
        return cls(
            plan=str((doc.get("plan") or {}).get("name")),
            run_id=str(doc.get("run_id") or ""),
            exit_status=int(doc.get("exit_status") or 0),
            verdict=str(doc.get("verdict") or ""),
            started_at=_time(doc.get("started_at")),
            finished_at=_time(doc.get("finished_at")),
            duration=doc.get("duration"),
            counts=counts,
            failed=tuple(failed),
            warnings=tuple(warnings),
            not_run=tuple(not_run),
            carried_over=tuple(carried),
            resumed_from=resumed.get("run_id"),
            login_error=doc.get("login_error"),
            server=str((doc.get("server") or {}).get("url") or ""),
            ci_url=(doc.get("ci") or {}).get("url"),
            report_path=report_path,
            report_url=report_url,
            past=past or PastRuns(),
            utc=utc,
            rows=tuple(rows),
        )

    # -- what kind of run it is ----------------------------------------------------

    @property
    def passed(self) -> bool:
        return self.exit_status == 0

    @property
    def events(self) -> frozenset[str]:
        """The kinds of run this one is, as ``on`` in ``[notify]`` names them."""
        kinds = {"always"}
        if not self.passed:
            kinds.add("failure")
            return frozenset(kinds)
        kinds.add("success")
        if self.warnings:
            kinds.add("warning")
        previous = self.past.previous_exit_status
        if previous is not None and previous != 0:
            kinds.add("recovery")
        return frozenset(kinds)

    @property
    def notify_type(self) -> str:
        """Apprise's notification type (its colour and icon in chat)."""
        if not self.passed:
            return "failure"
        return "warning" if self.warnings else "success"

    # -- texts -----------------------------------------------------------------

    @property
    def title(self) -> str:
        """``aperture: nightly FAILED (exit 12, execution failure)``."""
        if self.passed:
            state = "PASSED"
            if "recovery" in self.events:
                state = "PASSED again"
            if self.warnings:
                state += f" with {_count(len(self.warnings), 'warning')}"
            return f"aperture: {self.plan} {state}"
        word = self.verdict.upper() if self.verdict not in ("", "passed") else "FAILED"
        kind = describe_exit_status(self.exit_status)
        return f"aperture: {self.plan} {word} (exit {self.exit_status}, {kind})"

    @property
    def reason(self) -> str | None:
        """Why the run failed, in one line: its first failure (and how many more)."""
        if self.login_error:
            return f"login failed: {self.login_error}"
        if not self.failed:
            return None
        first = self.failed[0]
        more = f" (and {len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
        return f"{first.label}: {first.reason}{more}"

    @property
    def report(self) -> str | None:
        return self.report_url or self.report_path

    def verdict_line(self) -> str:
        """The log's last line: ``aperture: nightly FAILED (exit 12, execution failure):
        Workflow 5: …; report: reports/report.html``."""
        line = self.title
        if self.reason:
            line += f": {self.reason}"
        elif self.warnings:
            label, message = self.warnings[0]
            line += f": {_prefixed(label, message)}"
        if self.report:
            line += f"; report: {self.report}"
        return line

    def when(self) -> str:
        """``2026-12-07 05:09:57 CET → 05:10:19 CET (22.1s; usually 21.0s)``."""
        if self.started_at is None:
            return ""
        text = local_time(self.started_at, utc=self.utc)
        if self.finished_at is not None:
            same_day = (
                local_time(self.started_at, utc=self.utc)[:10]
                == local_time(self.finished_at, utc=self.utc)[:10]
            )
            text += " → " + local_time(self.finished_at, utc=self.utc, date=not same_day)
        if self.duration is not None:
            took = format_duration(self.duration)
            usual = self.past.usual_duration
            text += f" ({took}; usually {format_duration(usual)})" if usual else f" ({took})"
        return text

    def tally(self) -> str:
        order = ("passed", "failed", "skipped", "interrupted", "carried over")
        parts = [f"{self.counts[o]} {o}" for o in order if self.counts.get(o)]
        return ", ".join(parts) or "no workflow ran"

    def short_text(self) -> str:
        """For chat targets: the failures, the warnings, when, and the report."""
        lines = []
        if self.login_error:
            lines.append(f"Login failed: {self.login_error}")
        else:
            for f in self.failed[:SHORT_FAILURES]:
                lines.append(f"{f.label} (phase {f.phase}): {f.kind}: {f.reason}")
            if len(self.failed) > SHORT_FAILURES:
                lines.append(f"… and {len(self.failed) - SHORT_FAILURES} more failed")
        if self.warnings:
            label, message = self.warnings[0]
            more = f" (and {len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
            lines.append(f"Warning: {_prefixed(label, message)}{more}")
        if self.carried_over:
            lines.append(f"Resumed: {_count(len(self.carried_over), 'workflow')} carried over")
        lines.append(f"{self.tally()} · {self.when()}")
        if self.report:
            lines.append(f"Report: {self.report}")
        lines.append(f"Run {self.run_id}")
        return "\n".join(lines)

    def full_text(self) -> str:
        """For e-mail: everything a reader needs without opening anything else."""
        lines = [self.title, ""]
        if self.reason:
            lines += [f"Why: {self.reason}", ""]
        lines.append(f"When: {self.when()}")
        lines.append(f"Workflows: {self.tally()}")
        if self.report_url:
            lines.append(f"Report: {self.report_url}")
        if self.report_path:
            lines.append(f"Report file: {self.report_path} (attached)")
        if self.failed:
            lines += ["", "Failed:"]
            for f in self.failed:
                lines.append(f"- {f.label} (phase {f.phase}): {f.kind}: {f.reason}")
                if f.server_error and f.server_error not in f.reason:
                    lines.append(f"  server: {f.server_error}")
        if self.not_run:
            lines += ["", "Not run:"]
            lines += [f"- {label}: {why}" for label, why in self.not_run]
        if self.warnings:
            lines += ["", "Warnings:"]
            lines += [f"- {_prefixed(label, message)}" for label, message in self.warnings]
        if self.carried_over:
            lines += ["", f"Carried over from run {self.resumed_from} (passed there):"]
            lines += [f"- {label}" for label in self.carried_over]
        if self.rows:
            lines += ["", "Every workflow:"]
            lines += [f"- {row}" for row in self.rows]
        lines += ["", f"Plan: {self.plan}"]
        if self.server:
            lines.append(f"Server: {self.server}")
        if self.ci_url:
            lines.append(f"Build: {self.ci_url}")
        lines.append(f"Run id: {self.run_id}")
        return "\n".join(lines)


def _failed(w: Mapping[str, Any]) -> FailedWorkflow:
    label = str(w.get("label"))
    kind_value = w.get("failure_kind")
    kind = FailureKind(kind_value).label if kind_value else "failed"
    reason = str(w.get("message") or "failed")
    # The runner's messages read "execution failure: Workflow 5: state = ..."; the
    # digest names the kind and the workflow itself.
    reason = reason.removeprefix(f"{kind}: ").removeprefix(f"{label}: ")
    return FailedWorkflow(label, str(w.get("phase")), kind, reason, w.get("server_error"))


def _prefixed(label: str, message: str) -> str:
    return message if message.startswith(label) else f"{label}: {message}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _time(value: object) -> datetime | None:
    return parse_timestamp(value) if isinstance(value, str) and value else None


def report_location(path: Path | None, cwd: Path) -> str | None:
    """report.html as the log shows it: relative to where the run started, when inside."""
    if path is None:
        return None
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)
