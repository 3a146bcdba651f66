"""A token bucket in exact integer arithmetic: pure functions of a spec, a state and a time.

The algorithm is the classic token bucket (burst ``capacity``, ``refill`` units per ``window_us``
microseconds), kept *scaled*: a state's ``level`` counts units × ``window_us``, so refill adds
exactly ``refill`` per microsecond and no float ever rounds a unit in or out. Time is passed in as
integer microseconds; nothing here reads a clock or does I/O, so the same math runs on a
``FakeClock``, on the process's monotonic clock and — mirrored line by line in
``store/lua/acquire.lua`` — on the Redis server's ``TIME``.

The guarantee: from a full bucket at ``t0``, the units taken by ``take`` up to ``t`` never exceed
``capacity + refill × (t − t0) / window_us`` (refunds of what was taken only give back what was
taken). ``wait_us`` is exact: at ``now + wait`` the cost fits, one microsecond earlier it does not.
A cost above ``capacity`` can never fit and raises :class:`~gemgate.errors.ExceedsLimit` at once.

::

    spec = BucketSpec.for_rate(Rate(50, 5.0))      # burst 1, refill 49 per 5.1 s
    state = BucketState.full(spec, now_us=0)
    states, wait = take([(spec, state, 1)], now_us=0)
    assert states is not None and wait == 0
    states, wait = take([(spec, states[0], 1)], now_us=0)
    assert states is None and wait == 104_082     # ceil(5_100_000 / 49) µs until one unit fits

Limits: the Redis mirror computes in Lua doubles, exact for integers below 2**53, so a spec's
``capacity × window_us`` must stay below 2**51 (about 37 million units per 60.5 s window), which
keeps a debt of up to three capacities exact too; ``BucketSpec`` refuses larger specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gemgate.errors import ExceedsLimit

__all__ = [
    "MAX_SCALED",
    "BucketSpec",
    "BucketState",
    "Rate",
    "adjust",
    "level_at",
    "take",
    "wait_us",
]

MAX_SCALED = 2**51
"""A full scaled level stays below this: a quarter of 2**53, where Lua's doubles stop being exact
integers, leaving room for debts and deficits of a few capacities."""


@dataclass(frozen=True, slots=True)
class Rate:
    """What a provider enforces: ``amount`` units in any window of ``window_s`` seconds."""

    amount: int
    window_s: float

    def __post_init__(self) -> None:
        if self.amount < 1 or not self.window_s > 0:
            raise ValueError(f"a rate needs a positive amount and window, not {self}")


def default_allowance(window_s: float) -> float:
    """How much later than decided a unit may land in the provider's window and still fit:
    1% of the window, at least 0.1 s, at most 0.5 s.

    The floor is absolute because the jitter is: a request that has to open a connection (a TLS
    handshake), or that a busy server queues, lands tens of milliseconds after one sent on a warm
    connection, whatever the window (a 30 ms floor let a 429 through in the limit tests)."""
    return min(max(window_s / 100, 0.1), 0.5)


@dataclass(frozen=True, slots=True)
class BucketSpec:
    """A bucket of ``capacity`` units (the burst) refilled by ``refill`` units per ``window_us``."""

    capacity: int
    refill: int
    window_us: int

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.refill < 1 or self.window_us < 1:
            raise ValueError(f"a bucket needs a positive capacity, refill and window, not {self}")
        if self.capacity * self.window_us >= MAX_SCALED:
            raise ValueError(f"{self} is too large for exact arithmetic (units × window_us)")

    @classmethod
    def for_rate(
        cls, rate: Rate, burst: int | None = None, allowance_s: float | None = None
    ) -> BucketSpec:
        """A bucket that never lets the provider see more than ``rate`` in any of its windows.

        The default burst is ``max(1, amount // 40)`` and ``refill = amount − burst``, so burst plus
        one window's refill is the amount. The refill window is ``window_s`` stretched by
        ``allowance_s`` (default: :func:`default_allowance`): requests decided up to that much
        apart on our clock may land in one window of the provider's, and still fit. A ``burst`` of
        ``amount`` or more is the user opting into exceeding the rate: then ``refill = amount``.
        A rate of 1 needs burst 1 and refill 1: its window is stretched by twice the allowance,
        so that no stretched window ever holds two. The cost is latency: only ``burst`` units go
        at once, the rest wait for refill.
        """
        if allowance_s is None:
            allowance_s = default_allowance(rate.window_s)
        if rate.amount == 1:
            allowance_s *= 2
        burst = max(1, rate.amount // 40) if burst is None else burst
        if burst < 1 or allowance_s < 0:
            raise ValueError("a burst is at least 1 and an allowance is not negative")
        refill = rate.amount - burst if burst < rate.amount else rate.amount
        window_us = round(rate.window_s * 1_000_000) + round(allowance_s * 1_000_000)
        return cls(capacity=burst, refill=refill, window_us=window_us)


class BucketState(NamedTuple):
    """``level`` in units × ``window_us`` (it may be negative: a debt) as of ``at_us``.

    A named tuple: every decision makes one per bucket, so it must be cheap to build."""

    level: int
    at_us: int

    @classmethod
    def full(cls, spec: BucketSpec, now_us: int) -> BucketState:
        return cls(spec.capacity * spec.window_us, now_us)


def level_at(spec: BucketSpec, state: BucketState, now_us: int) -> int:
    """The scaled level at ``now_us``: refilled since ``at_us``, capped at the capacity.

    A ``now_us`` before ``at_us`` (a clock that stepped back) refills nothing."""
    cap = spec.capacity * spec.window_us
    elapsed = now_us - state.at_us
    if elapsed <= 0 or state.level >= cap:
        return min(state.level, cap)
    return min(cap, state.level + spec.refill * elapsed)


def wait_us(
    spec: BucketSpec, state: BucketState, cost: int, now_us: int, name: str = "units"
) -> int:
    """Exact microseconds from ``now_us`` until ``cost`` units fit (0 if they fit now).

    Raises ``ExceedsLimit(name, cost, capacity)`` when ``cost`` is above the capacity."""
    if cost > spec.capacity:
        raise ExceedsLimit(name, cost, spec.capacity)
    return _wait(spec, state, cost, level_at(spec, state, now_us), now_us)


def _wait(spec: BucketSpec, state: BucketState, cost: int, level: int, now_us: int) -> int:
    """The wait for ``cost``, given the ``level`` at ``now_us``."""
    need = cost * spec.window_us
    if cost <= 0 or level >= need:
        return 0
    # The level first reaches `need` at at_us + ceil(deficit / refill), counted from at_us.
    return state.at_us - (state.level - need) // spec.refill - now_us


def take(
    items: Sequence[tuple[BucketSpec, BucketState, int]], now_us: int
) -> tuple[tuple[BucketState, ...] | None, int]:
    """Take every ``(spec, state, cost)`` at once, or nothing.

    Returns the new states and 0 when every cost fits now; otherwise ``(None, wait)`` with the
    longest of the waits, after which all of them fit (if nobody else takes meanwhile)."""
    longest = 0
    levels = []
    for spec, state, cost in items:
        if cost > spec.capacity:
            raise ExceedsLimit("units", cost, spec.capacity)
        level = level_at(spec, state, now_us)
        if cost > 0 and level < cost * spec.window_us:
            longest = max(longest, _wait(spec, state, cost, level, now_us))
        levels.append(level)
    if longest:
        return None, longest
    taken = [
        BucketState(level - cost * spec.window_us, max(now_us, state.at_us)) if cost > 0 else state
        for (spec, state, cost), level in zip(items, levels, strict=True)
    ]
    return tuple(taken), 0


def adjust(spec: BucketSpec, state: BucketState, delta: int, now_us: int) -> BucketState:
    """Refund ``delta > 0`` units (never above capacity) or charge ``−delta`` more.

    An extra charge may take the level below zero: a debt that later takes wait out."""
    cap = spec.capacity * spec.window_us
    level = min(cap, level_at(spec, state, now_us) + delta * spec.window_us)
    return BucketState(level, max(now_us, state.at_us))
