"""The vocabulary of what happens to a request, and a bus that delivers it to listeners.

Policy code emits events; logs, metrics and audit records are listeners. A listener that raises
is reported through ``logging`` and never breaks the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from gemgate.wire import Usage

__all__ = [
    "AttemptFailed",
    "CircuitChanged",
    "Event",
    "EventBus",
    "Listener",
    "RequestFinished",
    "RequestState",
    "StateChanged",
]

log = logging.getLogger("gemgate.events")


class RequestState(StrEnum):
    """``QUEUED → PROCESSING → (RETRYING → PROCESSING)* → COMPLETED | FAILED``; REJECTED when
    gemgate refused to send it; CANCELLED when the caller gave up (a stream left early, a task
    cancelled)."""

    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    RETRYING = "RETRYING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class StateChanged:
    request_id: str
    old: RequestState | None
    new: RequestState
    at: float


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    """One attempt failed; ``retry_in_s`` is None when the request gives up (``gave_up`` says
    why: ``"not retryable"``, ``"retry budget spent"``, …)."""

    request_id: str
    attempt: int
    error: str
    status: int | None
    retry_in_s: float | None
    region: str | None = None
    gave_up: str | None = None


@dataclass(frozen=True, slots=True)
class CircuitChanged:
    """The breaker of (``endpoint``, ``model``) moved from ``old`` to ``new`` (``"closed"``,
    ``"open"``, ``"half_open"``); when it opened, ``retry_at`` is when a probe may go."""

    endpoint: str
    model: str
    old: str
    new: str
    at: float
    retry_at: float | None = None


@dataclass(frozen=True, slots=True)
class RequestFinished:
    """One record per request: what it was, for whom, what it cost, how it ended."""

    request_id: str
    model: str
    state: RequestState
    attempts: int
    latency_ms: float
    queue_ms: float
    throttled_ms: float
    region: str | None
    user: str | None
    feature: str | None
    team: str | None
    usage: Usage
    cost_usd: Decimal | None
    error: str | None = None
    error_type: str | None = None  # the error's class name, e.g. "CircuitOpen"


Event: TypeAlias = StateChanged | AttemptFailed | RequestFinished | CircuitChanged
Listener: TypeAlias = Callable[[Event], None]


class EventBus:
    """Delivers each event to every subscribed listener, in subscription order."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed", listener)
