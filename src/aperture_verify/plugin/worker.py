"""The worker: the process that collects and runs the tests (also without xdist).

One ``Worker`` is registered in each xdist worker, and in the only process
of a ``-n 0`` run beside the controller. It orders the collected tests by
phase, keeps the selected ones, adds the barrier items the scheduler needs,
tells the controller which workflow each test runs, applies the skip rules
(a failed preflight, an earlier phase failed under ``on_failure = "stop"``),
runs each workflow through the ``verify`` fixture and attaches its verdict to
the test's report. It imports nothing of the reports, the history, the
doctor or the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest
from _pytest.runner import runtestprotocol

from aperture_verify.client.client import DataStudioClient
from aperture_verify.execution.readiness import preflight_reason
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runner import WorkflowRunner
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plugin import collection as coll
from aperture_verify.plugin.connection import Handoff, LoginOutcome, make_client
from aperture_verify.plugin.rundir import Collection, OutageNotes, RunDirectory, RunLedger
from aperture_verify.plugin.settings import RunSettings

#: (phase index, stage) of a collected item, set when the worker orders its items.
STAGE_KEY = pytest.StashKey[tuple[int, int]]()
#: A workflow test item's result, filled in as the workflow runs.
RESULT_KEY = pytest.StashKey[WorkflowResult]()

#: Told of the collection without xdist: node id -> workflow label.
CollectedCallback = Callable[[dict[str, str]], None]


class Worker:
    """The worker's state and hooks (see the module doc)."""

    def __init__(
        self,
        settings: RunSettings,
        handoff: Handoff,
        ledger: RunLedger,
        *,
        worker_id: str | None = None,
        client: DataStudioClient | None = None,
        on_collected: CollectedCallback | None = None,
    ) -> None:
        self.settings = settings
        self.plan: Plan = settings.plan
        self.handoff = handoff
        self.ledger = ledger
        self.run_dir = RunDirectory(handoff.run_dir)
        self.worker_id = worker_id  # xdist's "gw0"...; None without xdist
        self.on_collected = on_collected
        self._outcome = handoff.outcome
        self._collected: set[str] | None = None  # the labels of the workflow tests collected
        self._client = client  # without xdist: the controller's, which checked the login
        self._own_client = client is None
        self._runner: WorkflowRunner | None = None

    # -- the server ------------------------------------------------------------

    @property
    def outcome(self) -> LoginOutcome:
        """What the controller's login check found (under xdist: from ``login.json``, which
        is written before the first test is sent)."""
        if self._outcome is None:
            data = self.run_dir.read_login()
            self._outcome = LoginOutcome.from_dict(data) if data else LoginOutcome()
        return self._outcome

    @property
    def preflight_failures(self) -> dict[str, str]:
        """The collected workflows the preflight found not ready (-k narrows the run)."""
        failures = self.outcome.preflight_failures
        chosen = self._collected
        return {k: v for k, v in failures.items() if chosen is None or k in chosen}

    @property
    def client(self) -> DataStudioClient:
        if self._client is None:
            self._client = make_client(self.plan, self.handoff.url, self.handoff.credentials)
        return self._client

    @property
    def runner(self) -> WorkflowRunner:
        if self._runner is None:
            h, outcome = self.handoff, self.outcome
            self._runner = WorkflowRunner(
                self.client,
                catalog=list(outcome.catalog) if outcome.catalog is not None else None,
                job_url=self.plan.server.job_url,
                deadline_grace=self.settings.deadline_grace,
                on_job_started=self.run_dir.job_started,
                on_job_ended=self.run_dir.job_ended,
                usual=outcome.usual,
                warnings_fail=self.settings.warnings_fail,
                job_active=self.run_dir.job_active,
                outage_budget=self.settings.outage_budget,
                on_outage=OutageNotes(h.run_dir),
            )
        return self._runner

    def pytest_unconfigure(self) -> None:
        if self._client is not None and self._own_client:
            self._client.close()

    # -- collection --------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Plan order; the selected tests only; the barriers; the collection told."""
        order = {p.name: i for i, p in enumerate(self.plan.phases)}
        pdir = self.settings.phases_dir
        keep: list[tuple[tuple[int, int, int], pytest.Item]] = []
        deselected: list[pytest.Item] = []
        for position, item in enumerate(items):
            phase = coll.phase_of_item(item, pdir)
            if phase is None:
                keep.append(((len(order), coll.CHECK_STAGE, position), item))
            elif phase in order:
                keep.append(((order[phase], coll.stage_of_item(item), position), item))
            else:
                deselected.append(item)
        keep.sort(key=lambda pair: pair[0])
        selection = self.settings.selection
        chosen = {
            id(item)
            for _, item in keep
            if coll.is_selected(item, selection.labels, selection.phases, pdir)
        }
        deselected += [item for _, item in keep if id(item) not in chosen]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        keep = [pair for pair in keep if id(pair[1]) in chosen]
        items[:] = [item for _, item in keep]
        stages = [key[:2] for key, _ in keep]
        labels: dict[str, str] = {}
        for item, stage in zip(items, stages, strict=True):
            item.stash[STAGE_KEY] = stage
            label = coll.workflow_label(item)
            if label is not None:
                labels[item.nodeid] = label
        self._collected = set(labels.values())
        if self.on_collected is not None:
            self.on_collected(labels)
            return
        assert self.worker_id is not None
        barrier_of = coll.add_barriers(items)
        collection: Collection = {
            item.nodeid: {
                "stage": list(stages[i]),
                "barrier": barrier_of[i],
                "label": labels.get(item.nodeid),
            }
            for i, item in enumerate(items[: len(stages)])
        }
        for index in set(barrier_of.values()):
            collection[items[index].nodeid] = {"stage": [0, 0], "barrier": None, "label": None}
        self.run_dir.write_collection(self.worker_id, collection)

    # -- running ---------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        if isinstance(item, coll.PhaseBarrier):
            runtestprotocol(item, log=False, nextitem=nextitem)
            return True
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Skip every test but the failing ones when the preflight failed; skip the tests of
        later phases once a phase failed under ``on_failure = "stop"``."""
        if STAGE_KEY not in item.stash:
            return
        failures = self.preflight_failures
        if failures:
            if coll.workflow_label(item) in failures:
                return  # it fails its readiness check when verify() runs it: nothing is executed
            pytest.skip(f"not run: {preflight_reason(failures)}")
        plan = self.plan
        phase_index, _stage = item.stash[STAGE_KEY]
        if plan.on_failure != "stop" or phase_index >= len(plan.phases) or phase_index == 0:
            return
        earlier = {p.name for p in plan.phases[:phase_index]}
        reason = self.ledger.failure_reason(earlier)
        if reason is not None:
            pytest.skip(f'not run: {reason} and the plan says on_failure = "stop"')

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        spec = getattr(item, "callspec", None)
        if spec is None or coll.WORKFLOW_FIXTURE not in spec.params:
            stage = item.stash.get(STAGE_KEY, None)
            phases = self.plan.phases
            if report.failed and stage is not None and stage[0] < len(phases):
                # a failed phase check fails its phase
                report.aperture_check = {  # type: ignore[attr-defined]
                    "phase": phases[stage[0]].name,
                    "name": item.name,
                }
            return report
        workflow: WorkflowSpec = spec.params[coll.WORKFLOW_FIXTURE]
        report.aperture_label = workflow.label  # type: ignore[attr-defined]
        result = item.stash.get(RESULT_KEY, None)
        if report.when == "setup" and report.skipped:
            result = WorkflowResult(workflow.label, workflow.phase, outcome=Outcome.SKIPPED)
            assert isinstance(report.longrepr, tuple)
            result.message = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.when == "setup" and report.failed:
            result = WorkflowResult(workflow.label, workflow.phase, outcome=Outcome.FAILED)
            result.failure_kind = FailureKind.EXECUTION
            lines = report.longreprtext.strip().splitlines() or ["unknown error"]
            result.message = f"set-up failed: {lines[-1][:500]}"
        elif report.when != "call":
            return report
        elif result is None:  # the test body failed before the runner produced a verdict
            outcome = Outcome.FAILED if report.failed else Outcome.PASSED
            result = WorkflowResult(workflow.label, workflow.phase, outcome=outcome)
            if report.failed:
                result.failure_kind = FailureKind.EXECUTION
                result.message = report.longreprtext.strip().splitlines()[-1][:500]
        report.aperture = result.to_dict()  # type: ignore[attr-defined]
        if report.when == "call":
            text = result.transitions_text()
            if text:
                report.sections.append(("Captured stdout job", text + "\n"))
        return report
