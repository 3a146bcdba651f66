"""The retry loop — the only layer of gemgate that retries — over the router's endpoints.

Each attempt after the first takes a new rate-limit reservation (the provider counts retries
too), checks the deadline and asks the router for an endpoint: the first whose circuit breaker
admits it and whose adaptive throttle does not refuse it (after a 5xx or timeout, starting from
the next one; a pinned request only its own). The outcome goes back to the router. A retry must
be allowed by the policy (retryable, attempts left, a wait that ends before the deadline) and by
the retry budget (429s carrying the server's delay are paced by it and not charged; neither is a
failover to an endpoint the request has not tried, which adds no load to the sick one). A server
hint holds back a retry to the same endpoint only. A timeout that fired because the caller's
deadline ran out is not the endpoint's fault: the breaker and throttle do not count it.

A 429 teaches the limiter: a per-minute quota with a ``retryDelay`` pauses that dimension for
every process sharing the limiter's store; a per-day quota stops the model until midnight
Pacific time, unless another Vertex region's day is not spent: then that region is passed over
and the request moves on at once (a move for quota, never charged to the retry budget).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gemgate.client.call import Call
from gemgate.client.stages import Lifecycle
from gemgate.errors import (
    DailyQuotaExhausted,
    DeadlineExceeded,
    GemgateError,
    RateLimited,
    RequestTimeout,
)
from gemgate.observability import AttemptFailed, RequestState
from gemgate.ratelimit import day_spent_for
from gemgate.resilience import GiveUp, Retry, RetryBudget, RetryPolicy, Router
from gemgate.wire import Endpoint

__all__ = ["Attempts"]

_SLACK_S = 0.005  # a timer that fires this close to the deadline fired because of it

T = TypeVar("T")
Send = Callable[[Call, Endpoint], Awaitable[T]]


class Attempts:
    """Runs a call's attempts under a retry policy and budget, across the router's endpoints."""

    def __init__(
        self, life: Lifecycle, retry: RetryPolicy, router: Router, budget: RetryBudget | None
    ) -> None:
        self.life, self.retry, self.router, self.budget = life, retry, router, budget

    def precheck(self, call: Call) -> None:
        """Fail fast, before queueing or waiting for rate limits, when every endpoint the call
        may use has an open circuit (or the pinned region is unknown)."""
        self.router.precheck(call.model, pinned=call.pinned)

    async def run(
        self, call: Call, send: Send[T], *, limited: bool = True, settle_later: bool = False
    ) -> T:
        """The result of the first attempt that succeeds. ``settle_later`` (a stream): its
        success is not reported yet; :meth:`settle` reports how the stream ended."""
        clock = self.life.clock
        if self.budget is not None:
            self.budget.request()
        start, last = 0, None
        while True:
            if limited and call.attempts > 0:
                await self.life.reserve(call)
            remaining = call.remaining(clock.monotonic())
            if remaining is not None and remaining <= 0:
                await self._give_back(call)
                raise DeadlineExceeded("the deadline passed before the request could be sent")
            try:
                route = await self.router.choose(call.model, start=start, pinned=call.pinned)
            except GemgateError as refusal:
                await self._give_back(call)
                raise refusal from last  # a retry that finds every endpoint refusing
            call.attempts += 1
            call.route = route
            call.tried |= 1 << route.position
            call.region = route.endpoint.name
            if call.ticket is not None:
                self.life.gate.started(call.ticket)
            self.life.transition(call, RequestState.PROCESSING)
            try:
                result = await send(call, route.endpoint)
            except BaseException as exc:
                await self.router.report(route, self._deadline_hit(call, exc) or exc)
                if not isinstance(exc, GemgateError):
                    raise
                await self._learn(call, exc)
                start = self.router.next_start(route, exc, pinned=call.pinned is not None)
                then = self.router.likely(call.model, start=start, pinned=call.pinned)
                delay = self._after_failure(call, exc, route.position, then)
                last = exc
            else:
                if not settle_later:
                    await self.router.report(route, None)
                return result
            self.life.transition(call, RequestState.RETRYING)
            await clock.sleep(delay)

    async def settle(self, call: Call, ended: BaseException | None) -> None:
        """Report how a stream ended to its endpoint's breaker and throttle: a success, a
        failure (5xx, timeout, dropped connection after the first chunk), or neutral (the
        caller left early, the deadline ran out)."""
        route, call.route = call.route, None
        if route is not None:
            error = None if ended is None else self._deadline_hit(call, ended) or ended
            await self.router.report(route, error)

    def _deadline_hit(self, call: Call, exc: BaseException) -> DeadlineExceeded | None:
        """A timeout that fired because the caller's deadline ran out (the transport's
        timeout is cut to what is left of it) says nothing about the endpoint."""
        remaining = call.remaining(self.life.clock.monotonic())
        if isinstance(exc, RequestTimeout) and remaining is not None and remaining <= _SLACK_S:
            return DeadlineExceeded("the deadline passed while waiting for the answer")
        return None

    async def _give_back(self, call: Call) -> None:
        """A retry that finds no endpoint to go to gives its new reservation back."""
        if call.attempts > 0 and call.reservation is not None:
            reservation, call.reservation = call.reservation, None
            await self.life.limiter.release(reservation)

    async def _learn(self, call: Call, exc: GemgateError) -> None:
        """Tell the limiter what a 429 said about the quota."""
        limiter, model, scope = self.life.limiter, call.config.name, self.life.scope
        if isinstance(exc, DailyQuotaExhausted):
            # a region with a quota of its own is passed over; the model stops when none is left
            seconds = day_spent_for(self.life.clock.time())
            route = call.route
            if route is None or not self.router.spend_day(route, call.model, seconds):
                await limiter.exhaust_day(model, scope=scope)
        elif isinstance(exc, RateLimited) and exc.retry_delay:
            tokens = any(v.tokens for v in exc.quota_violations)
            requests = not tokens or any(not v.tokens for v in exc.quota_violations)
            for name, hit in (("tokens", tokens), ("requests", requests)):
                if hit:
                    await limiter.pause(model, name, exc.retry_delay, scope=scope)

    def _after_failure(
        self, call: Call, exc: GemgateError, position: int, then: int | None
    ) -> float:
        """The wait before the next attempt, or raise: the error itself, or DeadlineExceeded
        when it was the caller's deadline that ran out. When the next attempt moves to another
        endpoint (``then``, its likely position), the failed endpoint's hint does not hold it
        back, and a first visit there is not charged to the retry budget (the sick endpoint
        gets nothing more)."""
        moves = then is not None and then != position
        remaining = call.remaining(self.life.clock.monotonic())
        decision = self.retry.decide(exc, call.attempts, remaining, same_endpoint=not moves)
        spent_here = isinstance(exc, DailyQuotaExhausted) and call.pinned is None
        if spent_here and moves and call.attempts < self.retry.max_attempts:
            decision = Retry(0.0)  # this region's day is spent, the next one's is not: go now
        if then is None and not isinstance(decision, GiveUp):  # no wait would find one open
            delay, gave_up = None, "every endpoint's circuit is open"
        elif isinstance(decision, GiveUp):
            delay, gave_up = None, decision.reason
        elif spent_here:
            delay, gave_up = decision.delay, None  # a move for quota is not a retry of a failure
        elif self._budget_refuses(exc, first_visit=moves and not call.tried >> (then or 0) & 1):
            delay, gave_up = None, "retry budget spent"
        else:
            delay, gave_up = decision.delay, None
        self.life.bus.emit(
            AttemptFailed(
                call.id, call.attempts, type(exc).__name__, exc.status, delay, call.region, gave_up
            )
        )
        if delay is not None:
            return delay
        deadline = self._deadline_hit(call, exc)
        if deadline is not None:
            raise deadline from exc
        if spent_here and then is None:
            # this region's day is spent and every other endpoint refuses for now: say why
            # (CircuitOpen, the soonest to probe) unless every region's day is spent as well
            with contextlib.suppress(DailyQuotaExhausted):
                self.router.precheck(call.model)
        raise exc

    def _budget_refuses(self, exc: GemgateError, *, first_visit: bool) -> bool:
        if self.budget is None or first_visit:
            return False
        if isinstance(exc, RateLimited) and exc.retry_delay is not None:
            return False  # paced by the server's delay
        return not self.budget.try_retry()
