"""RateLimiter on the memory store and a fake clock: lines by priority, pauses, reconcile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gemgate.clock import FakeClock
from gemgate.config import LimitRule
from gemgate.errors import DailyQuotaExhausted, DeadlineExceeded, ExceedsLimit
from gemgate.queue import Priority
from gemgate.ratelimit import MemoryStore, RateLimiter, seconds_to_pacific_midnight

MODEL = "m"


def limiter(clock: FakeClock, *rules: LimitRule) -> RateLimiter:
    return RateLimiter({MODEL: rules}, MemoryStore(clock), clock)


async def test_the_default_burst_then_the_refill_pace() -> None:
    clock = FakeClock()
    lim = limiter(clock, LimitRule("requests", 80, 60.0))  # burst 2, refill 78 per 60.5 s
    waits = [(await lim.acquire(MODEL, 1)).waited_s for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(60.5 / 78, abs=1e-6)
    assert waits[3] == pytest.approx(60.5 / 78, abs=1e-6)


async def test_requests_and_tokens_are_taken_together() -> None:
    clock = FakeClock()
    lim = limiter(
        clock, LimitRule("requests", 10, 1.0, burst=10), LimitRule("tokens", 100, 1.0, burst=100)
    )
    await lim.acquire(MODEL, 90)
    r = await lim.acquire(MODEL, 20)  # a request unit is free, 20 tokens are not: wait for both
    assert r.waited_s > 0
    assert clock.sleeps


async def test_a_request_larger_than_the_burst_fails_at_once() -> None:
    lim = limiter(FakeClock(), LimitRule("tokens", 1000, 60.0, burst=100))
    with pytest.raises(ExceedsLimit) as info:
        await lim.acquire(MODEL, 101)
    assert info.value.capacity == 100


async def test_release_gives_back_and_reconcile_charges_the_real_count() -> None:
    clock = FakeClock()
    lim = limiter(clock, LimitRule("tokens", 100, 60.0, burst=100))
    r = await lim.acquire(MODEL, 100)
    await lim.release(r)
    r = await lim.acquire(MODEL, 100)
    assert r.waited_s == 0.0
    await lim.reconcile(r, 40)  # 60 come back
    await lim.reconcile(r, 0)  # once only
    assert (await lim.acquire(MODEL, 60)).waited_s == 0.0
    assert (await lim.acquire(MODEL, 1)).waited_s > 0


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_high_request_overtakes_every_waiting_low_one() -> None:
    clock = FakeClock(autojump=False)
    lim = limiter(clock, LimitRule("requests", 4, 1.0, burst=1))
    await lim.acquire(MODEL, 1)  # the burst is spent: everyone else waits for refills
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await lim.acquire(MODEL, 1, priority=priority)
        order.append(name)

    lows = [asyncio.ensure_future(take(f"low{i}", Priority.LOW)) for i in range(5)]
    await settle()  # low0 heads the line and sleeps until the next refill
    high = asyncio.ensure_future(take("high", Priority.HIGH))
    await settle()
    while not all(t.done() for t in (*lows, high)):
        clock.advance(0.1)
        await settle()
    assert order == ["high"] + [f"low{i}" for i in range(5)]


async def test_a_large_request_at_the_head_is_not_starved_by_small_ones() -> None:
    clock = FakeClock()
    lim = limiter(clock, LimitRule("tokens", 100, 1.0, burst=100))
    await lim.acquire(MODEL, 100)
    order: list[str] = []

    async def take(name: str, tokens: int) -> None:
        await lim.acquire(MODEL, tokens)
        order.append(name)

    big = asyncio.ensure_future(take("big", 90))
    await asyncio.sleep(0)
    smalls = [asyncio.ensure_future(take(f"s{i}", 5)) for i in range(5)]
    await asyncio.gather(big, *smalls)
    assert order[0] == "big"


async def test_a_pause_blocks_every_grant_until_it_ends() -> None:
    clock = FakeClock()
    lim = limiter(clock)  # no limit of its own: a 429 still pauses it
    await lim.pause(MODEL, "requests", 2.5)
    r = await lim.acquire(MODEL, 10)
    assert r.waited_s == pytest.approx(2.5, abs=1e-6)


async def test_a_wait_past_the_deadline_is_rejected_without_sleeping() -> None:
    clock = FakeClock()
    lim = limiter(clock, LimitRule("requests", 1, 60.0))
    await lim.acquire(MODEL, 1)
    with pytest.raises(DeadlineExceeded):
        await lim.acquire(MODEL, 1, deadline_at=10.0)
    assert clock.sleeps == []


async def test_a_cancelled_waiter_leaves_the_line_and_takes_nothing() -> None:
    clock = FakeClock()
    lim = limiter(clock, LimitRule("requests", 2, 1.0, burst=1))
    await lim.acquire(MODEL, 1)
    waiter = asyncio.ensure_future(lim.acquire(MODEL, 1))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert lim._lines == {}


def test_pacific_midnight_is_dst_correct() -> None:
    # 2026-03-08 is the spring-forward day in Los Angeles: that day has 23 hours
    start_of_day = 1772956800.0  # 2026-03-08 00:00 PST = 08:00 UTC
    assert seconds_to_pacific_midnight(start_of_day) == 23 * 3600
    assert seconds_to_pacific_midnight(start_of_day + 3600) == 22 * 3600


async def test_a_failing_check_empties_the_line_without_waiting_for_capacity() -> None:
    """Waiters run ``check`` at their turn: once it raises, each leaves as soon as it is the
    head, and none of them sleeps for capacity it would not use."""
    clock = FakeClock(autojump=False)
    lim = limiter(clock, LimitRule("requests", 60, 60.0, burst=1))
    await lim.acquire(MODEL, 1)  # the burst is spent: the next waits a second
    circuit = {"open": False}

    def check() -> None:
        if circuit["open"]:
            raise RuntimeError("every circuit is open")

    waiters = [asyncio.create_task(lim.acquire(MODEL, 1, check=check)) for _ in range(50)]
    for _ in range(100):  # until the head is asleep, waiting for capacity
        if clock.sleeps:
            break
        await asyncio.sleep(0)
    circuit["open"] = True
    wait = clock.sleeps[0]
    clock.advance(wait)  # the head wakes, checks and leaves; the next checks at once, and so on
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert clock.sleeps == [wait]  # only the first head ever slept
    clock.autojump = True
    assert (await lim.acquire(MODEL, 1)).waited_s < 1e-5  # nothing was taken on the way out


async def test_a_spent_daily_limit_is_refused_at_once_with_when_it_resets() -> None:
    clock = FakeClock(wall_start=1_767_225_600.0)  # 2026-01-01 00:00 UTC = 16:00 Pacific
    lim = limiter(clock, LimitRule("requests_per_day", 2, 86_400.0))
    await lim.acquire(MODEL, 1)
    await lim.acquire(MODEL, 1)
    with pytest.raises(DailyQuotaExhausted) as info:
        await lim.acquire(MODEL, 1)
    assert clock.sleeps == []  # not parked for the eight hours left
    assert info.value.resets_at == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)  # midnight Pacific
    assert info.value.retry_delay == pytest.approx(8 * 3600)


async def test_a_bucket_wait_that_ends_near_midnight_is_still_waited_out() -> None:
    clock = FakeClock(wall_start=1_767_254_400.0 - 30)  # 30 s before midnight Pacific
    lim = limiter(clock, LimitRule("requests", 60, 60.0, burst=1))
    await lim.acquire(MODEL, 1)
    assert (await lim.acquire(MODEL, 1)).waited_s > 0  # a second's refill, not a day's reset


async def test_a_long_pause_of_another_dimension_near_midnight_is_waited_out() -> None:
    """Only the daily dimension means "the day is spent": a per-minute 429's 90 s pause learnt
    a minute before midnight is a wait, not a DailyQuotaExhausted."""
    clock = FakeClock(wall_start=1_767_254_400.0 - 60)  # a minute before midnight Pacific
    lim = limiter(clock, LimitRule("requests", 1000, 60.0))
    await lim.pause(MODEL, "requests", 90.0)
    assert (await lim.acquire(MODEL, 1)).waited_s == pytest.approx(90.0)


async def test_a_per_day_429_fails_later_requests_at_once_whatever_the_other_limits() -> None:
    clock = FakeClock(wall_start=1_767_254_400.0 - 1800)  # half an hour before midnight
    lim = limiter(clock, LimitRule("requests", 100, 3600.0))  # an hourly limit
    await lim.exhaust_day(MODEL)
    with pytest.raises(DailyQuotaExhausted) as info:
        await lim.acquire(MODEL, 1)
    assert info.value.resets_at == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert clock.sleeps == []


async def test_a_per_day_429_in_the_first_minutes_of_a_day_pauses_only_those_minutes() -> None:
    """Our midnight may come before the provider's: a per-day 429 a minute into the day does
    not stop the model for the whole day."""
    clock = FakeClock(wall_start=1_767_254_400.0 + 60)  # a minute after midnight Pacific
    lim = limiter(clock)
    await lim.exhaust_day(MODEL)
    with pytest.raises(DailyQuotaExhausted) as info:
        await lim.acquire(MODEL, 1)
    assert info.value.retry_delay == pytest.approx(540.0)
    clock.advance(540.0)
    assert (await lim.acquire(MODEL, 1)).waited_s == 0.0


async def test_a_request_released_unsent_lets_the_sleeping_head_go_at_once() -> None:
    clock = FakeClock(autojump=False)
    lim = limiter(clock, LimitRule("requests", 6, 60.0, burst=1))  # one refill every 10.1 s
    first = await lim.acquire(MODEL, 1)
    second = asyncio.ensure_future(lim.acquire(MODEL, 1))
    await settle()
    assert not second.done()
    assert clock.sleeps  # asleep until the next refill
    await lim.release(first)  # e.g. its endpoint's circuit opened before it was sent
    await settle()
    assert second.done()
    assert second.result().waited_s == 0.0  # not a fake second passed
    assert clock.monotonic() == 0.0


async def test_tokens_charged_below_the_estimate_wake_the_waiter_that_needs_them() -> None:
    clock = FakeClock(autojump=False)
    lim = limiter(clock, LimitRule("tokens", 100, 60.0, burst=100))
    first = await lim.acquire(MODEL, 100)  # an estimate of 100
    second = asyncio.ensure_future(lim.acquire(MODEL, 50))
    third = asyncio.ensure_future(lim.acquire(MODEL, 50))
    await settle()
    assert not second.done()
    await lim.reconcile(first, 40)  # the prompt was 40 tokens: 60 come back
    await settle()
    assert second.done()
    assert not third.done()  # 60 - 50 leaves 10: the third waits on
    await lim.reconcile(second.result(), 50)  # exact: nothing comes back, nobody is woken early
    await settle()
    assert not third.done()
    clock.advance(24.19)  # the refill (100 per 60.5 s) brings the missing 40 in 24.2 s
    await settle()
    assert not third.done()
    clock.advance(0.02)
    await settle()
    assert third.done()
