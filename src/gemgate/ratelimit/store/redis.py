"""Limit state shared by every process on one Redis: one Lua script per decision, Redis TIME.

Each ``acquire`` is one ``EVALSHA`` of ``lua/acquire.lua`` (and each ``adjust`` one of
``lua/adjust.lua``): the script reads the server's ``TIME`` — the only clock, so processes whose
wall clocks disagree still share one timeline — runs the integer math of
:mod:`gemgate.ratelimit.bucket` and takes every dimension or none, atomically. A dimension's state
is one hash, ``{prefix}:{scope}:{name}`` with the scope as Redis Cluster hash tag (all keys of a
request in one slot), e.g. ``gemgate:{k:1a2b3c4d:gemini-2.5-flash}:tokens``; keys expire once
they hold nothing a full bucket would not.

When Redis is unreachable (refused, reset, timed out — detected within ~0.5 s), the store fails
*closed* (``fail_open_share=None``: ``acquire`` raises ``LimiterUnavailable``) or *open* onto an
in-process :class:`MemoryStore` holding ``fail_open_share`` of each limit, and logs one warning
per outage. After ``retry_s`` the next call tries Redis again and, if it answers, uses it from
then on: no restart needed. ``adjust`` and ``pause`` never raise for an outage: fail-open they
apply to the local share, fail-closed they are dropped (no request is granted meanwhile).

::

    store = RedisStore("redis://127.0.0.1:6379", fail_open_share=0.5)
    grant = await store.acquire("k:1a2b3c4d:gemini-2.5-flash", [rpm, tpm])
    await store.close()
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import redis.exceptions
from redis.commands.core import AsyncScript

from gemgate._redis import SOCKET_TIMEOUT_S, connect, where
from gemgate.clock import Clock, SystemClock
from gemgate.errors import LimiterUnavailable
from gemgate.ratelimit.bucket import BucketSpec
from gemgate.ratelimit.store.base import (
    GRANTED,
    DailySpec,
    Dimension,
    Grant,
    check_costs,
    pacific_day,
)
from gemgate.ratelimit.store.memory import MemoryStore

__all__ = ["SOCKET_TIMEOUT_S", "RedisStore"]

"""Connect and command timeout: an unreachable Redis is noticed within about this long."""

UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

_log = logging.getLogger("gemgate.ratelimit")


def load_script(name: str) -> str:
    """The text of ``lua/<name>`` after the shared ``lua/bucket.lua``."""
    lua = files("gemgate.ratelimit.store") / "lua"
    return (lua / "bucket.lua").read_text("utf-8") + "\n" + (lua / name).read_text("utf-8")


@dataclass(frozen=True, slots=True)
class _DayTable:
    """Three consecutive Pacific midnights (µs) and the two days between them, for the scripts."""

    m0: int = 0
    m1: int = 0
    m2: int = 0
    day0: str = ""
    day1: str = ""

    @classmethod
    def around(cls, now_us: int) -> _DayTable:
        day, start, end = pacific_day(now_us)
        following, _, after = pacific_day(end)
        return cls(start, end, after, day.isoformat(), following.isoformat())

    def args(self) -> tuple[int | str, ...]:
        return (self.m0, self.m1, self.m2, self.day0, self.day1)


def _dim_args(dim: Dimension, amount: int) -> tuple[int | str, ...]:
    spec = dim.spec
    if isinstance(spec, BucketSpec):
        return ("b", amount, spec.capacity, spec.refill, spec.window_us)
    return ("d", amount, spec.limit, 0, 0)


class RedisStore:
    """Limit state in Redis, shared by every process that uses the same URL and prefix."""

    def __init__(
        self,
        url: str,
        *,
        fail_open_share: float | None = 0.5,
        retry_s: float = 1.0,
        clock: Clock | None = None,
        prefix: str = "gemgate",
    ) -> None:
        if fail_open_share is not None and not 0 < fail_open_share <= 1:
            raise ValueError(f"fail_open_share is in (0, 1] or None, not {fail_open_share}")
        self.clock = clock or SystemClock()
        self.prefix = prefix
        self.fail_open_share = fail_open_share
        self.retry_s = retry_s
        self.where = where(url)
        self._redis = connect(url)
        self._acquire = self._redis.register_script(load_script("acquire.lua"))
        self._adjust = self._redis.register_script(load_script("adjust.lua"))
        self._pause = self._redis.register_script(load_script("pause.lua"))
        self._days = _DayTable()
        self._fallback = None if fail_open_share is None else MemoryStore(self.clock)
        self._local_specs: dict[BucketSpec | DailySpec, BucketSpec | DailySpec] = {}
        self._down_until: float | None = None

    def __repr__(self) -> str:
        state = "down" if self._down_until is not None else "up"
        return f"RedisStore({self.where!r}, prefix={self.prefix!r}, {state})"

    def key(self, scope: str, name: str) -> str:
        """The Redis key of ``(scope, name)``: ``{prefix}:{scope}:{name}``, scope as hash tag."""
        if "{" in scope or "}" in scope:
            raise ValueError(f"a scope cannot contain braces (it is the hash tag): {scope!r}")
        return f"{self.prefix}:{{{scope}}}:{name}"

    async def acquire(self, scope: str, dims: Sequence[Dimension]) -> Grant:
        check_costs(dims)
        keys = [self.key(scope, dim.name) for dim in dims]
        args = [arg for dim in dims for arg in _dim_args(dim, dim.cost)]
        reply = await self._run(self._acquire, keys, args, dated=True, raises=True)
        if reply is None:
            assert self._fallback is not None  # _run raised when there is none
            return await self._fallback.acquire(scope, self._scaled(dims))
        return GRANTED if reply[0] else Grant(False, reply[1] / 1_000_000, daily=bool(reply[2]))

    async def adjust(self, scope: str, dim: Dimension, delta: int) -> None:
        if not delta:
            return
        keys = [self.key(scope, dim.name)]
        reply = await self._run(self._adjust, keys, _dim_args(dim, delta), dated=True)
        if reply is None and self._fallback is not None:
            await self._fallback.adjust(scope, self._scaled([dim])[0], delta)

    async def pause(self, scope: str, name: str, seconds: float) -> None:
        keys = [self.key(scope, name)]
        pause_us = max(0, math.ceil(seconds * 1_000_000))
        if await self._run(self._pause, keys, [pause_us]) is None and self._fallback is not None:
            await self._fallback.pause(scope, name, seconds)

    async def close(self) -> None:
        await self._redis.aclose()

    async def _run(
        self,
        script: AsyncScript,
        keys: list[str],
        args: Sequence[int | str],
        *,
        dated: bool = False,
        raises: bool = False,
    ) -> list[int] | None:
        """The script's reply, or None when Redis is unreachable (or still in its retry pause).

        Dated scripts get the Pacific day table first; a "stale" reply refreshes it from the
        server's TIME in the reply and runs once more (once per process start or idle day)."""
        if self._down_until is not None and self.clock.monotonic() < self._down_until:
            self._unreachable(None, raises)
            return None
        try:
            for _ in range(2):
                full_args = [*self._days.args(), *args] if dated else args
                reply = await self._eval(script, keys, full_args)
                self._saw_time(reply[-2])
                if not reply[-1]:
                    break
        except UNREACHABLE as exc:
            self._went_down(exc)
            self._unreachable(exc, raises)
            return None
        if self._down_until is not None:
            _log.info("Redis at %s answers again: shared rate limits resume", self.where)
            self._down_until = None
        return reply

    async def _eval(self, script: AsyncScript, keys: list[str], args: Sequence[Any]) -> list[int]:
        reply = await script(keys=keys, args=args)
        return [int(value) for value in reply]

    def _saw_time(self, now_us: int) -> None:
        if not self._days.m0 <= now_us < self._days.m1:
            self._days = _DayTable.around(now_us)

    def _went_down(self, exc: BaseException) -> None:
        if self._down_until is None:
            mode = (
                "failing closed"
                if self._fallback is None
                else f"failing open to {self.fail_open_share:.0%} of each limit in this process"
            )
            _log.warning("Redis at %s is unreachable (%s): %s", self.where, exc, mode)
        self._down_until = self.clock.monotonic() + self.retry_s

    def _unreachable(self, exc: BaseException | None, raises: bool) -> None:
        if raises and self._fallback is None:
            raise LimiterUnavailable(f"rate-limit state at {self.where} is unreachable") from exc

    def _scaled(self, dims: Sequence[Dimension]) -> list[Dimension]:
        """``dims`` against the local share of each limit (a cost above it takes all of it)."""
        scaled = []
        for dim in dims:
            local = self._local_specs.get(dim.spec) or self._local_spec(dim.spec)
            most = local.capacity if isinstance(local, BucketSpec) else local.limit
            scaled.append(Dimension(dim.name, local, min(dim.cost, most)))
        return scaled

    def _local_spec(self, spec: BucketSpec | DailySpec) -> BucketSpec | DailySpec:
        share = self.fail_open_share or 1.0
        local: BucketSpec | DailySpec
        if isinstance(spec, BucketSpec):
            local = BucketSpec(
                max(1, int(spec.capacity * share)), max(1, int(spec.refill * share)), spec.window_us
            )
        else:
            local = DailySpec(max(1, int(spec.limit * share)))
        self._local_specs[spec] = local
        return local
