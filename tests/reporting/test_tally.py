"""The run time line: every test counted once, skipped ones too."""

from __future__ import annotations

from aperture_verify.reporting.tally import TestTally, run_time_line


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


def test_an_interrupted_workflow_counts_as_interrupted_not_as_an_error_or_a_skip() -> None:
    tally = TestTally()
    tally.add("w1", "setup", "passed")
    tally.add("w1", "call", "passed")
    tally.add("w2", "setup", "passed")  # its worker's set-up, before the interruption
    tally.add("w2", "setup", "interrupted")  # the controller's report of it
    tally.add("w2", "teardown", "passed")
    tally.add("w3", "setup", "skipped")
    assert run_time_line(6.6, tally) == (
        "run time 6.6s · 3 tests: 1 passed, 1 interrupted, 1 skipped"
    )


def test_no_test_and_no_time() -> None:
    assert run_time_line(None, TestTally()) == "run time - · 0 tests"
