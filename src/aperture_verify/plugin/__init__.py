"""The pytest side, in the shape of pytest-xdist (see docs/architecture.md).

``plugin`` is the module the ``pytest11`` entry point names: options, the
role of this process, the workflow tests' parametrization. ``settings``
resolves every option once into a frozen ``RunSettings``. ``controller``
owns the run (login, scheduler, verdicts, reports, the end of the session,
the terminal summary); ``worker`` collects and runs the tests. ``rundir``
defines every file the processes share.
"""
