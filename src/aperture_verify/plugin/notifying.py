"""The plugin's side of issue 21: notifications, monitor pings and the log's first and last lines.

The work is done by ``aperture_verify.notify``; this module only calls it at
its places in the run, on the controller (or the only process):

- ``configure_notifier``, from ``pytest_configure``, before the server is
  contacted: ``[notify]`` and the environment resolved once (a mistake is a
  usage error: exit 4, nothing run);
- ``start_pings``, at the end of ``pytest_configure``: the monitor's start ping;
- ``write_first_lines``, from ``pytest_sessionstart``: the date, zone and run id;
- ``finish_notifications``, the last step of ``controller.EndOfSession``, after
  every report was written and the run recorded in the history;
- ``last_lines``, from ``pytest_unconfigure``: each failed send as one warning
  line, then the verdict line, the log's last.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from aperture_verify.common.timestamps import local_time
from aperture_verify.notify.digest import RunDigest, report_location
from aperture_verify.notify.run import RunNotifier, record_outcomes
from aperture_verify.notify.targets import NotifyError
from aperture_verify.plan.model import NotifySettings
from aperture_verify.plugin.options import flag

if TYPE_CHECKING:
    from aperture_verify.plugin.reports import ReportPlugin

#: The run's notifier, when notifications or pings are configured (controller only).
NOTIFIER_KEY = pytest.StashKey[RunNotifier]()


def utc_wanted(config: pytest.Config) -> bool:
    return flag(config, "aperture_utc")


def configure_notifier(config: pytest.Config, settings: NotifySettings, *, dry_run: bool) -> None:
    """Resolve notifications and pings once (a dry run and ``--collect-only`` send no
    message and no ping)."""
    if dry_run or config.getoption("collectonly") or flag(config, "aperture_no_notify"):
        return
    try:
        notifier = RunNotifier.configure(settings, os.environ, utc=utc_wanted(config))
    except NotifyError as e:
        raise pytest.UsageError(str(e)) from None
    if notifier is not None:
        config.stash[NOTIFIER_KEY] = notifier


def start_pings(config: pytest.Config, run_id: str) -> None:
    notifier = config.stash.get(NOTIFIER_KEY, None)
    if notifier is not None:
        notifier.start(run_id)


def write_first_lines(tr: Any, config: pytest.Config, run_id: str) -> None:
    """``aperture: run 3f2a… started 2026-12-07 05:09:57 CET`` (the log's first line),
    then a failed start ping's warning."""
    now = local_time(datetime.now(UTC), utc=utc_wanted(config))
    tr.write_line(f"aperture: run {run_id} started {now}")
    notifier = config.stash.get(NOTIFIER_KEY, None)
    for outcome in notifier.outcomes if notifier is not None else ():
        if not outcome.ok:
            tr.write_line(outcome.warning(), yellow=True)


def finish_notifications(
    config: pytest.Config, reports: ReportPlugin, history_path: Path | None
) -> None:
    """The run's message and end ping, after the reports; never fails the run."""
    notifier = config.stash.get(NOTIFIER_KEY, None)
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


def last_lines(config: pytest.Config, session: pytest.Session | None) -> None:
    """Each failed send as one warning line, then the verdict line (the log's last):
    ``aperture: nightly FAILED (exit 12, execution failure): Workflow 5: …; report:
    reports/report.html · run 3f2a…, ended 2026-12-07 05:10:19 CET``."""
    if hasattr(config, "workerinput"):
        return
    tr = config.pluginmanager.get_plugin("terminalreporter")
    reports = config.pluginmanager.get_plugin("aperture-reports")
    doc = getattr(reports, "results_doc", None)
    if tr is None or reports is None or doc is None:
        return
    notifier = config.stash.get(NOTIFIER_KEY, None)
    if notifier is not None:
        start = {id(o) for o in notifier.outcomes if o.event == "start"}
        for outcome in notifier.outcomes:
            if not outcome.ok and id(outcome) not in start:  # the start's were shown at once
                tr.write_line(outcome.warning(), yellow=True)
        for note in notifier.notes:
            tr.write_line(f"aperture: WARNING: {note}", yellow=True)
    doc = dict(doc)
    if session is not None:
        doc["exit_status"] = int(session.exitstatus)
    html = reports.html_path if reports.html_path and reports.html_path.is_file() else None
    utc = utc_wanted(config)
    digest = RunDigest.from_results(
        doc, report_path=report_location(html, config.invocation_params.dir), utc=utc
    )
    ended = local_time(digest.finished_at or datetime.now(UTC), utc=utc)
    markup = {"green": True} if digest.passed else {"red": True}
    tr.write_line(
        f"{digest.verdict_line()} · run {digest.run_id}, ended {ended}", bold=True, **markup
    )
