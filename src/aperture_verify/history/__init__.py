"""Run history: past runs in an SQLite file, the bands they give, and sparklines.

A layer of its own between ``plan`` and ``execution``: it imports only
``errors`` and ``common``. ``store`` keeps the runs, ``records`` reads them from
results.json documents, ``bands`` says what is usual (pure functions),
``sparkline`` draws a workflow's recent durations, ``cli`` is ``aperture-history``.
"""
