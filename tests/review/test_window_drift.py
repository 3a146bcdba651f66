"""Reconciling a reservation after its window entry has expired must not corrupt the window."""

from __future__ import annotations

from gemgate.clock import FakeClock
from gemgate.ratelimit import Limits, RateLimiter
from gemgate.ratelimit.window import SlidingWindow


def test_adjusting_an_expired_entry_leaves_the_window_empty_not_negative() -> None:
    """A request reserved at t=0 whose response arrives after the window (a long generation or
    stream) is reconciled with fewer tokens than estimated. The entry already left the window,
    so the refund must not be taken again: ``used`` must stay 0, never go negative."""
    window = SlidingWindow(100, window_s=1.0)
    entry = window.add(80, 0.0)
    assert window.used(1.5) == 0
    window.adjust(entry, 10)
    assert window.used(1.5) == 0


async def test_a_slow_request_reconciled_late_lets_the_next_window_overshoot() -> None:
    """tpm 100 / 1 s. One slow call estimated at 80 tokens and billed 10 is reconciled 1.5 s
    later; meanwhile another request (at t=1.2) made the window drop the slow call's entry. The
    late refund of 70 is then subtracted from tokens that are no longer counted, and the next
    window admits 170 tokens."""
    clock = FakeClock()
    limiter = RateLimiter({"m": Limits(tokens=100, window_s=1.0)}, clock)
    slow = await limiter.acquire("m", 80)
    clock.advance(1.2)
    other = await limiter.acquire("m", 1)
    limiter.reconcile(other, 1)
    clock.advance(0.3)
    limiter.reconcile(slow, 10)
    clock.advance(1.0)  # the t=1.2 entry has left too: the window is empty
    await limiter.acquire("m", 100)
    before = clock.monotonic()
    await limiter.acquire("m", 70)  # must wait: 100 tokens are already in this window
    assert clock.monotonic() > before, "170 tokens admitted within one 1 s window of limit 100"
