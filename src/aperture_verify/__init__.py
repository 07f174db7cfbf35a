"""Verification suite for Experian Aperture Data Studio workflows.

Runs Data Studio workflows in ordered phases through pytest and pytest-xdist,
and proves that each one could start, ended in the expected state, took a
plausible time and produced the expected step results.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
