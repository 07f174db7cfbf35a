"""plans.toml keys for warnings and history: warn limits, anomaly settings, history, retention."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_plan_samples import SERVER_SAMPLE, changed, load, plan_error

from aperture_verify.plan import Range

W3 = "workflows/Workflow 3"
K3 = 'workflows."Workflow 3"'


def spec(plan_text: str, label: str = "Workflow 3") -> object:
    return next(w for w in load(plan_text).workflows if w.label == label)


def test_defaults_warn_nothing_and_judge_anomalies() -> None:
    plan = load(changed(SERVER_SAMPLE))
    w = plan.workflows[0]
    assert (w.warn_min_duration, w.warn_max_duration) == (None, None)
    assert (w.anomaly, w.anomaly_min_runs, w.anomaly_window) == (True, 5, 20)
    assert plan.history.path == Path("/nonexistent/.aperture/history.sqlite")
    assert plan.history.keep == 200


def test_warn_limits_and_anomaly_keys_merge_over_defaults() -> None:
    text = changed(
        SERVER_SAMPLE,
        ("defaults/warn_max_duration", "20m"),
        ("defaults/anomaly_min_runs", 3),
        (f"{W3}/warn_min_duration", "30s"),
        (f"{W3}/warn_max_duration", "8m"),
        (f"{W3}/anomaly", False),
        (f"{W3}/anomaly_window", 7),
        (f"{W3}/steps/Export/rowsOut", {"min": 1000, "warn_min": 4000, "warn_max": 9000}),
        (f"{W3}/steps/Export/passedRows", {"warn_min": 5}),
    )
    plan = load(text)
    w3 = next(w for w in plan.workflows if w.label == "Workflow 3")
    w1 = next(w for w in plan.workflows if w.label == "Workflow 1")
    assert (w3.warn_min_duration, w3.warn_max_duration) == (30.0, 480.0)
    assert (w3.anomaly, w3.anomaly_min_runs, w3.anomaly_window) == (False, 3, 7)
    assert (w1.warn_max_duration, w1.anomaly, w1.anomaly_min_runs) == (1200.0, True, 3)
    export = next(s for s in w3.steps if s.step == "Export")
    assert dict(export.rows)["rowsOut"] == Range(1000, None)
    assert dict(export.warn) == {"rowsOut": Range(4000, 9000), "passedRows": Range(5, None)}
    assert "passedRows" not in dict(export.rows)


@pytest.mark.parametrize(
    ("edits", "key", "words"),
    [
        ([(f"{W3}/warn_max_duration", "10m")], f"{K3}.warn_max_duration", "could never warn"),
        ([(f"{W3}/warn_min_duration", "10s")], f"{K3}.warn_min_duration", "could never warn"),
        (
            [(f"{W3}/warn_min_duration", "5m"), (f"{W3}/warn_max_duration", "1m")],
            f"{K3}.warn_min_duration",
            "above warn_max_duration",
        ),
        ([("defaults/warn_max_duration", "45m")], "defaults.warn_max_duration", "max_duration"),
        ([(f"{W3}/warn_max_duration", 60)], f"{K3}.warn_max_duration", "bare number"),
        ([(f"{W3}/anomaly", "no")], f"{K3}.anomaly", "true or false"),
        ([(f"{W3}/anomaly_min_runs", 1)], f"{K3}.anomaly_min_runs", "at least 2"),
        ([(f"{W3}/anomaly_window", 3)], f"{K3}.anomaly_window", "below anomaly_min_runs 5"),
        ([("defaults/anomaly_window", 4)], "defaults.anomaly_window", "below anomaly_min_runs"),
        ([(f"{W3}/anomaly_windw", 3)], f"{K3}.anomaly_windw", "did you mean 'anomaly_window'"),
        (
            [(f"{W3}/steps/Export/rowsOut", {"min": 1000, "warn_min": 900})],
            f"{K3}.steps.Export.rowsOut.warn_min",
            "could never warn",
        ),
        (
            [(f"{W3}/steps/Export/rowsOut", {"warn_min": 9, "warn_max": 3})],
            f"{K3}.steps.Export.rowsOut.warn_min",
            "above warn_max",
        ),
        (
            [(f"{W3}/steps/Export/rowsOut", {"max": 10, "warn_max": 10})],
            f"{K3}.steps.Export.rowsOut.warn_max",
            "could never warn",
        ),
        (
            [(f"{W3}/steps/Export/rowsOut", {"warn_min": "many"})],
            f"{K3}.steps.Export.rowsOut.warn_min",
            "must be an integer",
        ),
        ([("history", 1)], "history", "must be false or a path"),
        ([("history", " x")], "history", "leading or trailing spaces"),
        ([("history_keep", 0)], "history_keep", "at least 1"),
        ([("histroy", False)], "histroy", "did you mean 'history'"),
    ],
)
def test_bad_values_are_one_line_naming_the_key(
    edits: list[tuple[str, object]], key: str, words: str
) -> None:
    message = str(plan_error(changed(SERVER_SAMPLE, *edits)))
    assert f"plans.toml: {key}:" in message
    assert words in message


def test_history_off_or_elsewhere() -> None:
    assert load(changed(SERVER_SAMPLE, ("history", False))).history.path is None
    plan = load(changed(SERVER_SAMPLE, ("history", "hist/runs.sqlite"), ("history_keep", 30)))
    assert plan.history.path == Path("/nonexistent/hist/runs.sqlite")
    assert plan.history.keep == 30
    absolute = load(changed(SERVER_SAMPLE, ("history", "/var/lib/aperture/h.sqlite")))
    assert absolute.history.path == Path("/var/lib/aperture/h.sqlite")
