"""The in-process limit store: :mod:`gemgate.ratelimit.bucket` on a dict, time from a Clock.

Buckets and pauses run on ``clock.monotonic()``; daily counters on ``clock.time()`` (the Pacific
date). One process only: for limits shared by several processes use :class:`RedisStore`. The
decision never awaits, so under asyncio it is atomic by construction::

    store = MemoryStore(FakeClock())
    rpm = Dimension("requests", BucketSpec.for_rate(Rate(60, 60.0)), cost=1)
    grant = await store.acquire("k:1a2b3c4d:gemini-2.5-flash", [rpm])
    assert grant.granted
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gemgate.clock import Clock, SystemClock
from gemgate.ratelimit.bucket import BucketSpec, BucketState, adjust, take
from gemgate.ratelimit.store.base import (
    GRANTED,
    DailySpec,
    Dimension,
    Grant,
    check_costs,
    pacific_day,
)

__all__ = ["MemoryStore"]

Key = tuple[str, str]


class MemoryStore:
    """Limit state in this process's memory (the default store)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._buckets: dict[Key, BucketState] = {}
        self._daily: dict[Key, tuple[int, int]] = {}  # (Pacific day ordinal, units used)
        self._pauses: dict[Key, int] = {}  # monotonic µs until which the dimension is paused
        self._day = (0, 0, 0)  # the Pacific day last seen: (ordinal, start µs, end µs)

    def __repr__(self) -> str:
        return f"MemoryStore(buckets={len(self._buckets)}, paused={len(self._pauses)})"

    async def acquire(self, scope: str, dims: Sequence[Dimension]) -> Grant:
        check_costs(dims)
        now = int(self.clock.monotonic() * 1_000_000)
        wait, daily = self._paused_us(scope, dims, now) if self._pauses else (0, False)
        keys: list[Key] = []
        items: list[tuple[BucketSpec, BucketState, int]] = []
        counts: list[tuple[Key, tuple[int, int]]] = []
        for dim in dims:
            spec, key = dim.spec, (scope, dim.name)
            if not dim.cost:
                continue
            if isinstance(spec, BucketSpec):
                state = self._buckets.get(key) or BucketState.full(spec, now)
                keys.append(key)
                items.append((spec, state, dim.cost))
            else:
                spent = self._count_today(key, spec, dim.cost, counts)
                wait, daily = max(wait, spent), daily or spent > 0
        states, bucket_wait = take(items, now)
        if wait or states is None:
            return Grant(False, max(wait, bucket_wait) / 1_000_000, daily=daily)
        self._buckets.update(zip(keys, states, strict=True))
        self._daily.update(counts)
        return GRANTED

    def _paused_us(self, scope: str, dims: Sequence[Dimension], now: int) -> tuple[int, bool]:
        """The longest pause left over ``dims``, and whether a daily dimension is paused."""
        wait, daily = 0, False
        for dim in dims:
            until = self._pauses.get((scope, dim.name))
            if until is not None and until <= now:
                del self._pauses[scope, dim.name]
            elif until is not None:
                wait = max(wait, until - now)
                daily = daily or isinstance(dim.spec, DailySpec)
        return wait, daily

    def _count_today(
        self, key: Key, spec: DailySpec, cost: int, counts: list[tuple[Key, tuple[int, int]]]
    ) -> int:
        """Append the day's count with ``cost`` taken; return the wait until it fits (or 0)."""
        wall = int(self.clock.time() * 1_000_000)
        day, reset_us = self._today(wall)
        used = self._used_today(key, day)
        counts.append((key, (day, used + cost)))
        return reset_us - wall if used + cost > spec.limit else 0

    def _today(self, wall_us: int) -> tuple[int, int]:
        """The Pacific day (ordinal) at ``wall_us`` and the µs of its end, computed once a day."""
        day, start, end = self._day
        if not start <= wall_us < end:
            date, start, end = pacific_day(wall_us)
            day = date.toordinal()
            self._day = (day, start, end)
        return day, end

    def _used_today(self, key: Key, day: int) -> int:
        counted = self._daily.get(key)
        return counted[1] if counted is not None and counted[0] == day else 0

    async def adjust(self, scope: str, dim: Dimension, delta: int) -> None:
        key = (scope, dim.name)
        spec = dim.spec
        if isinstance(spec, BucketSpec):
            now = int(self.clock.monotonic() * 1_000_000)
            state = self._buckets.get(key) or BucketState.full(spec, now)
            self._buckets[key] = adjust(spec, state, delta, now)
        else:
            day = self._today(int(self.clock.time() * 1_000_000))[0]
            self._daily[key] = (day, max(0, self._used_today(key, day) - delta))

    async def pause(self, scope: str, name: str, seconds: float) -> None:
        now = int(self.clock.monotonic() * 1_000_000)
        until = now + max(0, math.ceil(seconds * 1_000_000))
        key = (scope, name)
        self._pauses[key] = max(until, self._pauses.get(key, until))

    async def close(self) -> None:
        self._buckets.clear()
        self._daily.clear()
        self._pauses.clear()
