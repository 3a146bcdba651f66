"""Where limit state lives: :class:`MemoryStore` (one process) or :class:`RedisStore` (shared).

Both implement :class:`LimitStore`. ``RedisStore`` is imported on first use, so that importing
gemgate does not pay for the Redis client when no Redis is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemgate.ratelimit.store.base import DailySpec, Dimension, Grant, LimitStore
from gemgate.ratelimit.store.memory import MemoryStore

if TYPE_CHECKING:
    from gemgate.ratelimit.store.redis import RedisStore

__all__ = ["DailySpec", "Dimension", "Grant", "LimitStore", "MemoryStore", "RedisStore"]


def __getattr__(name: str) -> object:
    if name == "RedisStore":
        from gemgate.ratelimit.store.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
