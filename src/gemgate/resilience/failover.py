"""Choosing an endpoint for each attempt: breakers, adaptive throttling, failover, pinning.

Endpoints are tried in their configured order: a new request goes to the first whose breaker
admits it and whose throttle does not refuse it; a retry after a failure that failover helps with
(5xx, timeout, connection, malformed body) starts at the *next* endpoint, any other retry at the
same one. When the primary's breaker lets a probe through and it succeeds, new requests go back to
the primary: a probe is never refused by the throttle, and its success clears the throttle's
window. A request pinned to a region (data residency) only ever goes there.

Vertex AI regions keep quotas of their own: a region whose per-day quota is spent
(:meth:`Router.spend_day`) is passed over until its reset, and the request that learnt it moves
on to the next region. Developer API base URLs share their key's quota, so there a spent day is
spent everywhere (the rate limiter stops the model).

After each attempt, ``report`` tells the endpoint's breaker and throttle what happened:

====================================  ===========  ================
outcome                               breaker      throttle
====================================  ===========  ================
an answer (2xx, 4xx, blocked prompt)  success      accepted
5xx, timeout, connection, malformed   failure      not accepted
429                                   neutral      not accepted
cancelled, or gemgate's own refusal   neutral      not counted
====================================  ===========  ================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from gemgate.clock import Clock, SystemClock
from gemgate.errors import (
    CircuitOpen,
    ConnectionFailed,
    DailyQuotaExhausted,
    GemgateError,
    MalformedResponse,
    NoSuchRegion,
    RateLimited,
    RequestTimeout,
    ServerError,
    Throttled,
    TransientError,
)
from gemgate.resilience.breaker import Permit
from gemgate.resilience.shared import Breakers, Outcome
from gemgate.resilience.throttle import AdaptiveThrottle
from gemgate.wire import Endpoint

__all__ = ["FAILOVER_ON", "Route", "Router"]

FAILOVER_ON = (ServerError, RequestTimeout, ConnectionFailed, MalformedResponse)
"""Failures that count against a breaker and send the retry to the next endpoint."""


class Route(NamedTuple):
    """Where one attempt goes, and the breaker's permit for it."""

    position: int
    endpoint: Endpoint
    permit: Permit
    throttle: AdaptiveThrottle | None


