"""The pytest plugin: options, the run's set-up, collection order and the verdicts.

Registered through the ``pytest11`` entry point. It is *active* for a run
whose arguments include the phases directory (``test_phases/`` by default) or
that names ``--plan``; any other pytest run in the same environment is left
alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from aperture_verify.errors import PlanError
from aperture_verify.execution.readiness import preflight_reason
from aperture_verify.execution.results import FailureKind, Outcome, WorkflowResult
from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plugin import collection as coll
from aperture_verify.plugin import scheduled  # issue 22
from aperture_verify.plugin.adhoc_phases import MODULE_PATH as ADHOC_MODULE
from aperture_verify.plugin.before_run import check_phase_modules, check_report_paths
from aperture_verify.plugin.context import CONTEXT_KEY, RunContext
from aperture_verify.plugin.controller import EndOfSession, RunRecorder
from aperture_verify.plugin.dryrun import dry_run
from aperture_verify.plugin.fixtures import RESULT_KEY, AperturePhaseFixtures
from aperture_verify.plugin.history import HISTORY_KEY, RunHistory
from aperture_verify.plugin.options import (
    MAX_AUTO_WORKERS,
    add_options,
    adhoc_chain,
    deadline_grace,
    default_report_paths,
    flag,
    get_plan,
    history_path,
    is_active,
    outage_budget,
    phases_dir,
    preflight_enabled,
    select_phases_dir,
    wait_for_server,
)
from aperture_verify.plugin.outages import TerminalLines
from aperture_verify.plugin.reports import ReportPlugin
from aperture_verify.plugin.safety import tls_metadata, transport_warnings
from aperture_verify.plugin.scheduler import ItemKey, PhaseScheduling
from aperture_verify.plugin.selecting import (
    announce,
    get_selection,
    record_carried_over,
    split_items,
)
from aperture_verify.plugin.usage import wants_reports, write_usage_error_reports

SESSION_KEY = pytest.StashKey[pytest.Session]()
STAGE_KEY = pytest.StashKey[tuple[int, int]]()  # (phase index, stage) of an item


def get_context(config: pytest.Config) -> RunContext:
    return config.stash[CONTEXT_KEY]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


# -- configuration --------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, int, int]:
    """A usage error leaves reports describing this run, not the previous one's."""
    try:
        return (yield)
    except pytest.UsageError as e:
        if wants_reports(config):
            write_usage_error_reports(config, str(e))
        raise


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` sizes the workers from the plan: the widest phase, capped."""
    if not is_active(config):
        return None
    plan = get_plan(config)
    widest = get_selection(config).selection.widest_phase
    return max(1, min(widest, plan.max_parallel, MAX_AUTO_WORKERS))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "phase(name): the plan phase a module's tests belong to (see plans.toml)"
    )
    select_phases_dir(config)
    scheduled.from_another_folder(config)  # issue 22: plain pytest started outside the project
    if not is_active(config):
        return
    scheduled.install_sigterm_handler()  # issue 22: before the start-up wait, not after it
    plan = get_plan(config)
    grace = deadline_grace(config)  # before the server is contacted: a bad value runs nothing
    run = get_selection(config)  # likewise, and --resume's reading of the previous run
    if adhoc_chain(config) is not None:
        config.args = [str(ADHOC_MODULE)]  # the plugin's own phase module, not test_phases/
    budget = outage_budget(config, plan)
    first_wait = wait_for_server(config, plan)
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        config.stash[CONTEXT_KEY] = RunContext.for_worker(plan, worker["aperture"])
    else:
        # Every mistake around the run is found here, on the controller, before
        # any worker starts and before the server is contacted.
        if adhoc_chain(config) is None:  # an ad-hoc chain runs the plugin's own module
            check_phase_modules(config, plan)
        if not config.getoption("collectonly") and not run.dry_run:
            default_report_paths(config)
            check_report_paths(config)
        scheduled.take_run_lock(config, plan, run.dry_run)  # issue 22: before any request
        try:
            ctx = RunContext.for_controller(
                plan,
                os.environ,
                connect=not config.getoption("collectonly"),
                wait_for_server=first_wait,
                announce=TerminalLines(),
                preflight=preflight_enabled(config),
            )
        except PlanError as e:
            raise pytest.UsageError(str(e)) from None
        except KeyboardInterrupt:  # issue 22: a signal during the start-up leaves reports
            scheduled.stopped_before_start(config)
            raise
        config.stash[CONTEXT_KEY] = ctx
        ctx.warnings_fail = flag(config, "aperture_warnings_fail")
        history = RunHistory(history_path(config, plan), plan)
        if not config.getoption("collectonly") and not run.dry_run:
            history.load()  # before the workers start: they get the bands
        ctx.usual = history.usual
        config.stash[HISTORY_KEY] = history
        if not run.selection.is_whole_plan:
            ctx.selected = run.selection.labels
        record_carried_over(ctx, run)
        if ctx.login_error is not None or run.dry_run:
            # Nothing can run: do it in this process, at once, without workers.
            config.option.dist = "no"
            config.option.tx = []
            config.option.numprocesses = 0
        recorder = RunRecorder(config, ctx)
        reports = None if run.dry_run else ReportPlugin(config, ctx, history)  # a dry run: none
        if reports is not None:
            config.pluginmanager.register(reports, "aperture-reports")
        config.pluginmanager.register(recorder, "aperture-recorder")
        config.pluginmanager.register(
            EndOfSession(recorder, reports, history), "aperture-session-end"
        )
    config.stash[CONTEXT_KEY].deadline_grace = grace
    config.stash[CONTEXT_KEY].outage_budget = budget
    config.pluginmanager.register(AperturePhaseFixtures(config), "aperture-fixtures")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    config = node.config
    if CONTEXT_KEY in config.stash:
        node.workerinput["aperture"] = get_context(config).worker_data()


def pytest_unconfigure(config: pytest.Config) -> None:
    ctx = config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.close()
    scheduled.release_run_lock(config)  # issue 22: after the reports


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> PhaseScheduling | None:
    if CONTEXT_KEY not in config.stash:
        return None
    ctx = get_context(config)

    def load_keys(node: Any, collection: Sequence[str]) -> dict[int, ItemKey]:
        return coll.read_keys(ctx.run_dir / f"collection-{node.gateway.id}.json", collection)

    def collected(count: int) -> None:
        session = config.stash.get(SESSION_KEY, None)
        if session is not None:
            session.testscollected = count  # barrier items are not tests

    return PhaseScheduling(
        config,
        log,
        max_parallel=ctx.plan.max_parallel,
        load_keys=load_keys,
        on_collected=collected,
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if CONTEXT_KEY in config.stash and not hasattr(config, "workerinput"):
        for warning in transport_warnings(get_context(config).plan):
            terminalreporter.write_line(f"aperture: WARNING: {warning}", yellow=True, bold=True)
        history = config.stash.get(HISTORY_KEY, None)
        if history is not None and history.problem:
            terminalreporter.write_line(f"aperture: WARNING: {history.problem}", yellow=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SESSION_KEY] = session
    if CONTEXT_KEY in session.config.stash and not hasattr(session.config, "workerinput"):
        ctx = get_context(session.config)
        tls_metadata(session.config, ctx.plan)
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            plan = ctx.plan
            phases = " → ".join(f"{p.name}({len(p.workflows)})" for p in plan.phases)
            where = f"emulator at {ctx.url}" if plan.server.is_emulator else ctx.url
            tr.write_line(f"aperture: plan '{plan.name}' on {where} [{plan.server.api}]: {phases}")
            for warning in transport_warnings(plan):
                tr.write_line(f"aperture: WARNING: {warning}", yellow=True, bold=True)
            scheduled.say_notes(tr, ctx.credentials.notes)  # issue 22/25: credentials
            if ctx.login_error:
                tr.write_line(f"aperture: LOGIN FAILED: {ctx.login_error}", red=True, bold=True)
            for label, why in ctx.preflight_failures.items():
                tr.write_line(f"aperture: PREFLIGHT: {label}: {why}", red=True, bold=True)
            announce(tr, get_selection(session.config))


# -- collection ------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    if coll.WORKFLOW_FIXTURE not in metafunc.fixturenames or CONTEXT_KEY not in config.stash:
        return
    plan = get_context(config).plan
    specs = coll.workflows_of_module(metafunc, plan, phases_dir(config), ADHOC_MODULE)
    if specs is not None:
        metafunc.parametrize(coll.WORKFLOW_FIXTURE, specs)


def pytest_make_parametrize_id(val: object) -> str | None:
    """A workflow test's id is its label as the plan writes it (``test_workflow[Größe]``:
    pytest would escape the ids it makes itself), so ``-k Größe`` selects it."""
    return val.label if isinstance(val, WorkflowSpec) else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if CONTEXT_KEY not in config.stash:
        return
    ctx = get_context(config)
    plan = ctx.plan
    order = {p.name: i for i, p in enumerate(plan.phases)}
    pdir = phases_dir(config)
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
    run = get_selection(config)
    kept, out = split_items(
        [item for _, item in keep], run.selection.labels, run.selection.phases, pdir
    )
    if run.dry_run and worker_input(config) is None:
        ctx.dry_run_status = dry_run(config.pluginmanager.get_plugin("terminalreporter"), ctx, run)
        kept, out = [], [*kept, *out]  # nothing is executed
    chosen = {id(item) for item in kept}
    deselected += out
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    keep = [pair for pair in keep if id(pair[1]) in chosen]
    items[:] = [item for _, item in keep]
    stages = [key[:2] for key, _ in keep]
    for item, (phase_index, stage) in zip(items, stages, strict=True):
        item.stash[STAGE_KEY] = (phase_index, stage)
        label = coll.workflow_label(item)
        if label is not None:
            ctx.labels_by_nodeid[item.nodeid] = label
    _selected(ctx)
    worker = worker_input(config)
    if worker is not None:
        barrier_of = coll.add_barriers(items)
        keys = {i: ItemKey(stages[i], barrier_of[i]) for i in range(len(stages))}
        for index in set(barrier_of.values()):
            keys[index] = ItemKey((0, 0), None)
        coll.write_keys(ctx.run_dir / f"collection-{worker['workerid']}.json", items, keys)


def worker_input(config: pytest.Config) -> dict[str, Any] | None:
    return getattr(config, "workerinput", None)


def _selected(ctx: RunContext) -> None:
    """Only the selected workflows' preflight failures stop the run (``-k`` narrows it)."""
    selected = set(ctx.labels_by_nodeid.values())
    ctx.preflight_failures = {
        label: why for label, why in ctx.preflight_failures.items() if label in selected
    }


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """On the controller: which workflow each collected test runs, from the worker's file."""
    config = node.config
    if CONTEXT_KEY not in config.stash:
        return
    ctx = get_context(config)
    path = ctx.run_dir / f"collection-{node.gateway.id}.json"
    if path.is_file():
        ctx.labels_by_nodeid.update(coll.read_labels(path))
        _selected(ctx)


# -- running ---------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if isinstance(item, coll.PhaseBarrier):
        runtestprotocol(item, log=False, nextitem=nextitem)
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip every test but the failing ones when the preflight failed; skip the tests of
    later phases once a phase failed under ``on_failure = "stop"``."""
    if CONTEXT_KEY not in item.config.stash or STAGE_KEY not in item.stash:
        return
    ctx = get_context(item.config)
    if ctx.preflight_failures:
        if coll.workflow_label(item) in ctx.preflight_failures:
            return  # it fails its readiness check when verify() runs it: nothing is executed
        pytest.skip(f"not run: {preflight_reason(ctx.preflight_failures)}")
    plan = ctx.plan
    phase_index, _stage = item.stash[STAGE_KEY]
    if plan.on_failure != "stop" or phase_index >= len(plan.phases) or phase_index == 0:
        return
    earlier = {p.name for p in plan.phases[:phase_index]}
    reason = ctx.ledger.failure_reason(earlier)
    if reason is not None:
        pytest.skip(f'not run: {reason} and the plan says on_failure = "stop"')


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    spec = getattr(item, "callspec", None)
    if spec is None or coll.WORKFLOW_FIXTURE not in spec.params:
        stage = item.stash.get(STAGE_KEY, None)
        if report.failed and stage is not None and CONTEXT_KEY in item.config.stash:
            phases = get_context(item.config).plan.phases
            if stage[0] < len(phases):  # a failed phase check fails its phase
                report.aperture_check = {  # type: ignore[attr-defined]
                    "phase": phases[stage[0]].name,
                    "name": item.name,
                }
        return report
    workflow = spec.params[coll.WORKFLOW_FIXTURE]
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
