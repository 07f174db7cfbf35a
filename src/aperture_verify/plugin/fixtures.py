"""Fixtures for phase modules.

``workflow``
    The plan's expectations for one workflow (a ``WorkflowSpec``); a test that
    takes it is parametrized with every workflow of its module's phase.
``verify``
    ``verify(workflow)`` checks readiness, executes the workflow, waits for
    its end and checks it; it fails the test with the kind of failure.
``phase_results``
    For a module's hand-written phase checks: the ``WorkflowResult`` of every
    workflow of the phase, by external label (run after all of them ended).
``plan`` / ``data_studio``
    The selected plan, and a client for the run's server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.execution.runner import WorkflowFailed
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plugin.collection import phase_of_item
from aperture_verify.plugin.worker import RESULT_KEY, Worker

Verify = Callable[[WorkflowSpec], WorkflowResult]


class PhaseResults(Mapping[str, WorkflowResult]):
    """The results of one phase's workflows, by external label."""

    def __init__(self, phase: str, results: list[WorkflowResult]) -> None:
        self.phase = phase
        self._by_label = {r.label: r for r in results}

    def __getitem__(self, label: str) -> WorkflowResult:
        return self._by_label[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_label)

    def __len__(self) -> int:
        return len(self._by_label)

    def require(self, *labels: str) -> list[WorkflowResult]:
        """The passed results of *labels*; skips the check when one did not pass."""
        found = []
        for label in labels:
            result = self._by_label.get(label)
            if result is None or result.outcome is not Outcome.PASSED:
                state = result.outcome.value if result else "not run"
                pytest.skip(f"needs {label} of phase '{self.phase}', which {state}")
            found.append(result)
        return found


class AperturePhaseFixtures:
    """Registered beside the worker object, whose run they serve."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    @pytest.fixture
    def verify(self, request: pytest.FixtureRequest) -> Verify:
        worker = self.worker
        item = request.node

        def run(spec: WorkflowSpec) -> WorkflowResult:
            __tracebackhide__ = True
            result = WorkflowResult(spec.label, spec.phase)
            item.stash[RESULT_KEY] = result
            try:
                login_error = worker.outcome.login_error
                if login_error is not None:
                    result.outcome = Outcome.FAILED
                    result.failure_kind = FailureKind.LOGIN
                    result.message = f"not run: {login_error}"
                    raise WorkflowFailed(FailureKind.LOGIN, result.message)
                return worker.runner.run(spec, result)
            except WorkflowFailed as e:
                # from None: the failure is printed once, without "During handling of
                # the above exception, another exception occurred" and itself again.
                raise pytest.fail.Exception(str(e), pytrace=False) from None
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM; the runner cancelled the job
                result.outcome = Outcome.INTERRUPTED
                result.message = "not finished: the run was interrupted while it ran"
                if result.job_id and result.state == "CANCELLED":
                    result.message += f"; job {result.job_id} was cancelled"
                if worker.ledger.writer:  # no report will come: the ledger keeps its times
                    worker.ledger.record(result)
                raise
            finally:
                _record_properties(item, result)

        return run

    @pytest.fixture
    def phase_results(self, request: pytest.FixtureRequest) -> PhaseResults:
        phase = phase_of_item(request.node, self.worker.settings.phases_dir)
        if phase is None:
            raise pytest.UsageError(
                f"{request.node.nodeid}: phase_results is only for tests in phase modules"
            )
        results = [r for r in self.worker.ledger.results() if r.phase == phase]
        return PhaseResults(phase, results)

    @pytest.fixture
    def plan(self) -> Plan:
        return self.worker.plan

    @pytest.fixture
    def data_studio(self) -> DataStudioClient:
        return self.worker.client


def _record_properties(item: Any, result: WorkflowResult) -> None:
    """Testcase properties for JUnit (they survive xdist)."""
    props: list[tuple[str, object]] = [("phase", result.phase)]
    if result.job_id:
        props.append(("job_id", result.job_id))
    if result.state:
        props.append(("state", result.state))
    if result.duration is not None:
        props.append(("duration_seconds", f"{result.duration:.3f}"))
    if result.job_url:
        props.append(("job_url", result.job_url))
    if result.failure_kind:
        props.append(("failure_kind", result.failure_kind.value))
    item.user_properties.extend(props)
