"""Running one workflow and judging it: readiness, execute, wait, checks, verdict.

Nothing here imports pytest: the pytest side (``aperture_verify.plugin``)
turns these verdicts into test outcomes.
"""
