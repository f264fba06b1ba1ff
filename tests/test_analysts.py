"""A CSIRT task's wait (`FirstOf`, with the pool's `Bell`) resumes it at the very step
`env.any_of` would, so the order of everything that happens at the same time is unchanged;
a failed event fails it."""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.analysts import Bell, FirstOf

Wait = Callable[[simpy.Environment, list[simpy.Event], Bell], simpy.Event]


def first_of(env: simpy.Environment, events: list[simpy.Event], bell: Bell) -> simpy.Event:
    return FirstOf(env, events, bell)


def any_of(env: simpy.Environment, events: list[simpy.Event], bell: Bell) -> simpy.Event:
    return env.any_of([*events, bell.event])


def trace(
    wait: Wait, plan: list[tuple[int, float]], waiters: list[list[int]], rings: list[float]
) -> list[object]:
    """Who resumed when, and in which order, with `plan` triggering event k at its time, the
    bell ringing at `rings`, and each waiter waiting (again and again) on the events it names
    or the bell (besides a ticking bystander at every step)."""
    env = simpy.Environment()
    events = [env.event() for _ in plan]
    bell = Bell(env)
    seen: list[object] = []

    def trigger(k: int, at: float) -> Generator[simpy.Event, None, None]:
        yield env.timeout(at)
        events[k].succeed(k)
        seen.append(("fired", k, env.now))

    def waiter(n: int, names: list[int]) -> Generator[simpy.Event, None, None]:
        while not any(events[k].triggered for k in names):
            yield wait(env, [events[k] for k in names], bell)
            seen.append(("woke", n, env.now, sorted(k for k in names if events[k].triggered)))

    def ringer() -> Generator[simpy.Event, None, None]:
        for at in sorted(rings):
            yield env.timeout(at - env.now)
            bell.ring()
            seen.append(("rang", env.now))

    def bystander() -> Generator[simpy.Event, None, None]:
        while True:
            yield env.timeout(0.5)
            seen.append(("tick", env.now))

    env.process(bystander())
    env.process(ringer())
    for k, (_, at) in enumerate(plan):
        env.process(trigger(k, at))
    for n, names in enumerate(waiters):
        env.process(waiter(n, names))
    env.run(until=20)
    return seen


@settings(max_examples=100, deadline=None)
@given(
    times=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5, 30.0]), min_size=1, max_size=6),
    rings=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), max_size=4),
    data=st.data(),
)
def test_first_of_resumes_exactly_when_any_of_does(
    times: list[float], rings: list[float], data: st.DataObject
) -> None:
    plan = list(enumerate(times))
    names = st.lists(st.integers(0, len(plan) - 1), min_size=1, max_size=3, unique=True)
    waiters = data.draw(st.lists(names, min_size=1, max_size=4))
    assert trace(first_of, plan, waiters, rings) == trace(any_of, plan, waiters, rings)


def test_a_failed_event_fails_the_wait() -> None:
    env = simpy.Environment()
    broken, quiet = env.event(), env.event()

    def waiter() -> Generator[simpy.Event, None, None]:
        yield FirstOf(env, [quiet, broken])

    process = env.process(waiter())
    broken.fail(RuntimeError("analyst left"))
    with pytest.raises(RuntimeError, match="analyst left"):
        env.run()
    assert not process.ok
    assert quiet.callbacks == []  # the untriggered event is not left pointing at the wait
