"""The plan: which workflows run, in which phases and order, with which expectations.

``plans.toml`` is parsed once with ``tomllib`` and validated into the frozen
objects below; nothing downstream reads raw TOML. Every mistake is a
``PlanError`` whose text is one line naming the file, the key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aperture_verify.client.profile import ApiProfile

ParamValue = str | int | float | bool


@dataclass(frozen=True)
class Range:
    """Inclusive bounds on a row count; ``None`` means unbounded."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class StepExpectation:
    """What one step of a workflow's job must look like."""

    step: str
    state: str | None = None
    rows: tuple[tuple[str, Range], ...] = ()  # ("failedRows", Range(max=0)), ...
    warn: tuple[tuple[str, Range], ...] = ()  # warn_min / warn_max: a warning, never a failure


@dataclass(frozen=True)
class WorkflowSpec:
    """One workflow of a phase and what it must do."""

    label: str  # external label
    phase: str
    space: str
    state: str = "COMPLETED"
    min_duration: float = 0.0  # seconds
    max_duration: float = 1800.0  # seconds
    version: str = "PublishedOnly"
    dependencies: str = "PublishedOnly"
    refresh_sources: bool = False
    parameters: tuple[tuple[str, ParamValue], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (source step label, dataset label)
    steps: tuple[StepExpectation, ...] = ()
    warn_min_duration: float | None = None  # shorter: a warning, not a failure
    warn_max_duration: float | None = None  # longer: a warning, not a failure
    anomaly: bool = True  # warn when a duration or row count is unusual against history
    anomaly_min_runs: int = 5  # passing runs needed before anomalies are judged
    anomaly_window: int = 20  # the last passing runs the band is computed from


@dataclass(frozen=True)
class HistorySettings:
    """Where past runs are kept (``None``: no history) and how many per plan."""

    path: Path | None = None
    keep: int = 200


#: The kinds of finished run a notification target can be sent ("on" in [notify]):
#: failure (exit status not 0), warning (passed with warnings), recovery (passed after
#: a run that did not), success (passed), always (every run).
NOTIFY_EVENTS = ("failure", "warning", "recovery", "success", "always")


@dataclass(frozen=True)
class NotifySettings:
    """The ``[notify]`` table. Holds no target: Apprise URLs carry secrets and come from
    ``APERTURE_NOTIFY`` or the Apprise config file *config*."""

    config: Path | None = None  # an Apprise config file (YAML or TEXT)
    on: tuple[str, ...] = ("failure", "recovery")  # for targets without such a tag
    report_url: str | None = None  # a link to report.html; ${VAR}s expanded at the end
    timeout: float = 30.0  # seconds all notifications of a run may take together
    ping_url: str | None = None  # a dead man's switch (Healthchecks, Cronitor)


@dataclass(frozen=True)
class Phase:
    """One phase of the selected plan: workflows that run together, in file order."""

    name: str
    workflows: tuple[WorkflowSpec, ...]


@dataclass(frozen=True)
class ServerSettings:
    """Where the server is and how to talk to it. Never holds a credential."""

    url: str  # "emulator" or an http(s) URL
    api: Literal["v1", "v2"] = "v2"
    environment: str = "default"
    space: str = "Default"
    profile: ApiProfile = field(default_factory=ApiProfile)
    verify_tls: bool = True
    ca_bundle: Path | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    job_url: str | None = None  # e.g. "https://ads.example.com/#/jobs/{job_id}"
    emulator_workflows: Path | None = None  # scenario file when url == "emulator"
    dialect: str = "contract"  # the shipped profile [server.profile] starts from
    emulator_profile: Path | None = None  # what the bundled emulator speaks, if not the plan's
    outage_budget: float | None = None  # seconds an outage is ridden out (None: the default)
    wait_for_server: float | None = None  # seconds the run's first contact waits (None: budget)

    @property
    def is_emulator(self) -> bool:
        return self.url == "emulator"


@dataclass(frozen=True)
class Plan:
    """The selected plan, resolved against defaults and overrides."""

    name: str
    phases: tuple[Phase, ...]
    on_failure: Literal["stop", "continue"]
    max_parallel: int
    server: ServerSettings
    source: Path
    defined_phases: tuple[str, ...] = ()  # every phase in the file, used or not
    history: HistorySettings = field(default_factory=HistorySettings)
    notify: NotifySettings = field(default_factory=NotifySettings)

    def phase_index(self, name: str) -> int:
        for i, phase in enumerate(self.phases):
            if phase.name == name:
                return i
        raise KeyError(name)

    def phase(self, name: str) -> Phase:
        return self.phases[self.phase_index(name)]

    @property
    def workflows(self) -> tuple[WorkflowSpec, ...]:
        return tuple(w for p in self.phases for w in p.workflows)

    @property
    def widest_phase(self) -> int:
        return max((len(p.workflows) for p in self.phases), default=0)
