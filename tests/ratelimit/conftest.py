"""Real Redis for the limit-store tests, and one backend fixture over both stores.

The shared server is ``$GEMGATE_REDIS_URL``, else redis://127.0.0.1:6379 if it answers PING,
else a ``redis-server`` this session starts on a free port. Without any of them the Redis tests
skip with the reason — or fail, when ``GEMGATE_REQUIRE_SERVICES=1`` (CI). Outage tests start
their own server (``private_redis``) so they never stop the shared one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
import redis
import redis.asyncio as aioredis

from gemgate.clock import FakeClock
from gemgate.ratelimit import Grant, LimitStore, MemoryStore, RedisStore

DEFAULT_URL = "redis://127.0.0.1:6379"


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def unavailable(reason: str) -> None:
    if os.environ.get("GEMGATE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"Redis is required here (GEMGATE_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A ``redis-server`` subprocess of our own on 127.0.0.1: start, stop, freeze, restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("no Redis answers and redis-server is not installed")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([str(binary), *args], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not answers(self.url):  # waiting for a process to come up, not for time to pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                unavailable(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def freeze(self) -> None:
        """Stop answering without closing connections: commands time out."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("GEMGATE_REDIS_URL")
    if configured:
        if not answers(configured):
            unavailable(f"GEMGATE_REDIS_URL={configured} does not answer PING")
        yield configured
    elif answers(DEFAULT_URL):
        yield DEFAULT_URL
    else:
        server = RedisServer(free_port())
        server.start()
        yield server.url
        server.stop()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop and restart."""
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test (or engineer) uses."""
    return f"gemgate-test-{uuid.uuid4().hex[:12]}"


async def delete_prefix(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


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
