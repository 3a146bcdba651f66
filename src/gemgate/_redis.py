"""The one way gemgate opens a Redis connection, for every package that shares state there.

Short socket timeouts, so a frozen server is noticed in half a second, and one immediate retry
for a pooled connection the server dropped; ``where`` names the server for logs without the
credentials a URL may carry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["SOCKET_TIMEOUT_S", "connect", "where"]

SOCKET_TIMEOUT_S = 0.5


def where(url: str) -> str:
    """Host and port of a Redis URL (or a unix socket's path), never its credentials."""
    parts = urlsplit(url)
    return parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"


def connect(url: str, timeout_s: float = SOCKET_TIMEOUT_S) -> aioredis.Redis:
    """An asyncio client for ``url`` (nothing is sent until the first command)."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 1),  # once, at once: a pooled connection the server dropped
    )
