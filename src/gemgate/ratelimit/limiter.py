"""The rate limiter: per (scope, model), the limits' buckets in a store, waiters by priority.

``acquire`` takes one request and the estimated tokens from every limit of the model at once
(all-or-nothing, one store decision). Waiters of one (scope, model) form a line: highest priority
first, FIFO within a priority, and only the head asks the store, so a large request at the head
is not starved by small ones behind it and a HIGH request that arrives overtakes every LOW one
still waiting. ``reconcile`` charges the real prompt count instead of the estimate, ``release``
gives back a reservation whose request was never sent, and ``pause`` stops grants on a dimension
(for every process sharing the store) when the provider answered 429 for it.

A wait that lasts until the daily reset (a spent ``requests_per_day`` limit, or the provider's
per-day 429 learnt by any process sharing the store) is not waited out: ``acquire`` raises
:class:`DailyQuotaExhausted` at once, with ``resets_at``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gemgate.clock import Clock, SystemClock
from gemgate.config.limits import DAILY, LimitRule
from gemgate.errors import DailyQuotaExhausted, DeadlineExceeded
from gemgate.ratelimit.bucket import BucketSpec, Rate
from gemgate.ratelimit.store import DailySpec, Dimension, Grant, LimitStore, MemoryStore
from gemgate.ratelimit.store.base import pacific_day

__all__ = [
    "RateLimiter",
    "Reservation",
    "day_spent_for",
    "default_burst",
    "seconds_to_pacific_midnight",
]

# A dimension without a limit still gets a bucket, so that a provider's 429 can pause it.
_UNLIMITED = BucketSpec(capacity=10**9, refill=10**9, window_us=1_000_000)
# Without a daily limit, the daily dimension is still there (costing 0, so nothing is counted),
# so that a per-day 429 can pause it and later requests learn that the day is spent.
_NO_DAILY = DailySpec(10**12)
_FREE = (_UNLIMITED, _NO_DAILY)
_NEW_DAY_S = 600.0
_NORMAL = 5


def seconds_to_pacific_midnight(now: float) -> float:
    """Seconds from the wall time ``now`` until the next midnight in America/Los_Angeles."""
    wall_us = int(now * 1_000_000)
    return (pacific_day(wall_us)[2] - wall_us) / 1_000_000


def day_spent_for(now: float) -> float:
    """Seconds a per-day quota found spent at the wall time ``now`` stays spent: until the next
    midnight Pacific time. In the first minutes of a day (by our clock) the provider may not have
    reset yet: then only until ``_NEW_DAY_S`` into the day."""
    wall_us = int(now * 1_000_000)
    _, start_us, end_us = pacific_day(wall_us)
    since_s = (wall_us - start_us) / 1_000_000
    return (end_us - wall_us) / 1_000_000 if since_s >= _NEW_DAY_S else _NEW_DAY_S - since_s


def default_burst(rule: LimitRule) -> int:
    """The burst when the user gives none (docs/rate-limits.md weighs the choice).

    Requests: 1/100 of the limit, at least 2 from 8 up (one unit of burst loses the refill that
    accrues while the head of the line oversleeps). Tokens: a quarter of the limit, so that long
    prompts fit (a prompt above the burst fails with ExceedsLimit); the sustained rate is then
    3/4 of the limit. Either way burst + one window's refill stays within the limit."""
    if rule.name == "tokens":
        return max(1, rule.amount // 4)
    return max(2 if rule.amount >= 8 else 1, rule.amount // 100)


def _spec(rule: LimitRule) -> BucketSpec | DailySpec:
    if rule.daily:
        return DailySpec(rule.amount)
    burst = rule.burst if rule.burst is not None else default_burst(rule)
    return BucketSpec.for_rate(
        Rate(rule.amount, rule.window_s), burst=burst, allowance_s=rule.allowance_s
    )


@dataclass(slots=True)
class Reservation:
    """What one acquire took: the dimensions and amounts, to reconcile or give back."""

    scope: str
    dims: tuple[Dimension, ...]
    waited_s: float
    tokens: int
    settled: bool = False
    line: tuple[str, str] = ("", "")  # (scope, model): whose waiters a give-back wakes


@dataclass(order=True, slots=True)
class _Waiter:
    rank: tuple[int, int]
    turn: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


class _Line:
    """The waiters of one (scope, model), highest priority first, FIFO within a priority."""

    def __init__(self) -> None:
        self.heap: list[_Waiter] = []
        self.returned = asyncio.Event()  # capacity was given back: a sleeping head asks again

    def head(self) -> _Waiter | None:
        return self.heap[0] if self.heap else None

    def wake_head(self) -> None:
        if self.heap:
            self.heap[0].turn.set()

    def leave(self, waiter: _Waiter) -> None:
        self.heap.remove(waiter)
        heapq.heapify(self.heap)
        self.wake_head()


def _day_spent(key: str, grant: Grant, now: float) -> DailyQuotaExhausted:
    """The error for a refusal that lasts until the daily reset."""
    resets_at = datetime.fromtimestamp(now + grant.wait_s, UTC)
    error = DailyQuotaExhausted(
        f"the daily quota for {key.rpartition(':')[2]} is spent; requests may go again at "
        f"{resets_at:%Y-%m-%d %H:%M:%S} UTC",
        retry_delay=grant.wait_s,
        status=None,
    )
    error.resets_at = resets_at
    return error


class RateLimiter:
    """Limits per model (and per scope: a key or project), shared through ``store``.

    ``rules`` maps a model name to its limit rules; a model not in it gets ``default_rules``.
    """

    def __init__(
        self,
        rules: Mapping[str, Sequence[LimitRule]] | None = None,
        store: LimitStore | None = None,
        clock: Clock | None = None,
        *,
        default_rules: Sequence[LimitRule] = (),
    ) -> None:
        self.clock = clock or SystemClock()
        self.store = store or MemoryStore(self.clock)
        self._specs = {m: self._specs_of(r) for m, r in (rules or {}).items()}
        self._default = self._specs_of(default_rules)
        self._lines: dict[tuple[str, str], _Line] = {}
        self._seq = itertools.count()

    @staticmethod
    def _specs_of(rules: Sequence[LimitRule]) -> dict[str, BucketSpec | DailySpec]:
        specs: dict[str, BucketSpec | DailySpec] = {
            "requests": _UNLIMITED,
            "tokens": _UNLIMITED,
            DAILY: _NO_DAILY,
        }
        specs.update({rule.name: _spec(rule) for rule in rules})
        return specs

    def dimensions(self, model: str, tokens: int) -> tuple[Dimension, ...]:
        specs = self._specs.get(model, self._default)
        return tuple(
            Dimension(name, spec, 0 if spec is _NO_DAILY else tokens if name == "tokens" else 1)
            for name, spec in specs.items()
        )

    def limited(self, model: str) -> bool:
        """Whether ``model`` has any limit of its own (beyond pauses learnt from 429s)."""
        specs = self._specs.get(model, self._default)
        return any(spec not in _FREE for spec in specs.values())

    async def acquire(
        self,
        model: str,
        tokens: int,
        *,
        scope: str = "",
        priority: int = _NORMAL,
        deadline_at: float | None = None,
        check: Callable[[], None] | None = None,
    ) -> Reservation:
        """Take one request and ``tokens`` from every limit of ``model``, waiting in line.

        ``check`` runs whenever this waiter is about to ask the store (at the head of the line,
        and again after each wait for capacity): an exception it raises leaves the line at once
        and the next waiter checks in turn, so a condition that makes sending pointless (every
        endpoint's circuit open) empties the line without waiting for capacity."""
        dims = self.dimensions(model, tokens)
        key = f"{scope}:{model}"
        line = self._lines.setdefault((scope, model), _Line())
        waiter = _Waiter((-int(priority), next(self._seq)))
        heapq.heappush(line.heap, waiter)
        line.wake_head()
        start = self.clock.monotonic()
        try:
            await self._wait_in_line(line, waiter, key, dims, deadline_at, check)
        finally:
            line.leave(waiter)
            if not line.heap:
                self._lines.pop((scope, model), None)
        return Reservation(key, dims, self.clock.monotonic() - start, tokens, line=(scope, model))

    async def _wait_in_line(
        self,
        line: _Line,
        waiter: _Waiter,
        key: str,
        dims: tuple[Dimension, ...],
        deadline_at: float | None,
        check: Callable[[], None] | None,
    ) -> None:
        while True:
            await self._turn(waiter, deadline_at)
            if line.head() is not waiter:  # someone of higher priority came in meanwhile
                waiter.turn.clear()
                continue
            if check is not None:
                check()
            line.returned.clear()  # what comes back from here on wakes the nap below
            grant = await self.store.acquire(key, dims)
            if grant.granted:
                return
            if grant.daily:
                raise _day_spent(key, grant, self.clock.time())
            now = self.clock.monotonic()
            if deadline_at is not None and now + grant.wait_s > deadline_at:
                raise DeadlineExceeded(f"rate-limit capacity for {key} not before the deadline")
            await self._nap(line, grant.wait_s)

    async def _nap(self, line: _Line, seconds: float) -> None:
        """Sleep until the capacity should be there, or until a request of this line gives some
        back (released unsent, or charged less than its estimate), whichever comes first."""
        nap = asyncio.ensure_future(self.clock.sleep(seconds))
        back = asyncio.ensure_future(line.returned.wait())
        try:
            await asyncio.wait((nap, back), return_when=asyncio.FIRST_COMPLETED)
        finally:
            nap.cancel()
            back.cancel()

    def _given_back(self, reservation: Reservation) -> None:
        line = self._lines.get(reservation.line)
        if line is not None:
            line.returned.set()

    async def _turn(self, waiter: _Waiter, deadline_at: float | None) -> None:
        if waiter.turn.is_set():
            return
        remaining = None if deadline_at is None else deadline_at - self.clock.monotonic()
        try:
            async with asyncio.timeout(remaining):
                await waiter.turn.wait()
        except TimeoutError:
            raise DeadlineExceeded("deadline passed while waiting in line for a limit") from None

    async def reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        """Charge ``actual_tokens`` instead of the estimate; once per reservation."""
        if reservation.settled:
            return
        reservation.settled = True
        delta = reservation.tokens - actual_tokens
        token_dim = next((d for d in reservation.dims if d.name == "tokens"), None)
        if token_dim is not None and delta:
            await self.store.adjust(reservation.scope, token_dim, delta)
            if delta > 0:
                self._given_back(reservation)

    async def release(self, reservation: Reservation) -> None:
        """Give everything back: the request was never sent."""
        if reservation.settled:
            return
        reservation.settled = True
        for dim in reservation.dims:
            if dim.cost and not isinstance(dim.spec, DailySpec):
                await self.store.adjust(reservation.scope, dim, dim.cost)
        self._given_back(reservation)

    async def pause(self, model: str, dimension: str, seconds: float, *, scope: str = "") -> None:
        """No grants on ``dimension`` of ``model`` for ``seconds``, in every process sharing
        the store (a 429 for a per-minute quota)."""
        await self.store.pause(f"{scope}:{model}", dimension, seconds)

    async def exhaust_day(self, model: str, *, scope: str = "") -> None:
        """A per-day quota is spent: no grants until midnight Pacific time; until then,
        ``acquire`` raises DailyQuotaExhausted (see :func:`day_spent_for`)."""
        await self.store.pause(f"{scope}:{model}", DAILY, day_spent_for(self.clock.time()))

    async def close(self) -> None:
        await self.store.close()
