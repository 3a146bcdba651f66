"""QueueGate: a bound on waiting requests; refuse the newcomer or shed the lowest priority."""

import asyncio

import pytest

from gemgate.errors import QueueFull
from gemgate.queue import Priority, QueueGate


async def hold(gate: QueueGate, priority: int, entered: asyncio.Event) -> str:
    async with gate.ticket(priority):
        entered.set()
        await asyncio.sleep(10)
    return "finished"


async def test_past_the_bound_a_newcomer_is_refused() -> None:
    gate = QueueGate(max_waiting=2)
    events = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.ensure_future(hold(gate, Priority.LOW, e)) for e in events]
    await asyncio.gather(*(e.wait() for e in events))
    with pytest.raises(QueueFull):
        async with gate.ticket(Priority.HIGH):
            pass
    assert gate.waiting == 2
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert gate.waiting == 0


async def test_shed_drops_the_newest_lowest_priority_waiter_for_a_higher_newcomer() -> None:
    gate = QueueGate(max_waiting=3, overflow="shed")
    events = [asyncio.Event() for _ in range(3)]
    low_old = asyncio.ensure_future(hold(gate, Priority.LOW, events[0]))
    await events[0].wait()
    low_new = asyncio.ensure_future(hold(gate, Priority.LOW, events[1]))
    normal = asyncio.ensure_future(hold(gate, Priority.NORMAL, events[2]))
    await asyncio.gather(events[1].wait(), events[2].wait())
    async with gate.ticket(Priority.HIGH):
        assert gate.waiting == 3
    results = await asyncio.gather(low_new, return_exceptions=True)
    assert isinstance(results[0], QueueFull)
    assert not low_old.done()
    assert not normal.done()
    for t in (low_old, normal):
        t.cancel()
    await asyncio.gather(low_old, normal, return_exceptions=True)


async def test_shed_refuses_a_newcomer_that_outranks_nobody() -> None:
    gate = QueueGate(max_waiting=1, overflow="shed")
    entered = asyncio.Event()
    task = asyncio.ensure_future(hold(gate, Priority.HIGH, entered))
    await entered.wait()
    with pytest.raises(QueueFull):
        async with gate.ticket(Priority.HIGH):
            pass
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_started_request_no_longer_counts_as_waiting() -> None:
    gate = QueueGate(max_waiting=1)
    async with gate.ticket(Priority.NORMAL) as ticket:
        gate.started(ticket)
        async with gate.ticket(Priority.NORMAL):
            assert gate.waiting == 1
