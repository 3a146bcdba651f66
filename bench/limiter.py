"""Rate-limit decisions: how many per second in memory, how fast and how chatty on Redis.

    python bench/limiter.py --decisions 200000 --redis-requests 5000

Measures, on one request's three dimensions (requests, tokens, requests per day), all granted:

- pure ``bucket.take`` over the two buckets, ``MemoryStore.acquire`` (the default store) and
  ``RateLimiter.acquire`` over it (what a request goes through), as decisions per second in one
  task;
- ``RedisStore.acquire`` latency p50/p99, one at a time, and decisions per second at a
  concurrency of 16, on a loopback Redis;
- Redis round trips per request (one acquire + one adjust), from ``INFO commandstats`` deltas:
  every command a client sent, less the ones the Lua scripts call inside the server.

By default it starts a private ``redis-server`` on a free port, so that no other client's
commands land in the counts; ``--redis-url`` uses a running one instead.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio as aioredis

from gemgate.config import LimitRule
from gemgate.ratelimit import (
    BucketSpec,
    BucketState,
    DailySpec,
    Dimension,
    MemoryStore,
    RateLimiter,
)
from gemgate.ratelimit.bucket import take
from gemgate.ratelimit.store.redis import RedisStore

SCOPE = "k:bench0000:gemini-2.5-flash"
REQUESTS = BucketSpec(10**6, 10**6, 60_500_000)
TOKENS = BucketSpec(10**7, 10**7, 60_500_000)  # the bench never runs them dry
DIMS = [
    Dimension("requests", REQUESTS, 1),
    Dimension("tokens", TOKENS, 10),
    Dimension("requests_per_day", DailySpec(10**9), 1),
]
SCRIPT_INTERNAL = {"time", "hmget", "hget", "hset", "pexpire", "pttl"}
OWN_COMMANDS = {"info", "config|resetstat"}


def pure_take(n: int) -> float:
    requests, tokens = BucketState.full(REQUESTS, 0), BucketState.full(TOKENS, 0)
    started = time.perf_counter()
    for now in range(n):
        states, _ = take([(REQUESTS, requests, 1), (TOKENS, tokens, 10)], now)
        assert states is not None
        requests, tokens = states
    return n / (time.perf_counter() - started)


async def memory_store(n: int) -> float:
    store = MemoryStore()
    started = time.perf_counter()
    for _ in range(n):
        await store.acquire(SCOPE, DIMS)
    return n / (time.perf_counter() - started)


async def rate_limiter(n: int) -> float:
    """``RateLimiter.acquire``: what a request goes through (its line by priority, the store)."""
    rules = {
        "m": (
            LimitRule("requests", 10**7, 60.0, burst=10**6),
            LimitRule("tokens", 10**7, 60.0, burst=5 * 10**6),
            LimitRule("requests_per_day", 10**9, 86_400.0),
        )
    }
    limiter = RateLimiter(rules, MemoryStore())
    started = time.perf_counter()
    for _ in range(n):
        await limiter.acquire("m", 10, scope="k:bench0000")
    return n / (time.perf_counter() - started)


async def redis_latency(url: str, n: int) -> tuple[float, float]:
    store = RedisStore(url, prefix="gemgate-bench", fail_open_share=None)
    try:
        for _ in range(100):  # warm up: script loaded, connection open, day table learned
            await store.acquire(SCOPE, DIMS)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            grant = await store.acquire(SCOPE, DIMS)
            times.append(time.perf_counter() - started)
            assert grant.granted
        cuts = statistics.quantiles(times, n=100)
        return cuts[49] * 1e3, cuts[98] * 1e3
    finally:
        await store.close()


async def redis_throughput(url: str, n: int, concurrency: int) -> float:
    store = RedisStore(url, prefix="gemgate-bench", fail_open_share=None)

    async def worker(count: int) -> None:
        for _ in range(count):
            await store.acquire(SCOPE, DIMS)

    try:
        await asyncio.gather(*(worker(10) for _ in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
        return (n // concurrency * concurrency) / (time.perf_counter() - started)
    finally:
        await store.close()


async def round_trips(url: str, n: int) -> tuple[float, dict[str, int]]:
    """Commands sent by clients per acquire + adjust, and which commands they were."""
    store = RedisStore(url, prefix="gemgate-bench", fail_open_share=None)
    stats_client = aioredis.Redis.from_url(url)
    try:
        await store.acquire(SCOPE, DIMS)
        await store.adjust(SCOPE, DIMS[1], -10)
        before = await stats_client.info("commandstats")
        for _ in range(n):
            await store.acquire(SCOPE, DIMS)
            await store.adjust(SCOPE, DIMS[1], 10)
        after = await stats_client.info("commandstats")
    finally:
        await store.close()
        await stats_client.aclose()
    sent = {}
    for name, stat in after.items():
        command = name.removeprefix("cmdstat_")
        if command in SCRIPT_INTERNAL or command in OWN_COMMANDS:
            continue
        delta = stat["calls"] - before.get(name, {"calls": 0})["calls"]
        if delta:
            sent[command] = delta
    return sum(sent.values()) / n, sent


@contextmanager
def private_redis() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: pass --redis-url")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL)
    try:
        for _ in range(250):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout:
                break
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


async def delete_bench_keys(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match="gemgate-bench:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def main(args: argparse.Namespace) -> None:
    rows = [
        ("bucket.take (2 buckets), decisions/s", f"{pure_take(args.decisions):,.0f}"),
        ("MemoryStore.acquire (3 dims), decisions/s", f"{await memory_store(args.decisions):,.0f}"),
        (
            "RateLimiter.acquire (3 dims, memory), decisions/s",
            f"{await rate_limiter(args.decisions):,.0f}",
        ),
    ]
    with private_redis() if args.redis_url is None else _given(args.redis_url) as url:
        try:
            p50, p99 = await redis_latency(url, args.redis_requests)
            rate = await redis_throughput(url, args.redis_requests, 16)
            trips, sent = await round_trips(url, 1_000)
        finally:
            await delete_bench_keys(url)
    rows += [
        ("RedisStore.acquire (3 dims) p50, ms", f"{p50:.3f}"),
        ("RedisStore.acquire (3 dims) p99, ms", f"{p99:.3f}"),
        ("RedisStore.acquire at concurrency 16, decisions/s", f"{rate:,.0f}"),
        ("Redis round trips per request (acquire + adjust)", f"{trips:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
    print("commands sent by clients:", ", ".join(f"{k}={v}" for k, v in sorted(sent.items())))


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--redis-requests", type=int, default=5_000)
    parser.add_argument("--redis-url", default=None, help="a running Redis (default: start one)")
    asyncio.run(main(parser.parse_args()))
