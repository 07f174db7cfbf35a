"""The pytest side: options, the run's context, collection, the xdist scheduler,
fixtures, the controller's end-of-session sequence and the terminal summary.

``hooks`` is the module registered through the ``pytest11`` entry point.
"""
