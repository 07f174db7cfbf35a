"""The phase scheduler, driven without processes by simulated xdist workers.

A simulated worker behaves like xdist's: it runs an item only once it holds
the *next* one or a shutdown, so a scheduler that holds a phase back without
barrier items deadlocks here exactly as it would for real.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import pytest

from aperture_verify.plugin.scheduler import ItemKey, PhaseScheduling


@dataclass
class Gateway:
    id: str


@dataclass(eq=False)
class FakeNode:
    gateway: Gateway
    queue: list[int] = field(default_factory=list)
    shutdown_received: bool = False
    busy_until: float | None = None
    running: int | None = None
    dropped: frozenset[int] = frozenset()  # items lost on the way to this worker

    @property
    def shutting_down(self) -> bool:
        return self.shutdown_received

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutdown_received
        self.queue.extend(i for i in indices if i not in self.dropped)

    def shutdown(self) -> None:
        self.shutdown_received = True


def make_collection(
    phases: list[int], checks: list[int] | None = None
) -> tuple[list[str], dict[int, ItemKey]]:
    """Items for phases of the given widths, one module (and barrier) per phase."""
    checks = checks or [0] * len(phases)
    ids: list[str] = []
    stages: list[tuple[int, int]] = []
    module_of: list[int] = []
    for p, width in enumerate(phases):
        for w in range(width):
            ids.append(f"test_p{p}.py::test_workflow[W{p}-{w}]")
            stages.append((p, 0))
            module_of.append(p)
        for c in range(checks[p]):
            ids.append(f"test_p{p}.py::test_check{c}")
            stages.append((p, 1))
            module_of.append(p)
    barrier_index = {}
    for p in range(len(phases)):
        barrier_index[p] = len(ids)
        ids.append(f"test_p{p}.py::phase-barrier")
    keys = {i: ItemKey(stages[i], barrier_index[module_of[i]]) for i in range(len(stages))}
    for b in barrier_index.values():
        keys[b] = ItemKey((0, 0), None)
    return ids, keys


class Simulation:
    """Discrete-event run of a scheduler over fake workers."""

    def __init__(
        self,
        phases: list[int],
        nodes: int,
        max_parallel: int = 100,
        checks: list[int] | None = None,
        durations: dict[int, float] | None = None,
        drop_barriers: bool = False,
    ) -> None:
        self.ids, self.keys = make_collection(phases, checks)
        barriers = frozenset(i for i, k in self.keys.items() if k.barrier is None)
        self.stage_done: list[tuple[int, int]] = []
        self.sched = PhaseScheduling(
            config=None,
            max_parallel=max_parallel,
            load_keys=lambda node, coll: dict(self.keys),
            on_stage_complete=self.stage_done.append,
        )
        self.nodes = [
            FakeNode(Gateway(f"gw{i}"), dropped=barriers if drop_barriers else frozenset())
            for i in range(nodes)
        ]
        self.durations = durations or {}
        self.now = 0.0
        self.events: list[tuple[float, int, str, int]] = []  # (time, seq, node id, item)
        self.seq = 0
        self.spans: dict[int, tuple[float, float]] = {}
        self.runs: list[int] = []
        self.max_concurrent = 0
        for node in self.nodes:
            self.sched.add_node(node)
        for node in self.nodes:
            self.sched.add_node_collection(node, self.ids)
        self.sched.schedule()

    def node(self, gid: str) -> FakeNode:
        return next(n for n in self.nodes if n.gateway.id == gid)

    def _start_ready(self) -> None:
        for node in self.nodes:
            if node.running is not None or not node.queue:
                continue
            if len(node.queue) >= 2 or node.shutdown_received:
                item = node.queue.pop(0)
                node.running = item
                duration = 0.0 if self.keys[item].barrier is None else self.durations.get(item, 1.0)
                if self.keys[item].barrier is not None:
                    self.spans[item] = (self.now, self.now + duration)
                    self.runs.append(item)
                heapq.heappush(self.events, (self.now + duration, self.seq, node.gateway.id, item))
                self.seq += 1
        running = sum(
            1
            for n in self.nodes
            if n.running is not None and self.keys[n.running].barrier is not None
        )
        self.max_concurrent = max(self.max_concurrent, running)

    def run(self, max_events: int = 10_000) -> None:
        self._start_ready()
        for _ in range(max_events):
            if not self.events:
                break
            self.now, _, gid, item = heapq.heappop(self.events)
            node = self.node(gid)
            node.running = None
            self.sched.mark_test_complete(node, item)
            self._start_ready()
        else:
            raise AssertionError("simulation did not end")

    def phase_of(self, item: int) -> int:
        return self.keys[item].stage[0]

    def assert_phases_ordered(self) -> None:
        real = [i for i, k in self.keys.items() if k.barrier is not None]
        for a in real:
            for b in real:
                if self.keys[a].stage < self.keys[b].stage:
                    assert self.spans[a][1] <= self.spans[b][0], (self.ids[a], self.ids[b])


@pytest.mark.parametrize("nodes", [1, 2, 3, 8])
def test_every_item_runs_once_and_phases_never_overlap(nodes: int) -> None:
    sim = Simulation([1, 3, 2, 1], nodes)
    sim.run()
    real = sorted(i for i, k in sim.keys.items() if k.barrier is not None)
    assert sorted(sim.runs) == real
    sim.assert_phases_ordered()
    assert sim.sched.tests_finished
    assert all(n.shutdown_received for n in sim.nodes)


def test_a_phase_runs_side_by_side_up_to_the_worker_count() -> None:
    sim = Simulation([1, 3, 2, 1], nodes=8)
    sim.run()
    assert sim.max_concurrent == 3
    # 4 phases of 1 s each, one after another, each fully parallel
    assert sim.now == pytest.approx(4.0)


def test_max_parallel_caps_concurrency() -> None:
    sim = Simulation([6], nodes=8, max_parallel=2)
    sim.run()
    assert sim.max_concurrent == 2
    assert sim.now == pytest.approx(3.0)


def test_phase_checks_run_after_their_phase_and_before_the_next() -> None:
    sim = Simulation([2, 2], nodes=4, checks=[1, 0], durations={0: 1.0, 1: 3.0})
    sim.run()
    check = sim.ids.index("test_p0.py::test_check0")
    assert sim.spans[check][0] >= 3.0
    nxt = sim.ids.index("test_p1.py::test_workflow[W1-0]")
    assert sim.spans[nxt][0] >= sim.spans[check][1]
    assert sim.stage_done == [(0, 0), (0, 1), (1, 0)]


def test_without_barrier_items_the_same_run_would_deadlock() -> None:
    """The trap the barrier items avoid, with the real scheduler and simulated workers:
    the same run, its barrier items lost on the way to the workers, stops with work left
    (and the simulation is faithful to xdist's rule, or every test above proves nothing)."""
    sim = Simulation([1, 3, 2, 1], nodes=2, drop_barriers=True)
    sim.run()  # returns when nothing is left running: here, at once
    real = {i for i, k in sim.keys.items() if k.barrier is not None}
    assert not set(sim.runs) and real
    assert not sim.sched.tests_finished
    assert any(n.queue and n.running is None for n in sim.nodes), "no worker holds its item"
    # the very same run with its barrier items completes
    sim = Simulation([1, 3, 2, 1], nodes=2)
    sim.run()
    assert set(sim.runs) == real and sim.sched.tests_finished


def test_crashed_worker_item_counts_as_done_and_its_queue_is_redistributed() -> None:
    sim = Simulation([1, 3, 1], nodes=2)
    sim._start_ready()
    # finish phase 0
    while sim.sched._stage_pos == 0:
        sim.now, _, gid, item = heapq.heappop(sim.events)
        sim.node(gid).running = None
        sim.sched.mark_test_complete(sim.node(gid), item)
        sim._start_ready()
    victim = next(
        n for n in sim.nodes if n.running is not None and sim.keys[n.running].barrier is not None
    )
    crashed = victim.running
    assert crashed is not None
    sim.events = [e for e in sim.events if e[2] != victim.gateway.id]
    heapq.heapify(sim.events)
    crash_time = sim.now
    nodeid = sim.sched.remove_node(victim)
    assert nodeid == sim.ids[crashed]
    sim.nodes.remove(victim)
    replacement = FakeNode(Gateway("gw9"))
    sim.nodes.append(replacement)
    sim.sched.add_node(replacement)
    sim.sched.add_node_collection(replacement, sim.ids)
    sim.sched.schedule()
    sim.run()
    sim.spans[crashed] = (sim.spans[crashed][0], crash_time)
    real = {i for i, k in sim.keys.items() if k.barrier is not None} - {crashed}
    assert set(sim.runs) - {crashed} == real
    sim.assert_phases_ordered()
    assert sim.sched.tests_finished


def test_remove_node_does_not_advance_the_phase_so_a_rerun_stays_in_its_phase() -> None:
    sim = Simulation([1, 1], nodes=1)
    sim._start_ready()
    (node,) = sim.nodes
    assert node.running == 0
    nodeid = sim.sched.remove_node(node)
    assert nodeid == sim.ids[0]
    sim.events.clear()
    sim.runs.clear()
    # a rerun plugin queues the crashed test again before anything else happens
    sim.sched.mark_test_pending(nodeid)
    new = FakeNode(Gateway("gw1"))
    sim.nodes = [new]
    sim.sched.add_node(new)
    sim.sched.add_node_collection(new, sim.ids)
    sim.sched.schedule()
    sim.run()
    assert sim.runs == [0, 1]
    assert sim.spans[0][1] <= sim.spans[1][0]


def test_a_worker_that_collected_other_tests_is_shut_down_and_not_used() -> None:
    ids, keys = make_collection([2])
    sched = PhaseScheduling(None, max_parallel=4, load_keys=lambda n, c: dict(keys))
    a, b = FakeNode(Gateway("gw0")), FakeNode(Gateway("gw1"))
    sched.add_node(a)
    sched.add_node(b)
    sched.add_node_collection(a, ids)
    sched.schedule()
    sched.add_node_collection(b, [*ids, "extra"])
    sched.schedule()
    assert b.shutdown_received and b.queue == []
    assert not a.shutdown_received and a.queue[:2] == [0, keys[0].barrier]


def test_work_starts_with_the_first_collection_before_xdist_asks_and_later_workers_join() -> None:
    """xdist prints its status line when collection is complete and nothing is pending:
    work handed out in add_node_collection leaves no half-way "collecting: 1/3 workers"."""
    ids, keys = make_collection([3])
    sched = PhaseScheduling(None, max_parallel=4, load_keys=lambda n, c: dict(keys))
    nodes = [FakeNode(Gateway(f"gw{i}")) for i in range(3)]
    for node in nodes:
        sched.add_node(node)
    sched.add_node_collection(nodes[0], ids)
    assert sched.collection_is_completed and sched.has_pending  # so xdist prints nothing
    assert nodes[0].queue[:2] == [0, keys[0].barrier]
    for node in nodes[1:]:
        sched.add_node_collection(node, ids)
        sched.schedule()
    assert sorted(n.queue[0] for n in nodes) == [0, 1, 2]


def test_a_replacement_worker_joins_a_run_under_way() -> None:
    ids, keys = make_collection([3])
    sched = PhaseScheduling(None, max_parallel=4, load_keys=lambda n, c: dict(keys))
    first, lost, replacement = (FakeNode(Gateway(f"gw{i}")) for i in range(3))
    for node in (first, lost):
        sched.add_node(node)
    sched.add_node_collection(first, ids)
    assert sched.remove_node(lost) is None
    sched.schedule()
    assert first.queue[0] == 0
    sched.add_node(replacement)  # xdist restarts a crashed worker: it joins the run
    sched.add_node_collection(replacement, ids)
    sched.schedule()
    assert replacement.queue[0] == 1


def test_nothing_collected_shuts_down_at_once() -> None:
    sched = PhaseScheduling(None, max_parallel=4, load_keys=lambda n, c: {})
    node = FakeNode(Gateway("gw0"))
    sched.add_node(node)
    sched.add_node_collection(node, [])
    sched.schedule()
    assert node.shutdown_received
    assert sched.tests_finished


def _unused(_: Any) -> None:
    pass


def test_the_test_count_excludes_barriers_after_every_worker_collected() -> None:
    """xdist sets the session's count to each worker's item count (barriers included)
    as its collection arrives; the scheduler puts the real count back every time."""
    ids, keys = make_collection([2, 3])
    counts: list[int] = []
    sched = PhaseScheduling(
        None, max_parallel=4, load_keys=lambda n, c: dict(keys), on_collected=counts.append
    )
    nodes = [FakeNode(Gateway(f"gw{i}")) for i in range(3)]
    for node in nodes:
        sched.add_node(node)
    sched.add_node_collection(nodes[0], ids)
    sched.schedule()
    for node in nodes[1:]:
        sched.add_node_collection(node, ids)
        sched.schedule()
    assert counts == [5, 5, 5]


def _step_until(sim: Simulation, stage_pos: int) -> None:
    """Runs the simulation event by event until the scheduler reaches *stage_pos*."""
    sim._start_ready()
    while sim.sched._stage_pos < stage_pos:
        sim.now, _, gid, item = heapq.heappop(sim.events)
        sim.node(gid).running = None
        sim.sched.mark_test_complete(sim.node(gid), item)
        sim._start_ready()


def test_workers_left_without_work_in_the_last_phase_are_shut_down_while_it_runs() -> None:
    """Their processes end while the last workflows run, not all at the end."""
    sim = Simulation([1, 3, 2, 2], nodes=4, durations={7: 2.0})
    _step_until(sim, 2)  # phase 2 (2 items, 4 workers): two idle workers are kept
    assert [n.shutdown_received for n in sim.nodes] == [False] * 4
    _step_until(sim, 3)  # the last phase given out: the two idle workers are shut down
    busy = {n.gateway.id for n in sim.nodes if {6, 7} & set(sim.sched.node2pending[n])}
    assert len(busy) == 2
    assert {n.gateway.id for n in sim.nodes if n.shutdown_received} == {
        n.gateway.id for n in sim.nodes
    } - busy
    # the 1-second item of the last phase completes: its worker is shut down, the
    # worker of the 2-second one is not, until it completes
    while True:  # the idle workers run their barriers (no time), then item 6 ends
        sim.now, _, gid, item = heapq.heappop(sim.events)
        sim.node(gid).running = None
        sim.sched.mark_test_complete(sim.node(gid), item)
        if item == 6:
            break
        sim._start_ready()
    assert sim.now == pytest.approx(4.0)
    assert sim.node(gid).shutdown_received
    (other,) = busy - {gid}
    assert not sim.node(other).shutdown_received
    sim._start_ready()
    sim.run()
    assert all(n.shutdown_received for n in sim.nodes) and sim.sched.tests_finished
    assert sorted(sim.runs) == list(range(8))


def test_idle_workers_the_last_phase_checks_cannot_use_are_shut_down_while_it_runs() -> None:
    sim = Simulation([1, 1, 1], nodes=3, checks=[0, 0, 1])
    _step_until(sim, 1)
    assert not any(n.shutdown_received for n in sim.nodes)
    _step_until(sim, 2)  # the last phase's workflow given out; its one check comes after
    assert sum(n.shutdown_received for n in sim.nodes) == 2  # its busy worker will take it
    sim.run()
    assert sim.sched.tests_finished and all(n.shutdown_received for n in sim.nodes)
    check = sim.ids.index("test_p2.py::test_check0")
    assert sim.spans[check][0] >= sim.spans[2][1]


def test_enough_idle_workers_stay_for_the_last_phase_checks_to_run_side_by_side() -> None:
    sim = Simulation([1, 1], nodes=5, checks=[0, 3])
    _step_until(sim, 1)  # 1 busy worker + 2 kept for 3 checks; the other 2 shut down
    assert sum(n.shutdown_received for n in sim.nodes) == 2
    sim.run()
    checks = [sim.ids.index(f"test_p1.py::test_check{c}") for c in range(3)]
    assert {sim.spans[c] for c in checks} == {(2.0, 3.0)}  # all three at once
    assert sim.now == pytest.approx(3.0) and sim.sched.tests_finished


def test_idle_workers_are_kept_while_a_later_phase_remains() -> None:
    sim = Simulation([1, 3, 1], nodes=3, checks=[1, 0, 0])
    _step_until(sim, 1)  # phase 0's check runs on one worker; two idle, phase 1 to come
    assert not any(n.shutdown_received for n in sim.nodes)
    _step_until(sim, 2)
    assert not any(n.shutdown_received for n in sim.nodes)


def test_under_max_parallel_idle_workers_wait_until_the_last_phase_is_all_given_out() -> None:
    sim = Simulation([4], nodes=4, max_parallel=2)
    sim._start_ready()  # items 0 and 1 given out, 2 and 3 wait for a place
    assert not any(n.shutdown_received for n in sim.nodes)
    sim.now, _, gid, item = heapq.heappop(sim.events)  # item 0 ends; item 2 given out
    sim.node(gid).running = None
    sim.sched.mark_test_complete(sim.node(gid), item)
    assert not any(n.shutdown_received for n in sim.nodes)
    sim._start_ready()
    sim.run()
    assert sorted(sim.runs) == [0, 1, 2, 3] and sim.now == pytest.approx(2.0)


def test_given_out_lists_the_tests_a_worker_holds_and_has_not_completed() -> None:
    sim = Simulation([1, 3], nodes=2, max_parallel=2)
    assert sim.sched.given_out() == [sim.ids[0]]
    _step_until(sim, 1)  # phase 1: two of its three tests given out, barriers left out
    assert sim.sched.given_out() == [sim.ids[1], sim.ids[2]]
    sim.run()
    assert sim.sched.given_out() == []


def test_given_out_is_empty_before_any_collection() -> None:
    sched = PhaseScheduling(None, max_parallel=2, load_keys=lambda n, c: {})
    assert sched.given_out() == []
