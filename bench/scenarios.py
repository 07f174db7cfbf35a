"""The benchmark's plans: phases, workflows and the throw-away project that runs them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from aperture_verify.emulator import (
    Emulator,
    StepScript,
    WorkflowScript,
)

API_KEY = "bench-key-loopback-only"
SEED = 20240606
GB = 1_000_000_000
MB = 1_000_000

PHASE_MODULE = """import pytest

pytestmark = pytest.mark.phase("{phase}")


def test_workflow(workflow, verify):
    verify(workflow)
"""

STEPS = (
    StepScript("Load", type="SOURCE", rows_out=1000),
    StepScript(
        "Validate", type="VALIDATE", rows_in=1000, rows_out=1000, passed_rows=1000, failed_rows=0
    ),
)


# -- scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str
    workflows: tuple[tuple[str, float], ...]  # (external label, duration in seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    phases: tuple[Phase, ...]
    max_parallel: int

    @property
    def widest(self) -> int:
        return max(len(p.workflows) for p in self.phases)

    @property
    def workers(self) -> int:
        """W for ``-n W``: the widest phase capped by max_parallel (what ``-n auto`` picks)."""
        return min(self.widest, self.max_parallel)

    def phase_workers(self, phase: Phase) -> int:
        return min(len(phase.workflows), self.max_parallel)

    @property
    def jobs(self) -> int:
        return sum(len(p.workflows) for p in self.phases)

    @property
    def longest(self) -> float:
        return max(d for p in self.phases for _, d in p.workflows)

    def phase_of(self) -> dict[str, int]:
        return {label: i for i, p in enumerate(self.phases) for label, _ in p.workflows}


def _grid(
    rng: random.Random, phases: int, width: int, low: float, high: float
) -> tuple[Phase, ...]:
    return tuple(
        Phase(
            f"p{i + 1:02d}",
            tuple(
                (f"P{i + 1:02d} W{j + 1:02d}", round(rng.uniform(low, high), 2))
                for j in range(width)
            ),
        )
        for i in range(phases)
    )


def scenarios(quick: bool) -> list[Scenario]:
    """The four scenarios of issue 6; ``quick`` shrinks each to a smoke test."""
    rng = random.Random(SEED)
    demo_len = 1.0 if quick else 2.0
    demo = tuple(
        Phase(name, tuple((f"Workflow {n}", demo_len) for n in numbers))
        for name, numbers in (
            ("ingest", (1,)),
            ("cleanse", (2, 3, 4)),
            ("enrich", (5, 6)),
            ("publish", (7,)),
        )
    )
    small = _grid(rng, 3, 4, 0.5, 1.5) if quick else _grid(rng, 6, 4, 1.0, 3.0)
    large = _grid(rng, 3, 6, 1.0, 2.0) if quick else _grid(rng, 10, 20, 3.0, 6.0)
    long_len = 10.0 if quick else 60.0
    return [
        Scenario("demo", f"demo plan, {demo_len:g} s workflows (1; 3; 2; 1)", demo, 8),
        Scenario("small", f"{len(small)} phases x 4 workflows", small, 8),
        Scenario(
            "large",
            f"{len(large)} phases x {len(large[0].workflows)} workflows "
            f"({sum(len(p.workflows) for p in large)} jobs)",
            large,
            6 if quick else 20,
        ),
        Scenario(
            "long", f"one {long_len:g} s workflow", (Phase("only", (("Long", long_len),)),), 8
        ),
    ]


# -- the throw-away project ----------------------------------------------------------------


def write_project(root: Path, scenario: Scenario, url: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    max_duration = max(60.0, 2 * scenario.longest)
    lines = [
        'default_plan = "bench"',
        "[server]",
        f'url = "{url}"',
        'api = "v2"',
        'space = "Demo"',
        "[defaults]",
        'min_duration = "0s"',
        f'max_duration = "{max_duration:g}s"',
        "[plans.bench]",
        "phases = [" + ", ".join(f'"{p.name}"' for p in scenario.phases) + "]",
        'on_failure = "continue"',
        f"max_parallel = {scenario.max_parallel}",
    ]
    for phase in scenario.phases:
        lines.append(f"[phases.{phase.name}]")
        lines.append("workflows = [" + ", ".join(f'"{w}"' for w, _ in phase.workflows) + "]")
    (root / "plans.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = root / "test_phases"
    folder.mkdir(exist_ok=True)
    for phase in scenario.phases:
        (folder / f"test_{phase.name}.py").write_text(
            PHASE_MODULE.format(phase=phase.name), encoding="utf-8"
        )


def make_emulator(scenario: Scenario) -> Emulator:
    emu = Emulator(None, api_keys=(API_KEY,), seed=SEED)
    for phase in scenario.phases:
        for label, duration in phase.workflows:
            emu.add_workflow(
                WorkflowScript(label, space="Demo", duration=duration, queue_time=0.05, steps=STEPS)
            )
    return emu


#: Options added to every pytest invocation (suite and baseline alike). Hypothesis is a
#: dev dependency of this repository, not of the suite; its pytest plugin imports all of
#: hypothesis in every process at session end (about 0.2 s of CPU each, 4 s at -n 20), which
#: a user's installation does not pay. ``--keep-dev-plugins`` measures with it.
