"""The xdist scheduler that enforces the plan's phase order.

Items are grouped into *stages*: for each phase of the plan, first its
workflow tests, then the module's hand-written phase checks. A stage is
dispatched only once every item of the stages before it has completed, and
within a stage at most ``max_parallel`` items run at once, one per worker.

xdist runs an item only once the worker holds the *next* one (it needs it
for fixture teardown), so a scheduler that simply held phase N+1 back would
leave every worker waiting on its last phase-N test. Each real item is
therefore sent together with its module's no-op barrier item
(``collection.PhaseBarrier``): the worker runs the real test at once and
holds the barrier, which runs, invisibly, when the next item or the shutdown
arrives.

Once the last phase's workflows are all given out, each worker with nothing
left to run is shut down at once (but for those its phase checks can use), and
each busy one as it has nothing left: the workers' processes end while the
last workflows run, so the run's end waits for one process to exit, not for
all of them at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Node(Protocol):
    """The part of xdist's ``WorkerController`` the scheduler uses."""

    gateway: Any
    shutting_down: bool

    def send_runtest_some(self, indices: Sequence[int]) -> None: ...

    def shutdown(self) -> None: ...


@dataclass(frozen=True)
class ItemKey:
    """Where a collected item belongs: its stage, and the barrier to send with it."""

    stage: tuple[int, int]  # (phase index, 0 for workflows / 1 for phase checks)
    barrier: int | None  # index of its module's barrier item; None for a barrier itself


KeysLoader = Callable[[Any, Sequence[str]], dict[int, ItemKey]]


