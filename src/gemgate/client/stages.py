"""The stages of the request path, each thin and testable alone.

Lifecycle stages wrap the whole request (for a stream: until its last chunk) as async context
managers, outermost first: ``recorded`` (state, cost, audit event) → ``admitted`` (priority queue
and concurrency cap) → ``limited`` (reconciles the rate-limit reservation with the real usage).
Inside them ``attempts`` runs the retry loop: each attempt takes its own rate-limit reservation
(the provider counts retries too), checks the deadline, is routed to an endpoint and sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from gemgate.client.call import Call
from gemgate.clock import Clock
from gemgate.config import ModelCatalog
from gemgate.cost import CostTracker, cost_of
from gemgate.errors import (
    ConnectionFailed,
    DeadlineExceeded,
    GemgateError,
    MalformedResponse,
    Rejected,
    RequestTimeout,
    ServerError,
)
from gemgate.observability import (
    AttemptFailed,
    EventBus,
    RequestFinished,
    RequestState,
    StateChanged,
)
from gemgate.queue import AdmissionQueue
from gemgate.ratelimit import RateLimiter
from gemgate.resilience import GiveUp, RetryPolicy
from gemgate.wire import Endpoint

__all__ = ["Stages"]

T = TypeVar("T")
Send = Callable[[Call, Endpoint], Awaitable[T]]

_FAILOVER_ON = (ServerError, RequestTimeout, ConnectionFailed, MalformedResponse)


class Stages:
    """The components of one client, and the stages that run a call through them."""

    def __init__(
        self,
        *,
        clock: Clock,
        bus: EventBus,
        queue: AdmissionQueue,
        limiter: RateLimiter,
        retry: RetryPolicy,
        catalog: ModelCatalog,
        costs: CostTracker,
        endpoints: Sequence[Endpoint],
    ) -> None:
        self.clock, self.bus, self.queue, self.limiter = clock, bus, queue, limiter
        self.retry, self.catalog, self.costs = retry, catalog, costs
        self.endpoints = tuple(endpoints)

    def transition(self, call: Call, new: RequestState) -> None:
        old, call.state = call.state, new
        self.bus.emit(StateChanged(call.id, old, new, self.clock.monotonic()))

    @asynccontextmanager
    async def recorded(self, call: Call) -> AsyncIterator[None]:
        """Final state, cost and the audit event, whatever the outcome."""
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            if isinstance(exc, GemgateError) and exc.request_id is None:
                exc.request_id = call.id
            raise
        finally:
            self._finish(call, error)

    def _finish(self, call: Call, error: BaseException | None) -> None:
        call.latency_ms = (self.clock.monotonic() - call.created_at) * 1000
        if call.sent:
            call.cost_usd = cost_of(call.config, call.usage)
            self.costs.record(
                call.cost_usd,
                call.usage,
                model=call.config.name,
                user=call.user,
                feature=call.feature,
                team=call.team,
            )
        self.transition(call, _final_state(error))
        self.bus.emit(_finished(call, error))

    @asynccontextmanager
    async def admitted(self, call: Call) -> AsyncIterator[None]:
        """Wait for a slot under the concurrency cap, by priority, within the deadline."""
        self.transition(call, RequestState.QUEUED)
        start = self.clock.monotonic()
        await self.queue.acquire(call.priority, call.remaining(start))
        call.queue_ms = (self.clock.monotonic() - start) * 1000
        try:
            yield
        finally:
            self.queue.release()

    @asynccontextmanager
    async def limited(self, call: Call) -> AsyncIterator[None]:
        """When the request ends, charge the real prompt count instead of the estimate."""
        try:
            yield
        finally:
            if call.reservation is not None and call.usage.prompt:
                self.limiter.reconcile(call.reservation, call.usage.prompt)

    async def _reserve(self, call: Call) -> None:
        """Each attempt is a request the provider may count: each takes its own reservation."""
        reservation = await self.limiter.acquire(
            call.config.name, call.estimate, deadline_at=call.deadline_at
        )
        call.throttled_ms += reservation.waited_s * 1000
        call.reservation = reservation
        if (call.remaining(self.clock.monotonic()) or 1.0) <= 0:
            self.limiter.release(reservation)
            raise DeadlineExceeded("the deadline passed before the request could be sent")

    def route(self, call: Call, previous: BaseException | None) -> Endpoint:
        """The first endpoint, or the next one after a failure that failover helps with."""
        if isinstance(previous, _FAILOVER_ON):
            call.endpoint_index = (call.endpoint_index + 1) % len(self.endpoints)
        return self.endpoints[call.endpoint_index]

    async def attempts(self, call: Call, send: Send[T], *, limited: bool = True) -> T:
        """The retry loop: the only layer of gemgate that retries."""
        previous: BaseException | None = None
        while True:
            if limited:
                await self._reserve(call)
            elif (call.remaining(self.clock.monotonic()) or 1.0) <= 0:
                raise DeadlineExceeded("the deadline passed before the request could be sent")
            call.attempts += 1
            endpoint = self.route(call, previous)
            call.region = endpoint.name
            self.transition(call, RequestState.PROCESSING)
            try:
                return await send(call, endpoint)
            except GemgateError as exc:
                delay = self._after_failure(call, exc)
                previous = exc
            self.transition(call, RequestState.RETRYING)
            await self.clock.sleep(delay)

    def _after_failure(self, call: Call, exc: GemgateError) -> float:
        """The wait before the next attempt, or raise: the error itself, or DeadlineExceeded
        when it was the caller's deadline that ran out."""
        remaining = call.remaining(self.clock.monotonic())
        decision = self.retry.decide(exc, call.attempts, remaining)
        delay = None if isinstance(decision, GiveUp) else decision.delay
        self.bus.emit(AttemptFailed(call.id, call.attempts, type(exc).__name__, exc.status, delay))
        if delay is not None:
            return delay
        if isinstance(exc, RequestTimeout) and remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the deadline passed while waiting for the answer") from exc
        raise exc


def _final_state(error: BaseException | None) -> RequestState:
    if error is None:
        return RequestState.COMPLETED
    if isinstance(error, Rejected):
        return RequestState.REJECTED
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return RequestState.CANCELLED
    return RequestState.FAILED


def _finished(call: Call, error: BaseException | None) -> RequestFinished:
    return RequestFinished(
        request_id=call.id,
        model=call.config.name,
        state=call.state or RequestState.FAILED,
        attempts=call.attempts,
        latency_ms=call.latency_ms,
        queue_ms=call.queue_ms,
        throttled_ms=call.throttled_ms,
        region=call.region,
        user=call.user,
        feature=call.feature,
        team=call.team,
        usage=call.usage,
        cost_usd=call.cost_usd,
        error=_describe(error),
    )


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return "cancelled by the caller"
    return f"{type(error).__name__}: {error}"
