"""Rate limits per model and key: token buckets, requests and tokens taken all-or-nothing.

The building blocks: :mod:`~gemgate.ratelimit.bucket` (a token bucket in exact integer math) and
:mod:`~gemgate.ratelimit.store` (one atomic decision over a request's dimensions, in memory or in
Redis). ``RedisStore`` is imported on first use (the Redis client costs ~130 ms to import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemgate.ratelimit.bucket import BucketSpec, BucketState, Rate
from gemgate.ratelimit.estimate import estimate_tokens
from gemgate.ratelimit.limiter import (
    RateLimiter,
    Reservation,
    day_spent_for,
    seconds_to_pacific_midnight,
)
from gemgate.ratelimit.store import DailySpec, Dimension, Grant, LimitStore, MemoryStore

if TYPE_CHECKING:
    from gemgate.ratelimit.store.redis import RedisStore

__all__ = [
    "BucketSpec",
    "BucketState",
    "DailySpec",
    "Dimension",
    "Grant",
    "LimitStore",
    "MemoryStore",
    "Rate",
    "RateLimiter",
    "RedisStore",
    "Reservation",
    "day_spent_for",
    "estimate_tokens",
    "seconds_to_pacific_midnight",
]


def __getattr__(name: str) -> object:
    if name == "RedisStore":
        from gemgate.ratelimit.store.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
