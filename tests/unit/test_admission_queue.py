"""AdmissionQueue: a concurrency cap served by priority, FIFO within a priority."""

import asyncio

import pytest

from gemgate.errors import DeadlineExceeded
from gemgate.queue import AdmissionQueue, Priority


async def test_at_most_concurrency_slots_are_held() -> None:
    q = AdmissionQueue(2)
    await q.acquire()
    await q.acquire()
    waiter = asyncio.ensure_future(q.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    assert q.in_flight == 2
    q.release()
    await asyncio.wait_for(waiter, 1)
    assert q.in_flight == 2


async def test_higher_priority_goes_first_and_fifo_within_a_priority() -> None:
    q = AdmissionQueue(1)
    await q.acquire()
    order: list[str] = []

    async def wait(name: str, priority: int) -> None:
        await q.acquire(priority)
        order.append(name)
        q.release()

    tasks = [asyncio.ensure_future(wait(f"low{i}", Priority.LOW)) for i in range(3)]
    await asyncio.sleep(0)
    tasks.append(asyncio.ensure_future(wait("normal", Priority.NORMAL)))
    tasks.append(asyncio.ensure_future(wait("high", Priority.HIGH)))
    await asyncio.sleep(0)
    q.release()
    await asyncio.gather(*tasks)
    assert order == ["high", "normal", "low0", "low1", "low2"]


async def test_a_waiter_past_its_deadline_is_rejected_and_loses_no_slot() -> None:
    q = AdmissionQueue(1)
    await q.acquire()
    with pytest.raises(DeadlineExceeded):
        await q.acquire(timeout_s=0.01)
    q.release()
    assert q.in_flight == 0
    await q.acquire()
    assert q.in_flight == 1


async def test_a_cancelled_waiter_frees_its_place() -> None:
    q = AdmissionQueue(1)
    await q.acquire()
    cancelled = asyncio.ensure_future(q.acquire(Priority.HIGH))
    later = asyncio.ensure_future(q.acquire(Priority.LOW))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    q.release()
    await asyncio.wait_for(later, 1)
    assert q.in_flight == 1
    assert q.waiting == 0


async def test_a_slot_granted_to_a_waiter_cancelled_at_the_same_moment_is_passed_on() -> None:
    q = AdmissionQueue(1)
    await q.acquire()
    first = asyncio.ensure_future(q.acquire())
    second = asyncio.ensure_future(q.acquire())
    await asyncio.sleep(0)
    q.release()  # grants the slot to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.wait_for(second, 1)
    assert q.in_flight == 1
