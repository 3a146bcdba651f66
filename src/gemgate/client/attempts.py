"""The retry loop — the only layer of gemgate that retries — and routing between endpoints.

Each attempt after the first takes a new rate-limit reservation (the provider counts retries
too), checks the deadline, goes to an endpoint (the next one after a failure that failover helps
with) and is sent. A 429 teaches the limiter: a per-minute quota with a ``retryDelay`` pauses that
dimension for every process sharing the limiter's store; a per-day quota stops the model until
midnight Pacific time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from gemgate.client.call import Call
from gemgate.client.stages import Lifecycle
from gemgate.errors import (
    ConnectionFailed,
    DailyQuotaExhausted,
    DeadlineExceeded,
    GemgateError,
    MalformedResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from gemgate.observability import AttemptFailed, RequestState
from gemgate.resilience import GiveUp, RetryPolicy
from gemgate.wire import Endpoint

__all__ = ["Attempts"]

T = TypeVar("T")
Send = Callable[[Call, Endpoint], Awaitable[T]]

_FAILOVER_ON = (ServerError, RequestTimeout, ConnectionFailed, MalformedResponse)


class Attempts:
    """Runs a call's attempts under a retry policy, across endpoints."""

    def __init__(self, life: Lifecycle, retry: RetryPolicy, endpoints: Sequence[Endpoint]) -> None:
        self.life = life
        self.retry = retry
        self.endpoints = tuple(endpoints)

    def route(self, call: Call, previous: BaseException | None) -> Endpoint:
        """The first endpoint, or the next one after a failure that failover helps with."""
        if isinstance(previous, _FAILOVER_ON):
            call.endpoint_index = (call.endpoint_index + 1) % len(self.endpoints)
        return self.endpoints[call.endpoint_index]

    async def run(self, call: Call, send: Send[T], *, limited: bool = True) -> T:
        previous: BaseException | None = None
        clock = self.life.clock
        while True:
            if limited and call.attempts > 0:
                await self.life.reserve(call)
            if (call.remaining(clock.monotonic()) or 1.0) <= 0:
                raise DeadlineExceeded("the deadline passed before the request could be sent")
            call.attempts += 1
            endpoint = self.route(call, previous)
            call.region = endpoint.name
            if call.ticket is not None:
                self.life.gate.started(call.ticket)
            self.life.transition(call, RequestState.PROCESSING)
            try:
                return await send(call, endpoint)
            except GemgateError as exc:
                await self._learn(call, exc)
                delay = self._after_failure(call, exc)
                previous = exc
            self.life.transition(call, RequestState.RETRYING)
            await clock.sleep(delay)

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
        delay = None if isinstance(decision, GiveUp) else decision.delay
        self.life.bus.emit(
            AttemptFailed(call.id, call.attempts, type(exc).__name__, exc.status, delay)
        )
        if delay is not None:
            return delay
        if isinstance(exc, RequestTimeout) and remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the deadline passed while waiting for the answer") from exc
        raise exc
