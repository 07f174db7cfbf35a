"""The plan: which workflows run, in which phases and order, with which expectations.

``model`` holds the frozen types, ``schema`` the typed readers of raw TOML
values (the emulator's scenario files use them too), ``server`` the
``[server]`` table and its overrides, ``workflows`` the
``[defaults]``/``[workflows]`` tables, and ``loader`` assembles and validates
a whole ``plans.toml``.
"""

from __future__ import annotations

from aperture_verify.plan.loader import load_plan, load_plan_text
from aperture_verify.plan.model import (
    ParamValue,
    Phase,
    Plan,
    Range,
    ServerSettings,
    StepExpectation,
    WorkflowSpec,
)

__all__ = [
    "ParamValue",
    "Phase",
    "Plan",
    "Range",
    "ServerSettings",
    "StepExpectation",
    "WorkflowSpec",
    "load_plan",
    "load_plan_text",
]
