"""Root conftest: kept thin on purpose.

The suite's machinery is the ``aperture_verify`` pytest plugin, registered
through its ``pytest11`` entry point (see ``src/aperture_verify/plugin/plugin.py``).
Phase modules live in ``test_phases/``; what they run is in ``plans.toml``.
"""
