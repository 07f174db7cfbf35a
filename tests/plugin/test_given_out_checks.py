"""A phase check a worker was given when the run was interrupted, whose first report
never reached the controller, is reported cut short like one whose report did."""

from __future__ import annotations

from types import SimpleNamespace

from aperture_verify.plugin.reports import ReportPlugin


def _reports(case_names: dict[str, object]) -> SimpleNamespace:
    reports = SimpleNamespace(
        case_names=case_names,
        module_phase={"test_phases/test_first.py": "first"},
        unfinished_checks=set(),
    )
    reports._unreported_check = lambda n: ReportPlugin._unreported_check(reports, n)  # type: ignore[arg-type]
    return reports


def test_a_check_given_out_without_a_report_counts_as_cut_short() -> None:
    reports = _reports({})
    ReportPlugin.check_given_out(reports, "test_phases/test_first.py::test_slow_check")  # type: ignore[arg-type]
    assert reports.unfinished_checks == {"test_phases/test_first.py::test_slow_check"}


def test_a_check_whose_report_arrived_is_left_to_its_reports() -> None:
    nodeid = "test_phases/test_first.py::test_slow_check"
    reports = _reports({nodeid: ("main.first", "test_slow_check")})
    ReportPlugin.check_given_out(reports, nodeid)  # type: ignore[arg-type]
    assert reports.unfinished_checks == set()


def test_a_test_outside_the_phase_modules_is_not_a_phase_check() -> None:
    reports = _reports({})
    ReportPlugin.check_given_out(reports, "tests/test_other.py::test_x")  # type: ignore[arg-type]
    assert reports.unfinished_checks == set()
