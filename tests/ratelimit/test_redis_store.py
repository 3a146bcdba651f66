"""What only the Redis store promises: its Lua mirrors bucket.py exactly, its state is shared by
every instance and process, its keys carry the scope's hash tag and expire, and it holds under
concurrent load. Against a real redis-server (see conftest.py)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from gemgate.ratelimit import BucketSpec, BucketState, DailySpec, Dimension, RedisStore
from gemgate.ratelimit.bucket import MAX_SCALED, adjust, level_at, take, wait_us
from gemgate.ratelimit.store.base import pacific_day
from gemgate.ratelimit.store.redis import load_script

SCOPE = "k:1a2b3c4d:gemini-2.5-flash"
NO_DAY: tuple[int | str, ...] = (0, 0, 0, "", "")


@st.composite
def specs(draw: st.DrawFn) -> BucketSpec:
    """Any valid spec, up to the largest scaled level the Lua doubles must hold exactly."""
    window_us = draw(st.integers(1, 10**9))
    capacity = draw(st.integers(1, min(10**9, (MAX_SCALED - 1) // window_us)))
    return BucketSpec(capacity, draw(st.integers(1, 10**9)), window_us)


@pytest.fixture(scope="module")
def client(redis_url: str) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(redis_url)
    yield sync
    sync.close()


def server_now_us(client: redis.Redis) -> int:
    sec, usec = client.time()
    return int(sec) * 1_000_000 + int(usec)


def assert_stored(client: redis.Redis, key: str, spec: BucketSpec, expected: BucketState) -> None:
    """The script left ``expected`` — or its key expired, which it may only once full again."""
    level, at = client.hmget(key, "l", "t")
    if level is None or at is None:
        full = spec.capacity * spec.window_us
        assert level_at(spec, expected, server_now_us(client)) == full
    else:
        assert BucketState(int(level), int(at)) == expected


@st.composite
def stored_states(draw: st.DrawFn, spec: BucketSpec) -> tuple[int, int]:
    """A (level, time offset from the server's now): full to deep debt, past or just ahead."""
    cap = spec.capacity * spec.window_us
    return draw(st.integers(-2 * cap, cap)), draw(st.integers(-200_000_000, 1_000_000))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), spec=specs())
def test_the_acquire_script_decides_exactly_as_bucket_py(
    client: redis.Redis, data: st.DataObject, spec: BucketSpec
) -> None:
    level, offset = data.draw(stored_states(spec))
    cost = data.draw(st.integers(0, spec.capacity))
    key = f"gemgate-test-{uuid.uuid4().hex}:{{s}}:tokens"
    state = BucketState(level, server_now_us(client) + offset)
    client.hset(key, mapping={"l": state.level, "t": state.at_us})
    try:
        script = client.register_script(load_script("acquire.lua"))
        args = [*NO_DAY, "b", cost, spec.capacity, spec.refill, spec.window_us]
        granted, wait, daily, now, stale = script(keys=[key], args=args)
        assert (wait, daily, stale) == (wait_us(spec, state, cost, now), 0, 0)
        assert granted == (wait == 0)
        states, _ = take([(spec, state, cost)], now)
        if granted and states is not None:
            assert_stored(client, key, spec, states[0])
    finally:
        client.delete(key)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), spec=specs())
def test_the_adjust_script_settles_exactly_as_bucket_py(
    client: redis.Redis, data: st.DataObject, spec: BucketSpec
) -> None:
    level, offset = data.draw(stored_states(spec))
    delta = data.draw(st.integers(-3 * spec.capacity, 3 * spec.capacity))
    key = f"gemgate-test-{uuid.uuid4().hex}:{{s}}:tokens"
    state = BucketState(level, server_now_us(client) + offset)
    client.hset(key, mapping={"l": state.level, "t": state.at_us})
    try:
        script = client.register_script(load_script("adjust.lua"))
        args = [*NO_DAY, "b", delta, spec.capacity, spec.refill, spec.window_us]
        now, _ = script(keys=[key], args=args)
        assert_stored(client, key, spec, adjust(spec, state, delta, now))
    finally:
        client.delete(key)


async def test_the_state_is_shared_by_every_instance(
    redis_stores: Callable[[], RedisStore],
) -> None:
    spec = BucketSpec(3, 3, 10_000_000)
    one, other = redis_stores(), redis_stores()
    assert (await one.acquire(SCOPE, [Dimension("requests", spec, 3)])).granted
    assert not (await other.acquire(SCOPE, [Dimension("requests", spec, 1)])).granted


async def test_a_pause_in_one_instance_holds_every_other(
    redis_stores: Callable[[], RedisStore],
) -> None:
    one, other = redis_stores(), redis_stores()
    await one.pause(SCOPE, "tokens", 30)
    grant = await other.acquire(SCOPE, [Dimension("tokens", BucketSpec(10, 10, 1_000_000), 1)])
    assert not grant.granted
    assert 29 < grant.wait_s <= 30


