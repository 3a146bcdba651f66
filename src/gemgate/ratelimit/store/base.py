"""What every limit store offers: one atomic, all-or-nothing decision over a request's dimensions.

A request names its *scope* (chosen by the caller, e.g. ``"k:1a2b3c4d:gemini-2.5-flash"``: a key
fingerprint and a model) and its :class:`Dimension` s — requests, tokens, requests per day, or any
limit a user names — each with a spec and a cost. :meth:`LimitStore.acquire` takes every cost at
once or nothing, and when it refuses says exactly how long until everything fits. ``adjust``
settles a reservation with the real usage; ``pause`` obeys a provider's 429 for a while.

Daily limits (:class:`DailySpec`) count requests per calendar day in America/Los_Angeles and reset
at midnight Pacific time, DST-correct (days of 23 and 25 hours included); a spent counter's wait
is the time until that midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from gemgate.errors import ExceedsLimit
from gemgate.ratelimit.bucket import BucketSpec

__all__ = [
    "GRANTED",
    "PACIFIC",
    "DailySpec",
    "Dimension",
    "Grant",
    "LimitStore",
    "check_costs",
    "pacific_day",
]

PACIFIC = ZoneInfo("America/Los_Angeles")
"""The time zone of Gemini's daily quota reset."""


@dataclass(frozen=True, slots=True)
class DailySpec:
    """At most ``limit`` units per day, the day reset at midnight America/Los_Angeles."""

    limit: int

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"a daily limit is at least 1, not {self.limit}")


class Dimension(NamedTuple):
    """One limit a request counts against: ``"requests"``, ``"tokens"``, ``"requests_per_day"``…

    ``cost`` is what this request takes from it (0 takes nothing and always fits). A named tuple:
    every request makes a few, so they must be cheap to build."""

    name: str
    spec: BucketSpec | DailySpec
    cost: int


@dataclass(frozen=True, slots=True)
class Grant:
    """A decision: ``granted``, or not before ``wait_s`` seconds (exact, finite; 0.0 if granted).

    ``daily``: a daily dimension (its counter spent, or paused by a per-day 429) is among what
    refuses, so the request cannot go before the daily reset."""

    granted: bool
    wait_s: float
    daily: bool = False


GRANTED = Grant(True, 0.0)


@runtime_checkable
class LimitStore(Protocol):
    """Shared limit state: in-process (:class:`MemoryStore`) or in Redis (:class:`RedisStore`)."""

    async def acquire(self, scope: str, dims: Sequence[Dimension]) -> Grant:
        """Take every dimension's cost at once, or nothing; honours pauses.

        Raises ``ExceedsLimit`` when a cost can never fit its dimension."""
        ...

    async def adjust(self, scope: str, dim: Dimension, delta: int) -> None:
        """Refund ``delta > 0`` units (never above the limit) or charge ``−delta`` more.

        ``dim.cost`` is ignored: only its name and spec say which counter."""
        ...

    async def pause(self, scope: str, name: str, seconds: float) -> None:
        """Grant nothing touching ``(scope, name)`` for ``seconds`` (the longer of two pauses)."""
        ...

    async def close(self) -> None: ...


def check_costs(dims: Sequence[Dimension]) -> None:
    """Raise ``ExceedsLimit`` for a cost its dimension can never hold, ValueError for one < 0."""
    for dim in dims:
        spec = dim.spec
        most = spec.capacity if isinstance(spec, BucketSpec) else spec.limit
        if dim.cost > most:
            raise ExceedsLimit(dim.name, dim.cost, most)
        if dim.cost < 0:
            raise ValueError(f"a cost is not negative: {dim.name}={dim.cost}")


def pacific_day(wall_us: int) -> tuple[date, int, int]:
    """The date in Pacific time at ``wall_us`` (µs since the epoch), and the µs of its midnights.

    Returns ``(day, start_us, end_us)``: the day begins at ``start_us`` and the next one at
    ``end_us`` (23, 24 or 25 hours later)."""
    day = datetime.fromtimestamp(wall_us // 1_000_000, tz=PACIFIC).date()
    return day, _midnight_us(day), _midnight_us(day + timedelta(days=1))


def _midnight_us(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=PACIFIC).timestamp()) * 1_000_000
