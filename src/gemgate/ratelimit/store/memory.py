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

from collections.abc import Sequence

from gemgate.clock import Clock, SystemClock
from gemgate.ratelimit.bucket import BucketSpec, BucketState, adjust, take
from gemgate.ratelimit.store.base import GRANTED, Dimension, Grant, check_costs, pacific_day

__all__ = ["MemoryStore"]

Key = tuple[str, str]


class MemoryStore:
    """Limit state in this process's memory (the default store)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._buckets: dict[Key, BucketState] = {}
        self._daily: dict[Key, tuple[int, int]] = {}  # (Pacific day ordinal, units used)
        self._pauses: dict[Key, int] = {}  # monotonic µs until which the dimension is paused

    def __repr__(self) -> str:
        return f"MemoryStore(buckets={len(self._buckets)}, paused={len(self._pauses)})"

    async def acquire(self, scope: str, dims: Sequence[Dimension]) -> Grant:
        check_costs(dims)
        now = int(self.clock.monotonic() * 1_000_000)
        wait = self._paused_us(scope, dims, now)
        items = []
        keys = []
        for dim in dims:
            if dim.cost and isinstance(dim.spec, BucketSpec):
                key = (scope, dim.name)
                state = self._buckets.get(key) or BucketState.full(dim.spec, now)
                items.append((dim.spec, state, dim.cost))
                keys.append(key)
        states, bucket_wait = take(items, now)
        daily = self._daily_plan(scope, dims)
        wait = max(wait, bucket_wait, daily[0])
        if wait:
            return Grant(False, wait / 1_000_000)
        self._buckets.update(zip(keys, states or (), strict=True))
        self._daily.update(daily[1])
        return GRANTED

    def _paused_us(self, scope: str, dims: Sequence[Dimension], now: int) -> int:
        if not self._pauses:
            return 0
        wait = 0
        for dim in dims:
            until = self._pauses.get((scope, dim.name))
            if until is not None and until <= now:
                del self._pauses[scope, dim.name]
            elif until is not None:
                wait = max(wait, until - now)
        return wait

    def _daily_plan(
        self, scope: str, dims: Sequence[Dimension]
    ) -> tuple[int, dict[Key, tuple[int, int]]]:
        """The wait for the daily counters among ``dims``, and their counts once taken."""
        plan: dict[Key, tuple[int, int]] = {}
        wait = 0
        for dim in dims:
            spec = dim.spec
            if isinstance(spec, BucketSpec) or not dim.cost:
                continue
            wall = int(self.clock.time() * 1_000_000)
            day, _, reset_us = pacific_day(wall)
            used = self._used_today((scope, dim.name), day.toordinal())
            if used + dim.cost > spec.limit:
                wait = max(wait, reset_us - wall)
            plan[scope, dim.name] = (day.toordinal(), used + dim.cost)
        return wait, plan

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
            day = pacific_day(int(self.clock.time() * 1_000_000))[0].toordinal()
            self._daily[key] = (day, max(0, self._used_today(key, day) - delta))

    async def pause(self, scope: str, name: str, seconds: float) -> None:
        now = int(self.clock.monotonic() * 1_000_000)
        until = now + max(0, round(seconds * 1_000_000))
        key = (scope, name)
        self._pauses[key] = max(until, self._pauses.get(key, until))

    async def close(self) -> None:
        self._buckets.clear()
        self._daily.clear()
        self._pauses.clear()
