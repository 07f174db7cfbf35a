"""The phase scheduler at its edges: a refused worker's report, crashes on a barrier, odd keys.

Driven without processes, as in test_scheduler.py, by fake workers that record what they
are sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from aperture_verify.plugin.scheduler import ItemKey, PhaseScheduling


@dataclass
class Gateway:
    id: str


@dataclass(eq=False)
class Node:
    gateway: Gateway
    queue: list[int] = field(default_factory=list)
    shutting_down: bool = False

    def send_runtest_some(self, indices: Sequence[int]) -> None:
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def node(name: str) -> Node:
    return Node(Gateway(name))


#: One phase of two workflows; the barrier is item 2.
IDS = ["p.py::test_w[A]", "p.py::test_w[B]", "p.py::phase-barrier"]
KEYS = {0: ItemKey((0, 0), 2), 1: ItemKey((0, 0), 2), 2: ItemKey((0, 0), None)}


def scheduler(max_parallel: int = 4, keys: dict[int, ItemKey] | None = None) -> PhaseScheduling:
    chosen = KEYS if keys is None else keys
    return PhaseScheduling(None, max_parallel=max_parallel, load_keys=lambda n, c: dict(chosen))


def start(sched: PhaseScheduling, *nodes: Node, ids: list[str] = IDS) -> None:
    for n in nodes:
        sched.add_node(n)
    for n in nodes:
        sched.add_node_collection(n, ids)
    sched.schedule()


class Hook:
    def __init__(self) -> None:
        self.reports: list[pytest.CollectReport] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.reports.append(report)


@dataclass
class Config:
    hook: Hook = field(default_factory=Hook)


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def phasesched(self, *parts: Any) -> None:
        self.lines.append(" ".join(str(p) for p in parts))


def test_a_refused_worker_is_reported_as_a_failed_collection() -> None:
    ids = [f"t.py::test_{c}" for c in "abcdef"] + ["t.py::phase-barrier"]
    keys = {i: ItemKey((0, 0), 6) for i in range(6)} | {6: ItemKey((0, 0), None)}
    config, log = Config(), Log()
    sched = PhaseScheduling(config, log, max_parallel=1, load_keys=lambda n, c: dict(keys))
    first, other = node("gw0"), node("gw1")
    sched.add_node(first)
    sched.add_node(other)
    sched.add_node_collection(first, ids)
    different = ["t.py::test_a", "t.py::test_v", "t.py::test_w", "t.py::test_x", "t.py::test_y"]
    sched.add_node_collection(other, [*different, "t.py::phase-barrier"])
    message = (
        "worker gw1 collected different tests than the first worker (missing "
        "['t.py::test_b', 't.py::test_c', 't.py::test_d'], extra "
        "['t.py::test_v', 't.py::test_w', 't.py::test_x']); it is not used"
    )
    assert log.lines == [message]
    (report,) = config.hook.reports
    assert (report.nodeid, report.outcome, report.longrepr, report.result) == (
        "gw1", "failed", message, [],
    )  # fmt: skip
    assert other.shutting_down and other.queue == []


def test_max_parallel_below_one_is_one() -> None:
    sched = scheduler(max_parallel=0)
    a, b = node("gw0"), node("gw1")
    start(sched, a, b)
    assert (a.queue, b.queue) == ([0, 2], [])


def test_the_keys_loader_is_given_the_first_worker_and_its_collection() -> None:
    seen: list[tuple[Any, list[str]]] = []

    def load(n: Any, collection: Sequence[str]) -> dict[int, ItemKey]:
        seen.append((n, list(collection)))
        return dict(KEYS)

    sched = PhaseScheduling(None, max_parallel=2, load_keys=load)
    a = node("gw0")
    start(sched, a)
    assert seen == [(a, IDS)]


def test_a_barrier_listed_first_is_skipped_not_the_end_of_the_items() -> None:
    ids = ["p.py::phase-barrier", "p.py::test_w[A]", "p.py::test_w[B]"]
    keys = {0: ItemKey((0, 0), None), 1: ItemKey((0, 0), 0), 2: ItemKey((0, 0), 0)}
    sched = scheduler(keys=keys)
    a, b = node("gw0"), node("gw1")
    start(sched, a, b, ids=ids)
    assert (a.queue, b.queue) == ([1, 0], [2, 0])
    assert not a.shutting_down


def test_a_worker_that_has_not_collected_yet_is_passed_over_not_the_end_of_the_list() -> None:
    sched = scheduler()
    late, ready = node("gw0"), node("gw1")
    sched.add_node(late)
    sched.add_node(ready)
    sched.add_node_collection(ready, IDS)
    assert (late.queue, ready.queue) == ([], [0, 2])


def test_an_item_without_a_key_completes_without_moving_the_phase() -> None:
    keys = {0: KEYS[0], 2: KEYS[2]}  # item 1 is no workflow of a phase
    sched = scheduler(keys=keys)
    a = node("gw0")
    start(sched, a)
    sched.node2pending[a].append(1)
    sched.mark_test_complete(a, 1)
    assert sched.node2pending[a] == [0, 2] and not a.shutting_down


def test_a_crash_on_a_barrier_gives_the_next_item_to_another_worker() -> None:
    sched = scheduler(max_parallel=1)
    a = node("gw0")
    start(sched, a)
    sched.mark_test_complete(a, 0)  # A done; a holds its barrier, and gets B with its own
    assert a.queue == [0, 2, 1, 2] and sched.node2pending[a] == [2, 1, 2]
    assert sched.remove_node(a) is None  # it crashed on the barrier: no test to report
    b = node("gw1")
    sched.add_node(b)
    sched.add_node_collection(b, IDS)
    sched.schedule()
    assert b.queue == [1, 2]


def test_a_crashed_item_frees_its_place_under_max_parallel() -> None:
    sched = scheduler(max_parallel=1)
    a = node("gw0")
    start(sched, a)
    assert sched.remove_node(a) == "p.py::test_w[A]"
    b = node("gw1")
    sched.add_node(b)
    sched.add_node_collection(b, IDS)
    sched.schedule()
    assert b.queue == [1, 2]
    sched.mark_test_complete(b, 1)
    assert b.shutting_down  # A counts as done (xdist reports it failed): the run ends


def test_work_is_never_stolen() -> None:
    with pytest.raises(NotImplementedError) as caught:
        scheduler().remove_pending_tests_from_node(node("gw0"), [0])
    assert str(caught.value) == "phase scheduling never steals work"
