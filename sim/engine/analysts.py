"""A team of analysts: SimPy's PriorityResource with its waiting requests kept in a heap,
and the event a task waits on for the first of its requests (or a wake-up) to be granted.

SimPy's PriorityResource keeps its queue as a list that it sorts again on every request, which
costs O(n) a request and makes an overloaded CSIRT quadratic. SimPy documents the queue's
interface as append, pop, __getitem__ and __len__ (and remove, to cancel); a binary heap on
(key, arrival order) gives the same order in O(log n).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from functools import partial
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import PENDING


class RequestHeap:
    """Waiting requests in the order of their `key`, first come first served among equals.
    Cancelled requests are dropped when they reach the top."""

    def __init__(self) -> None:
        self._heap: list[tuple[Any, int, simpy.Event]] = []
        self._arrivals = itertools.count()
        self._cancelled: set[simpy.Event] = set()

    def append(self, request: Any) -> None:
        heappush(self._heap, (request.key, next(self._arrivals), request))

    def remove(self, request: simpy.Event) -> None:
        self._cancelled.add(request)

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2] in self._cancelled:
            self._cancelled.discard(heappop(self._heap)[2])

    def __getitem__(self, index: int) -> simpy.Event:
        if index != 0:
            raise IndexError("only the first waiting request can be read")
        self._drop_cancelled()
        return self._heap[0][2]

    def pop(self, index: int = 0) -> simpy.Event:
        """The first waiting request, removed (SimPy only ever pops the first)."""
        if index != 0:
            raise IndexError("only the first waiting request can be popped")
        self._drop_cancelled()
        return heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap) - len(self._cancelled)

    def __iter__(self) -> Iterator[simpy.Event]:
        return (r for _, _, r in sorted(self._heap) if r not in self._cancelled)


class Analysts(simpy.PriorityResource):
    """A PriorityResource of analysts whose queue costs O(log n) a request."""

    PutQueue = RequestHeap  # type: ignore[assignment]


class Bell:
    """An event that many tasks wait on and that rings again and again (a change in a CSIRT's
    pool of analysts). Its listeners sit in an ordered dict rather than in the event's list
    of callbacks, so a task that stops listening costs O(1), not a scan of every task still
    waiting (which made an overloaded CSIRT quadratic); they hear it in the order they
    started listening, as callbacks would."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._arm()

    def _arm(self) -> None:
        self.event = self.env.event()
        self.listeners: dict[Callable[[simpy.Event], None], None] = {}
        self.event.callbacks.append(partial(_tell, self.listeners))  # type: ignore[union-attr]

    def ring(self) -> None:
        """Wake everyone listening now; later listeners wait for the next ring."""
        self.event.succeed()
        self._arm()


def _tell(listeners: dict[Callable[[simpy.Event], None], None], event: simpy.Event) -> None:
    for listener in list(listeners):
        listener(event)


class FirstOf(simpy.Event):
    """Happens when the first of `events` (or a ring of `bell`) happens, at the very step
    `env.any_of` would (so the order of everything else is unchanged), but builds no value:
    the waiter looks at which of its events have triggered. A failed event fails it. Half
    the cost of `any_of`, which a CSIRT task pays at every wait."""

    def __init__(
        self, env: simpy.Environment, events: list[simpy.Event], bell: Bell | None = None
    ) -> None:
        super().__init__(env)
        self._events = events
        self._bell = bell
        for event in events:
            if event.callbacks is None:
                self._check(event)
            else:
                event.callbacks.append(self._check)
        if bell is not None:
            self._bell_listeners = bell.listeners
            self._bell_listeners[self._check] = None
        self.callbacks.append(self._forget)  # type: ignore[union-attr]

    def _check(self, event: simpy.Event) -> None:
        if self._value is not PENDING:
            return
        if event._ok:
            self.succeed()
        else:
            event._defused = True
            self.fail(event._value)

    def _forget(self, _event: simpy.Event) -> None:
        """Stop listening to the events that have not happened (they may never)."""
        for event in self._events:
            if event.callbacks and self._check in event.callbacks:
                event.callbacks.remove(self._check)
        if self._bell is not None:
            self._bell_listeners.pop(self._check, None)
