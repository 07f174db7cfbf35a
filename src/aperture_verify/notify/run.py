"""The controller's notifications and pings for one run, from configuration to the end.

The plugin's settings resolve ``[notify]`` and the environment once
(``Targets.load``: a mistake is a ``NotifyError``, exit 4, nothing run) and
the controller makes a ``RunNotifier`` of them. ``start`` pings the monitor;
``finish``, called once at the very end after the reports are written, sends
the run's message to the targets that are due and pings the monitor with the
exit status. Neither ever raises or changes the exit status: what went wrong
is a ``NotificationOutcome``, shown as one warning line and kept in
results.json (``record_outcomes``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aperture_verify.common.files import write_atomic
from aperture_verify.notify.digest import PastRuns, RunDigest
from aperture_verify.notify.outcome import NotificationOutcome
from aperture_verify.notify.ping import Pinger
from aperture_verify.notify.targets import Targets
from aperture_verify.plan.model import NotifySettings

__all__ = ["RunNotifier", "expand_report_url", "read_past", "record_outcomes"]

log = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def expand_report_url(template: str, environ: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """*template* with ``${VAR}`` / ``$VAR`` replaced from *environ*; ``None`` and the
    names of the variables that are not set, when some are (a broken link helps no one)."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if not environ.get(name):
            missing.append(name)
            return ""
        return environ[name]

    url = _VAR.sub(value, template)
    return (None, missing) if missing else (url, [])


def read_past(path: Path | None, plan: str, run_id: str) -> PastRuns:
    """What the history file says about the plan's runs before *run_id*; nothing when
    there is no history or it cannot be read (never fails the run)."""
    if path is None or not path.is_file():
        return PastRuns()
    try:
        from aperture_verify.history.store import HistoryStore

        with HistoryStore.open(path, create=False) as store:
            rows = store.runs(plan, last=50)
    except Exception as e:  # the history never fails a run
        log.warning("history not read for the notification: %s", e)
        return PastRuns()
    return PastRuns.from_rows(
        [(r.run_id, r.started_at, r.finished_at, r.exit_status) for r in rows if r.run_id != run_id]
    )


def record_outcomes(path: Path, outcomes: Sequence[NotificationOutcome]) -> None:
    """results.json's ``notifications``: every message and ping of the run, and its fate."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["notifications"] = [o.to_dict() for o in outcomes]
        write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    except (OSError, ValueError) as e:
        log.warning("notifications not recorded in %s: %s", path, e)


class RunNotifier:
    """Notifications and pings of one run, on the controller (or the only process)."""

    def __init__(
        self,
        settings: NotifySettings,
        targets: Targets | None,
        pinger: Pinger | None,
        environ: Mapping[str, str],
        *,
        utc: bool = False,
    ) -> None:
        self.settings = settings
        self.targets = targets
        self.pinger = pinger
        self.environ = dict(environ)
        self.utc = utc
        self.outcomes: list[NotificationOutcome] = []
        self.notes: list[str] = []  # warnings that are not a failed send
        self.finished = False

    @property
    def secrets(self) -> list[str]:
        found = list(self.targets.secrets) if self.targets else []
        return found + (self.pinger.secrets if self.pinger else [])

    def start(self, run_id: str) -> list[NotificationOutcome]:
        """The start ping of run *run_id* (the monitor then expects its end)."""
        if self.pinger is None:
            return []
        outcome = self.pinger.start(run_id)
        self.outcomes.append(outcome)
        return [] if outcome.ok else [outcome]

    def finish(
        self,
        doc: Mapping[str, Any],
        *,
        report: Path | None,
        report_shown: str | None,
        history: Path | None,
    ) -> list[NotificationOutcome]:
        """Once, at the very end: the message to each target due, then the end ping.
        The failed ones are returned (each is one warning line)."""
        if self.finished:
            return []
        self.finished = True
        failed: list[NotificationOutcome] = []
        try:
            digest = self.digest(doc, report_shown=report_shown, history=history)
            if self.targets is not None:
                sent = self.targets.send(digest, report, self.settings.timeout)
                self.outcomes += sent
                failed += [o for o in sent if not o.ok]
            if self.pinger is not None:
                outcome = self.pinger.finish(digest.exit_status, digest.short_text())
                self.outcomes.append(outcome)
                if not outcome.ok:
                    failed.append(outcome)
                self.pinger.close()
        except Exception as e:  # a notifier never fails the run
            log.exception("notifications failed")
            self.notes.append(f"notifications failed: {type(e).__name__}")
        return failed

    def digest(
        self, doc: Mapping[str, Any], *, report_shown: str | None, history: Path | None
    ) -> RunDigest:
        report_url = None
        if self.settings.report_url:
            report_url, missing = expand_report_url(self.settings.report_url, self.environ)
            if missing:
                names = ", ".join(missing)
                self.notes.append(
                    f"[notify] report_url: {names} not set, so the message has no link"
                )
        plan = str((doc.get("plan") or {}).get("name"))
        past = read_past(history, plan, str(doc.get("run_id") or ""))
        return RunDigest.from_results(
            doc, past=past, report_path=report_shown, report_url=report_url, utc=self.utc
        )
