"""SlidingWindow and RateLimiter on a fake clock: exact waits, never over the limit."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemgate.clock import FakeClock
from gemgate.errors import DeadlineExceeded, InvalidRequest
from gemgate.ratelimit import Limits, RateLimiter, SlidingWindow
from gemgate.ratelimit.window import to_us


def test_wait_is_exactly_until_the_oldest_needed_entry_expires() -> None:
    w = SlidingWindow(limit=3, window_s=10.0)
    w.add(1, 0.0)
    w.add(1, 2.0)
    w.add(1, 5.0)
    assert w.wait_for(1, 6.0) == 4.0  # the entry at t=0 leaves at t=10
    assert w.wait_for(2, 6.0) == 6.0  # needs the t=2 entry gone too
    assert w.wait_for(1, 10.0) == 0.0


def test_an_amount_larger_than_the_limit_fails_at_once() -> None:
    with pytest.raises(InvalidRequest):
        SlidingWindow(limit=5).wait_for(6, 0.0)


def test_adjust_refunds_and_charges() -> None:
    w = SlidingWindow(limit=100, window_s=60.0)
    entry = w.add(40, 0.0)
    w.adjust(entry, 25)
    assert w.used(1.0) == 25
    w.adjust(entry, 90)
    assert w.used(1.0) == 90


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(1, 20),
    steps=st.lists(st.tuples(st.floats(0, 3), st.integers(1, 20)), min_size=1, max_size=60),
)
def test_no_window_ever_holds_more_than_the_limit(
    limit: int, steps: list[tuple[float, int]]
) -> None:
    window_s = 5.0
    w = SlidingWindow(limit, window_s)
    now = 0.0
    admitted: list[tuple[float, int]] = []
    for gap, amount in steps:
        now += gap
        amount = min(amount, limit)
        while (wait := w.wait_for(amount, now)) > 0:  # as RateLimiter.acquire does
            now += wait
        w.add(amount, now)
        admitted.append((to_us(now), amount))
    window_us = to_us(window_s)
    for t, _ in admitted:
        in_window = sum(a for s, a in admitted if t - window_us < s <= t)
        assert in_window <= limit


async def test_limiter_takes_requests_and_tokens_together_and_waits_on_the_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"m": Limits(requests=2, tokens=100, window_s=60.0)}, clock)
    await limiter.acquire("m", 60)
    r = await limiter.acquire("m", 30)
    assert r.waited_s == 0.0
    third = await limiter.acquire("m", 50)  # fits neither the request nor the token limit
    assert third.waited_s == 60.0
    assert clock.sleeps == [60.0]


async def test_release_gives_capacity_back_and_reconcile_charges_the_real_count() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"m": Limits(requests=1, tokens=100, window_s=60.0)}, clock)
    r = await limiter.acquire("m", 80)
    limiter.release(r)
    r2 = await limiter.acquire("m", 80)
    assert r2.waited_s == 0.0
    limiter.reconcile(r2, 20)
    assert limiter._windows["m"][1] is not None
    assert limiter._windows["m"][1].used(clock.monotonic()) == 20


async def test_limiter_rejects_a_wait_past_the_deadline() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"m": Limits(requests=1, window_s=60.0)}, clock)
    await limiter.acquire("m", 1)
    with pytest.raises(DeadlineExceeded):
        await limiter.acquire("m", 1, deadline_at=30.0)
    assert clock.sleeps == []


async def test_models_without_limits_pass_straight_through() -> None:
    limiter = RateLimiter({}, FakeClock())
    for _ in range(1000):
        assert (await limiter.acquire("any", 10**6)).waited_s == 0.0
