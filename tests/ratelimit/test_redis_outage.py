"""When Redis goes away: fail closed (LimiterUnavailable) or open (a local share), and come back
without a restart. Each test stops and restarts a redis-server of its own, never the shared one.
The store's retry pause runs on a fake clock, so no test waits for it."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from gemgate.clock import FakeClock
from gemgate.errors import LimiterUnavailable
from gemgate.ratelimit import BucketSpec, DailySpec, Dimension, RedisStore
from support import RedisServer

SCOPE = "k:1a2b3c4d:gemini-2.5-flash"
TEN = BucketSpec(10, 10, 10_000_000)  # 10 per 10 s: nothing refills during a test


def requests(cost: int = 1) -> Dimension:
    return Dimension("requests", TEN, cost)


MakeStore = Callable[..., RedisStore]


@pytest.fixture
async def make_store(private_redis: RedisServer) -> AsyncIterator[MakeStore]:
    """RedisStores on the private server, retrying Redis 1 s (of their clock) after a failure."""
    made: list[RedisStore] = []

    def make(*, fail_open_share: float | None, clock: FakeClock | None = None) -> RedisStore:
        store = RedisStore(
            private_redis.url, fail_open_share=fail_open_share, retry_s=1.0, clock=clock
        )
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


async def keys_on(server: RedisServer) -> list[str]:
    client = aioredis.Redis.from_url(server.url, decode_responses=True)
    try:
        return sorted(await client.keys("*"))
    finally:
        await client.aclose()


async def test_fail_closed_raises_limiter_unavailable_within_two_seconds(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=None)
    assert (await store.acquire(SCOPE, [requests()])).granted
    private_redis.stop()
    started = time.monotonic()
    with pytest.raises(LimiterUnavailable):
        await store.acquire(SCOPE, [requests()])
    assert time.monotonic() - started < 2.0


async def test_a_frozen_server_is_detected_by_timeout_within_two_seconds(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=None)
    assert (await store.acquire(SCOPE, [requests()])).granted
    private_redis.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(LimiterUnavailable):
            await store.acquire(SCOPE, [requests()])
        assert time.monotonic() - started < 2.0
    finally:
        private_redis.thaw()


async def test_fail_closed_does_not_retry_redis_before_retry_s(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=None, clock=FakeClock())
    private_redis.stop()
    with pytest.raises(LimiterUnavailable):
        await store.acquire(SCOPE, [requests()])
    private_redis.start()
    with pytest.raises(LimiterUnavailable):
        await store.acquire(SCOPE, [requests()])
    assert await keys_on(private_redis) == []


async def test_fail_open_grants_the_configured_share_of_each_limit_locally(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=0.5, clock=FakeClock())
    private_redis.stop()
    grants = [await store.acquire(SCOPE, [requests()]) for _ in range(6)]
    assert [g.granted for g in grants] == [True] * 5 + [False]
    assert grants[-1].wait_s == 2.0  # the local bucket refills 5 per 10 s


async def test_fail_open_lets_a_cost_above_the_share_take_all_of_it(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=0.5, clock=FakeClock())
    private_redis.stop()
    assert (await store.acquire(SCOPE, [requests(8)])).granted
    assert not (await store.acquire(SCOPE, [requests(1)])).granted


async def test_fail_open_keeps_daily_counters_locally(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=0.5, clock=FakeClock())
    private_redis.stop()
    rpd = Dimension("requests_per_day", DailySpec(4), 1)
    assert [(await store.acquire(SCOPE, [rpd])).granted for _ in range(3)] == [True, True, False]


async def test_one_warning_per_outage(
    private_redis: RedisServer, make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    store = make_store(fail_open_share=0.5, clock=clock)
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="gemgate.ratelimit"):
        for _ in range(3):
            await store.acquire(SCOPE, [requests()])
            clock.advance(1.0)  # each call tries Redis again, and fails again
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()
    assert "failing open to 50%" in warnings[0].getMessage()


async def test_after_a_restart_the_same_store_uses_redis_again(
    private_redis: RedisServer, make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    store = make_store(fail_open_share=0.5, clock=clock)
    assert (await store.acquire(SCOPE, [requests()])).granted
    private_redis.stop()
    assert (await store.acquire(SCOPE, [requests()])).granted  # from the local share
    private_redis.start()  # same port, empty, no scripts loaded
    clock.advance(1.0)
    with caplog.at_level(logging.INFO, logger="gemgate.ratelimit"):
        assert (await store.acquire(SCOPE, [requests(10)])).granted  # a full bucket in Redis
    assert await keys_on(private_redis) == [store.key(SCOPE, "requests")]
    assert "answers again" in caplog.records[-1].getMessage()


async def test_fail_closed_recovers_without_a_restart_too(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    clock = FakeClock()
    store = make_store(fail_open_share=None, clock=clock)
    private_redis.stop()
    with pytest.raises(LimiterUnavailable):
        await store.acquire(SCOPE, [requests()])
    private_redis.start()
    clock.advance(1.0)
    assert (await store.acquire(SCOPE, [requests()])).granted


async def test_adjust_and_pause_do_not_raise_during_an_outage(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    closed, open_ = make_store(fail_open_share=None), make_store(fail_open_share=0.5)
    private_redis.stop()
    for store in (closed, open_):
        await store.adjust(SCOPE, requests(), 1)
        await store.pause(SCOPE, "requests", 5)
    assert not (await open_.acquire(SCOPE, [requests()])).granted  # the pause held locally


async def test_scripts_are_loaded_again_after_a_script_flush(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=None)
    assert (await store.acquire(SCOPE, [requests()])).granted
    client = aioredis.Redis.from_url(private_redis.url)
    await client.script_flush()
    await client.aclose()
    assert (await store.acquire(SCOPE, [requests()])).granted
    await store.adjust(SCOPE, requests(), 1)


async def test_one_round_trip_per_acquire_and_one_per_adjust(
    private_redis: RedisServer, make_store: MakeStore
) -> None:
    store = make_store(fail_open_share=None)
    dims = [
        requests(),
        Dimension("tokens", BucketSpec(10**6, 10**6, 10_000_000), 100),
        Dimension("requests_per_day", DailySpec(10**6), 1),
    ]
    await store.acquire(SCOPE, dims)  # loads the script, learns the day: the warm-up
    await store.adjust(SCOPE, dims[1], -5)
    client = aioredis.Redis.from_url(private_redis.url)
    await client.config_resetstat()
    for _ in range(5):
        await store.acquire(SCOPE, dims)
        await store.adjust(SCOPE, dims[1], 7)
    stats = await client.info("commandstats")
    await client.aclose()
    called_by_clients = {
        name: stat["calls"]
        for name, stat in stats.items()
        if name not in SCRIPT_INTERNAL and name not in ("cmdstat_config|resetstat", "cmdstat_info")
    }
    assert called_by_clients == {"cmdstat_evalsha": 10}


SCRIPT_INTERNAL = {
    f"cmdstat_{name}" for name in ("time", "hmget", "hget", "hset", "pexpire", "pttl")
}
