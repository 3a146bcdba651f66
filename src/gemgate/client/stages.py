"""The stages of the request path, each thin and testable alone.

Lifecycle stages wrap the whole request (for a stream: until its last chunk) as async context
managers, outermost first: ``recorded`` (final state, cost, audit event) → ``queued`` (the bound
on waiting requests) → ``limited`` (the first rate-limit reservation, taken in priority order
*before* a concurrency slot, and reconciled with the real usage at the end) → ``admitted`` (the
concurrency cap, by priority). Inside them :mod:`gemgate.client.attempts` runs the retry loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from gemgate.client.call import Call
from gemgate.clock import Clock
from gemgate.cost import CostTracker, cost_of
from gemgate.errors import DeadlineExceeded, GemgateError, Rejected
from gemgate.observability import EventBus, RequestFinished, RequestState, StateChanged
from gemgate.queue import AdmissionQueue, QueueGate
from gemgate.ratelimit import RateLimiter

__all__ = ["Lifecycle"]


class Lifecycle:
    """The stages every request passes through, around its attempts."""

    def __init__(
        self,
        *,
        clock: Clock,
        bus: EventBus,
        gate: QueueGate,
        queue: AdmissionQueue,
        limiter: RateLimiter,
        costs: CostTracker,
        scope: str,
    ) -> None:
        self.clock, self.bus, self.gate, self.queue = clock, bus, gate, queue
        self.limiter, self.costs, self.scope = limiter, costs, scope
        self.refuse_early: Callable[[Call], None] | None = None
        """Raises when sending ``call`` is pointless (every circuit open): run while it waits
        for rate-limit capacity, so it leaves the line at once instead of at its turn."""

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
    async def queued(self, call: Call) -> AsyncIterator[None]:
        """Hold a place among the waiting requests (QueueFull past the bound)."""
        self.transition(call, RequestState.QUEUED)
        async with self.gate.ticket(call.priority) as ticket:
            call.ticket = ticket
            yield

    @asynccontextmanager
    async def limited(self, call: Call) -> AsyncIterator[None]:
        """Take the first reservation in priority order; at the end charge the real prompt count
        (or give it all back if nothing was sent)."""
        await self.reserve(call)
        try:
            yield
        finally:
            if call.reservation is not None:
                if not call.sent:
                    await self.limiter.release(call.reservation)
                elif call.usage.prompt:
                    await self.limiter.reconcile(call.reservation, call.usage.prompt)

    async def reserve(self, call: Call) -> None:
        """One request and the estimated tokens from the model's limits, waiting in line."""
        refuse = self.refuse_early
        reservation = await self.limiter.acquire(
            call.config.name,
            call.estimate,
            scope=self.scope,
            priority=call.priority,
            deadline_at=call.deadline_at,
            check=None if refuse is None else lambda: refuse(call),
        )
        call.throttled_ms += reservation.waited_s * 1000
        call.reservation = reservation

    @asynccontextmanager
    async def admitted(self, call: Call) -> AsyncIterator[None]:
        """A slot under the concurrency cap, by priority, within the deadline."""
        start = self.clock.monotonic()
        await self.queue.acquire(call.priority, call.remaining(start))
        call.queue_ms = (self.clock.monotonic() - call.created_at) * 1000 - call.throttled_ms
        try:
            if (call.remaining(self.clock.monotonic()) or 1.0) <= 0:
                raise DeadlineExceeded("the deadline passed before the request could be sent")
            yield
        finally:
            self.queue.release()


def _final_state(error: BaseException | None) -> RequestState:
    if error is None:
        return RequestState.COMPLETED
    if isinstance(error, Rejected):
        return RequestState.REJECTED
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return RequestState.CANCELLED
    return RequestState.FAILED


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return "cancelled by the caller"
    return f"{type(error).__name__}: {error}"


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
        error_type=None if error is None else type(error).__name__,
    )
