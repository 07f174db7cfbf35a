"""The HTML report of a real run, opened in headless Chromium.

A run against the emulator with one failing workflow writes report.html; the
browser loads it from disk with the network cut off (everything must be
inline), and the test reads the DOM the report's own script rendered: the
summary, the timeline and the failed workflow's details, and no console error.
A screenshot is kept under reports/ (``report-browser.png``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_support import CHROMIUM, NO_CHROMIUM, chromium, console_errors
from phase_project import Project, workflow

SCREENSHOT = Path(__file__).resolve().parents[2] / "reports" / "report-browser.png"

pytestmark = [
    pytest.mark.slow,  # pytest and a headless browser in subprocesses
    pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
]


def test_the_console_check_sees_a_page_error(tmp_path: Path) -> None:
    """The detector itself: a page that throws must be caught, or the check proves nothing."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>noSuchFunction()</script></body></html>")
    run = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert console_errors(run.stderr), run.stderr[-2000:]


def test_report_renders_summary_timeline_and_failure_details(
    project: Project, tmp_path: Path
) -> None:
    for label in ("W1", "W2", "W4", "W5"):
        project.emulator.add_workflow(workflow(label, 0.4))
    project.emulator.add_workflow(
        workflow("W3", 0.3, outcome="FAILED", error="Step 'Lookup' failed: dataset missing")
    )
    project.write(
        {"load": ["W1"], "cleanse": ["W2", "W3", "W4"], "publish": ["W5"]},
        extra='[workflows."W3"]\nsteps."Validate" = { failedRows = { max = 0 } }\n'
        'steps."Export" = { rowsOut = { min = 1 } }\n',
    )
    result = project.run("-n", "2")
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    report = project.pytester.path / "reports" / "report.html"

    run = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert not console_errors(run.stderr), console_errors(run.stderr)

    # the summary on top: plan, server, per-phase counts
    assert 'id="aperture-summary"' in dom
    assert project.emulator.url in dom
    assert re.search(
        r'<tr data-phase="cleanse"><td>2</td><td>cleanse</td><td class="num">3'
        r'</td><td class="num">2</td><td class="num not-met">1</td>',
        dom,
    )
    # the timeline: one bar per job that ran, the failed one red, a barrier per phase change
    assert dom.count('class="bar bar-') == 4
    assert 'class="bar bar-failed" data-label="W3"' in dom
    assert dom.count('class="barrier"') == 2
    # the rows pytest-html's script rendered, with our columns
    assert 'class="col-phase">cleanse</td>' in dom
    # the failed workflow's details, expanded (failures are not collapsed)
    details = dom[dom.index('class="aperture aperture-details" data-label="W3"') :]
    details = details[: details.index("</table>", details.index('class="av checks"'))]
    assert "dataset missing" in details
    assert "state = FAILED, expected COMPLETED" in details
    assert "✘ not met" in details and "✔ met" in details
    assert "missing" in details  # the expected "Export" step the job does not have
    # the skipped workflow says why
    assert "not run: W3 (phase 'cleanse') failed" in dom

    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = chromium(
        tmp_path, f"--screenshot={SCREENSHOT}", "--window-size=1400,2000", report.as_uri()
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert SCREENSHOT.stat().st_size > 10_000
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
