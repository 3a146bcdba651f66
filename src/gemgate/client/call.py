"""One request's record as it travels the pipeline, and the result handed back to the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gemgate.config import ModelConfig
from gemgate.observability import RequestState
from gemgate.queue import Ticket
from gemgate.ratelimit import Reservation
from gemgate.resilience import Route
from gemgate.wire import GenerateResponse, Usage

__all__ = ["Call", "Result"]


@dataclass(slots=True)
class Call:
    """Mutable per-request state; only the client's stages write to it."""

    id: str
    model: str
    config: ModelConfig
    method: str
    body: dict[str, Any]
    estimate: int
    priority: int
    created_at: float
    deadline_at: float | None = None
    user: str | None = None
    feature: str | None = None
    team: str | None = None
    state: RequestState | None = None
    attempts: int = 0
    sent: bool = False
    region: str | None = None
    pinned: str | None = None
    tried: int = 0  # a bit per endpoint position this request has been sent to
    route: Route | None = None  # where its last attempt went
    reservation: Reservation | None = None
    ticket: Ticket | None = None
    usage: Usage = field(default_factory=Usage)
    response: GenerateResponse | None = None
    cost_usd: Decimal | None = None
    queue_ms: float = 0.0
    throttled_ms: float = 0.0
    latency_ms: float = 0.0
    text_parts: list[str] = field(default_factory=list)

    def remaining(self, now: float) -> float | None:
        return None if self.deadline_at is None else self.deadline_at - now


@dataclass(frozen=True, slots=True)
class Result:
    """What a completed request returns (DESIGN.md §3)."""

    text: str
    response: GenerateResponse | None
    usage: Usage
    cost_usd: Decimal | None
    attempts: int
    latency_ms: float
    queue_ms: float
    throttled_ms: float
    region: str | None
    request_id: str
    model: str

    @property
    def finish_reason(self) -> str | None:
        return self.response.finish_reason if self.response else None

    @classmethod
    def of(cls, call: Call) -> Result:
        return cls(
            text="".join(call.text_parts),
            response=call.response,
            usage=call.usage,
            cost_usd=call.cost_usd,
            attempts=call.attempts,
            latency_ms=call.latency_ms,
            queue_ms=call.queue_ms,
            throttled_ms=call.throttled_ms,
            region=call.region,
            request_id=call.id,
            model=call.config.name,
        )
