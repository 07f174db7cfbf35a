"""The controller's side of issue 21: notifications, monitor pings, the log's first and last lines.

The work is done by ``aperture_verify.notify``; the settings resolved the
targets and the ping URL once (``settings._notify``: a mistake is a usage
error, nothing run). The ``Controller`` calls these at their places in the run:

- ``make_notifier``, when it is made;
- ``RunNotifier.start``, the last step of its start-up: the monitor's start ping;
- ``write_first_lines``, from ``pytest_sessionstart``: the date, zone and run id;
- ``finish_notifications``, the last step of its end of the session, after
  every report was written and the run recorded in the history;
- ``write_last_lines``, from ``pytest_unconfigure``: each failed send as one
  warning line, then the verdict line, the log's last.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aperture_verify.common.timestamps import local_time
from aperture_verify.notify.digest import RunDigest, report_location
from aperture_verify.notify.ping import Pinger
from aperture_verify.notify.run import RunNotifier, record_outcomes
from aperture_verify.plugin.settings import RunSettings

if TYPE_CHECKING:
    from aperture_verify.plugin.reports import ReportPlugin


def make_notifier(settings: RunSettings) -> RunNotifier | None:
    """The run's notifier, or ``None`` when neither targets nor a ping URL are set."""
    if settings.notify_targets is None and settings.ping_url is None:
        return None
    pinger = Pinger(settings.ping_url) if settings.ping_url else None
    return RunNotifier(
        settings.plan.notify, settings.notify_targets, pinger, os.environ, utc=settings.utc
    )


def write_first_lines(tr: Any, run_id: str, utc: bool, notifier: RunNotifier | None) -> None:
    """``aperture: run 3f2a… started 2026-12-07 05:09:57 CET`` (the log's first line),
    then a failed start ping's warning."""
    now = local_time(datetime.now(UTC), utc=utc)
    tr.write_line(f"aperture: run {run_id} started {now}")
    for outcome in notifier.outcomes if notifier is not None else ():
        if not outcome.ok:
            tr.write_line(outcome.warning(), yellow=True)


def finish_notifications(
    notifier: RunNotifier | None, reports: ReportPlugin, history_path: Path | None
) -> None:
    """The run's message and end ping, after the reports; never fails the run."""
    if notifier is None or reports.results_doc is None:
        return
    from aperture_verify.plugin.reports import RESULTS_FILE

    html = reports.html_path if reports.html_path and reports.html_path.is_file() else None
    notifier.finish(
        reports.results_doc,
        report=html,
        report_shown=str(html) if html else None,  # read elsewhere: the full path
        history=history_path,
    )
    record_outcomes(reports.reports_dir / RESULTS_FILE, notifier.outcomes)


def write_last_lines(
    tr: Any,
    notifier: RunNotifier | None,
    reports: ReportPlugin | None,
    exit_status: int | None,
    *,
    utc: bool,
    cwd: Path,
) -> None:
    """Each failed send as one warning line, then the verdict line (the log's last):
    ``aperture: nightly FAILED (exit 12, execution failure): Workflow 5: …; report:
    reports/report.html · run 3f2a…, ended 2026-12-07 05:10:19 CET``."""
    doc = reports.results_doc if reports is not None else None
    if tr is None or reports is None or doc is None:
        return
    if notifier is not None:
        for outcome in notifier.outcomes:
            if not outcome.ok and outcome.event != "start":  # shown at the start
                tr.write_line(outcome.warning(), yellow=True)
        for note in notifier.notes:
            tr.write_line(f"aperture: WARNING: {note}", yellow=True)
    doc = dict(doc)
    if exit_status is not None:
        doc["exit_status"] = exit_status
    html = reports.html_path if reports.html_path and reports.html_path.is_file() else None
    digest = RunDigest.from_results(doc, report_path=report_location(html, cwd), utc=utc)
    ended = local_time(digest.finished_at or datetime.now(UTC), utc=utc)
    markup = {"green": True} if digest.passed else {"red": True}
    tr.write_line(
        f"{digest.verdict_line()} · run {digest.run_id}, ended {ended}", bold=True, **markup
    )
