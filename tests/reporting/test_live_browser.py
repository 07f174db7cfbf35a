"""The live report and the history page of real runs, opened in headless Chromium.

Mid-run, report.html is the live page: the browser shows the workflow running
and the phase still pending, and reloads the page by itself (counted by a
small HTTP server on 127.0.0.1); the final report, written over it, does not
reload. After several runs, history.html has a chart per workflow with the
slow night marked, and report.html links each workflow to its chart.
Screenshots are kept under reports/ (``live-page.png``, ``history-page.png``).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aperture_verify.history.cli import main as history_main
from aperture_verify.history.page import chart_anchor
from browser_support import CHROMIUM, NO_CHROMIUM, chromium, chromium_open, console_errors
from phase_project import HANG_GUARD, Project, workflow

SHOTS = Path(__file__).resolve().parents[2] / "reports"

pytestmark = [
    pytest.mark.slow,  # pytest and a headless browser in subprocesses
    pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM),
]


class Served:
    """A folder served on 127.0.0.1 (port 0), counting the GET requests per path."""

    def __init__(self, folder: Path) -> None:
        self.hits: Counter[str] = Counter()
        hits = self.hits

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path.split("?")[0]] += 1
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=folder))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    folder = tmp_path / "served"
    folder.mkdir()
    s = Served(folder)
    yield s
    s.close()


def wait_for_running(results: Path, label: str, timeout: float = HANG_GUARD) -> None:
    """Until results.json says *label* is running (the live report wrote it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            doc = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        running = [w["label"] for w in (doc.get("progress") or {}).get("running", [])]
        if doc.get("verdict") == "running" and label in running:
            return
        time.sleep(0.05)
    raise AssertionError(f"{results} never said {label} was running")


def test_live_page_mid_run_shows_the_running_workflow_and_refreshes_the_final_does_not(
    project: Project, tmp_path: Path, served: Served
) -> None:
    seed(project, tmp_path, {"Lädt": ("load", [6.0, 6.2, 5.8]), "W2": ("publish", [0.3])})
    project.emulator.add_workflow(workflow("Lädt", 6.0))
    project.emulator.add_workflow(workflow("W2", 0.3))
    project.write({"load": ["Lädt"], "publish": ["W2"]})
    run = project.start("-n", "2")
    reports = project.path / "reports"
    folder = Path(served.server.RequestHandlerClass.keywords["directory"])  # type: ignore[attr-defined]
    try:
        wait_for_running(reports / "results.json", "Lädt")
        # the page as it stands now, copied while the run goes on
        shutil.copy(reports / "report.html", folder / "live.html")
    finally:
        result = run.wait()
    assert result.ret == 0, run.output()[-3000:]
    shutil.copy(reports / "report.html", folder / "final.html")

    live = chromium(tmp_path, "--dump-dom", (folder / "live.html").as_uri(), budget_ms=None)
    assert live.returncode == 0, live.stderr[-2000:]
    assert not console_errors(live.stderr), console_errors(live.stderr)
    dom = live.stdout
    assert "IN PROGRESS" in dom and "phase 1 of 2: <b>load</b>" in dom
    assert '<meta http-equiv="refresh" content="3">' in dom
    running = dom[dom.index('<table class="av running">') :]
    assert '<tr data-label="Lädt">' in running[: running.index("</table>")]
    assert '<tr data-phase="publish" data-state="pending">' in dom
    assert 'class="bar bar-running" data-label="Lädt"' in dom
    assert f'href="history.html#{chart_anchor("Lädt")}"' in dom
    # usually 6 s (the median of its 3 nights), and an end expected from that
    assert '<td class="num">6s</td><td class="num">20s</td></tr>' in running
    assert re.search(r"expected end \d\d:\d\d:\d\d UTC \(in \d", dom), dom[:3000]

    final = chromium(tmp_path, "--dump-dom", (folder / "final.html").as_uri())
    assert final.returncode == 0, final.stderr[-2000:]
    assert "IN PROGRESS" not in final.stdout and 'id="aperture-summary"' in final.stdout
    assert 'Verdict: <span class="verdict-passed">PASSED</span>' in final.stdout
    assert "http-equiv" not in final.stdout

    # Both pages open in real browsers: the live one reloads itself every 3 s; by its
    # third load the final one would have reloaded too, had it a refresh.
    browsers = [
        chromium_open(tmp_path, served.url("live.html"), "live"),
        chromium_open(tmp_path, served.url("final.html"), "final"),
    ]
    try:
        deadline = time.monotonic() + 60
        while served.hits["/live.html"] < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for browser in browsers:
            browser.terminate()
            browser.wait(timeout=30)
    assert served.hits["/live.html"] >= 3, served.hits
    assert served.hits["/final.html"] == 1, served.hits

    shot = chromium(
        tmp_path, f"--screenshot={SHOTS / 'live-page.png'}", "--window-size=1200,1100",
        (folder / "live.html").as_uri(), budget_ms=None,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]


def seed(project: Project, tmp_path: Path, nights: dict[str, tuple[str, list[float]]]) -> None:
    """Past nights in the project's history: label -> (phase, its duration each night)."""
    files = []
    for n in range(max(len(durations) for _phase, durations in nights.values())):
        doc = {
            "version": 1,
            "run_id": f"seed-{n}",
            "plan": {"name": "main"},
            "server": {"url": project.emulator.url},  # bands are of one server
            "started_at": f"2026-11-{n + 1:02d}T04:00:00.000Z",
            "finished_at": f"2026-11-{n + 1:02d}T04:01:00.000Z",
            "exit_status": 0,
            "verdict": "passed",
            "workflows": [
                {"label": label, "phase": phase, "outcome": "passed",
                 "duration": durations[n], "state": "COMPLETED", "steps": []}
                for label, (phase, durations) in nights.items() if n < len(durations)
            ],
        }  # fmt: skip
        path = tmp_path / f"night-{n}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        files.append(str(path))
    history = project.path / ".aperture" / "history.sqlite"
    assert history_main(["--history", str(history), "import", *files]) == 0


def test_history_page_after_several_runs_marks_the_slow_night(
    project: Project, tmp_path: Path
) -> None:
    seed(
        project,
        tmp_path,
        {"W1": ("load", [0.3, 0.32, 0.3, 0.31, 0.3, 0.3]), "Wö 2": ("publish", [0.3] * 6)},
    )
    project.emulator.add_workflow(workflow("W1", 2.5))  # about 8 times its usual 0.3 s
    project.emulator.add_workflow(workflow("Wö 2", 0.3))
    project.write(
        {"load": ["W1"], "publish": ["Wö 2"]},
        extra='[workflows."W1"]\nwarn_max_duration = "2s"\n',
    )
    result = project.run("-n", "0")
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    reports = project.path / "reports"
    page = reports / "history.html"
    assert page.is_file()

    run = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert not console_errors(run.stderr), console_errors(run.stderr)
    dom = run.stdout
    assert len(re.findall(r'class="night night-passed"', dom)) == 7  # six seeded, tonight
    charts = re.findall(r'<div class="chart" id="([^"]+)" data-label="([^"]+)">', dom)
    assert charts == [(chart_anchor("W1"), "W1"), (chart_anchor("Wö 2"), "Wö 2")]
    w1 = dom[dom.index(f'id="{chart_anchor("W1")}"') : dom.index(f'id="{chart_anchor("Wö 2")}"')]
    assert 'data-warned="1"' in w1 and w1.count('class="mark mark-warned"') == 1
    assert 'class="band"' in w1 and 'class="warn-line"' in w1 and "warn max 2s" in w1
    # report.html links each workflow to its chart
    report = (reports / "report.html").read_text(encoding="utf-8")
    for label in ("W1", "Wö 2"):
        assert f"history.html#{chart_anchor(label)}" in report  # in pytest-html's data

    shot = chromium(
        tmp_path, f"--screenshot={SHOTS / 'history-page.png'}", "--window-size=1000,900",
        page.as_uri(), budget_ms=1000,
    )  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]


