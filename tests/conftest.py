"""Fixtures every test folder may use: a real Redis, found or started (see tests/support.py).

The shared server is ``$GEMGATE_REDIS_URL``, else redis://127.0.0.1:6379 if it answers PING,
else a ``redis-server`` this session starts on a free port. Without any of them the Redis tests
skip with the reason — or fail, when ``GEMGATE_REQUIRE_SERVICES=1`` (CI). Outage tests start
their own server (``private_redis``) so they never stop the shared one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from support import RedisServer, free_port, redis_answers, unavailable

DEFAULT_URL = "redis://127.0.0.1:6379"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    configured = os.environ.get("GEMGATE_REDIS_URL")
    if configured:
        if not redis_answers(configured):
            unavailable(f"GEMGATE_REDIS_URL={configured} does not answer PING")
        yield configured
    elif redis_answers(DEFAULT_URL):
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
