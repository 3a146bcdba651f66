"""One backend fixture over both limit stores, memory and a real Redis.

``redis_url``, ``private_redis`` and ``prefix`` come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from gemgate.clock import FakeClock
from gemgate.ratelimit import Grant, LimitStore, MemoryStore, RedisStore
from support import delete_prefix


@pytest.fixture
async def redis_stores(redis_url: str, prefix: str) -> AsyncIterator[Callable[[], RedisStore]]:
    """Makes RedisStores sharing this test's prefix (fail-closed); closes them and deletes keys."""
    made: list[RedisStore] = []

    def make() -> RedisStore:
        made.append(RedisStore(redis_url, prefix=prefix, fail_open_share=None))
        return made[-1]

    yield make
    for store in made:
        await store.close()
    await delete_prefix(redis_url, prefix)


@dataclass
class Backend:
    """One store under test, with its way of letting time pass and of reading its clock."""

    kind: str
    store: LimitStore
    clock: FakeClock | None = None
    url: str = ""
    started: float = field(default_factory=time.monotonic)

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: on the fake clock exactly; on Redis, whose TIME is the clock,
        really (and 2 ms more, for the loop's timer granularity)."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            await asyncio.sleep(seconds + 0.002)

    def mark(self) -> None:
        """Start counting the real time that may shave a Redis wait (see ``assert_wait``)."""
        self.started = time.monotonic()

    def assert_wait(self, grant: Grant, expected_s: float) -> None:
        """Refused, told to wait ``expected_s`` since the last ``mark``: exactly on a fake clock,
        on Redis less the real time that passed since the mark (and never more)."""
        assert not grant.granted
        if self.clock is not None:
            assert grant.wait_s == expected_s
        else:
            elapsed = time.monotonic() - self.started
            assert expected_s - elapsed - 1e-6 <= grant.wait_s <= expected_s + 1e-6

    async def wall_us(self) -> int:
        """Now on the store's wall clock: the fake clock's, or the Redis server's TIME."""
        if self.clock is not None:
            return int(self.clock.time() * 1_000_000)
        client = aioredis.Redis.from_url(self.url)
        try:
            sec, usec = await client.time()
            return sec * 1_000_000 + usec
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        clock = FakeClock()
        yield Backend("memory", MemoryStore(clock), clock)
        return
    url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("prefix")
    store = RedisStore(url, prefix=prefix, fail_open_share=None)
    yield Backend("redis", store, url=url)
    await store.close()
    await delete_prefix(url, prefix)
