"""Unit tests of the report builders on synthetic results: timeline, JSON, HTML (JUnit:
test_junit_rewrite.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aperture_verify.common.redaction import safe_url
from aperture_verify.execution.results import (
    Outcome,
    WorkflowResult,
)
from aperture_verify.plan.model import Phase, Plan, ServerSettings, WorkflowSpec
from aperture_verify.reporting.html import details_html, summary_html
from aperture_verify.reporting.results_json import build_results, write_results
from aperture_verify.reporting.run import RunSummary, ci_build
from aperture_verify.reporting.timeline import render_timeline, tick_step
from report_support import at, failed_w3, ran


def results() -> list[WorkflowResult]:
    skipped = WorkflowResult(
        "W5", "publish", outcome=Outcome.SKIPPED, message="not run: W3 (phase 'cleanse') failed"
    )
    return [ran("W1", "load", 0.0, 1.5), ran("W2", "cleanse", 2.0, 4.0), failed_w3(), skipped]


def plan() -> Plan:
    def spec(label: str, phase: str) -> WorkflowSpec:
        return WorkflowSpec(label, phase, "Demo")

    return Plan(
        name="nightly",
        phases=(
            Phase("load", (spec("W1", "load"),)),
            Phase("cleanse", (spec("W2", "cleanse"), spec("W3", "cleanse"))),
            Phase("publish", (spec("W5", "publish"),)),
        ),
        on_failure="stop",
        max_parallel=4,
        server=ServerSettings(url="https://ads.example.com:7701"),
        source=Path("plans.toml"),
    )


def run_summary() -> RunSummary:
    return RunSummary(
        plan(),
        safe_url("https://bob:pw-123456@ads.example.com:7701/?apikey=zz"),
        at(-1),
        at(5),
        results(),
        exit_status=12,
    )


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(0, "passed"), (12, "failed"), (2, "interrupted"), (5, "empty")],
)
def test_the_verdict_says_what_the_run_did(status: int, verdict: str) -> None:
    passed = [r for r in results() if r.outcome is Outcome.PASSED]
    mine = {12: results(), 5: []}.get(status, passed)
    url = safe_url("https://ads.example.com/")
    summary = RunSummary(plan(), url, at(-1), at(5), mine, exit_status=status)
    assert summary.verdict == verdict


# -- timeline ------------------------------------------------------------------------


def test_timeline_draws_a_bar_per_job_grouped_by_phase() -> None:
    svg = ET.fromstring(render_timeline(results(), ["load", "cleanse", "publish"]))
    ns = "{http://www.w3.org/2000/svg}"
    groups = svg.findall(f"{ns}g")
    assert [g.get("data-phase") for g in groups] == ["load", "cleanse", "publish"]
    bars = [r for r in svg.iter(f"{ns}rect") if "bar" in (r.get("class") or "").split()]
    assert [b.get("data-label") for b in bars] == ["W1", "W2", "W3"]
    assert "bar-failed" in (bars[2].get("class") or "")
    # the two cleanse jobs start together: same x, side by side
    assert bars[1].get("x") == bars[2].get("x")
    # W1 ends before cleanse starts; a barrier line marks each phase that has a next one
    assert float(bars[0].get("x", 0)) + float(bars[0].get("width", 0)) < float(bars[1].get("x", 0))
    assert len([x for x in svg.iter(f"{ns}line") if x.get("class") == "barrier"]) == 2
    queued = [r for r in svg.iter(f"{ns}rect") if r.get("class") == "queued"]
    assert len(queued) == 3
    texts = "".join(t.text or "" for t in svg.iter(f"{ns}text"))
    assert "skipped" in texts and "phase 3: publish" in texts


def test_timeline_without_any_job_is_still_valid_svg() -> None:
    only_skipped = [WorkflowResult("W1", "load", outcome=Outcome.SKIPPED)]
    svg = ET.fromstring(render_timeline(only_skipped, ["load"]))
    assert svg.get("data-jobs") == "0"


def test_timeline_escapes_labels() -> None:
    """Markup in a label or phase name is shown as written: escaped once, not dropped."""
    label, phase = '<W&1 "x">', "lo<ad>&"
    svg = ET.fromstring(render_timeline([ran(label, phase, 0, 1)], [phase]))
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in svg.iter(f"{ns}text")]
    assert label in texts
    assert f"phase 1: {phase}" in texts
    (bar,) = [r for r in svg.iter(f"{ns}rect") if r.get("data-label") is not None]
    assert bar.get("data-label") == label
    assert label in "".join(bar.itertext())  # the tooltip
    assert [g.get("data-phase") for g in svg.iter(f"{ns}g")] == [phase]


@pytest.mark.parametrize(("span", "step"), [(0.5, 0.1), (9, 1), (45, 5), (600, 60), (7200, 900)])
def test_tick_steps_are_round(span: float, step: float) -> None:
    assert tick_step(span) == step


# -- results.json --------------------------------------------------------------------


def test_results_json_has_the_documented_fields(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "results.json"
    write_results(path, run_summary())
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["plan"]["name"] == "nightly"
    assert data["plan"]["phases"][1] == {"name": "cleanse", "workflows": ["W2", "W3"]}
    assert data["server"] == {
        "url": "https://ads.example.com:7701/",
        "emulator": False,
        "api": "v2",
        "dialect": "contract",
        "environment": "default",
        "space": "Default",
    }
    assert data["started_at"] == "2026-01-05T01:59:59.000Z"
    assert data["duration"] == 6.0 and data["exit_status"] == 12 and data["verdict"] == "failed"
    w3 = data["workflows"][2]
    assert {
        k: w3[k]
        for k in (
            "label",
            "phase",
            "outcome",
            "failure_kind",
            "state",
            "job_id",
            "job_url",
            "duration",
            "min_duration",
            "max_duration",
            "polls",
        )
    } == {
        "label": "W3",
        "phase": "cleanse",
        "outcome": "failed",
        "failure_kind": "execution",
        "state": "FAILED",
        "job_id": "job-W3",
        "job_url": "https://ads.example.com/#/jobs/job-W3",
        "duration": 1.0,
        "min_duration": 0.5,
        "max_duration": 60.0,
        "polls": 3,
    }
    assert w3["submitted_at"] == "2026-01-05T02:00:01.500Z"
    assert w3["checks"][0] == {
        "name": "state",
        "expected": "COMPLETED",
        "actual": "FAILED",
        "ok": False,
    }
    assert w3["steps"][1]["name"] == "Lookup" and w3["steps"][1]["rowsIn"] == 10
    assert data["phases"][1] == {
        "name": "cleanse",
        "total": 2,
        "passed": 1,
        "failed": 1,
        "skipped": 0,
        "interrupted": 0,
    }
    # a reader gets the results back
    assert WorkflowResult.from_dict(w3).failed_checks[0].name == "state"
    assert (path.stat().st_mode & 0o777) != 0o600


def test_results_json_carries_no_credential_in_the_url() -> None:
    text = json.dumps(build_results(run_summary()))
    assert "pw-123456" not in text and "bob" not in text and "apikey" not in text


def test_ci_build_from_jenkins_and_github() -> None:
    assert ci_build({"BUILD_URL": "https://ci/job/1/", "BUILD_NUMBER": "1"}) == {
        "url": "https://ci/job/1/",
        "number": "1",
    }
    github = ci_build(
        {
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_RUN_ID": "99",
            "GITHUB_RUN_NUMBER": "7",
        }
    )
    assert github == {
        "url": "https://github.com/o/r/actions/runs/99",
        "number": "7",
        "run_id": "99",
    }
    assert ci_build({}) == {}


# -- HTML ----------------------------------------------------------------------------


def test_details_show_limits_link_error_steps_and_failed_checks() -> None:
    html = details_html(failed_w3())
    assert '<a href="https://ads.example.com/#/jobs/job-W3"' in html
    assert "1s (limits 0.5s..1m00s)" in html
    assert "Step &#39;Lookup&#39; failed &lt;dataset missing&gt;" in html  # escaped
    assert html.count("✘ not met") == 3  # state, Export (steps table and checks table)
    assert "rowsOut ≥ 5: 10" in html
    assert "<li>state = FAILED, expected COMPLETED</li>" in html
    ET.fromstring(html.replace("<br>", "<br/>"))  # well-formed


def test_skipped_details_say_why() -> None:
    html = details_html(results()[3])
    assert "Why skipped" in html and "not run: W3 (phase &#39;cleanse&#39;) failed" in html


def test_summary_has_plan_server_counts_and_timeline() -> None:
    html = summary_html(run_summary())
    assert "nightly" in html and "https://ads.example.com:7701/" in html
    assert "pw-123456" not in html
    assert '<tr data-phase="cleanse"><td>2</td><td>cleanse</td><td class="num">2</td>' in html
    assert "aperture-timeline" in html and "exit status 12" in html
    assert "<dt>API profile</dt><dd>v2 · dialect contract · environment default" in html


def test_summary_puts_verdict_failures_and_timeline_before_the_facts() -> None:
    html = summary_html(run_summary(), run_line="run time 6s · <4> tests: 2 passed")
    assert '<p class="run-line">Run time 6s · &lt;4&gt; tests: 2 passed.</p>' in html
    order = [
        html.index('Verdict: <span class="verdict-failed">FAILED</span> (exit status 12)'),
        html.index("<h3>What failed</h3>"),
        html.index("<h3>Timeline</h3>"),
        html.index('<table class="av phases">'),
        html.index("<dt>Plan</dt>"),
    ]
    assert order == sorted(order)
    # the stylesheet that shows pytest-html's environment table last is in the block
    assert "body > #environment-header, body > #environment { order: 1; }" in html
