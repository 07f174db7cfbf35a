"""The run time line: every test counted once, skipped ones too; pytest-html's line replaced."""

from __future__ import annotations

from pathlib import Path

from aperture_verify.reporting.tally import TestTally, finish_html, run_time_line


def test_each_test_counts_once_by_its_worst_report() -> None:
    tally = TestTally()
    for nodeid, when, outcome in [
        ("a", "setup", "passed"),
        ("a", "call", "passed"),
        ("a", "teardown", "passed"),
        ("b", "setup", "passed"),
        ("b", "call", "failed"),
        ("b", "teardown", "passed"),
        ("c", "setup", "skipped"),
        ("c", "teardown", "passed"),
        ("d", "setup", "passed"),
        ("d", "call", "passed"),
        ("d", "teardown", "failed"),
        ("e", "setup", "failed"),
    ]:
        tally.add(nodeid, when, outcome)
    tally.add("f", "call", "skipped", xfail=True)
    assert run_time_line(12.34, tally) == (
        "run time 12.3s · 6 tests: 1 passed, 1 failed, 2 error, 1 skipped, 1 xfailed"
    )


def test_no_test_and_no_time() -> None:
    assert run_time_line(None, TestTally()) == "run time - · 0 tests"


def test_pytest_html_count_is_replaced_and_escaped(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text('<h1>x</h1>\n<p class="run-count">7 tests took 00:00:13.</p>\n<p>rest</p>\n')
    assert finish_html(page, "run time 1.0s · <1> tests: 1 passed")
    text = page.read_text()
    assert '<p class="run-count">Run time 1.0s · &lt;1&gt; tests: 1 passed.</p>' in text
    assert "took" not in text and "<p>rest</p>" in text


def test_an_unknown_layout_is_left_alone(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("<p>no count here</p>")
    assert not finish_html(page, "run time 1.0s · 1 test: 1 passed")
    assert page.read_text() == "<p>no count here</p>"
