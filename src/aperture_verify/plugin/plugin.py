"""The pytest plugin's entry point (the ``pytest11`` entry point names this module).

It keeps what decides a run's shape and nothing else: the options, the
role of this process, and the parametrization of the workflow tests.

- ``pytest_cmdline_main`` resolves the settings, once (``settings.resolve``):
  a run whose arguments include the phases directory (``test_phases/`` by
  default) or that names ``--plan``/``--run`` is a run of the suite; any other
  pytest run in the same environment gets no settings, and the plugin
  registers nothing for it. A usage error leaves reports that say so.
- ``pytest_configure`` picks the role and registers one object for it: the
  ``Controller`` on the xdist controller, a ``Worker`` on each xdist worker,
  both in the only process of a ``-n 0`` run.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from aperture_verify.plan.model import WorkflowSpec
from aperture_verify.plugin import collection as coll
from aperture_verify.plugin.flags import add_options
from aperture_verify.plugin.scheduled import PROJECT_KEY
from aperture_verify.plugin.settings import (
    ADHOC_MODULE,
    PLAN_NAME_KEY,
    SETTINGS_KEY,
    resolve,
    usage_error_report_paths,
    uses_workers,
)
from aperture_verify.plugin.signals import install_sigterm_handler


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, int, int]:
    """The settings, resolved before anything else reads them (xdist's ``-n auto`` too);
    a usage error leaves reports describing this run, not the previous one's."""
    try:
        settings = resolve(config)
        if settings is not None:
            config.stash[SETTINGS_KEY] = settings
        return (yield)
    except pytest.UsageError as e:
        paths = usage_error_report_paths(config, config.stash.get(PROJECT_KEY, None))
        if paths is not None:
            from aperture_verify.plugin.usage import write_usage_error_reports

            write_usage_error_reports(paths, config.stash.get(PLAN_NAME_KEY, None), str(e))
        raise


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` sizes the workers from the plan: the widest phase, capped."""
    settings = config.stash.get(SETTINGS_KEY, None)
    return settings.auto_workers if settings is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Pick this process's role and register its object (before xdist and pytest-html
    configure: the controller may run the session without workers)."""
    config.addinivalue_line(
        "markers", "phase(name): the plan phase a module's tests belong to (see plans.toml)"
    )
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return
    install_sigterm_handler()
    from aperture_verify.plugin.connection import Handoff
    from aperture_verify.plugin.fixtures import AperturePhaseFixtures
    from aperture_verify.plugin.rundir import RunLedger
    from aperture_verify.plugin.worker import Worker

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        handoff = Handoff.from_workerinput(workerinput["aperture"]["run"])
        worker = Worker(
            settings,
            handoff,
            RunLedger(handoff.run_dir, writer=False),
            worker_id=workerinput["workerid"],
        )
    else:
        from aperture_verify.plugin.controller import Controller

        controller = Controller(config, settings)
        controller.start()
        config.pluginmanager.register(controller, "aperture-controller")
        if uses_workers(config):
            return
        worker = Worker(
            settings,
            controller.handoff(),
            controller.ledger,
            client=controller.connection.client,
            on_collected=controller.collected,
        )
    config.pluginmanager.register(worker, "aperture-worker")
    config.pluginmanager.register(AperturePhaseFixtures(worker), "aperture-fixtures")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    settings = metafunc.config.stash.get(SETTINGS_KEY, None)
    if settings is None or coll.WORKFLOW_FIXTURE not in metafunc.fixturenames:
        return
    specs = coll.workflows_of_module(metafunc, settings.plan, settings.phases_dir, ADHOC_MODULE)
    if specs is not None:
        metafunc.parametrize(coll.WORKFLOW_FIXTURE, specs)


def pytest_make_parametrize_id(val: object) -> str | None:
    """A workflow test's id is its label as the plan writes it (``test_workflow[Größe]``:
    pytest would escape the ids it makes itself), so ``-k Größe`` selects it."""
    return val.label if isinstance(val, WorkflowSpec) else None
