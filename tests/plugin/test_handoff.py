"""What a worker receives: the settings and the handoff in ``workerinput``, the login
check's outcome through ``login.json`` - each the same on the other side."""

from __future__ import annotations

import json
from pathlib import Path

from aperture_verify.client.credentials import Credentials
from aperture_verify.client.models import Workflow
from aperture_verify.history.bands import Band, Usual
from aperture_verify.plan.selection import select
from aperture_verify.plugin.connection import Handoff, LoginOutcome
from aperture_verify.plugin.rundir import RunDirectory
from aperture_verify.plugin.settings import PlanSource, RunSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_login_outcome_crosses_login_json_unchanged(tmp_path: Path) -> None:
    outcome = LoginOutcome(
        login_error=None,
        catalog=(
            Workflow(
                "Größe",
                "Größe messen",
                "Demo",
                True,
                False,
                id="w-1",
                parameters=frozenset({"region", "jahr"}),
                sources=frozenset({"Kunden"}),
            ),
            Workflow("W2", "W2", "Demo", False, True),
        ),
        preflight_failures={"W2": "workflow 'W2' has no published version"},
        usual={
            "Größe": Usual(
                Band(3.0, 2.4, 3.6, 12), (("Validate", "failedRows", Band(0.0, 0.0, 1.0, 12)),)
            )
        },
    )
    run_dir = RunDirectory(tmp_path)

    run_dir.write_login(json.loads(json.dumps(outcome.to_dict())))
    data = run_dir.read_login()

    assert data is not None
    assert LoginOutcome.from_dict(data) == outcome
    assert RunDirectory(tmp_path / "none").read_login() is None, "no check: no file"


def test_the_handoff_carries_the_credentials_and_not_the_login_outcome() -> None:
    handoff = Handoff(
        Path("/tmp/run"),
        "http://127.0.0.1:1",
        Credentials(username="u", password="p-secret"),
        run_id="abc",
        outcome=LoginOutcome(login_error="401"),
    )

    data = handoff.to_workerinput()

    assert sorted(data) == ["api_key", "password", "run_dir", "run_id", "url", "username"]
    back = Handoff.from_workerinput(data)
    assert back.credentials == handoff.credentials and back.run_id == "abc"
    assert back.outcome is None, "a worker reads the outcome from login.json"


def test_a_worker_gets_the_controller_s_settings() -> None:
    source = PlanSource(ROOT / "plans.toml", None, None, None, None)
    plan = source.load()
    selection = select(plan, phases=("cleanse, publish", "--phases"))
    settings = RunSettings(
        source=source,
        plan=plan,
        selection=selection,
        phases_dir=ROOT / "test_phases",
        reports_dir=ROOT / "reports",
        credentials=Credentials(api_key="not for workers"),
        deadline_grace=7.5,
        outage_budget=42.0,
        warnings_fail=True,
    )

    data = settings.to_workerinput()
    worker = RunSettings.from_workerinput(json.loads(json.dumps(data)))

    assert "not for workers" not in json.dumps(data)
    assert worker.plan == plan
    assert worker.selection.labels == {"Workflow 2", "Workflow 3", "Workflow 4", "Workflow 7"}
    assert (worker.deadline_grace, worker.outage_budget, worker.warnings_fail) == (7.5, 42.0, True)
    assert (worker.phases_dir, worker.reports_dir) == (settings.phases_dir, settings.reports_dir)
