"""A real Redis for the cross-process tests (see tests/support.py for how one is found)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support import RedisServer, free_port, redis_answers, unavailable


@pytest.fixture(scope="session")
def shared_redis_url() -> Iterator[str]:
    url = os.environ.get("GEMGATE_REDIS_URL") or "redis://127.0.0.1:6379"
    if redis_answers(url):
        yield url
        return
    if os.environ.get("GEMGATE_REDIS_URL"):
        unavailable(f"GEMGATE_REDIS_URL={url} does not answer PING")
    server = RedisServer(free_port())
    server.start()
    yield server.url
    server.stop()
