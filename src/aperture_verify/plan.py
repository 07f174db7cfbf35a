"""The plan: which workflows run, in which phases and order, with which expectations.

``plans.toml`` is parsed once with ``tomllib`` and validated into the frozen
objects below; nothing downstream reads raw TOML. Every mistake is a
``PlanError`` whose text is one line naming the file, the key and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import PlanError
from .profile import ApiProfile

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


def load_plan(
    path: Path,
    plan_name: str | None = None,
    *,
    url: str | None = None,
    api: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Plan:
    """Read and validate *path*, select *plan_name* (or ``default_plan``).

    *url* and *api* are the ``--server-url`` and ``--api`` options; they win over
    ``APERTURE_URL`` and ``APERTURE_API`` in *environ* (``os.environ`` when
    ``None``), which win over ``[server]``. Empty values count as not given.
    Relative paths in the file are relative to the file's folder. Every
    problem is a one-line :class:`PlanError`.
    """
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise PlanError(source, "", "file not found", "check the path, or create the file") from e
    except IsADirectoryError as e:
        raise PlanError(source, "", "is a directory", "give the path of the plans file") from e
    except PermissionError as e:
        raise PlanError(source, "", "cannot be read (permission denied)", "make it readable") from e
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise PlanError(source, "", f"cannot be read ({reason})", "check the path") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlanError(source, f"byte {e.start}", "is not UTF-8", "save the file as UTF-8") from e
    return load_plan_text(
        text, source, plan_name, url=url, api=api, environ=environ, base_dir=path.parent
    )


def load_plan_text(
    text: str,
    source: str = "plans.toml",
    plan_name: str | None = None,
    *,
    url: str | None = None,
    api: str | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Plan:
    """:func:`load_plan` on *text*, reported as *source*.

    Relative paths in the plan are resolved against *base_dir* (default: the
    folder of *source*).
    """
    base = Path(source).parent if base_dir is None else base_dir
    env = os.environ if environ is None else environ
    from .plan_loader import PlanLoader  # here, not at the top: it imports this module's types

    try:
        return PlanLoader(source, base).load(text, plan_name, url=url, api=api, environ=env)
    except PlanError:
        raise
    except Exception as e:  # a shape the validator did not foresee must still be one line
        raise PlanError(
            source,
            "",
            f"internal error while reading the plan ({type(e).__name__})",
            "please report this together with the plans file",
        ) from e
