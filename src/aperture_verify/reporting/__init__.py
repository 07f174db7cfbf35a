"""The run's reports, built from typed results with no pytest in sight.

``run.RunSummary`` is what every report says about the run; ``html`` adds to
pytest-html's report.html (with ``timeline``'s SVG), ``junit`` rewrites the
junit.xml pytest wrote into what Jenkins reads, ``results_json`` writes
results.json. The pytest side that drives them is ``aperture_verify.plugin.reports``.
"""