class PhaseScheduling:
    """An xdist ``Scheduling`` implementation with phase barriers (see module doc)."""

    def __init__(
        self,
        config: Any,
        log: Any = None,
        *,
        max_parallel: int,
        load_keys: KeysLoader,
        on_stage_complete: Callable[[tuple[int, int]], None] | None = None,
        on_collected: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config  # read by pytest-rerunfailures
        self.log = log.phasesched if log is not None else (lambda *a: None)
        self.max_parallel = max(1, max_parallel)
        self._load_keys = load_keys
        self._on_stage_complete = on_stage_complete or (lambda _stage: None)
        self._on_collected = on_collected or (lambda _n: None)
        self.node2collection: dict[Any, list[str]] = {}
        self.node2pending: dict[Any, list[int]] = {}
        self.collection: list[str] | None = None
        self._test_count = 0  # real tests, barriers not counted
        self._keys: dict[int, ItemKey] = {}
        self._stages: list[tuple[int, int]] = []
        self._queues: dict[tuple[int, int], deque[int]] = {}
        self._outstanding: dict[tuple[int, int], set[int]] = {}
        self._running: set[int] = set()
        self._stage_pos = 0
        self._order: list[Any] = []  # nodes, least recently given work first

    # -- the Scheduling protocol --------------------------------------------

    @property
    def nodes(self) -> list[Any]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        # Work starts as soon as one worker has collected; the others join as they
        # finish (xdist starts workers one after another: with 20 that is seconds).
        return self.collection is not None

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.collection is None:
            return False
        if self._stage_pos < len(self._stages):
            return False
        return all(len(p) <= 1 for p in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        if self.collection is None:
            return False
        if any(self._queues[s] for s in self._stages[self._stage_pos :]):
            return True
        return any(self.node2pending.values())

    def add_node(self, node: Any) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []
        self._order.append(node)

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        assert node in self.node2pending
        if self.collection is not None and list(collection) != self.collection:
            self._refuse(node, collection)
            return
        self.node2collection[node] = list(collection)
        if self.collection is None:
            # The first collection: work starts now, before xdist asks whether any is
            # pending (none pending, it would print a half-way "collecting: 1/3 workers").
            self._init_stages()
            self._dispatch()
        else:
            # xdist has just set the session's test count to this worker's item
            # count, barriers included: the progress would end at [ 66%]. Again:
            self._on_collected(self._test_count)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self.node2pending[node].remove(item_index)
        key = self._keys.get(item_index)
        if key is None or key.barrier is None:
            return
        self._running.discard(item_index)
        self._outstanding[key.stage].discard(item_index)
        self._dispatch()

    def mark_test_pending(self, item: str) -> None:
        """Queue *item* again (a rerun), at the front of its stage."""
        assert self.collection is not None
        index = self.collection.index(item)
        key = self._keys[index]
        self._outstanding[key.stage].add(index)
        self._queues[key.stage].appendleft(index)
        self._dispatch()

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        raise NotImplementedError("phase scheduling never steals work")

    def remove_node(self, node: Any) -> str | None:
        """Forget a node; return the id of the item it crashed on, if any.

        The crashed item counts as done (xdist reports it failed), but the
        phase is *not* advanced here: a rerun plugin may queue it again
        right after this call. The next ``schedule()`` or completion does it.
        """
        pending = self.node2pending.pop(node)
        self.node2collection.pop(node, None)
        if node in self._order:
            self._order.remove(node)
        if not pending:
            return None
        crashed, rest = pending[0], pending[1:]
        for index in reversed(rest):
            key = self._keys[index]
            if key.barrier is not None:
                self._running.discard(index)
                self._queues[key.stage].appendleft(index)
        key = self._keys[crashed]
        if key.barrier is None or self.collection is None:
            return None
        self._running.discard(crashed)
        self._outstanding[key.stage].discard(crashed)
        return self.collection[crashed]

    def schedule(self) -> None:
        if not self.collection_is_completed:
            return
        if self.collection is None:
            self._init_stages()
        self._dispatch()

    def given_out(self) -> list[str]:
        """The tests handed to a worker and not completed (barriers left out): the ones
        running, or about to, when a run is interrupted."""
        if self.collection is None:
            return []
        return [self.collection[i] for i in sorted(self._running)]

    def tests(self) -> list[str] | None:
        """The collection's tests in collection order, barriers left out (None: no
        worker's collection arrived yet)."""
        if self.collection is None:
            return None
        return [n for i, n in enumerate(self.collection) if self._keys[i].barrier is not None]

    # -- internals ------------------------------------------------------------

    def _refuse(self, node: Any, collection: Sequence[str]) -> None:
        """A worker that collected other tests than the first is shut down, and said so."""
        assert self.collection is not None
        missing = sorted(set(self.collection) - set(collection))[:3]
        extra = sorted(set(collection) - set(self.collection))[:3]
        message = (
            f"worker {node.gateway.id} collected different tests than the first worker "
            f"(missing {missing}, extra {extra}); it is not used"
        )
        self.log(message)
        node.shutdown()
        if self.config is not None:
            import pytest

            self.config.hook.pytest_collectreport(
                report=pytest.CollectReport(node.gateway.id, "failed", message, [])
            )

    def _init_stages(self) -> None:
        first_node, first = next(iter(self.node2collection.items()))
        self.collection = first
        self._keys = self._load_keys(first_node, first)
        for index, key in sorted(self._keys.items()):
            if key.barrier is None:
                continue
            if key.stage not in self._queues:
                self._queues[key.stage] = deque()
                self._outstanding[key.stage] = set()
            self._queues[key.stage].append(index)
            self._outstanding[key.stage].add(index)
        self._stages = sorted(self._queues)
        self._test_count = sum(len(q) for q in self._queues.values())
        self._on_collected(self._test_count)

    def _free_nodes(self) -> list[Any]:
        free = []
        for node in self._order:
            if node.shutting_down or node not in self.node2collection:
                continue
            if all(self._keys[i].barrier is None for i in self.node2pending[node]):
                free.append(node)
        return free

    def _dispatch(self) -> None:
        if self.collection is None:
            return
        while self._stage_pos < len(self._stages):
            stage = self._stages[self._stage_pos]
            if self._outstanding[stage]:
                break
            self._stage_pos += 1
            self._on_stage_complete(stage)
        if self._stage_pos >= len(self._stages):
            for node in self.nodes:
                if not node.shutting_down:
                    node.shutdown()
            return
        queue = self._queues[self._stages[self._stage_pos]]
        for node in self._free_nodes():
            if not queue or len(self._running) >= self.max_parallel:
                break
            index = queue.popleft()
            barrier = self._keys[index].barrier
            assert barrier is not None
            self._running.add(index)
            self.node2pending[node].extend((index, barrier))
            self._order.remove(node)
            self._order.append(node)
            node.send_runtest_some([index, barrier])
        if not queue:
            self._shut_down_idle_workers()

    def _shut_down_idle_workers(self) -> None:
        """In the last phase, once its stage is all given out, the workers left with
        nothing to run are shut down now, so that their processes end while the last
        workflows run rather than after them (as xdist's own schedulers do once nothing
        is pending). Enough stay for the phase's checks to run side by side, with the
        busy workers, when its workflows are over."""
        current = self._stages[self._stage_pos]
        later = self._stages[self._stage_pos + 1 :]
        if any(stage[0] != current[0] for stage in later):
            return  # a later phase will need them
        waiting = sum(len(self._queues[stage]) for stage in later)
        busy = sum(
            1
            for node in self.nodes
            if not node.shutting_down
            and any(self._keys[i].barrier is not None for i in self.node2pending[node])
        )
        keep = max(0, min(waiting, self.max_parallel) - busy)
        for node in self._free_nodes()[keep:]:
            node.shutdown()