def test_a_killed_run_leaves_a_page_that_says_so(project: Project, tmp_path: Path) -> None:
    """Killed outright (SIGKILL: nothing runs at its end), the run's page stops being
    rewritten: the browser calls it stale, and the next run's page names the run."""
    project.emulator.add_workflow(workflow("W1", 30.0))
    project.write({"load": ["W1"]})
    reports = project.path / "reports"
    killed = project.start("-n", "0")
    try:
        wait_for_running(reports / "results.json", "W1")
    finally:
        killed.kill()
    left = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    assert left["verdict"] == "running"
    # The page as a reader finds it later: its written-at moved back by the stale delay
    page = (reports / "report.html").read_text(encoding="utf-8")
    written = re.search(r'data-written="(\d+)"', page)
    assert written is not None
    old = page.replace(written.group(0), f'data-written="{int(written.group(1)) - 121_000}"')
    (tmp_path / "old.html").write_text(old, encoding="utf-8")
    run = chromium(tmp_path, "--dump-dom", (tmp_path / "old.html").as_uri(), budget_ms=None)
    assert 'id="stale" style="display: block;"' in run.stdout
    fresh = chromium(tmp_path, "--dump-dom", (reports / "report.html").as_uri(), budget_ms=None)
    assert 'id="stale"' in fresh.stdout and 'style="display: block;"' not in fresh.stdout

    project.emulator.add_workflow(workflow("W1", 2.0))  # long enough to be seen running
    following = project.start("-n", "0", log="second.txt")
    try:
        deadline = time.monotonic() + HANG_GUARD
        while time.monotonic() < deadline:
            text = (reports / "report.html").read_text(encoding="utf-8")
            if 'id="previous-unfinished"' in text or 'id="aperture-summary"' in text:
                break
            time.sleep(0.05)
        assert 'id="previous-unfinished"' in text, text[:2000]
        assert f"run id {left['run_id']}" in text
    finally:
        assert following.wait().ret == 0, following.output()[-3000:]
