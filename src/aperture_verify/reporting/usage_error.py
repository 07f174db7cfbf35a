"""The reports of a run stopped by a usage error (exit status 4): they describe it.

A run that stops on a bad ``plans.toml``, option or environment variable
would otherwise leave the previous run's reports in place, and a CI job that
archives ``results.json`` or reads ``junit.xml`` would take that run's verdict
for this one's. So the three files are rewritten: ``results.json`` with
verdict ``"error"``, exit status 4 and the message (or 2, for a run stopped by a
signal before its first phase); ``junit.xml`` with one
errored case; ``report.html`` with the message. Builders only: the pytest side
(``plugin/plugin.py``, ``plugin/usage.py``) decides when and where.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from aperture_verify.common.templating import render
from aperture_verify.common.timestamps import format_timestamp
from aperture_verify.reporting.results_json import FORMAT_VERSION
from aperture_verify.reporting.run import ci_build

#: ``verdict`` of a run that a usage error stopped before anything ran.
VERDICT_ERROR = "error"


def error_results(message: str, exit_status: int, plan: str | None, at: datetime) -> dict[str, Any]:
    """``results.json`` (version 1) of a run stopped before it started."""
    return {
        "version": FORMAT_VERSION,
        "plan": {"name": plan} if plan else None,
        "server": None,
        "started_at": format_timestamp(at),
        "finished_at": format_timestamp(at),
        "duration": 0.0,
        "exit_status": exit_status,
        "verdict": VERDICT_ERROR,
        "error": message,
        "login_error": None,
        "ci": ci_build(os.environ) or None,
        "phases": [],
        "workflows": [],
    }


def error_results_text(message: str, exit_status: int, plan: str | None, at: datetime) -> str:
    return json.dumps(error_results(message, exit_status, plan, at), indent=2, ensure_ascii=False)


def error_junit(
    message: str, plan: str | None, at: datetime, case_name: str = "usage error"
) -> str:
    """``junit.xml``: one suite named after the plan, one errored case saying why."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=plan or "aperture-verify",
        errors="1",
        failures="0",
        skipped="0",
        tests="1",
        time="0.000",
        timestamp=at.isoformat(),
        hostname=os.uname().nodename if hasattr(os, "uname") else "localhost",
    )
    classname = f"{plan or 'aperture-verify'}.run"
    case = ET.SubElement(suite, "testcase", classname=classname, name=case_name, time="0")
    error = ET.SubElement(case, "error", message=message)
    error.text = message
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def error_html(message: str, plan: str | None, at: datetime, exit_status: int = 4) -> str:
    """``report.html``: a self-contained page with the message."""
    title = f"{plan} · aperture-verify" if plan else "aperture-verify"
    return (
        str(
            render(
                "usage_error.html.jinja",
                title=title,
                message=message,
                at=format_timestamp(at) or "",
                exit_status=exit_status,
            )
        )
        + "\n"
    )