async def every_key(store: RedisStore) -> list[str]:
    raw = store._redis  # the store's own connection: the keys under its prefix
    return sorted([key.decode() async for key in raw.scan_iter(match=f"{store.prefix}:*")])


async def test_every_key_of_a_scope_carries_its_hash_tag(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    dims = [
        Dimension("requests", BucketSpec(5, 5, 1_000_000), 1),
        Dimension("tokens", BucketSpec(500, 500, 1_000_000), 100),
        Dimension("requests_per_day", DailySpec(1_000), 1),
    ]
    await store.acquire(SCOPE, dims)
    await store.pause(SCOPE, "my-limit", 1)
    keys = await every_key(store)
    tag = f"{store.prefix}:{{{SCOPE}}}:"
    assert keys == [tag + name for name in ("my-limit", "requests", "requests_per_day", "tokens")]
    assert len({key_slot(key.encode()) for key in keys}) == 1


async def test_a_bucket_key_lives_until_the_bucket_would_be_full(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    await store.acquire(SCOPE, [Dimension("requests", BucketSpec(4, 2, 1_000_000), 3)])
    ttl_ms = await store._redis.pttl(store.key(SCOPE, "requests"))
    assert 1_400 < ttl_ms <= 1_501  # 3 units at 2 per second: full again in 1.5 s


async def test_a_bucket_key_is_gone_once_full_and_reads_as_full(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    spec = BucketSpec(1, 1, 50_000)
    await store.acquire(SCOPE, [Dimension("requests", spec, 1)])
    await asyncio.sleep(0.06)
    assert await store._redis.exists(store.key(SCOPE, "requests")) == 0
    assert (await store.acquire(SCOPE, [Dimension("requests", spec, 1)])).granted


async def test_a_daily_key_lives_a_minute_past_midnight_pacific(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    await store.acquire(SCOPE, [Dimension("requests_per_day", DailySpec(10), 1)])
    sec, usec = await store._redis.time()
    midnight = pacific_day(sec * 1_000_000 + usec)[2]
    ttl_ms = await store._redis.pttl(store.key(SCOPE, "requests_per_day"))
    expected_ms = (midnight - sec * 1_000_000 - usec) / 1_000 + 60_000
    assert expected_ms - 1_000 < ttl_ms <= expected_ms + 2  # rounded up to the next ms, + 1


async def test_a_pause_key_lives_as_long_as_the_pause(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    await store.acquire(SCOPE, [Dimension("requests", BucketSpec(4, 2, 1_000_000), 1)])
    await store.pause(SCOPE, "requests", 20)
    assert 19_000 < await store._redis.pttl(store.key(SCOPE, "requests")) <= 20_001


async def test_a_counter_of_an_earlier_day_starts_again_at_zero(
    redis_stores: Callable[[], RedisStore],
) -> None:
    store = redis_stores()
    rpd = Dimension("requests_per_day", DailySpec(2), 1)
    await store._redis.hset(store.key(SCOPE, rpd.name), mapping={"d": "2025-12-31", "n": 2})
    assert (await store.acquire(SCOPE, [rpd])).granted
    assert await store._redis.hget(store.key(SCOPE, rpd.name), "n") == b"1"


async def test_eight_instances_hammering_one_scope_never_exceed_the_bucket(
    redis_stores: Callable[[], RedisStore], redis_url: str
) -> None:
    requests = BucketSpec(5, 20, 200_000)  # 100 per second after a burst of 5
    tokens = BucketSpec(50, 400, 200_000)  # 2,000 per second after a burst of 50
    stores = [redis_stores() for _ in range(8)]
    granted = {"requests": 0, "tokens": 0}

    async def hammer(store: RedisStore, seed: int, until: float) -> None:
        rng = random.Random(seed)
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            cost = rng.randint(1, 30)
            dims = [Dimension("requests", requests, 1), Dimension("tokens", tokens, cost)]
            grant = await store.acquire(SCOPE, dims)
            if grant.granted:
                granted["requests"] += 1
                granted["tokens"] += cost
            else:
                await asyncio.sleep(grant.wait_s * rng.random())

    timer = aioredis.Redis.from_url(redis_url)
    start = await timer.time()
    until = asyncio.get_running_loop().time() + 1.0
    await asyncio.gather(
        *(hammer(s, i * 4 + j, until) for i, s in enumerate(stores) for j in range(4))
    )
    end = await timer.time()
    await timer.aclose()
    elapsed_us = (end[0] - start[0]) * 1_000_000 + end[1] - start[1]
    for name, spec in (("requests", requests), ("tokens", tokens)):
        most = spec.capacity + spec.refill * elapsed_us / spec.window_us
        assert granted[name] <= most, name
    assert granted["requests"] >= 0.5 * (5 + 20 * elapsed_us / 200_000) or (
        granted["tokens"] >= 0.5 * (50 + 400 * elapsed_us / 200_000)
    )
