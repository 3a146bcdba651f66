"""The retry loop — the only layer of gemgate that retries — over the router's endpoints.

Each attempt after the first takes a new rate-limit reservation (the provider counts retries
too), checks the deadline and asks the router for an endpoint: the first whose circuit breaker
admits it and whose adaptive throttle does not refuse it (after a 5xx or timeout, starting from
the next one; a pinned request only its own). The outcome goes back to the router. A retry must
be allowed by the policy (retryable, attempts left, a wait that ends before the deadline) and by
the retry budget (429s carrying the server's delay are paced by it and not charged).

A 429 teaches the limiter: a per-minute quota with a ``retryDelay`` pauses that dimension for
every process sharing the limiter's store; a per-day quota stops the model until midnight
Pacific time.
"""

from __future__ import annotations

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
from gemgate.resilience import GiveUp, RetryBudget, RetryPolicy, Router
from gemgate.wire import Endpoint

__all__ = ["Attempts"]

T = TypeVar("T")
Send = Callable[[Call, Endpoint], Awaitable[T]]


class Attempts:
    """Runs a call's attempts under a retry policy and budget, across the router's endpoints."""

    def __init__(
        self, life: Lifecycle, retry: RetryPolicy, router: Router, budget: RetryBudget | None
    ) -> None:
        self.life, self.retry, self.router, self.budget = life, retry, router, budget
        self.endpoints = router.endpoints

    def precheck(self, call: Call) -> None:
        """Fail fast, before queueing or waiting for rate limits, when every endpoint the call
        may use has an open circuit (or the pinned region is unknown)."""
        self.router.precheck(call.model, pinned=call.pinned)

    async def run(self, call: Call, send: Send[T], *, limited: bool = True) -> T:
        clock = self.life.clock
        if self.budget is not None:
            self.budget.request()
        start = 0
        while True:
            if limited and call.attempts > 0:
                await self.life.reserve(call)
            if (call.remaining(clock.monotonic()) or 1.0) <= 0:
                raise DeadlineExceeded("the deadline passed before the request could be sent")
            try:
                route = await self.router.choose(call.model, start=start, pinned=call.pinned)
            except GemgateError:
                await self._give_back(call)
                raise
            call.attempts += 1
            call.region = route.endpoint.name
            if call.ticket is not None:
                self.life.gate.started(call.ticket)
            self.life.transition(call, RequestState.PROCESSING)
            try:
                result = await send(call, route.endpoint)
            except BaseException as exc:
                await self.router.report(route, exc)
                if not isinstance(exc, GemgateError):
                    raise
                await self._learn(call, exc)
                delay = self._after_failure(call, exc)
                start = self.router.next_start(route, exc)
            else:
                await self.router.report(route, None)
                return result
            self.life.transition(call, RequestState.RETRYING)
            await clock.sleep(delay)

    async def _give_back(self, call: Call) -> None:
        """A retry that finds no endpoint to go to gives its new reservation back."""
        if call.attempts > 0 and call.reservation is not None:
            reservation, call.reservation = call.reservation, None
            await self.life.limiter.release(reservation)

    async def _learn(self, call: Call, exc: GemgateError) -> None:
        """Tell the limiter what a 429 said about the quota."""
        limiter, model, scope = self.life.limiter, call.config.name, self.life.scope
        if isinstance(exc, DailyQuotaExhausted):
            await limiter.exhaust_day(model, scope=scope)
        elif isinstance(exc, RateLimited) and exc.retry_delay:
            tokens = any(v.tokens for v in exc.quota_violations)
            requests = not tokens or any(not v.tokens for v in exc.quota_violations)
            for name, hit in (("tokens", tokens), ("requests", requests)):
                if hit:
                    await limiter.pause(model, name, exc.retry_delay, scope=scope)

    def _after_failure(self, call: Call, exc: GemgateError) -> float:
        """The wait before the next attempt, or raise: the error itself, or DeadlineExceeded
        when it was the caller's deadline that ran out."""
        remaining = call.remaining(self.life.clock.monotonic())
        decision = self.retry.decide(exc, call.attempts, remaining)
        if isinstance(decision, GiveUp):
            delay, gave_up = None, decision.reason
        elif self._budget_refuses(exc):
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
        if isinstance(exc, RequestTimeout) and remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the deadline passed while waiting for the answer") from exc
        raise exc

    def _budget_refuses(self, exc: GemgateError) -> bool:
        if self.budget is None or (isinstance(exc, RateLimited) and exc.retry_delay is not None):
            return False
        return not self.budget.try_retry()
