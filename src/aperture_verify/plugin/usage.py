"""A run stopped by a usage error leaves reports that say so (docs/checks.md, "Bad input").

Without this, the previous run's ``results.json`` (verdict "passed", say)
would still be in the reports folder after an exit 4, and a CI job archiving
it would report that run's verdict for this one.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aperture_verify.common.files import write_atomic
from aperture_verify.common.redaction import redact
from aperture_verify.reporting.results_json import last_real_run
from aperture_verify.reporting.usage_error import error_html, error_junit, error_results

EXIT_USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)
SECRET_VARIABLES = ("APERTURE_API_KEY", "APERTURE_PASSWORD")
_CASES = {int(pytest.ExitCode.INTERRUPTED): "interrupted"}  # junit.xml's case, by exit status


def write_usage_error_reports(
    paths: tuple[Path, Path, Path],
    plan: str | None,
    message: str,
    exit_status: int = EXIT_USAGE_ERROR,
    this_run: str | None = None,
) -> None:
    """The three reports at *paths* (results.json, junit.xml, report.html), describing a
    run of *plan* stopped by *message* (exit status 4; or 2, a signal before the first
    phase, issue 22).

    Best effort: a report that cannot be written (the usage error may be
    exactly that) is removed instead, if it can be.
    """
    message = redact(message, [os.environ.get(v, "") for v in SECRET_VARIABLES])
    at = datetime.now(UTC)
    results, junit, html = paths
    doc = error_results(message, exit_status, plan, at)
    doc["previous_run"] = last_real_run(results, this_run)  # what --resume resumes from
    for path, text in (
        (results, json.dumps(doc, indent=2, ensure_ascii=False) + "\n"),
        (junit, error_junit(message, plan, at, _CASES.get(exit_status, "usage error"))),
        (html, error_html(message, plan, at, exit_status)),
    ):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