class Router:
    """Picks the endpoint of each attempt and learns from how it went."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        breakers: Breakers,
        throttle: Callable[[], AdaptiveThrottle] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("a router needs at least one endpoint")
        self.endpoints = tuple(endpoints)
        self.clock = clock or SystemClock()
        # Vertex regions have quotas of their own; Developer API base URLs share their key's
        self.own_quotas = len(endpoints) > 1 and all(e.kind == "vertex" for e in endpoints)
        self._spent: dict[str, float] = {}  # breaker key -> monotonic time its day resets
        self.names = tuple(e.name for e in self.endpoints)
        self.breakers = breakers
        self.throttles = {name: throttle() for name in self.names} if throttle else {}
        n = len(self.endpoints)
        self._orders = [tuple((s + i) % n for i in range(n)) for s in range(n)]
        self._keys: dict[str, tuple[str, ...]] = {}
        self._parts: dict[str, tuple[str, str]] = {}

    def key(self, endpoint: Endpoint, model: str) -> str:
        """The breaker key of (endpoint, model)."""
        return f"{endpoint.name}/{model}"

    def _key(self, index: int, model: str) -> str:
        keys = self._keys.get(model)
        if keys is None:
            keys = self._keys[model] = tuple(self.key(e, model) for e in self.endpoints)
            self._parts.update(
                {k: (e.name, model) for k, e in zip(keys, self.endpoints, strict=True)}
            )
        return keys[index]

    def parts(self, key: str) -> tuple[str, str]:
        """The (endpoint name, model) of a breaker key this router made."""
        return self._parts.get(key) or (key, "")

    def _order(self, start: int, pinned: str | None) -> Sequence[int]:
        if pinned is not None:
            if pinned not in self.names:
                raise NoSuchRegion(pinned, self.names)
            return (self.names.index(pinned),)
        return self._orders[start]

    def precheck(self, model: str, *, pinned: str | None = None) -> None:
        """Raise at once when no endpoint this request may use can take it: CircuitOpen (the
        soonest to probe) when one is open, else DailyQuotaExhausted (the soonest reset) when
        every one's day is spent; cheap enough to run before any queueing or waiting."""
        soonest: CircuitOpen | None = None
        spent: DailyQuotaExhausted | None = None
        for index in self._order(0, pinned):
            endpoint, key = self.endpoints[index], self._key(index, model)
            if self._spent and self._day_spent(key):
                spent = spent or self._spent_error(endpoint, key, model)
                continue
            until = self.breakers.blocked_until(key)
            if until is None:
                return
            if soonest is None or until < soonest.retry_at:
                soonest = CircuitOpen(endpoint.name, until, model=model)
        if soonest is not None:
            raise soonest
        if spent is not None:
            raise spent

    def spend_day(self, route: Route, model: str, seconds: float) -> bool:
        """A per-day 429 from ``route``'s endpoint. Where endpoints keep quotas of their own,
        pass it over for ``seconds`` (until its reset) and return whether another endpoint's day
        is not known to be spent; otherwise (one shared quota) return False."""
        if not self.own_quotas:
            return False
        key = self._key(route.position, model)
        self._spent[key] = self.clock.monotonic() + seconds
        return any(not self._day_spent(self._key(i, model)) for i in range(len(self.endpoints)))

    def _day_spent(self, key: str) -> bool:
        until = self._spent.get(key)
        if until is None:
            return False
        if until <= self.clock.monotonic():
            del self._spent[key]  # a new day
            return False
        return True

    def _spent_error(self, endpoint: Endpoint, key: str, model: str) -> DailyQuotaExhausted:
        seconds = self._spent[key] - self.clock.monotonic()
        error = DailyQuotaExhausted(
            f"the daily quota of {model} in {endpoint.name} is spent; requests may go there "
            f"again in {seconds:.0f} s",
            retry_delay=seconds,
            status=None,
        )
        error.resets_at = datetime.fromtimestamp(self.clock.time() + seconds, UTC)
        return error

    def preferred(self, model: str, *, pinned: str | None = None) -> Endpoint:
        """The endpoint a new request would try first: the first not known to be open."""
        index = self.likely(model, pinned=pinned)
        return self.endpoints[self._order(0, pinned)[0] if index is None else index]

    def likely(self, model: str, *, start: int = 0, pinned: str | None = None) -> int | None:
        """The position ``choose(start=...)`` would most likely pick: the first endpoint from
        ``start`` not known to refuse (None when all are). Cheap, and changes nothing."""
        for index in self._order(start, pinned):
            key = self._key(index, model)
            if self._spent and self._day_spent(key):
                continue
            if self.breakers.blocked_until(key) is None:
                return index
        return None

    async def choose(self, model: str, *, start: int = 0, pinned: str | None = None) -> Route:
        """The first endpoint from ``start`` on that takes the attempt; CircuitOpen (the
        soonest to probe), Throttled or DailyQuotaExhausted when none does."""
        refused: list[CircuitOpen | Throttled | DailyQuotaExhausted] = []
        for index in self._order(start, pinned):
            endpoint, key = self.endpoints[index], self._key(index, model)
            if self._spent and self._day_spent(key):
                refused.append(self._spent_error(endpoint, key, model))
                continue
            try:
                permit = await self.breakers.admit(key)
            except CircuitOpen as exc:
                refused.append(CircuitOpen(endpoint.name, exc.retry_at, model=model))
                continue
            throttle = self.throttles.get(endpoint.name)
            p = throttle.refuse() if throttle is not None and not permit.probe else 0.0
            if p:
                await self.breakers.record(permit, "neutral")
                refused.append(Throttled(endpoint.name, p))
                continue
            return Route(index, endpoint, permit, throttle)
        opened = [e for e in refused if isinstance(e, CircuitOpen)]
        if opened:
            raise min(opened, key=lambda e: e.retry_at)
        raise next((e for e in refused if isinstance(e, Throttled)), refused[0])

    def next_start(self, route: Route, error: BaseException, *, pinned: bool = False) -> int:
        """Where the next attempt's search starts: the next endpoint after a failure that
        failover helps with (or a spent day, where endpoints keep quotas of their own), the
        same one otherwise (and always, for a pinned request)."""
        moves = isinstance(error, FAILOVER_ON) or (
            self.own_quotas and isinstance(error, DailyQuotaExhausted)
        )
        if moves and not pinned:
            return (route.position + 1) % len(self.endpoints)
        return route.position

    async def report(self, route: Route, error: BaseException | None) -> None:
        """Tell the endpoint's breaker and throttle how the attempt went."""
        throttle = route.throttle
        if error is None:  # the common case, first
            if throttle is not None:
                if route.permit.probe:
                    throttle.reset()  # the breaker closes: the outage's rejections are history
                throttle.outcome(True)
            await self.breakers.record(route.permit, "success")
            return
        outcome, accepted = _judge(error)
        if accepted is not None and throttle is not None:
            throttle.outcome(accepted)
        await self.breakers.record(route.permit, outcome)


def _judge(error: BaseException) -> tuple[Outcome, bool | None]:
    """The breaker's outcome of a failed attempt, and whether the throttle counts an accept
    (None: not counted)."""
    if isinstance(error, FAILOVER_ON):
        return "failure", False
    if isinstance(error, RateLimited):
        return "neutral", False
    if not isinstance(error, GemgateError):
        return "neutral", None  # cancelled: nobody knows how it would have gone
    if isinstance(error, TransientError) or error.status is None:
        return "neutral", None  # gemgate's own refusal: the service never saw it
    return "success", True  # the service answered (4xx, blocked prompt): it is up
